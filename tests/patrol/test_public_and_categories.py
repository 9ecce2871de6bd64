"""The public community page, and category deadlines."""

import json
import uuid

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from epigrid.core.models import AuditEvent
from epigrid.patrol.models import Incident
from epigrid.regions.links import community_token

from .conftest import jpeg_with_gps


def test_anyone_reports_through_a_community_page(first_grid, inside):
    page = f"/r/{community_token(first_grid.community.code, 'report')}/"
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.get(page).status_code == 200
    data = {"client_id": uuid.uuid4().hex, "category": "sanitation", "description": "垃圾堆积",
            "lon": inside[0], "lat": inside[1], "reporter_name": "王先生"}
    r = client.post(page, {**data, "photos": SimpleUploadedFile("p.jpg", jpeg_with_gps())})
    assert r.status_code == 200 and b"Thank you" in r.content
    client.post(page, data)  # resubmitted
    incident = Incident.objects.get()
    assert (incident.source, incident.reporter, incident.reporter_name) == ("public", None, "王先生")
    assert AuditEvent.objects.get(action="incident.report").actor_name == "public"


def test_a_public_report_must_lie_in_the_community(city, inside):
    from epigrid.regions.models import Division

    other = Division.objects.filter(level="community", code__startswith="110102").first()
    r = Client(HTTP_ACCEPT_LANGUAGE="en").post(f"/r/{community_token(other.code, 'report')}/", {
        "client_id": uuid.uuid4().hex, "category": "sanitation", "description": "x", "lon": inside[0],
        "lat": inside[1]})
    assert r.status_code == 400 and not Incident.objects.exists()
    assert Client().get(f"/r/{community_token('110101000000', 'report')}/").status_code == 404  # not a community


def test_the_report_page_opens_only_through_a_signed_link(first_grid):
    """Communities cannot be enumerated by trying codes, and an arrival link does not open it."""
    community = first_grid.community.code
    client = Client()
    assert client.get(f"/report/{community}/").status_code == 404
    assert client.get(f"/r/{community}/").status_code == 404
    assert client.get(f"/r/{community_token(community, 'arrival')}/").status_code == 404
    token = community_token(community, "report")
    assert client.get(f"/r/{token[:-2]}xx/").status_code == 404
    assert client.get(f"/r/{token}/").status_code == 200


def test_a_public_client_id_never_finds_another_communitys_incident(first_grid, inside, city):
    """The same client id sent to another community's page files a new report there, and its answer
    does not show the first community's incident number."""
    from epigrid.core.principals import PUBLIC
    from epigrid.patrol.services import incident_report
    from epigrid.regions.models import Division, Grid

    client_id = uuid.uuid4().hex
    first = incident_report(actor=PUBLIC, community_code=first_grid.community.code, client_id=client_id,
                            category="sanitation", description="垃圾", lon=inside[0], lat=inside[1])
    other = Division.objects.filter(level="community", code__startswith="4403").first()
    grid = Grid.objects.filter(community=other).first()
    r = Client(HTTP_ACCEPT_LANGUAGE="en").post(f"/r/{community_token(other.code, 'report')}/", {
        "client_id": client_id, "category": "sanitation", "description": "x", "lon": grid.centroid_lon,
        "lat": grid.centroid_lat})
    assert r.status_code == 200
    assert f"number {first.pk};" not in r.content.decode()
    assert Incident.objects.count() == 2


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
