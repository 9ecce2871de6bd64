"""Input found by fuzzing the API: each answers 4xx JSON naming the field, never a 500, never a hint."""

import json

import pytest
from django.test import Client

from epigrid.core.scoping import code_level
from epigrid.regions.models import Division
from tests.regions.test_import import COMMUNITY, good_file


def post_import(api, user, body, **params):
    payload = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return api.as_user(user).post("/regions/import", payload, content_type="application/geo+json", **params)


def test_deeply_nested_json_is_a_400(alice, api):
    response = post_import(api, alice, "[" * 100_000 + "]" * 100_000)
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "body"


@pytest.mark.parametrize("name", ["\ud800", "a\x00b", "x\x1b[31m", "abc\u202edcba", ["list"], 42])
def test_names_with_control_characters_or_of_the_wrong_type_are_refused(alice, api, name):
    data = good_file()
    data["features"][3]["properties"]["name"] = name
    response = post_import(api, alice, json.dumps(data, ensure_ascii=True))
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "features[3].properties.name"
    assert not Division.objects.filter(code=COMMUNITY).exists()


@pytest.mark.parametrize("code", ["11010190100²", "１１０１０１９０１００１", "١١٠١٠١٩٠١٠٠١"])
def test_only_ascii_digits_make_a_code(alice, api, code):
    assert code_level(code) is None
    data = good_file()
    data["features"][1]["properties"]["code"] = code
    response = post_import(api, alice, data)
    assert response.status_code == 400
    assert any(e["field"] == "features[1].properties.code" for e in response.json()["errors"])


def test_integer_codes_from_gis_tools_are_accepted(alice, api):
    data = good_file()
    for f in data["features"]:
        f["properties"]["code"] = int(f["properties"]["code"])
    assert post_import(api, alice, data).status_code == 200


def test_errors_never_tell_whether_a_code_outside_ones_jurisdiction_exists(alice, api):
    """Parents that exist elsewhere and parents that exist nowhere get the same answer."""
    def answer(parent):
        data = {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": None, "properties": {
            "code": "110101001099", "name": "x", "level": "community", "parent_code": parent}}]}
        body = post_import(api, alice, data).json()
        return [(e["field"], e["message"].replace(parent, "P")) for e in body["errors"]]

    for existing, missing in [("110102001000", "110102009000"), ("440303001000", "440303009000"),
                              ("110102000000", "110103000000"), ("110102001001", "110102001009")]:
        assert answer(existing) == answer(missing), existing


def test_an_admin_cannot_rename_their_own_district(alice, api):
    data = {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": None, "properties": {
        "code": "110101000000", "name": "改名区", "level": "district", "parent_code": "110000000000"}}]}
    assert post_import(api, alice, data).status_code == 400
    assert Division.objects.get(code="110101000000").name == "东城区"


def test_an_oversized_body_is_a_413_naming_the_body(alice, api, settings):
    settings.IMPORT_MAX_BYTES = 1000
    response = post_import(api, alice, good_file())
    assert response.status_code == 413 and response.json()["errors"][0]["field"] == "body"


def test_three_dimensional_coordinates_are_stored_flat(alice, api):
    data = good_file()
    ring = data["features"][2]["geometry"]["coordinates"][0]
    data["features"][2]["geometry"]["coordinates"][0] = [[x, y, 50.0] for x, y in ring]
    assert post_import(api, alice, data).status_code == 200
    from epigrid.regions.models import Grid

    assert len(json.loads(Grid.objects.get(code=COMMUNITY + "001").geometry)["coordinates"][0][0]) == 2


@pytest.mark.parametrize("params", [{"page": 9223372036854775807}, {"page": 0}, {"page_size": 0},
                                    {"page_size": 10**6}])
def test_absurd_pages_are_a_400(alice, api, params):
    response = api.as_user(alice).get("/grids", within="110101000000", **params)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] in params


@pytest.mark.parametrize(("params", "field"), [({"date_to": "9999-12-31"}, "date_to"),
                                               ({"date_from": "0001-01-01"}, "date_from"),
                                               ({"date_from": "2025-05-01", "date_to": "2020-01-01"}, "date_to")])
def test_audit_dates_out_of_range_or_order_are_a_400(auditor, api, params, field):
    response = api.as_user(auditor).get("/audit", **params)
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == field
    client = Client()
    client.force_login(auditor)
    page = client.get("/audit/", params)
    assert page.status_code == 200 and 'class="error"' in page.content.decode()


def test_a_wrong_token_on_a_write_is_a_401_not_a_csrf_failure(alice):
    response = Client().post("/api/v1/regions/import", "{}", content_type="application/json",
                             headers={"Authorization": "Bearer eg_bogus"})
    assert response.status_code == 401


def test_unknown_api_paths_answer_json(city):
    response = Client().get("/api/v1/no/such/thing")
    assert response.status_code == 404 and response.json()["detail"]


def test_api_docs_page_loads_nothing_from_a_cdn(alice):
    client = Client()
    client.force_login(alice)
    page = client.get("/api/v1/docs").content.decode()
    assert "swagger-ui-bundle.js" in page and "cdn" not in page.lower()


def test_division_detail_queries_do_not_grow_with_children(commander, api, django_assert_max_num_queries):
    api.as_user(commander)
    with django_assert_max_num_queries(12):
        assert api.get("/divisions/110000000000").status_code == 200
