"""The public community page, and category deadlines."""

import json
import uuid

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from epigrid.core.models import AuditEvent
from epigrid.patrol.models import Incident

from .conftest import jpeg_with_gps


def test_anyone_reports_through_a_community_page(first_grid, inside):
    page = f"/report/{first_grid.community.code}/"
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.get(page).status_code == 200
    data = {"client_id": uuid.uuid4().hex, "category": "sanitation", "description": "垃圾堆积",
            "lon": inside[0], "lat": inside[1], "reporter_name": "王先生"}
    r = client.post(page, {**data, "photos": SimpleUploadedFile("p.jpg", jpeg_with_gps())})
    assert r.status_code == 200 and b"Thank you" in r.content
    client.post(page, data)  # resubmitted
    incident = Incident.objects.get()
    assert (incident.source, incident.reporter, incident.reporter_name) == ("public", None, "王先生")
    assert AuditEvent.objects.get(action="incident.report").actor_name == "anonymous"


def test_a_public_report_must_lie_in_the_community(city, inside):
    from epigrid.regions.models import Division

    other = Division.objects.filter(level="community", code__startswith="110102").first()
    r = Client(HTTP_ACCEPT_LANGUAGE="en").post(f"/report/{other.code}/", {
        "client_id": uuid.uuid4().hex, "category": "sanitation", "description": "x", "lon": inside[0],
        "lat": inside[1]})
    assert r.status_code == 400 and not Incident.objects.exists()
    assert Client().get("/report/110101000000/").status_code == 404  # a district, not a community


def test_deadlines_are_set_by_city_level_managers(api, commander, alice):
    put = lambda user, hours: api.as_user(user).client.put(  # noqa: E731
        "/api/v1/incident-categories/gathering", json.dumps({"deadline_hours": hours}),
        content_type="application/json", headers=api.headers)
    assert put(alice, 6).status_code == 403
    r = put(commander, 6)
    assert r.status_code == 200 and r.json()["deadline_hours"] == 6
    assert put(commander, 0).status_code == 400
    tree = api.as_user(alice).get("/incident-categories").json()
    gathering = next(k for c in tree for k in c["children"] if k["code"] == "gathering")
    assert gathering["deadline_hours"] == 6
    assert AuditEvent.objects.filter(action="incident_category.deadline").exists()
