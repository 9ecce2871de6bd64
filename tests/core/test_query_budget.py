"""Query budgets of the audit log, page and API (see tests/query_budget.py)."""

import pytest

from epigrid.accounts.roles import Role
from epigrid.core.principals import SYSTEM
from tests.conftest import _user
from tests.query_budget import (
    Budget,
    World,
    api_count,
    assert_flat_queries,
    count_of,
    id_number,
    mark,
    xlsx_rows,
)


def _grid_auditor(world: World):
    """An auditor of the first grid alone: the log shows the rows grown there, not the whole city's."""
    if "auditor" not in world.made:
        world.add("auditor", _user("gridauditor", Role.AUDITOR, world.first_grid.code))
    return world.made["auditor"][0]


def _grow_events(world: World, n: int):
    """Audit rows in the first grid by several actors (an admin, the city commander, the system): residents
    registered, some put under observation."""
    from epigrid.health.services import observation_start
    from epigrid.residents.services import resident_create

    actors = [world.alice, world.commander, SYSTEM]
    for i in world.more("events", n):
        resident = world.add("events", resident_create(actor=actors[i % 3], data={
            "name": mark(i), "id_number": id_number(i), "grid_code": world.first_grid.code}))
        if i % 2:
            observation_start(actor=world.alice, resident=resident, kind="home", reason="other")


BUDGETS = {
    "GET /api/v1/audit": Budget(_grow_events, lambda w: "/api/v1/audit", api_count, user=_grid_auditor),
    "core:audit": Budget(_grow_events, lambda w: "/audit/", count_of('data-testid="audit-row"'), user=_grid_auditor),
    # The export needs LIST_EXPORT, which an auditor has not: the city commander's, of one actor's rows.
    "core:audit?export=xlsx": Budget(_grow_events, lambda w: "/audit/?user=alice&export=xlsx", xlsx_rows,
                                     user="commander"),
}


@pytest.mark.parametrize("route", BUDGETS)
def test_query_count_does_not_grow_with_the_rows(route, request, city):
    assert_flat_queries(route, BUDGETS[route], World(request))
