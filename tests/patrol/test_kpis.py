"""KPIs from the rollups: figures per level, by source, patrol coverage, median, scoping, XLSX."""

import io
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from openpyxl import load_workbook

from epigrid.patrol import kpis, services
from epigrid.patrol.rollups import close_bucket, median_hours
from epigrid.patrol.services import patrols

from .helpers import S, incident_in, report


@pytest.fixture
def activity(gridworker, community_worker, inside):
    """Three incidents (one closed in time, one rejected, one open) and one patrol, all today."""
    lon, lat = inside
    incident_in(S.CLOSED, reporter=gridworker, manager=community_worker, handler=gridworker, lon=lon, lat=lat)
    incident_in(S.REJECTED, reporter=gridworker, manager=community_worker, handler=gridworker, lon=lon, lat=lat)
    report(community_worker, lon, lat)
    grid = gridworker.memberships.get().node_code
    patrols.patrol_plan_set(actor=community_worker, grid_code=grid, times_per_day=2,
                            checkpoints=[{"name": "东门", "lon": lon, "lat": lat, "radius_m": 30}])
    p = patrols.patrol_start(actor=gridworker)
    now = timezone.now()
    patrols.patrol_add_points(actor=gridworker, patrol_id=p.pk, points=[
        {"lon": lon, "lat": lat, "t": now - timedelta(seconds=20)},
        {"lon": lon + 0.001, "lat": lat, "t": now - timedelta(seconds=10)}])
    patrols.patrol_end(actor=gridworker, patrol_id=p.pk)
    return grid


def test_figures_at_every_level(api, alice, activity, gridworker):
    district = api.as_user(alice).get("/kpis", within="110101000000").json()
    assert district["by"] == "street"
    total = district["total"]
    assert (total["reported"], total["registered"], total["rejected"], total["closed"]) == (3, 1, 1, 1)
    assert (total["reported_staff"], total["reported_patrol"], total["reported_public"]) == (3, 0, 0)
    assert total["closure_rate"] == round(1 / 3, 4) and total["on_time_rate"] == 1.0
    assert total["median_close_hours"] is not None and total["median_close_hours"] < 0.5
    assert total["patrols"] == 1 and total["checkpoints_visited"] == 1 and total["checkpoint_rate"] == 1.0
    assert total["patrols_planned"] == 2 * 30 and total["coverage"] == round(1 / 60, 4)
    # The same totals from each level down to the grid; the grid's rows are its workers.
    for within, by in ((activity[:9] + "000", "community"), (activity[:12], "grid"), (activity, "worker")):
        r = api.as_user(alice).get("/kpis", within=within, by=by)
        assert r.status_code == 200, r.content
        assert r.json()["total"]["reported"] == 3
    workers = api.as_user(alice).get("/kpis", within=activity).json()["rows"]
    assert {w["name"]: w["reported"] for w in workers} == {"gridworker": 2, "community": 1}


def test_scoping(api, activity, bob, gridworker, charlie, commander):
    assert api.as_user(bob).get("/kpis", within="110101000000").status_code == 404
    assert api.as_user(charlie).get("/kpis", within="110101000000").status_code == 404
    assert api.as_user(gridworker).get("/kpis", within=activity[:12]).status_code == 404
    assert api.as_user(gridworker).get("/kpis", within=activity).json()["total"]["reported"] == 3
    city = api.as_user(commander).get("/kpis", within="110000000000").json()
    assert city["by"] == "district" and city["total"]["reported"] == 3


def test_bad_queries(api, alice, activity):
    client = api.as_user(alice)
    assert client.get("/kpis", within="110101000000", by="district").status_code == 400  # not below
    assert client.get("/kpis", within="110101000000", date_from="2026-02-01", date_to="2026-01-01").status_code == 400
    assert client.get("/kpis", within="110101000000", date_from="2000-01-01", date_to="2026-01-01").status_code == 400
    assert client.get("/kpis", within="abc").status_code == 400


def test_a_period_without_activity(api, alice, activity):
    r = api.as_user(alice).get("/kpis", within="110101000000", date_from="2020-01-01", date_to="2020-01-31").json()
    assert r["total"]["reported"] == 0 and r["total"]["closure_rate"] is None


def test_query_count_does_not_grow_with_incidents(alice, activity, gridworker, inside, django_assert_max_num_queries):
    for _ in range(5):
        report(gridworker, *inside)
    with django_assert_max_num_queries(8):
        kpis.kpi_table(user=alice, within="110101000000")


def test_median_from_the_histogram():
    hist = {close_bucket(h * 3600): 1 for h in (0.2, 5, 30)}
    assert 4 <= median_hours(hist) <= 6
    assert median_hours({}) is None


def test_on_time_and_late(gridworker, community_worker, alice, inside):
    with time_machine.travel(timezone.now() - timedelta(days=1), tick=False):
        late = incident_in(S.DISPATCHED, reporter=gridworker, manager=community_worker, handler=gridworker,
                           lon=inside[0], lat=inside[1])
    for step, kw in (("handle", {"result": "ok"}), ("verify", {"passed": True}), ("close", {})):
        actor = gridworker if step == "handle" else community_worker
        services.INCIDENT_ACTIONS[step](actor=actor, incident_id=late.pk, **kw)
    total = kpis.kpi_table(user=alice, within="110101000000")["total"]
    assert total["closed"] == 1 and total["on_time_rate"] == 0.0


def test_xlsx_export(api, alice, activity):
    r = api.as_user(alice).get("/kpis/xlsx", within="110101000000")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.values)
    assert rows[1][0] == "Code" and "Reported" in rows[1]
    assert rows[-1][1] == "Total" and rows[-1][2] == 3


def test_xlsx_neutralises_formulas():
    table = {"within": "110101000000", "date_from": "2026-01-01", "date_to": "2026-01-02", "total": {},
             "rows": [{"code": "=1+1", "name": "@SUM(A1)", "reported": 1}]}
    ws = load_workbook(io.BytesIO(kpis.kpi_xlsx(table))).active
    assert ws["A3"].value == "'=1+1" and ws["B3"].value == "'@SUM(A1)"
    assert ws["A3"].data_type == "s"
