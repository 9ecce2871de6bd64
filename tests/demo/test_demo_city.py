"""The demo city: deterministic, on real codes, tessellating, and the demo command's printed logins."""

import json

import shapely
from django.core.management import call_command

from epigrid.core.scoping import code_level
from epigrid.demo.city import demo_city_geojson
from epigrid.regions.models import Division, Grid


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


def test_grids_tessellate_their_community():
    features = demo_city_geojson(scale="small")["features"]
    geoms = {f["properties"]["code"]: shapely.from_geojson(json.dumps(f["geometry"]))
             for f in features if f["geometry"]}
    communities = [f["properties"]["code"] for f in features if f["properties"]["level"] == "community"]
    for code in communities:
        grids = [g for c, g in geoms.items() if len(c) == 15 and c.startswith(code)]
        area = geoms[code].area
        # Coordinates are rounded to 1e-7 degrees (about 1 cm): slivers that thin are all it may miss.
        assert abs(shapely.union_all(grids).area - area) < 1e-5 * area  # no gaps
        assert abs(sum(g.area for g in grids) - area) < 1e-5 * area  # no overlaps


def test_demo_command_builds_the_city_and_prints_a_login_per_role(db, capsys):
    call_command("demo", "--no-serve")
    out = capsys.readouterr().out
    for role in ("city_commander", "district_admin", "street_admin", "community_worker", "grid_worker",
                 "volunteer", "charity_staff", "consultant", "auditor"):
        assert role in out
    assert "http://127.0.0.1:8000/" in out and "epigrid-demo-2020" in out
    assert Division.objects.filter(code="440300000000").exists()
    assert Grid.objects.count() == 80
    # People and events to look at: residents, arrivals under observation (one with fever), incidents at
    # every step (one evaluated, photos), a patrol track, an arrival already registered (a record match).
    from epigrid.health.models import Alert, Observation
    from epigrid.patrol.models import Incident, IncidentPhoto, Patrol, TrackPoint
    from epigrid.residents.models import Arrival, Resident, ResidentMatch

    assert Resident.objects.count() == 46 and Arrival.objects.filter(observation_started=True).count() == 3
    assert Observation.objects.filter(status="active").count() == 3 and Alert.objects.exists()
    assert Incident.objects.count() == 5 and Incident.objects.filter(state="evaluated").count() == 1
    assert IncidentPhoto.objects.count() == 2 and ResidentMatch.objects.filter(status="pending").count() == 1
    assert Patrol.objects.filter(status="ended").count() == 1 and TrackPoint.objects.count() == 6
    call_command("demo", "--no-serve")  # a second run reuses what is there
    assert Grid.objects.count() == 80 and Resident.objects.count() == 46
