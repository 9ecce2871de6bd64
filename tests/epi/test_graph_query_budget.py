"""Query budgets of the graph's endpoints and pages (see tests/query_budget.py): a chain, the clusters, a
cluster, its graph. tests/epi/test_query_budget.py adds BUDGETS to the app's table."""

from datetime import timedelta

import pytest

from epigrid.epi.models import Cluster, ClusterCase
from tests.epi import graph_builders as b
from tests.query_budget import Budget, World, api_count, assert_flat_queries, dongcheng_grids, mark


def _grow_chain(world: World, n: int):
    """A case with three generations of sources above it and n people it exposed, each of whom exposed
    one more, who exposed one more: every hop of the chain has people at any n."""
    grids = dongcheng_grids()
    if "root" not in world.made:
        above = [b.person(grids[0].code, f"源{k}") for k in range(3)]
        root = world.add("root", b.person(grids[1].code, "根病例"))
        b.case(root)
        for upper, lower in zip(above, [*above[1:], root], strict=True):
            b.expose(upper, lower, "household")
    root = world.made["root"][0]
    for i in world.more("children", n):
        child = world.add("children", b.person(grids[i % 3].code, mark(i)))
        b.expose(root, child, ("household", "workplace", "venue")[i % 3], f"地点{i % 2}")
        grandchild = b.person(grids[(i + 1) % 3].code, f"二代{i}")
        b.expose(child, grandchild, "household")
        b.expose(grandchild, b.person(grids[(i + 2) % 3].code, f"三代{i}"), "household")
        if i % 2:
            b.link(b.case(child) if not child.cases.exists() else child.cases.get(), b.case(grandchild))


def _grow_clusters(world: World, n: int):
    grids = dongcheng_grids()
    for i in world.more("clusters", n):
        world.add("clusters", Cluster.objects.create(
            city_code="1101", grid_code=grids[i % 3].code, name=mark(i), setting=("household", "venue")[i % 2],
            key=f"budget:{i}", status=("proposed", "confirmed", "dismissed")[i % 3], first_date=b.DAY,
            last_date=b.DAY + timedelta(days=i % 5), case_count=2))


def _grow_cluster(world: World, n: int):
    """One cluster of n cases in three grids, some linked, each with a contact."""
    grids = dongcheng_grids()
    if "cluster" not in world.made:
        world.add("cluster", Cluster.objects.create(city_code="1101", grid_code=grids[0].code, name="预算聚集",
                                                    setting="venue", key="budget", first_date=b.DAY,
                                                    last_date=b.DAY))
    cluster = world.made["cluster"][0]
    for i in world.more("members", n):
        person = b.person(grids[i % 3].code, mark(i))
        case = world.add("members", b.case(person, ("confirmed", "asymptomatic")[i % 2], b.DAY + timedelta(days=i)))
        ClusterCase.objects.create(cluster=cluster, case=case, grid_code=case.grid_code)
        b.expose(person, b.person(grids[(i + 1) % 3].code, f"密接{i}"), "venue", "超市")
        if i:
            b.link(world.made["members"][i - 1], case)


def _root(world):
    return world.made["root"][0].uid


def _cluster(world):
    return world.made["cluster"][0].uid


BUDGETS = {
    "GET /api/v1/chains/{person}": Budget(_grow_chain, lambda w: f"/api/v1/chains/{_root(w)}"),
    "GET /api/v1/clusters": Budget(_grow_clusters, lambda w: "/api/v1/clusters", api_count),
    "GET /api/v1/clusters/{uid}": Budget(_grow_cluster, lambda w: f"/api/v1/clusters/{_cluster(w)}"),
    "GET /api/v1/clusters/{uid}/graph": Budget(_grow_cluster, lambda w: f"/api/v1/clusters/{_cluster(w)}/graph"),
    "epi:chain": Budget(_grow_chain, lambda w: f"/epi/chains/{_root(w)}/", shown=None),
    "epi:clusters": Budget(_grow_clusters, lambda w: "/epi/clusters/"),
    "epi:cluster": Budget(_grow_cluster, lambda w: f"/epi/clusters/{_cluster(w)}/"),
}


@pytest.mark.parametrize("route", BUDGETS)
def test_query_count_does_not_grow_with_the_rows(route, request, city):
    assert_flat_queries(route, BUDGETS[route], World(request))


# Steps that only take a POST (each answers with a redirect).
EXEMPT = {name: "POST only" for name in (
    "epi:cluster_confirm", "epi:cluster_dismiss", "epi:cluster_rename", "epi:clusters_propose")}
