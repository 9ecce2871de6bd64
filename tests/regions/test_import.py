"""GeoJSON import of divisions and grids: good files land, bad ones are refused whole, with the feature."""

import json

import pytest

from epigrid.core.errors import ServiceError
from epigrid.core.geo import wgs84_to_gcj02
from epigrid.core.principals import SYSTEM
from epigrid.regions.models import Division, Grid
from epigrid.regions.services import regions_import

STREET = "110101901000"  # a street code the demo city does not use
COMMUNITY = "110101901001"


def square(lon, lat, size=0.01):
    return {"type": "Polygon", "coordinates": [[[lon, lat], [lon + size, lat], [lon + size, lat + size],
                                                [lon, lat + size], [lon, lat]]]}


def feature(code, name, level, parent, geometry=None):
    return {"type": "Feature", "properties": {"code": code, "name": name, "level": level, "parent_code": parent},
            "geometry": geometry}


def good_file():
    return {"type": "FeatureCollection", "features": [
        feature(STREET, "试验街道", "street", "110101000000", square(116.40, 39.90, 0.02)),
        feature(COMMUNITY, "试验社区", "community", STREET, square(116.40, 39.90, 0.02)),
        feature(COMMUNITY + "001", "第1网格", "grid", COMMUNITY, square(116.40, 39.90)),
        feature(COMMUNITY + "002", "第2网格", "grid", COMMUNITY, square(116.41, 39.90)),
    ]}


def counts():
    return Division.objects.count(), Grid.objects.count()


def test_import_creates_divisions_and_grids_with_area(alice, api):
    response = api.as_user(alice).post("/regions/import", json.dumps(good_file()),
                                       content_type="application/geo+json")
    assert response.status_code == 200, response.content
    assert response.json() == {"created": 4, "updated": 0, "unchanged": 0}
    grid = Grid.objects.get(code=COMMUNITY + "001")
    assert grid.community.code == COMMUNITY
    # 0.01 degree square at 39.9 N: about 1113 m x 854 m.
    assert 0.9e6 < grid.area_m2 < 1.0e6
    assert Division.objects.get(code=STREET).parent.code == "110101000000"


def test_importing_the_same_file_twice_changes_nothing(city):
    regions_import(actor=SYSTEM, data=good_file())
    before = counts()
    result = regions_import(actor=SYSTEM, data=good_file())
    assert (result.created, result.updated, result.unchanged) == (0, 0, 4)
    assert counts() == before


def test_renaming_updates_and_audits_the_change(city):
    from epigrid.core.models import AuditEvent

    regions_import(actor=SYSTEM, data=good_file())
    data = good_file()
    data["features"][2]["properties"]["name"] = "新名字"
    result = regions_import(actor=SYSTEM, data=data)
    assert (result.updated, result.unchanged) == (1, 3)
    event = AuditEvent.objects.filter(action="grid.update", object_id=COMMUNITY + "001").get()
    assert event.changes == {"name": ["第1网格", "新名字"]}


def test_gcj02_coordinates_are_stored_as_wgs84(city):
    data = good_file()
    for f in data["features"]:
        ring = f["geometry"]["coordinates"][0]
        lon, lat = wgs84_to_gcj02([p[0] for p in ring], [p[1] for p in ring])
        f["geometry"]["coordinates"] = [[[float(x), float(y)] for x, y in zip(lon, lat, strict=True)]]
    regions_import(actor=SYSTEM, data=data, crs="gcj02")
    ring = json.loads(Grid.objects.get(code=COMMUNITY + "001").geometry)["coordinates"][0]
    assert ring[0] == pytest.approx([116.40, 39.90], abs=1e-6)


def test_export_round_trips(alice, api):
    regions_import(actor=SYSTEM, data=good_file())
    exported = api.as_user(alice).get("/regions/export", within=STREET).json()
    assert {f["properties"]["code"] for f in exported["features"]} == {
        STREET, COMMUNITY, COMMUNITY + "001", COMMUNITY + "002"}
    result = regions_import(actor=SYSTEM, data=exported)
    assert result.unchanged == 4 and result.created == result.updated == 0


def bowtie():
    return {"type": "Polygon", "coordinates": [[[116.40, 39.90], [116.41, 39.91], [116.41, 39.90],
                                                [116.40, 39.91], [116.40, 39.90]]]}


BAD_FEATURES = [
    # (what to break, the field named, a word of the message)
    (lambda f: f[2].update(geometry={"type": "Point", "coordinates": [116.4, 39.9]}),
     "features[2].geometry", "Polygon"),
    (lambda f: f[2].update(geometry=bowtie()), "features[2].geometry", "Self-intersection"),
    (lambda f: f[2].update(geometry={"type": "Polygon", "coordinates": []}), "features[2].geometry", "empty"),
    (lambda f: f[2].update(geometry=None), "features[2].geometry", "grid needs"),
    (lambda f: f[2].update(geometry=square(16.40, 39.90)), "features[2].geometry", "outside China"),
    (lambda f: f[2].update(geometry=square(39.90, 116.40)), "features[2].geometry", "outside China"),
    (lambda f: f[2].update(geometry={"type": "Polygon", "coordinates": [[[116.4, 39.9], [116.41]]]}),
     "features[2].geometry", "malformed"),
    (lambda f: f[2]["properties"].update(code="11010190100100"), "features[2].properties.code", "15 digits"),
    (lambda f: f[0]["properties"].update(parent_code="110102000000"), "features[0].properties.code", "not under"),
    (lambda f: f[0]["properties"].update(level="community"), "features[0].properties.code", "not a Community"),
    (lambda f: f[0]["properties"].update(level="town"), "features[0].properties.level", "one of"),
    (lambda f: f.pop(0), "features[0].properties.parent_code", "does not exist"),
    (lambda f: f[1]["properties"].update(parent_code=""), "features[1].properties.parent_code", "required"),
    (lambda f: f[3]["properties"].update(name=""), "features[3].properties.name", "required"),
    (lambda f: f[3]["properties"].update(name="长" * 101), "features[3].properties.name", "100"),
    (lambda f: f[3]["properties"].update(code=COMMUNITY + "001"), "features[3].properties.code", "duplicate"),
    (lambda f: f.__setitem__(3, ["not", "a", "feature"]), "features[3]", "Feature"),
]


@pytest.mark.parametrize(("breakage", "field", "words"), BAD_FEATURES)
def test_a_bad_feature_is_named_and_nothing_is_imported(alice, api, breakage, field, words):
    data = good_file()
    breakage(data["features"])
    before = counts()
    response = api.as_user(alice).post("/regions/import", json.dumps(data))
    assert response.status_code == 400
    body = response.json()
    assert "nothing was imported" in body["detail"] or body["errors"]
    messages = [e["message"] for e in body["errors"] if e["field"] == field]
    assert messages, body
    assert any(words in m for m in messages), messages
    assert counts() == before


@pytest.mark.parametrize(("body", "words"), [
    (b"", "empty"),
    (b"{not json", "not valid JSON"),
    (b"\xff\xfe\x00binary", "UTF-8"),
    (b'{"type": "Feature"}', "FeatureCollection"),
    (b'{"type": "FeatureCollection", "features": []}', "no features"),
    (b'[1, 2, 3]', "FeatureCollection"),
])
def test_files_that_are_not_feature_collections_are_refused(alice, api, body, words):
    response = api.as_user(alice).post("/regions/import", body, content_type="application/geo+json")
    assert response.status_code == 400
    assert words in response.json()["detail"]


def test_only_the_bad_rows_are_reported_even_among_many(city):
    data = good_file()
    data["features"][2]["geometry"] = bowtie()
    data["features"][3]["properties"]["code"] = "1"
    with pytest.raises(ServiceError) as info:
        regions_import(actor=SYSTEM, data=data)
    assert sorted(e.field for e in info.value.errors) == [
        "features[2].geometry", "features[3].properties.code"]


def test_importing_outside_ones_jurisdiction_is_refused(alice, api):
    data = good_file()
    for f in data["features"]:
        p = f["properties"]
        p["code"] = p["code"].replace("110101", "110102", 1)
        p["parent_code"] = p["parent_code"].replace("110101", "110102", 1)
    response = api.as_user(alice).post("/regions/import", json.dumps(data))
    assert response.status_code == 400
    assert all("outside your jurisdiction" in e["message"] for e in response.json()["errors"])
    assert not Division.objects.filter(code="110102901000").exists()


def test_roles_without_regions_edit_cannot_import(gridworker, api):
    response = api.as_user(gridworker).post("/regions/import", json.dumps(good_file()))
    assert response.status_code == 400
    assert not Division.objects.filter(code=STREET).exists()


def test_unknown_crs_is_a_400(alice, api):
    response = api.as_user(alice).post("/regions/import", json.dumps(good_file()), crs="utm")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "crs"


def test_command_line_import_reports_bad_features(city, tmp_path):
    from django.core.management import CommandError, call_command

    path = tmp_path / "bad.geojson"
    data = good_file()
    data["features"][2]["geometry"] = bowtie()
    path.write_text(json.dumps(data))
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_data", "regions", str(path))
    good = tmp_path / "good.geojson"
    good.write_text(json.dumps(good_file()))
    call_command("import_data", "regions", str(good))
    assert Grid.objects.filter(code=COMMUNITY + "002").exists()
