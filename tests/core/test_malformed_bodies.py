"""Malformed request bodies over HTTP (found by schemathesis): a multipart body without a boundary, a
broken multipart body, JSON that does not parse, a body of the wrong content type. Each answers 400 or
415 in the API's error format ({"detail", "errors"}), never 500, and stores nothing."""

import json
import uuid

import pytest
from django.test import Client

from epigrid.core.models import Job
from epigrid.patrol.models import Incident, IncidentPhoto
from epigrid.residents.models import Resident


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def client(api, gridworker):
    api.as_user(gridworker)
    # A 500 must show up as a status, as a client sees it, not as an exception raised into the test.
    api.client = Client(raise_request_exception=False)
    return api


@pytest.fixture
def incident_id(client, inside):
    r = client.post("/incidents", json.dumps({"category": "no_mask", "description": "卡口有人未戴口罩",
                                              "lon": inside[0], "lat": inside[1], "client_id": uuid.uuid4().hex}))
    assert r.status_code == 200, r.content
    return r.json()["id"]


@pytest.fixture
def inside(first_grid):
    return first_grid.centroid_lon, first_grid.centroid_lat


MULTIPART_BODIES = [
    ("multipart/form-data", b"--x\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc\r\n--x--\r\n"),
    ("multipart/form-data; boundary=", b"whatever"),
    ("multipart/form-data; boundary=zz", b"--zz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a"),
    ("multipart/form-data; boundary=\x7f\x7f", b"--\x7f\x7f\r\n"),
    ("application/json", b'{"file": "abc"}'),  # the wrong content type: no file in it
    ("text/plain", b"abc"),
]


def _post(client, path, body, content_type):
    return client.client.post(f"/api/v1{path}", body, content_type=content_type, headers=client.headers)


def _assert_error_format(r, statuses=(400, 415)):
    assert r.status_code in statuses, (r.status_code, r.content)
    assert r["Content-Type"].startswith("application/json")
    body = r.json()
    assert body["detail"] and isinstance(body["errors"], list)
    return body


@pytest.mark.parametrize(("content_type", "body"), MULTIPART_BODIES)
def test_broken_multipart_on_the_resident_import_is_refused(client, content_type, body):
    r = _post(client, "/imports/residents", body, content_type)
    _assert_error_format(r)
    assert not Job.objects.exists()


@pytest.mark.parametrize(("content_type", "body"), MULTIPART_BODIES)
def test_broken_multipart_on_incident_photos_is_refused(client, incident_id, content_type, body):
    r = _post(client, f"/incidents/{incident_id}/photos", body, content_type)
    _assert_error_format(r)
    assert not IncidentPhoto.objects.exists()


@pytest.mark.parametrize(("content_type", "body"), [
    ("application/json", b'{"category": "no_mask", '),  # cut short
    ("application/json", b"\xff\xfe not utf-8"),
    ("application/json", b"[1, 2]"),  # JSON, but not an object
    ("text/plain", b"category=no_mask"),
    ("multipart/form-data", b"category=no_mask"),  # no boundary on a JSON endpoint
])
def test_malformed_json_bodies_are_refused(client, content_type, body):
    r = _post(client, "/incidents", body, content_type)
    _assert_error_format(r)
    assert not Incident.objects.exists()


def test_a_resident_write_with_broken_json_is_refused(client, first_grid):
    r = _post(client, "/residents", '{"name": "张三", "id_number": '.encode(), "application/json")
    _assert_error_format(r)
    assert not Resident.objects.filter(name="张三").exists()
