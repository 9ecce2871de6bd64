"""The permission matrix of docs/data-protection.md: the table agrees with accounts/roles.py, and every
cell holds for a real request by the demo user of that role: a record of someone else under their node
answers for "node", only their own record for "own", nothing for "none"."""

import re
from pathlib import Path

import pytest
from django.test import Client

from epigrid.accounts import roles
from epigrid.accounts.models import User
from epigrid.accounts.services import user_add
from epigrid.core.principals import SYSTEM
from epigrid.demo.people import demo_people_build
from epigrid.demo.services import DEMO_PASSWORD, demo_users_create

DOC = Path(__file__).parents[2] / "docs" / "data-protection.md"
COLUMNS = {"map": roles.MAP_VIEW, "residents (masked)": roles.RESIDENTS_VIEW, "reveal": roles.PII_REVEAL,
           "health": roles.HEALTH_VIEW, "incidents": roles.INCIDENT_VIEW, "patrols and tracks": roles.PATROL_VIEW,
           "KPIs": roles.KPI_VIEW, "import and edit residents": roles.RESIDENTS_EDIT, "audit log": roles.AUDIT_VIEW,
           "export lists": roles.LIST_EXPORT, "tracing": roles.EPI_VIEW, "edit tracing": roles.EPI_EDIT}
USERS = {"city_commander": "commander", "district_admin": "dongcheng", "street_admin": "street",
         "community_worker": "community", "grid_worker": "gridworker", "volunteer": "volunteer",
         "charity_staff": "charity", "consultant": "doctor", "auditor": "auditor",
         "epidemiologist": "epidemiologist"}


def documented() -> dict[tuple[str, str], str]:
    text = DOC.read_text(encoding="utf-8").split("## Permission matrix", 1)[1]
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    header = [c.strip() for c in rows[0].strip("|").split("|")][1:]
    cells = {}
    for line in rows[1:]:
        role, *values = [c.strip() for c in line.strip("|").split("|")]
        if not re.fullmatch(r"`\w+`", role):
            break
        cells.update({(role.strip("`"), column): value for column, value in zip(header, values, strict=True)})
    return cells


def test_the_documented_matrix_is_the_code():
    cells = documented()
    assert {role for role, _ in cells} == set(roles.Role.values)
    for (role, column), value in cells.items():
        assert value == roles.role_scope(role, COLUMNS[column]), f"{role} / {column}"


@pytest.fixture
def world(city):
    """The demo, a second grid worker on the same grid with a patrol of their own, and an incident the
    volunteer reported (their own) beside the grid worker's (someone else's)."""
    from epigrid.health.models import Observation
    from epigrid.patrol.models import Incident, Patrol
    from epigrid.patrol.services import incident_report, patrol_start
    from epigrid.regions.services import grid_set_workers
    from epigrid.residents.models import Resident

    demo_users_create()
    demo_people_build()
    gridworker = User.objects.get(username="gridworker")
    grid = gridworker.memberships.first().node_code
    user_add(actor=SYSTEM, username="gridworker2", role=roles.Role.GRID_WORKER, node_code=grid,
             password=DEMO_PASSWORD)
    grid_set_workers(actor=SYSTEM, grid_code=grid, usernames=["gridworker", "gridworker2"])
    other_patrol = patrol_start(actor=User.objects.get(username="gridworker2"), grid_code=grid)
    incident = Incident.objects.filter(grid_code=grid, reporter=gridworker).first()
    lon, lat = incident.lon, incident.lat
    own_incident = incident_report(actor=User.objects.get(username="volunteer"), category="no_mask",
                                   description="门口有人未戴口罩", lon=lon, lat=lat, client_id="volunteer-own-1")
    from epigrid.epi.models import Case

    return {"grid": grid, "case": Case.objects.filter(grid_code=grid).first(), "resident": Resident.objects.filter(grid_code=grid, duplicate_of=None).first(),
            "observation": Observation.objects.filter(grid_code=grid).first(), "incident": incident,
            "own_incident": own_incident, "patrol": Patrol.objects.get(worker=gridworker),
            "other_patrol": other_patrol, "node": {u.username: u.memberships.first().node_code
                                                   for u in User.objects.filter(username__in=USERS.values())}}


def _ok(response) -> bool:
    assert response.status_code in (200, 403, 404), response.status_code
    return response.status_code == 200


def observed(client, column: str, w: dict, username: str) -> str:
    """What the user can do in this column: node, own or none, found by requests."""
    api = "/api/v1"
    if column == "map":
        return "node" if _ok(client.get(f"{api}/grids/{w['grid']}")) else "none"
    if column == "residents (masked)":
        return "node" if _ok(client.get(f"{api}/residents/{w['resident'].uid}")) else "none"
    if column == "reveal":
        response = client.post(f"{api}/residents/{w['resident'].uid}/reveal",
                               {"field": "phone", "purpose": "contact", "reason": "通知明早参加核酸检测"},
                               content_type="application/json")
        return "node" if _ok(response) else "none"
    if column == "health":
        return "node" if _ok(client.get(f"{api}/observations/{w['observation'].uid}")) else "none"
    if column == "incidents":
        if _ok(client.get(f"{api}/incidents/{w['incident'].pk}")):
            return "node"
        mine = w["own_incident"] if username == "volunteer" else None
        return "own" if mine is not None and _ok(client.get(f"{api}/incidents/{mine.pk}")) else "none"
    if column == "patrols and tracks":
        other = w["other_patrol"] if username == "gridworker" else w["patrol"]
        if _ok(client.get(f"{api}/patrols/{other.pk}")):
            return "node"
        return "own" if username == "gridworker" and _ok(client.get(f"{api}/patrols/{w['patrol'].pk}")) else "none"
    if column == "KPIs":
        return "node" if _ok(client.get(f"{api}/kpis", {"within": w["node"][username]})) else "none"
    if column == "import and edit residents":
        return "node" if _ok(client.get("/residents/import/")) else "none"
    if column == "audit log":
        return "node" if _ok(client.get(f"{api}/audit")) else "none"
    if column == "export lists":
        response = client.get("/patrol/incidents/" if username == "volunteer" else "/residents/", {"export": "xlsx"})
        return "node" if _ok(response) else "none"
    if column == "tracing":
        return "node" if _ok(client.get(f"{api}/cases/{w['case'].uid}")) else "none"
    if column == "edit tracing":  # an empty change: allowed, it answers the case unchanged
        return "node" if _ok(client.patch(f"{api}/cases/{w['case'].uid}", {}, content_type="application/json")) else "none"
    raise AssertionError(column)


@pytest.mark.parametrize("role", sorted(USERS))
def test_each_cell_holds_for_a_real_request(world, role):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(User.objects.get(username=USERS[role]))
    for column, action in COLUMNS.items():
        assert observed(client, column, world, USERS[role]) == roles.role_scope(role, action), f"{role} / {column}"
