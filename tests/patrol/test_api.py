"""The JSON API: reporting, the workflow over HTTP, idempotent retries, bad input, photos, scoping."""

import io
import json
import uuid

import pytest
from django.test import Client
from PIL import Image

from epigrid.core.models import AuditEvent
from epigrid.patrol.models import Incident, IncidentEvent, IncidentPhoto

from .conftest import jpeg_with_gps


def body(**kw):
    return json.dumps(kw)


def new_incident(api, inside, **extra):
    values = {"category": "no_mask", "description": "卡口有人未戴口罩", "lon": inside[0], "lat": inside[1],
              "client_id": uuid.uuid4().hex} | extra
    return api.post("/incidents", body(**values))


def test_category_tree(api, gridworker):
    r = api.as_user(gridworker).get("/incident-categories")
    assert r.status_code == 200
    tree = {c["code"]: [k["code"] for k in c["children"]] for c in r.json()}
    assert {"gathering", "no_mask", "fever", "observation_breach", "supplies_needed",
            "unregistered_arrival"} <= set(tree["epidemic"])
    assert {"sanitation", "safety_hazard", "dispute"} <= set(tree["general"])


def test_report_and_walk_the_whole_loop_over_http(api, gridworker, community_worker, inside):
    r = new_incident(api.as_user(gridworker), inside)
    assert r.status_code == 200, r.content
    incident = r.json()
    assert incident["state"] == "reported" and incident["grid_code"].startswith("110101")
    assert incident["actions"] == []  # a grid worker cannot register
    iid = incident["id"]
    manager = api.as_user(community_worker)
    steps = [("register", {}), ("dispatch", {"assignee": "gridworker"}), ("handle", {"result": "已劝离"}),
             ("verify", {"passed": True}), ("close", {}), ("evaluate", {"rating": 5})]
    for action, extra in steps:
        # The assignee handles; a manager, not the handler, verifies (separation of duties).
        client = api.as_user(gridworker) if action == "handle" else api.as_user(community_worker)
        r = client.post(f"/incidents/{iid}/{action}", body(**extra))
        assert r.status_code == 200, (action, r.content)
    detail = manager.get(f"/incidents/{iid}").json()
    assert detail["state"] == "evaluated" and detail["closed_on_time"] is True
    assert [e["action"] for e in detail["timeline"]] == ["report", "register", "dispatch", "handle", "verify",
                                                          "close", "evaluate"]


def test_out_of_order_is_409_and_changes_nothing(api, gridworker, community_worker, inside):
    iid = new_incident(api.as_user(gridworker), inside).json()["id"]
    manager = api.as_user(community_worker)
    r = manager.post(f"/incidents/{iid}/close", body())
    assert r.status_code == 409
    assert "reported" in r.json()["detail"].lower()
    assert manager.get(f"/incidents/{iid}").json()["state"] == "reported"


def test_unknown_action_and_unknown_incident(api, community_worker):
    manager = api.as_user(community_worker)
    assert manager.post("/incidents/1/explode", body()).status_code in (400, 404)
    assert manager.post("/incidents/999999/register", body()).status_code == 404


def test_same_client_id_twice_stores_one(api, gridworker, inside):
    client = api.as_user(gridworker)
    cid = uuid.uuid4().hex
    first = new_incident(client, inside, client_id=cid)
    second = new_incident(client, inside, client_id=cid)
    assert first.status_code == second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert Incident.objects.count() == 1


@pytest.mark.parametrize(("change", "field"), [
    ({"lon": 0, "lat": 0}, "lon"),
    ({"lon": 39.9, "lat": 116.4}, "lon"),  # swapped
    ({"lon": float("nan")}, "lon"),
    ({"lon": 113.9, "lat": 22.5}, "lon"),  # Shenzhen: outside a Beijing grid worker's scope
    ({"category": "alien_invasion"}, "category"),
    ({"category": "epidemic"}, "category"),  # not a leaf
    ({"description": ""}, "description"),
    ({"description": "x" * 3000}, "description"),
    ({"description": "a\u202eb"}, "description"),
    ({"crs": "utm"}, "crs"),
    ({"reported_at": "2999-01-01T00:00:00+08:00"}, "reported_at"),
    ({"reported_at": "2020-01-01T00:00:00+08:00"}, "reported_at"),
    ({"client_id": "short"}, "client_id"),
    ({"patrol_id": 424242}, "patrol_id"),
])
def test_bad_reports_are_400_and_store_nothing(api, gridworker, inside, change, field):
    values = {"category": "no_mask", "description": "x", "lon": inside[0], "lat": inside[1]} | change
    r = api.as_user(gridworker).post("/incidents", json.dumps(values, allow_nan=True))
    assert r.status_code == 400, r.content
    # (Schema checks name the field after the body parameter, "body.crs"; the services, "crs".)
    assert any(e["field"].removeprefix("body.") == field for e in r.json()["errors"]), r.json()
    assert not Incident.objects.exists()
    assert not AuditEvent.objects.filter(action="incident.report").exists()


def test_positions_in_gcj02_and_bd09_are_located(api, gridworker, inside):
    from epigrid.core.geo import from_wgs84

    client = api.as_user(gridworker)
    for crs in ("gcj02", "bd09"):
        lon, lat = (float(v) for v in from_wgs84(inside[0], inside[1], crs))
        r = new_incident(client, inside, lon=lon, lat=lat, crs=crs)
        assert r.status_code == 200, r.content
        assert abs(r.json()["lon"] - inside[0]) < 1e-5 and abs(r.json()["lat"] - inside[1]) < 1e-5  # BD-09 inverse: ~0.1 m


@pytest.mark.parametrize("who", ["bob", "charlie"])
def test_outsiders_see_404(api, request, gridworker, inside, who):
    iid = new_incident(api.as_user(gridworker), inside).json()["id"]
    outsider = api.as_user(request.getfixturevalue(who))
    assert outsider.get(f"/incidents/{iid}").status_code == 404
    assert outsider.post(f"/incidents/{iid}/register", body()).status_code == 404
    assert outsider.get("/incidents").json()["items"] == []
    assert IncidentEvent.objects.count() == 1


def test_scoping_of_lists(api, gridworker, alice, commander, bob, inside):
    new_incident(api.as_user(gridworker), inside)
    for user, n in ((alice, 1), (commander, 1), (bob, 0), (gridworker, 1)):
        assert api.as_user(user).get("/incidents").json()["count"] == n, user


def _upload(client, iid, data, name="p.jpg", content_type="image/jpeg"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.client.post(f"/api/v1/incidents/{iid}/photos",
                              {"photo": SimpleUploadedFile(name, data, content_type=content_type)},
                              headers=client.headers)


def test_photo_exif_is_stripped_and_thumbnailed(api, gridworker, inside, settings):
    client = api.as_user(gridworker)
    iid = new_incident(client, inside).json()["id"]
    original = jpeg_with_gps((1200, 900))
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the fixture does carry GPS
    r = _upload(client, iid, original)
    assert r.status_code == 200, r.content
    photo = IncidentPhoto.objects.get()
    stored = Image.open(settings.MEDIA_ROOT / photo.path)
    assert not stored.getexif() and "exif" not in stored.info
    thumb = Image.open(settings.MEDIA_ROOT / photo.thumb_path)
    assert max(thumb.size) <= 320
    got = client.client.get(r.json()["url"], headers=client.headers)
    assert got.status_code == 200 and got["Content-Type"] == "image/jpeg"
    # Another city cannot fetch it.
    from tests.conftest import _user  # noqa: F401

    assert Client().get(r.json()["url"]).status_code in (401, 404)


def test_photo_scope(api, gridworker, bob, inside):
    client = api.as_user(gridworker)
    iid = new_incident(client, inside).json()["id"]
    url = _upload(client, iid, jpeg_with_gps()).json()["url"]
    assert api.as_user(bob).client.get(url, headers=api.headers).status_code == 404


@pytest.mark.parametrize(("data", "status"), [
    (b"%PDF-1.4 not an image", 400),
    (b"GIF89a" + b"\0" * 100, 400),
    (jpeg_with_gps()[:200], 400),  # truncated
    (b"\xff\xd8" + b"0" * (10 * 1024 * 1024 + 10), 413),
])
def test_bad_photos(api, gridworker, inside, data, status):
    client = api.as_user(gridworker)
    iid = new_incident(client, inside).json()["id"]
    r = _upload(client, iid, data)
    assert r.status_code == status, r.content
    assert r.json()["errors"][0]["field"] == "photo"
    assert not IncidentPhoto.objects.exists()


def test_openapi_describes_the_endpoints(api, gridworker):
    doc = api.as_user(gridworker).get("/openapi.json").json()
    for path in ("/api/v1/incidents", "/api/v1/incidents/{incident_id}", "/api/v1/incidents/{incident_id}/{action}",
                 "/api/v1/incident-categories", "/api/v1/patrols", "/api/v1/patrols/{patrol_id}/points"):
        assert path in doc["paths"], path


def test_a_grid_without_a_patrol_plan_answers_an_empty_plan(api, alice, first_grid):
    response = api.as_user(alice).get(f"/grids/{first_grid.code}/patrol-plan")
    assert response.status_code == 200
    assert response.json() == {"grid_code": first_grid.code, "times_per_day": 0, "checkpoints": []}
