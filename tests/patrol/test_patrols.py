"""Patrols: plans and checkpoints, start, track points in batches (idempotent, validated), end."""

import json
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from epigrid.core.geo import from_wgs84
from epigrid.patrol.models import CheckpointVisit, KpiDaily, Patrol, TrackPoint


def body(**kw):
    return json.dumps(kw, default=str)


def start(client, **extra):
    r = client.post("/patrols", body(client_id=uuid.uuid4().hex, **extra))
    assert r.status_code == 200, r.content
    return r.json()


def points_near(lon, lat, n=10, start_at=None, step_m=10):
    """n points walking east from (lon, lat), 10 s apart, ending now."""
    start_at = start_at or timezone.now() - timedelta(seconds=10 * n)
    dlon = step_m / (111_320 * 0.77)  # metres to degrees of longitude at Beijing's latitude
    return [{"lon": lon + i * dlon, "lat": lat, "t": (start_at + timedelta(seconds=10 * i)).isoformat(),
             "accuracy": 8} for i in range(n)]


def test_plan_with_checkpoints_then_a_patrol_visits_one(api, gridworker, community_worker, inside):
    lon, lat = inside
    plan = {"times_per_day": 2, "checkpoints": [
        {"name": "东门", "kind": "gate", "lon": lon, "lat": lat, "radius_m": 30},
        {"name": "菜市场", "kind": "market", "lon": lon + 0.01, "lat": lat, "radius_m": 30}]}
    grid = gridworker.memberships.get().node_code
    r = api.as_user(community_worker).client.put(f"/api/v1/grids/{grid}/patrol-plan", body(**plan),
                                                 content_type="application/json", headers=api.headers)
    assert r.status_code == 200, r.content
    worker = api.as_user(gridworker)
    assert worker.get(f"/grids/{grid}/patrol-plan").json()["times_per_day"] == 2
    patrol = start(worker)
    assert patrol["grid_code"] == grid and patrol["checkpoints_planned"] == 2
    r = worker.post(f"/patrols/{patrol['id']}/points", body(points=points_near(lon - 0.0003, lat)))
    assert r.status_code == 200, r.content
    assert r.json() == {"stored": 10, "duplicates": 0, "checkpoints_visited": 1}
    r = worker.post(f"/patrols/{patrol['id']}/end", body())
    assert r.status_code == 200
    ended = r.json()
    assert ended["status"] == "ended" and 80 < ended["distance_m"] < 100 and ended["checkpoints_visited"] == 1
    detail = worker.get(f"/patrols/{patrol['id']}").json()
    assert len(detail["track"]["coordinates"]) == 10
    # The KPI rollups count it, for the grid, each division above and the worker.
    rows = KpiDaily.objects.filter(patrols=1)
    assert {r.level for r in rows} == {"grid", "community", "street", "district", "city", "province", "worker"}


def test_a_plan_is_for_managers_in_scope(api, gridworker, bob, inside):
    grid = gridworker.memberships.get().node_code
    plan = body(times_per_day=1, checkpoints=[])
    for user, status in ((gridworker, 404), (bob, 404)):
        r = api.as_user(user).client.put(f"/api/v1/grids/{grid}/patrol-plan", plan, content_type="application/json",
                                         headers=api.headers)
        assert r.status_code == status


def test_retried_batches_and_starts_store_once(api, gridworker, inside):
    worker = api.as_user(gridworker)
    cid = uuid.uuid4().hex
    first = worker.post("/patrols", body(client_id=cid)).json()
    assert worker.post("/patrols", body(client_id=cid)).json()["id"] == first["id"]
    batch = points_near(*inside)
    for _ in range(3):
        r = worker.post(f"/patrols/{first['id']}/points", body(points=batch))
    assert r.json()["stored"] == 0 and r.json()["duplicates"] == 10
    assert TrackPoint.objects.count() == 10
    assert Patrol.objects.get().point_count == 10
    # A second patrol while one is running: 409.
    assert worker.post("/patrols", body(client_id=uuid.uuid4().hex)).status_code == 409
    # Ending twice is fine; points after the end are refused.
    assert worker.post(f"/patrols/{first['id']}/end", body()).status_code == 200
    assert worker.post(f"/patrols/{first['id']}/end", body()).status_code == 200
    assert worker.post(f"/patrols/{first['id']}/points", body(points=points_near(*inside, n=1))).status_code == 409


def test_gcj02_points_are_stored_as_wgs84(api, gridworker, inside):
    worker = api.as_user(gridworker)
    patrol = start(worker)
    glon, glat = (float(v) for v in from_wgs84(inside[0], inside[1], "gcj02"))
    pts = [{"lon": glon, "lat": glat, "t": timezone.now().isoformat()}]
    assert worker.post(f"/patrols/{patrol['id']}/points", body(points=pts, crs="gcj02")).status_code == 200
    point = TrackPoint.objects.get()
    assert abs(point.lon - inside[0]) < 1e-6 and abs(point.lat - inside[1]) < 1e-6


@pytest.mark.parametrize(("bad", "field"), [
    ({"lon": 0, "lat": 0}, "points[3].lon"),
    ({"lon": 500}, "points[3].lon"),
    ({"lat": float("inf")}, "points[3].lat"),
    ({"t": "2999-01-01T00:00:00+08:00"}, "points[3].t"),
    ({"t": "2001-01-01T00:00:00+08:00"}, "points[3].t"),
    ({"t": "2026-01-01T00:00:00"}, "points[3].t"),  # no time zone
    ({"accuracy": -5}, "points[3].accuracy"),
])
def test_a_bad_point_refuses_the_batch(api, gridworker, inside, bad, field):
    worker = api.as_user(gridworker)
    patrol = start(worker)
    batch = points_near(*inside)
    batch[3].update(bad)
    r = worker.post(f"/patrols/{patrol['id']}/points", json.dumps({"points": batch}, allow_nan=True))
    assert r.status_code == 400, r.content
    assert any(e["field"].replace("body.", "") == field or e["field"].endswith("points.3." + field.split(".")[-1])
               for e in r.json()["errors"]), r.json()
    assert not TrackPoint.objects.exists()


def test_batch_size_limits(api, gridworker, inside):
    worker = api.as_user(gridworker)
    patrol = start(worker)
    assert worker.post(f"/patrols/{patrol['id']}/points", body(points=[])).status_code == 400
    many = points_near(*inside, n=501, step_m=1)
    assert worker.post(f"/patrols/{patrol['id']}/points", body(points=many)).status_code == 400


def test_patrols_are_the_workers_own(api, gridworker, other_gridworker, alice, bob, inside):
    patrol = start(api.as_user(gridworker))
    batch = body(points=points_near(*inside))
    for user in (other_gridworker, alice, bob):
        assert api.as_user(user).post(f"/patrols/{patrol['id']}/points", batch).status_code == 404
        assert api.as_user(user).post(f"/patrols/{patrol['id']}/end", body()).status_code == 404
    # The district admin may look at it; the other grid worker and Shenzhen may not.
    assert api.as_user(alice).get(f"/patrols/{patrol['id']}").status_code == 200
    assert api.as_user(other_gridworker).get(f"/patrols/{patrol['id']}").status_code == 404
    assert api.as_user(bob).get(f"/patrols/{patrol['id']}").status_code == 404
    assert not TrackPoint.objects.exists() and not CheckpointVisit.objects.exists()


def test_start_needs_a_grid_of_ones_own(api, gridworker, alice, charlie):
    assert api.as_user(gridworker).post("/patrols", body(grid_code="110102001001001")).status_code == 404
    # alice walks no grid of her own: she must name one (and needs the patrol action: she has none).
    assert api.as_user(alice).post("/patrols", body()).status_code == 400
    assert api.as_user(charlie).post("/patrols", body()).status_code == 400
