"""Query budgets of the divisions, grids and maps (see tests/query_budget.py)."""

import json
import re

import pytest

from epigrid.core.principals import SYSTEM
from tests.query_budget import Budget, World, assert_flat_queries, count_of, grid_worker, mark

STREET = "110101001000"
COMMUNITY = "110101001001"
BEIJING_DISTRICTS = ["110101", "110102", "110105", "110106", "110107", "110108", "110109", "110111", "110112",
                     "110113", "110114", "110115", "110116", "110117", "110118", "110119"]


def _square(i: int, lon: float = 116.40, lat: float = 39.91) -> dict:
    x, y, d = lon + (i % 10) * 0.002, lat + (i // 10) * 0.002, 0.0015
    return {"type": "Polygon", "coordinates": [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]]}


def _import(features: list[dict]) -> None:
    from epigrid.regions.services import regions_import

    regions_import(actor=SYSTEM, data=json.dumps({"type": "FeatureCollection", "features": features}).encode())


def _grow_grids(world: World, n: int):
    """More grids in the first community of 东城区, named mark(i), every other one with grid workers."""
    from epigrid.regions.models import Grid

    new = list(world.more("grids", n))
    _import([{"type": "Feature", "geometry": _square(i), "properties": {
        "code": f"{COMMUNITY}{900 + i}", "name": mark(i), "level": "grid", "parent_code": COMMUNITY}} for i in new])
    for i in new:
        grid = world.add("grids", Grid.objects.get(code=f"{COMMUNITY}{900 + i}"))
        for k in range(i % 2 * 2):
            grid_worker(world, grid, k)


def _grow_communities(world: World, n: int):
    """More communities in the first street of 东城区, named mark(i), each with a grid."""
    new = list(world.more("communities", n))
    features = []
    for i in new:
        code = f"{STREET[:9]}{100 + i}"
        features += [{"type": "Feature", "geometry": _square(i), "properties": {
                          "code": code, "name": mark(i), "level": "community", "parent_code": STREET}},
                     {"type": "Feature", "geometry": _square(i), "properties": {
                          "code": f"{code}001", "name": f"{mark(i)}一", "level": "grid", "parent_code": code}}]
    _import(features)
    world.made["communities"].extend(new)


def _grow_workers(world: World, n: int):
    """n grid workers named for the first grid."""
    for k in range(n):
        grid_worker(world, world.first_grid, k)


def grow_districts(world: World, n: int):
    """The district admin made admin of n districts (their home page shows each with its figures)."""
    from epigrid.accounts.roles import Role
    from epigrid.accounts.services import user_add

    for i in world.more("districts", n):
        world.add("districts", user_add(actor=SYSTEM, username=world.alice.username, role=Role.DISTRICT_ADMIN,
                                        node_code=f"{BEIJING_DISTRICTS[i]}000000"))


def _features(response) -> int:
    return len(json.loads(response.content)["features"])


def _workers(response) -> int:
    """The grid workers named on a page (grid_worker() names them w + the grid's last six digits + k)."""
    return len(set(re.findall(r"\bw\d{7,}\b", response.content.decode())))


GRIDS = f"within={COMMUNITY}"

BUDGETS = {
    "GET /api/v1/divisions": Budget(_grow_communities, lambda w: f"/api/v1/divisions?parent={STREET}"),
    "GET /api/v1/divisions/{code}": Budget(_grow_communities, lambda w: f"/api/v1/divisions/{STREET}"),
    "GET /api/v1/grids": Budget(_grow_grids, lambda w: f"/api/v1/grids?{GRIDS}", lambda r: r.json()["count"]),
    "GET /api/v1/grids/{code}": Budget(_grow_workers, lambda w: f"/api/v1/grids/{w.first_grid.code}",
                                       lambda r: len(r.json()["workers"])),
    "GET /api/v1/regions/export": Budget(_grow_grids, lambda w: f"/api/v1/regions/export?{GRIDS}", _features),
    "GET /api/v1/map": Budget(_grow_grids, lambda w: f"/api/v1/map?{GRIDS}&figure=workers", _features),
    "regions:home": Budget(grow_districts, lambda w: "/", count_of('data-testid="node-')),
    "regions:map": Budget(_grow_grids, lambda w: f"/map/?{GRIDS}", shown=None),
    "regions:division": Budget(_grow_grids, lambda w: f"/divisions/{COMMUNITY}/"),
    "regions:grid": Budget(_grow_workers, lambda w: f"/grids/{w.first_grid.code}/", _workers),
}


@pytest.mark.parametrize("route", BUDGETS)
def test_query_count_does_not_grow_with_the_rows(route, request, city):
    assert_flat_queries(route, BUDGETS[route], World(request))
