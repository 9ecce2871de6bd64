"""Query budgets of the accounts endpoints (see tests/query_budget.py)."""

import pytest

from tests.query_budget import Budget, World, assert_flat_queries
from tests.regions.test_query_budget import grow_districts

BUDGETS = {
    "GET /api/v1/me": Budget(grow_districts, lambda w: "/api/v1/me", lambda r: len(r.json()["memberships"])),
}


@pytest.mark.parametrize("route", BUDGETS)
def test_query_count_does_not_grow_with_the_rows(route, request, city):
    assert_flat_queries(route, BUDGETS[route], World(request))
