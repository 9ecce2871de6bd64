"""Query budgets of the health pages and endpoints (see tests/query_budget.py)."""

from datetime import datetime, timedelta

import pytest

from epigrid.core.principals import SYSTEM
from tests.query_budget import (
    Budget,
    World,
    api_count,
    assert_flat_queries,
    count_of,
    grow_observations,
    grow_residents,
    xlsx_rows,
)


def _grow_checkins(world: World, n: int):
    """One observation (begun a week ago) with n check-ins over the days, am and pm, entered by the grid
    worker, an admin or the person's own link; fevers among them raise alerts and change the status."""
    from epigrid.health.services import checkin_link_principal, checkin_record, local_zone, observation_start

    grow_observations(world, 2)  # others beside it, in scope
    if "checked" not in world.made:
        # A third resident: the two others' observations (today's) stay as they are.
        grow_residents(world, 3)
        start = datetime.now(local_zone()).date() - timedelta(days=7)
        world.add("checked", observation_start(actor=SYSTEM, resident=world.made["residents"][2], kind="home",
                                               reason="other", start=start, days=14))
    obs = world.made["checked"][0]
    actors = [SYSTEM, world.alice, checkin_link_principal(obs)]
    for i in world.more("checkins", n):
        day = obs.start + timedelta(days=i // 2)
        when = datetime.combine(day, datetime.min.time(), local_zone()).replace(hour=(8, 15)[i % 2])
        checkin_record(actor=actors[i % 3], observation=obs, slot=("am", "pm")[i % 2],
                       temperature=("36.5", "38.4", "37.0")[i % 3], symptoms=["cough"] if i % 5 == 0 else [],
                       client_id=f"budget-checkin-{i:04d}", when=when)


def _checked(world: World):
    return world.made["checked"][0]


def _link(world: World) -> str:
    from epigrid.health.services import checkin_link_token

    return f"/c/{checkin_link_token(actor=SYSTEM, uid=_checked(world).uid)}/"


BUDGETS = {
    "GET /api/v1/observations": Budget(grow_observations, lambda w: "/api/v1/observations", api_count),
    "GET /api/v1/observations/{uid}": Budget(_grow_checkins, lambda w: f"/api/v1/observations/{_checked(w).uid}",
                                             shown=None),
    "GET /api/v1/observations/{uid}/checkins": Budget(
        _grow_checkins, lambda w: f"/api/v1/observations/{_checked(w).uid}/checkins", api_count),
    "GET /api/v1/alerts": Budget(grow_observations, lambda w: "/api/v1/alerts", api_count),
    "health:today": Budget(grow_observations, lambda w: "/health/today/", count_of('data-testid="person"')),
    "health:observations": Budget(grow_observations, lambda w: "/health/observations/"),
    "health:observations?export=xlsx": Budget(grow_observations, lambda w: "/health/observations/?export=xlsx",
                                              xlsx_rows),
    "health:observation": Budget(_grow_checkins, lambda w: f"/health/observations/{_checked(w).uid}/",
                                 count_of(" °C</td>")),
    "health:resident_checkin": Budget(_grow_checkins, _link, shown=None, user=None),
}


@pytest.mark.parametrize("route", BUDGETS)
def test_query_count_does_not_grow_with_the_rows(route, request, city):
    assert_flat_queries(route, BUDGETS[route], World(request))
