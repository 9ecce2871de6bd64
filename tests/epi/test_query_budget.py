"""Query budgets of the tracing pages and endpoints (see tests/query_budget.py): cases spread over grids,
classifications and links; contacts with their observations and tasks; one case or contact with more and
more exposures, infectees and trajectory entries behind its page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from epigrid.core.principals import SYSTEM
from tests.query_budget import (
    Budget,
    World,
    api_count,
    assert_flat_queries,
    count_of,
    dongcheng_grids,
    grid_worker,
    grow_residents,
    id_number,
    xlsx_rows,
)

SETTINGS = ("household", "workplace", "transport", "gathering", "healthcare", "venue", "other")


def _today():
    from epigrid.epi.services.common import today_local

    return today_local()


def _index(world: World):
    """One confirmed case (its person is not a marked row), made once."""
    if "index" not in world.made:
        from epigrid.epi.services import case_create
        from epigrid.residents.services import resident_create

        grid = dongcheng_grids(1)[0]
        resident = resident_create(actor=SYSTEM, data={"name": "病例首", "id_number": id_number(900),
                                                       "grid_code": grid.code})
        world.add("index", case_create(actor=SYSTEM, resident=resident, data={"classification": "confirmed"})[0])
    return world.made["index"][0]


def _grow_cases(world: World, n: int):
    """Cases of marked people in three grids: every classification, found in several ways, some imported,
    some with a severity, every third the infectee of the one before."""
    from epigrid.epi.models import FoundBy
    from epigrid.epi.services import case_create, link_create

    residents = grow_residents(world, n)
    for i in world.more("cases", n):
        case = world.add("cases", case_create(actor=SYSTEM, resident=residents[i], data={
            "classification": ("confirmed", "suspected", "asymptomatic")[i % 3], "imported": bool(i % 2),
            "found_by": FoundBy.values[i % len(FoundBy.values)], "severity": ("", "mild", "severe")[i % 3]})[0])
        if i % 3 == 2:
            link_create(actor=SYSTEM, infector=world.made["cases"][i - 1].uid, infectee=case.uid, evidence="household")


def _expose(index, resident, i: int):
    from epigrid.epi.services import exposure_record

    last = _today() - timedelta(days=1 + i // len(SETTINGS))
    return exposure_record(actor=SYSTEM, source_case=index, resident=resident, setting=SETTINGS[i % len(SETTINGS)],
                           place=f"场所{i % 4}", first_date=last - timedelta(days=1), last_date=last)[0]


def _grow_contacts(world: World, n: int, grid=None):
    """Close contacts of one case, marked people in three grids (or one), each with its observation and
    three tracing tasks for the grid's worker."""
    index = _index(world)
    for g in [grid] if grid else dongcheng_grids():
        grid_worker(world, g)
    residents = grow_residents(world, n, grid=grid)
    for i in world.more("contacts", n):
        world.add("contacts", _expose(index, residents[i], i).contact)


def _grow_one_grid_contacts(world: World, n: int):
    _grow_contacts(world, n, grid=dongcheng_grids(1)[0])


def _worker(world: World):
    return grid_worker(world, dongcheng_grids(1)[0])


def _grow_case_detail(world: World, n: int):
    """One case with n exposed contacts, n infectees (links) and n trajectory entries."""
    from epigrid.epi.services import case_create, link_create, trajectory_add

    index = _index(world)
    residents = grow_residents(world, 2 * n)
    now = timezone.now()
    for i in world.more("detail", n):
        _expose(index, residents[2 * i], i)
        infectee = case_create(actor=SYSTEM, resident=residents[2 * i + 1], data={"classification": "confirmed"})[0]
        link_create(actor=SYSTEM, infector=index.uid, infectee=infectee.uid, evidence=("household", "sequencing")[i % 2])
        start = now - timedelta(hours=2 * i + 2)
        world.add("detail", trajectory_add(actor=SYSTEM, case=index, start=start, end=start + timedelta(hours=1),
                                           place=f"场所{i}", setting=SETTINGS[i % len(SETTINGS)]))


def _grow_history(world: World, n: int):
    from epigrid.epi.services import case_update

    index = _index(world)
    for i in world.more("history", n):
        world.add("history", case_update(actor=SYSTEM, uid=index.uid, data={"severity": ("mild", "severe")[i % 2]}))


def _grow_contact_exposures(world: World, n: int):
    """One contact exposed n times by the case (settings and days vary)."""
    index = _index(world)
    grid_worker(world, dongcheng_grids(1)[0])
    if "contact" not in world.made:
        from epigrid.residents.services import resident_create

        world.add("contact", resident_create(actor=SYSTEM, data={"name": "密接首", "id_number": id_number(901),
                                                                 "grid_code": dongcheng_grids(1)[0].code}))
    for i in world.more("exposures", n):
        world.add("exposures", _expose(index, world.made["contact"][0], i))


def _contact(world: World):
    return world.made["exposures"][0].contact


def _entry(world: World, n: int):
    """A trajectory entry of the case, and marked people to pick among."""
    from epigrid.epi.services import trajectory_add

    index = _index(world)
    if "entry" not in world.made:
        start = timezone.now() - timedelta(hours=5)
        world.add("entry", trajectory_add(actor=SYSTEM, case=index, start=start, end=start + timedelta(hours=1),
                                          place="东四菜市场"))
    grow_residents(world, n)


def _epi(world: World):
    return world.epi


def _idx(world: World) -> str:
    return str(_index(world).uid)


BUDGETS = {
    "GET /api/v1/cases": Budget(_grow_cases, lambda w: "/api/v1/cases", api_count),
    "GET /api/v1/cases/{uid}": Budget(_grow_case_detail, lambda w: f"/api/v1/cases/{_idx(w)}", shown=None),
    "GET /api/v1/cases/{uid}/history": Budget(_grow_history, lambda w: f"/api/v1/cases/{_idx(w)}/history",
                                              count_of('"field"')),
    "GET /api/v1/cases/{uid}/links": Budget(_grow_case_detail, lambda w: f"/api/v1/cases/{_idx(w)}/links",
                                            count_of('"evidence"')),
    "GET /api/v1/cases/{uid}/trajectory": Budget(_grow_case_detail, lambda w: f"/api/v1/cases/{_idx(w)}/trajectory",
                                                 count_of('"setting"')),
    "GET /api/v1/contacts": Budget(_grow_contacts, lambda w: "/api/v1/contacts", api_count),
    "GET /api/v1/contacts/{uid}": Budget(_grow_contact_exposures, lambda w: f"/api/v1/contacts/{_contact(w).uid}",
                                         shown=None),
    "GET /api/v1/exposures": Budget(_grow_contacts, lambda w: "/api/v1/exposures", api_count),
    "GET /api/v1/tracing-tasks": Budget(_grow_contacts, lambda w: "/api/v1/tracing-tasks", api_count),
    "epi:cases": Budget(_grow_cases, lambda w: "/epi/cases/"),
    "epi:cases?export=xlsx": Budget(_grow_cases, lambda w: "/epi/cases/?export=xlsx", xlsx_rows),
    "epi:case": Budget(_grow_case_detail, lambda w: f"/epi/cases/{_idx(w)}/"),
    "epi:contacts": Budget(_grow_contacts, lambda w: "/epi/contacts/"),
    "epi:contacts?export=xlsx": Budget(_grow_contacts, lambda w: "/epi/contacts/?export=xlsx", xlsx_rows),
    "epi:contact": Budget(_grow_contact_exposures, lambda w: f"/epi/contacts/{_contact(w).uid}/",
                          count_of('data-testid="exposure-row"')),
    "epi:tasks": Budget(_grow_contacts, lambda w: "/epi/tasks/"),
    "epi:tasks?export=xlsx": Budget(_grow_contacts, lambda w: "/epi/tasks/?export=xlsx", xlsx_rows),
    "epi:tasks_mine": Budget(_grow_one_grid_contacts, lambda w: "/epi/tasks/mine/", user=_worker),
    "epi:case_new": Budget(grow_residents, lambda w: "/epi/cases/new/?q=试", count_of('data-testid="candidate"'),
                           user=_epi),
    "epi:exposure_new": Budget(grow_residents, lambda w: f"/epi/cases/{_idx(w)}/exposures/new/?q=试",
                               count_of('data-testid="candidate"'), user=_epi),
    "epi:trajectory_exposures": Budget(_entry, lambda w: f"/epi/trajectory/{w.made['entry'][0].uid}/exposures/?q=试",
                                       count_of('data-testid="candidate"'), user=_epi),
}


@pytest.mark.parametrize("route", BUDGETS)
def test_query_count_does_not_grow_with_the_rows(route, request, city):
    assert_flat_queries(route, BUDGETS[route], World(request))
