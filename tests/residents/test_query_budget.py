"""Query budgets of the registry's pages and endpoints (see tests/query_budget.py)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from epigrid.core.principals import PUBLIC
from tests.query_budget import (
    Budget,
    World,
    api_count,
    assert_flat_queries,
    count_of,
    grow_residents,
    id_number,
    mark,
    xlsx_rows,
)

ORIGINS = [("湖北省", "武汉市"), ("广东省", "广州市"), ("河北省", "石家庄市")]


def _community(prefix: str):
    from epigrid.regions.models import Division

    return Division.objects.filter(level="community", code__startswith=prefix).order_by("code").first()


def _arrive(i: int, *, community, name: str, seq: int):
    from epigrid.residents.arrivals import arrival_register

    province, city = ORIGINS[i % len(ORIGINS)]
    return arrival_register(actor=PUBLIC, community_code=community.code, client=f"budget-{name}", data={
        "name": name, "id_type": "ric", "id_number": id_number(seq), "consent": True, "phone": f"1391234{seq:04d}",
        "address": f"{i + 1}号楼", "origin_province": province, "origin_city": city, "transport": "train",
        "transport_number": f"G{500 + i}", "arrival_date": timezone.localdate().isoformat(),
        "temperature": ("36.5", "37.8")[i % 2]})


def _grow_arrivals(world: World, n: int):
    """Arrivals in two communities of 东城区, from several origins (some starting an observation)."""
    communities = [_community("110101001001"), _community("110101001002")]
    for i in world.more("arrivals", n):
        world.add("arrivals", _arrive(i, community=communities[i % 2], name=mark(i), seq=200 + i))


def _grow_matches(world: World, n: int):
    """Residents of 东城区 registered again on arriving in 西城区: a match each, for 东城 to decide."""
    grow_residents(world, n)
    for i in world.more("matches", n):
        world.add("matches", _arrive(i, community=_community("110102"), name=mark(i), seq=i))


def _grow_claims(world: World, n: int):
    """The first resident registered again n times, in several communities: n matches on their page."""
    grow_residents(world, 2)
    communities = [_community("110102"), _community("110101001002"), _community("110105")]
    for i in world.more("claims", n):
        world.add("claims", _arrive(i, community=communities[i % 3], name=mark(50 + i), seq=0))


def _first(world: World):
    return world.made["residents"][0]


def _grow_jobs(world: World, n: int):
    """Imports, each named for its row (the page lists the recent ones)."""
    from epigrid.residents.importing import import_job_start

    for i in world.more("jobs", n):
        upload = SimpleUploadedFile(f"{mark(i)}.csv", f"姓名,证件号码,网格编码\n{mark(i)},{id_number(300 + i)},{world.first_grid.code}\n".encode(),
                                    "text/csv")
        world.add("jobs", import_job_start(actor=world.alice, upload=upload))


def _grow_bad_rows(world: World, n: int):
    """An import with n bad rows (and a column it does not know): its page lists each with the reason."""
    from epigrid.residents.importing import import_job_start

    rows = "".join(f"{mark(i)},12345,{world.first_grid.code},x\n" for i in range(n))
    upload = SimpleUploadedFile("bad.csv", f"姓名,证件号码,网格编码,鞋码\n{rows}".encode(), "text/csv")
    world.add("jobs", import_job_start(actor=world.alice, upload=upload))


def _job(world: World):
    return world.made["jobs"][-1].pk


def _grow_origins(world: World, n: int):
    """The district's arrival policy, with n risk origins (provinces and cities)."""
    from epigrid.core.places import province_tree
    from epigrid.residents.arrivals import arrival_policy_set

    codes = [c for code, _name, cities in province_tree() for c in [code] + [c for c, _n in cities[:1]]]
    arrival_policy_set(actor=world.alice, node_code="110101000000", risk_origins=codes[:n], observe_all=False,
                       days=14)


BUDGETS = {
    "GET /api/v1/residents": Budget(grow_residents, lambda w: "/api/v1/residents", api_count),
    "GET /api/v1/residents/{uid}": Budget(_grow_claims, lambda w: f"/api/v1/residents/{_first(w).uid}", shown=None),
    "GET /api/v1/arrivals": Budget(_grow_arrivals, lambda w: "/api/v1/arrivals", api_count),
    "GET /api/v1/resident-matches": Budget(_grow_matches, lambda w: "/api/v1/resident-matches", api_count),
    "GET /api/v1/imports/{job_id}": Budget(_grow_bad_rows, lambda w: f"/api/v1/imports/{_job(w)}",
                                           lambda r: len(r.json()["errors"])),
    "residents:residents": Budget(grow_residents, lambda w: "/residents/"),
    "residents:residents?export=xlsx": Budget(grow_residents, lambda w: "/residents/?export=xlsx", xlsx_rows),
    "residents:resident": Budget(_grow_claims, lambda w: f"/residents/{_first(w).uid}/",
                                 count_of('data-testid="match"')),
    "residents:resident_edit": Budget(_grow_claims, lambda w: f"/residents/{_first(w).uid}/edit/", shown=None),
    "residents:matches": Budget(_grow_matches, lambda w: "/residents/matches/"),
    "residents:arrivals": Budget(_grow_arrivals, lambda w: "/arrivals/"),
    "residents:arrivals?export=xlsx": Budget(_grow_arrivals, lambda w: "/arrivals/?export=xlsx", xlsx_rows),
    "residents:arrival_policy": Budget(_grow_origins, lambda w: "/arrivals/policy/110101000000/",
                                       count_of(" checked")),
    "residents:import": Budget(_grow_jobs, lambda w: "/residents/import/"),
    "residents:import_job": Budget(_grow_bad_rows, lambda w: f"/residents/import/{_job(w)}/", count_of("<tr><td>")),
    "residents:import_progress": Budget(_grow_bad_rows, lambda w: f"/residents/import/{_job(w)}/progress/",
                                        count_of("<tr><td>")),
}


@pytest.mark.parametrize("route", BUDGETS)
def test_query_count_does_not_grow_with_the_rows(route, request, city):
    assert_flat_queries(route, BUDGETS[route], World(request))
