"""Query budgets of the patrol and incident pages and endpoints (see tests/query_budget.py)."""

import uuid
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from epigrid.core.principals import PUBLIC, SYSTEM
from epigrid.patrol import services
from epigrid.patrol.services import patrols
from tests.query_budget import (
    Budget,
    World,
    api_count,
    assert_flat_queries,
    count_of,
    dongcheng_grids,
    grid_worker,
    grow_observations,
    mark,
    point_in,
    xlsx_rows,
)

from .conftest import jpeg_with_gps

CATEGORIES = ["gathering", "no_mask", "sanitation", "dispute", "fever"]
# The workflow steps that bring a new incident to a state: every fourth stays reported, the others are
# registered, dispatched (to the grid's worker) or handled.
STEPS = [[], ["register"], ["register", "dispatch"], ["register", "dispatch", "handle"]]


def _photo(incident, actor):
    upload = SimpleUploadedFile("p.jpg", jpeg_with_gps(), "image/jpeg")
    return services.incident_add_photo(actor=actor, incident_id=incident.pk, photo=upload)


def _step(world: World, incident, action: str, handler, **extra):
    kwargs = {"register": {}, "dispatch": {"assignee": handler.username, "unit": "社区居委会"},
              "handle": {"result": "处理完毕"}, "verify": {"passed": False, "comment": "再看看"}}[action] | extra
    actor = handler if action == "handle" else world.alice
    services.INCIDENT_ACTIONS[action](actor=actor, incident_id=incident.pk, **kwargs)


def _grow_incidents(world: World, n: int):
    """Incidents in three grids, of several categories and states, reported by the district admin, the
    grid's worker or the public, dispatched to the grid's worker; every third with a photo."""
    grids = dongcheng_grids()
    for i in world.more("incidents", n):
        grid = grids[i % 3]
        worker = grid_worker(world, grid)
        lon, lat = point_in(grid)
        reporter = (world.alice, worker, PUBLIC)[i % 3]
        extra = {"community_code": grid.community.code, "reporter_name": mark(i)} if reporter is PUBLIC else {}
        incident = world.add("incidents", services.incident_report(
            actor=reporter, category=CATEGORIES[i % len(CATEGORIES)], description=mark(i), lon=lon, lat=lat,
            client_id=uuid.uuid4().hex, address=f"{i + 1}号楼", **extra))
        if i % 3 == 1:
            _photo(incident, worker)
        for action in STEPS[i % 4]:
            _step(world, incident, action, worker)


def _grow_todo(world: World, n: int):
    """Incidents dispatched to the fixture grid worker (their to-do list and notifications)."""
    grid = world.first_grid
    world.gridworker  # noqa: B018 (made before it is dispatched to)
    lon, lat = point_in(grid)
    for i in world.more("todo", n):
        incident = world.add("todo", services.incident_report(
            actor=world.alice, category=CATEGORIES[i % len(CATEGORIES)], description=mark(i), lon=lon, lat=lat,
            client_id=uuid.uuid4().hex))
        for action in ("register", "dispatch"):
            _step(world, incident, action, world.gridworker)


def _grow_history(world: World, n: int):
    """One incident whose handling is sent back again and again: n rounds of handle and verify, the first
    ones with a photo; and n grid workers named for its grid (the page's list of whom to dispatch to)."""
    grid = world.first_grid
    handler = grid_worker(world, grid)
    if "history" not in world.made:
        lon, lat = point_in(grid)
        incident = world.add("history", services.incident_report(
            actor=world.alice, category="gathering", description="反复", lon=lon, lat=lat, client_id=uuid.uuid4().hex))
        for action in ("register", "dispatch"):
            _step(world, incident, action, handler)
    incident = world.made["history"][0]
    for i in world.more("rounds", n):
        grid_worker(world, grid, k=i + 1)
        if i < 4:  # an incident holds a few photos at most
            _photo(incident, handler)
        _step(world, incident, "handle", handler)
        _step(world, incident, "verify", handler, comment=mark(i))


def _history(world: World):
    return world.made["history"][0].pk


def _grow_patrols(world: World, n: int):
    """Patrols by the workers of three grids, ended, with a few points each."""
    grids = dongcheng_grids()
    start = timezone.now() - timedelta(hours=2)
    for i in world.more("patrols", n):
        grid = grids[i % 3]
        worker = grid_worker(world, grid, k=i // 3)
        lon, lat = point_in(grid)
        p = world.add("patrols", patrols.patrol_start(actor=worker, grid_code=grid.code,
                                                      started_at=start + timedelta(minutes=i)))
        patrols.patrol_add_points(actor=worker, patrol_id=p.pk, points=[
            {"lon": lon, "lat": lat, "t": p.started_at + timedelta(seconds=10)},
            {"lon": lon + 0.0005, "lat": lat, "t": p.started_at + timedelta(seconds=20)}])
        patrols.patrol_end(actor=worker, patrol_id=p.pk, ended_at=p.started_at + timedelta(seconds=30))


def _grow_checkpoints(world: World, n: int):
    """The first grid's patrol plan with n checkpoints."""
    lon, lat = point_in(world.first_grid)
    kinds = ["gate", "other"]
    patrols.patrol_plan_set(actor=SYSTEM, grid_code=world.first_grid.code, times_per_day=2, checkpoints=[
        {"name": mark(i), "kind": kinds[i % 2], "lon": lon + i * 0.0001, "lat": lat, "radius_m": 30}
        for i in range(n)])


def _grow_track(world: World, n: int):
    """One patrol with n track points passing n checkpoints."""
    _grow_checkpoints(world, n)
    worker = world.gridworker
    lon, lat = point_in(world.first_grid)
    if "walk" not in world.made:
        world.add("walk", patrols.patrol_start(actor=worker, grid_code=world.first_grid.code,
                                               started_at=timezone.now() - timedelta(hours=1)))
    walk = world.made["walk"][0]
    points = [{"lon": lon + i * 0.0001, "lat": lat, "t": walk.started_at + timedelta(seconds=10 * (i + 1))}
              for i in world.more("points", n)]
    if points:
        patrols.patrol_add_points(actor=worker, patrol_id=walk.pk, points=points)


def _walk(world: World):
    return world.made["walk"][0].pk


def _grow_workers(world: World, n: int):
    """n grid workers of the first grid, each with a patrol today (a KPI row each, by worker)."""
    lon, lat = point_in(world.first_grid)
    start = timezone.now() - timedelta(hours=1)
    for i in world.more("kpi", n):
        worker = grid_worker(world, world.first_grid, k=i)
        p = patrols.patrol_start(actor=worker, grid_code=world.first_grid.code, started_at=start)
        patrols.patrol_add_points(actor=worker, patrol_id=p.pk, points=[
            {"lon": lon, "lat": lat, "t": start + timedelta(seconds=10)}])
        patrols.patrol_end(actor=worker, patrol_id=p.pk, ended_at=start + timedelta(seconds=20))


def _grow_categories(world: World, n: int):
    """The category tree with n more categories of its own (a catalogue without a service to add one)."""
    from epigrid.patrol.categories import categories_ensure
    from epigrid.patrol.models import IncidentCategory

    categories_ensure()
    parent = IncidentCategory.objects.get(code="general")
    for i in world.more("categories", n):
        world.add("categories", IncidentCategory.objects.create(code=f"budget-{i}", name=mark(i), parent=parent,
                                                                sort=i))


def _grow_work(world: World, n: int):
    """A grid worker's day: people under observation in their grid (some with fever) and incidents
    dispatched to them (their home page lists both)."""
    grow_observations(world, n)
    _grow_incidents(world, n)


def _first_worker(world: World):
    return grid_worker(world, world.first_grid)


def _kpis(world: World) -> str:
    return f"within={world.first_grid.code}&by=worker"


BUDGETS = {
    "GET /api/v1/incident-categories": Budget(_grow_categories, lambda w: "/api/v1/incident-categories"),
    "GET /api/v1/patrols": Budget(_grow_patrols, lambda w: "/api/v1/patrols", api_count),
    "GET /api/v1/patrols/{patrol_id}": Budget(_grow_track, lambda w: f"/api/v1/patrols/{_walk(w)}",
                                              lambda r: len(r.json()["track"]["coordinates"])),
    "GET /api/v1/grids/{code}/patrol-plan": Budget(_grow_checkpoints,
                                                   lambda w: f"/api/v1/grids/{w.first_grid.code}/patrol-plan"),
    "GET /api/v1/incidents": Budget(_grow_incidents, lambda w: "/api/v1/incidents", api_count),
    "GET /api/v1/incidents/{incident_id}": Budget(_grow_history, lambda w: f"/api/v1/incidents/{_history(w)}",
                                                  lambda r: len(r.json()["timeline"]) + len(r.json()["photos"])),
    "GET /api/v1/notifications": Budget(_grow_todo, lambda w: "/api/v1/notifications", api_count,
                                        user="gridworker"),
    "GET /api/v1/kpis": Budget(_grow_workers, lambda w: f"/api/v1/kpis?{_kpis(w)}", lambda r: len(r.json()["rows"])),
    # A grid worker's home page: their work for today (the regions app's page; the rows are health's and
    # patrol's).
    "regions:home?grid-worker": Budget(_grow_work, lambda w: "/", count_of('<li><a href="/'), user=_first_worker),
    "patrol:home": Budget(_grow_todo, lambda w: "/patrol/", count_of('href="/patrol/incidents/'), user="gridworker"),
    "patrol:incidents": Budget(_grow_incidents, lambda w: "/patrol/incidents/", count_of('data-testid="incident-row"')),
    "patrol:incidents?export=xlsx": Budget(_grow_incidents, lambda w: "/patrol/incidents/?export=xlsx", xlsx_rows),
    "patrol:incident": Budget(_grow_history, lambda w: f"/patrol/incidents/{_history(w)}/"),
    "patrol:patrol": Budget(_grow_track, lambda w: f"/patrol/patrols/{_walk(w)}/", shown=None),
    "patrol:kpis": Budget(_grow_workers, lambda w: f"/patrol/kpis/?{_kpis(w)}", count_of("<tr><td>w")),
    "patrol:plan": Budget(_grow_checkpoints, lambda w: f"/patrol/plans/{w.first_grid.code}/"),
}


@pytest.mark.parametrize("route", BUDGETS)
def test_query_count_does_not_grow_with_the_rows(route, request, city):
    assert_flat_queries(route, BUDGETS[route], World(request))
