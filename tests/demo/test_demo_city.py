"""The demo city: deterministic, on real codes and real outlines, tessellating, and the demo command's
printed logins."""

import json

import numpy as np
import pytest
import shapely
from django.core.management import call_command
from pyproj import Geod

from epigrid.core.scoping import code_level
from epigrid.demo.city import demo_city_geojson, demo_city_plan, district_cells
from epigrid.regions.cnmaps import outline
from epigrid.regions.models import Division, Grid

GEOD = Geod(ellps="WGS84")


def km2(geom) -> float:
    return abs(GEOD.geometry_area_perimeter(geom)[0]) / 1e6


def test_same_seed_same_city_other_seed_other_city():
    a = json.dumps(demo_city_geojson(seed=7, scale="small"))
    assert a == json.dumps(demo_city_geojson(seed=7, scale="small"))
    assert a != json.dumps(demo_city_geojson(seed=8, scale="small"))


def test_beijing_districts_have_their_real_codes_and_names():
    features = demo_city_geojson(scale="small")["features"]
    districts = {f["properties"]["code"]: f["properties"]["name"] for f in features
                 if f["properties"]["level"] == "district" and f["properties"]["code"].startswith("11")}
    assert len(districts) == 16
    assert districts["110101000000"] == "东城区" and districts["110119000000"] == "延庆区"
    assert all(code_level(f["properties"]["code"]) == f["properties"]["level"] for f in features)


def assert_tessellates(parent, children, rel=1e-5):
    """The children cover the parent (no gaps) without overlapping one another."""
    area = parent.area
    assert abs(shapely.union_all(children).area - area) < rel * area  # no gaps
    assert abs(sum(g.area for g in children) - area) < rel * area  # no overlaps
    assert shapely.difference(shapely.union_all(children), parent).area < rel * area  # nothing outside


def test_every_level_tessellates_its_parent():
    features = demo_city_geojson(scale="small")["features"]
    geoms = {f["properties"]["code"]: shapely.from_geojson(json.dumps(f["geometry"]))
             for f in features if f["geometry"]}
    children: dict[str, list] = {}
    for f in features:
        if f["properties"]["level"] in ("street", "community", "grid"):
            children.setdefault(f["properties"]["parent_code"], []).append(geoms[f["properties"]["code"]])
    parents = [f["properties"]["code"] for f in features if f["properties"]["level"] in ("district", "street",
                                                                                          "community")]
    assert len(parents) == 22 * 4  # 22 districts, each with a street and two communities
    for code in parents:
        # Coordinates are rounded to 1e-7 degrees (about 1 cm): slivers that thin are all it may miss.
        assert_tessellates(geoms[code], children[code])


def test_the_small_demo_keeps_real_outlines():
    districts = {code6: geom for _, ds in demo_city_plan("small") for code6, _, geom, _ in ds}
    assert {"110101", "110102", "110119", "120101", "440303", "520102"} <= set(districts)
    for code6, geom in districts.items():
        assert geom.area == pytest.approx(outline(code6).area, rel=0.03), code6


def test_the_city_scale_has_the_four_cities_each_on_its_own():
    plan = {spec["province"][0]: (spec, districts) for spec, districts in demo_city_plan("city")}
    assert set(plan) == {"110000000000", "120000000000", "440000000000", "520000000000"}
    # 直辖市 have no city level; 深圳 and 贵阳 sit under their provinces.
    assert plan["110000000000"][0]["city"] is None and plan["120000000000"][0]["city"] is None
    assert plan["440000000000"][0]["city"][0] == "440300000000"
    assert plan["520000000000"][0]["city"][0] == "520100000000"
    counts = {top: len(districts) for top, (_, districts) in plan.items()}
    assert counts == {"110000000000": 16, "120000000000": 16, "440000000000": 9, "520000000000": 10}
    for _, districts in plan.values():
        names = {code6: name for code6, name, _, _ in districts}
        assert all(name.endswith(("区", "县", "市")) for name in names.values())
    assert dict((c, n) for c, n, _, _ in plan["120000000000"][1])["120116"] == "滨海新区"


@pytest.mark.parametrize("top", ["110000000000", "120000000000", "440000000000", "520000000000"])
def test_city_scale_districts_follow_their_real_outlines_without_overlapping(top):
    spec, districts = next((s, d) for s, d in demo_city_plan("city") if s["province"][0] == top)
    for code6, _, geom, _ in districts:
        assert geom.is_valid and geom.area == pytest.approx(outline(code6).area, rel=0.01), code6
    geoms = [geom for _, _, geom, _ in districts]
    real = shapely.union_all([outline(code6) for code6, _, _, _ in districts])
    # Neighbours share their simplified edges: no overlap, and together they cover the real city.
    assert sum(g.area for g in geoms) == pytest.approx(shapely.union_all(geoms).area, rel=1e-6)
    assert shapely.union_all(geoms).area == pytest.approx(real.area, rel=0.005)


def test_city_scale_grids_are_small_in_the_centre_and_large_outside():
    districts = {code6: (geom, sizes) for _, ds in demo_city_plan("city") for code6, _, geom, sizes in ds}
    geom, sizes = districts["110101"]  # 东城区: about 709,000 people on 42 km2
    streets, communities, grids = sizes
    assert 10 <= streets <= 20 and 80 <= communities <= 150 and 500 <= grids <= 800
    cells = district_cells("110101", geom, sizes, np.random.default_rng(1))
    grid_cells = [c for c in cells if c.level == "grid"]
    assert len(grid_cells) == grids
    areas = np.array([km2(c.geom) for c in grid_cells])
    assert 0.05 <= np.median(areas) <= 0.1 and np.quantile(areas, 0.9) < 0.5
    # About 450 households (2.5 people each) to a grid, as in the real system.
    assert 300 <= 709_000 / 2.5 / grids <= 500
    assert_tessellates(geom, [c.geom for c in cells if c.level == "street"], rel=1e-6)
    # 延庆区 is mountains and villages: its grids are a hundred times larger.
    yanqing, (_, _, yanqing_grids) = districts["110119"]
    assert km2(yanqing) / yanqing_grids > 50 * np.median(areas)


def test_demo_command_builds_the_city_and_prints_a_login_per_role(db, capsys):
    call_command("demo", "--no-serve")
    out = capsys.readouterr().out
    for role in ("city_commander", "district_admin", "street_admin", "community_worker", "grid_worker",
                 "volunteer", "charity_staff", "consultant", "auditor", "epidemiologist"):
        assert role in out
    assert "http://127.0.0.1:8000/" in out and "epigrid-demo-2020" in out
    for login in ("commander", "shenzhen", "tianjin", "guiyang"):
        assert f"\n  {login} " in out
    assert Division.objects.filter(code="440300000000").exists()
    assert Division.objects.get(code="120000000000").name == "天津市"
    assert Division.objects.get(code="520100000000").parent.code == "520000000000"
    assert Grid.objects.count() == 88
    # People and events to look at: residents, arrivals under observation (one with fever), incidents at
    # every step (one evaluated, photos), a patrol track, an arrival already registered (a record match).
    from epigrid.epi.models import Case, Contact
    from epigrid.health.models import Alert, Observation
    from epigrid.patrol.models import Incident, IncidentPhoto, Patrol, TrackPoint
    from epigrid.residents.models import Arrival, Resident, ResidentMatch

    # 46 residents of the first community; the outbreak's cases and contacts are people of their own.
    people = Resident.objects.count()
    outbreak = set(Case.objects.values_list("resident", flat=True)) | set(Contact.objects.values_list("resident", flat=True))
    assert people == 46 + len(outbreak)
    assert Arrival.objects.filter(observation_started=True).count() == 3
    assert Observation.objects.filter(status="active", reason="arrival").count() == 3 and Alert.objects.exists()
    # A small outbreak: a few hundred cases, contacts under observation now.
    assert Case.objects.count() == 200 and Contact.objects.filter(status="managed").exists()
    assert Observation.objects.filter(status="active", reason="close_contact").exists()
    assert Incident.objects.count() == 5 and Incident.objects.filter(state="evaluated").count() == 1
    assert IncidentPhoto.objects.count() == 2 and ResidentMatch.objects.filter(status="pending").count() == 1
    assert Patrol.objects.filter(status="ended").count() == 1 and TrackPoint.objects.count() == 6
    call_command("demo", "--no-serve")  # a second run reuses what is there
    assert Grid.objects.count() == 88 and Resident.objects.count() == people
