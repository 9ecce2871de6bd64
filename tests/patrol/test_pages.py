"""The pages: phone home, report with a photo, the incident page's workflow buttons, KPIs, scoping."""

import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from epigrid.patrol.models import Incident, IncidentPhoto

from .conftest import jpeg_with_gps
from .helpers import S, incident_in


def logged_in(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_phone_home_report_and_todo(gridworker, community_worker, inside):
    phone = logged_in(gridworker)
    page = phone.get("/patrol/")
    assert page.status_code == 200 and b"Start patrol" in page.content
    form = phone.get("/patrol/report/")
    assert b"gathering" in form.content
    cid = uuid.uuid4().hex
    data = {"client_id": cid, "category": "fever", "description": "门卫发热", "lon": inside[0], "lat": inside[1],
            "crs": "wgs84"}
    r = phone.post("/patrol/report/", {**data, "photos": SimpleUploadedFile("a.jpg", jpeg_with_gps())})
    assert r.status_code == 302, r.content
    incident = Incident.objects.get()
    assert IncidentPhoto.objects.filter(incident=incident).count() == 1
    # The browser resubmits the same form: still one incident.
    phone.post("/patrol/report/", {**data, "photos": SimpleUploadedFile("a.jpg", jpeg_with_gps())})
    assert Incident.objects.count() == 1
    # The manager's to-do has it; the manager registers and dispatches it from the incident page.
    desk = logged_in(community_worker)
    assert f"#{incident.pk}".encode() in desk.get("/patrol/").content
    page = desk.get(f"/patrol/incidents/{incident.pk}/")
    assert b'data-action="register"' in page.content
    desk.post(f"/patrol/incidents/{incident.pk}/register/", {"comment": ""})
    desk.post(f"/patrol/incidents/{incident.pk}/dispatch/", {"assignee": "gridworker"})
    incident.refresh_from_db()
    assert incident.state == S.DISPATCHED
    # Now it is on the grid worker's to-do, and the worker handles it.
    assert f"#{incident.pk}".encode() in phone.get("/patrol/").content
    phone.post(f"/patrol/incidents/{incident.pk}/handle/", {"result": "已送医",
                                                              "photos": SimpleUploadedFile("b.jpg", jpeg_with_gps())})
    incident.refresh_from_db()
    assert incident.state == S.HANDLED and incident.photos.filter(stage="handle").count() == 1


def test_a_bad_report_shows_the_errors(gridworker):
    phone = logged_in(gridworker)
    r = phone.post("/patrol/report/", {"client_id": uuid.uuid4().hex, "category": "fever", "description": "",
                                       "lon": "", "lat": ""})
    assert r.status_code == 400
    assert b"required" in r.content and not Incident.objects.exists()


def test_an_action_out_of_order_shows_a_message(gridworker, community_worker, inside):
    incident = incident_in(S.REPORTED, reporter=gridworker, manager=community_worker, handler=gridworker,
                           lon=inside[0], lat=inside[1])
    desk = logged_in(community_worker)
    r = desk.post(f"/patrol/incidents/{incident.pk}/close/", {}, follow=True)
    assert b"Cannot close" in r.content
    incident.refresh_from_db()
    assert incident.state == S.REPORTED


@pytest.mark.parametrize("who", ["bob", "charlie"])
def test_outsiders_get_404(request, who, gridworker, community_worker, inside):
    incident = incident_in(S.REPORTED, reporter=gridworker, manager=community_worker, handler=gridworker,
                           lon=inside[0], lat=inside[1])
    client = logged_in(request.getfixturevalue(who))
    assert client.get(f"/patrol/incidents/{incident.pk}/").status_code == 404
    assert client.post(f"/patrol/incidents/{incident.pk}/register/", {}).status_code == 404
    # No role at all: the KPI page is not for them (403); a role elsewhere: that division does not exist (404).
    assert client.get("/patrol/kpis/?within=110101000000").status_code == (403 if who == "charlie" else 404)
    incident.refresh_from_db()
    assert incident.state == S.REPORTED


def test_kpi_page_and_xlsx(alice, gridworker, community_worker, inside):
    incident_in(S.CLOSED, reporter=gridworker, manager=community_worker, handler=gridworker,
                lon=inside[0], lat=inside[1])
    desk = logged_in(alice)
    assert desk.get("/patrol/kpis/").status_code == 302
    page = desk.get("/patrol/kpis/?within=110101000000")
    assert page.status_code == 200 and b'id="kpi-table"' in page.content and b"100.0%" in page.content
    xlsx = desk.get("/patrol/kpis/?within=110101000000&format=xlsx")
    assert load_workbook(io.BytesIO(xlsx.content)).active["A2"].value == "Code"


def test_patrol_page(api, gridworker, alice, bob, inside):
    from epigrid.patrol.services import patrols

    p = patrols.patrol_start(actor=gridworker)
    assert logged_in(alice).get(f"/patrol/patrols/{p.pk}/").status_code == 200
    assert logged_in(bob).get(f"/patrol/patrols/{p.pk}/").status_code == 404


def test_plan_page(gridworker, community_worker, bob, inside):
    grid = gridworker.memberships.get().node_code
    desk = logged_in(community_worker)
    r = desk.post(f"/patrol/plans/{grid}/", {"times_per_day": "3",
                                              "checkpoints": f"东门, {inside[0]}, {inside[1]}, 40, gate\n菜场，{inside[0]}，{inside[1]}"})
    assert r.status_code == 302, r.content
    from epigrid.patrol.models import PatrolPlan

    plan = PatrolPlan.objects.get(grid_code=grid)
    assert plan.times_per_day == 3 and [c.radius_m for c in plan.checkpoints.all()] == [40, 30]
    bad = desk.post(f"/patrol/plans/{grid}/", {"times_per_day": "3", "checkpoints": "东门, east, 39"})
    assert bad.status_code == 400 and plan.checkpoints.count() == 2
    # The grid worker sees it and cannot change it; Shenzhen does not see it.
    worker = logged_in(gridworker)
    assert b"readonly" in worker.get(f"/patrol/plans/{grid}/").content
    worker.post(f"/patrol/plans/{grid}/", {"times_per_day": "9", "checkpoints": ""})
    plan.refresh_from_db()
    assert plan.times_per_day == 3
    assert logged_in(bob).get(f"/patrol/plans/{grid}/").status_code == 404


def test_the_dispatch_list_offers_exactly_whom_dispatch_accepts(gridworker, other_gridworker, community_worker, inside):
    """The incident page's "to" list and the dispatch's own check read one rule: a grid worker of a
    neighbouring grid may not handle this grid's incidents and is neither offered nor accepted."""
    import re

    incident = incident_in(S.REGISTERED, reporter=gridworker, manager=community_worker, handler=gridworker,
                           lon=inside[0], lat=inside[1])
    desk = logged_in(community_worker)
    page = desk.get(f"/patrol/incidents/{incident.pk}/").content.decode()
    offered = set(re.findall(r'<option value="(\w+)"', page.split('name="assignee"')[1].split("</select>")[0]))
    assert offered == {"gridworker", "community"}
    r = desk.post(f"/patrol/incidents/{incident.pk}/dispatch/", {"assignee": "gridworker2"}, follow=True)
    assert b"no one of that name may handle incidents here" in r.content
    incident.refresh_from_db()
    assert incident.state == S.REGISTERED
    desk.post(f"/patrol/incidents/{incident.pk}/dispatch/", {"assignee": "community"})
    incident.refresh_from_db()
    assert incident.state == S.DISPATCHED and incident.assignee == community_worker
