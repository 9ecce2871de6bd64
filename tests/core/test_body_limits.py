"""Request bodies have limits, set on purpose: too large a body is answered 413 before it is read (JSON
on the API, a page elsewhere), never 500; the resident roster may be as large as its own cap."""

import json
import uuid

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from epigrid.patrol.photos import MAX_PHOTOS


def test_the_limits_fit_what_the_platform_accepts(settings):
    # A report with its six photos, and the GeoJSON import, fit under the general cap.
    assert settings.REQUEST_MAX_BYTES >= MAX_PHOTOS * settings.PHOTO_MAX_BYTES
    assert settings.BODY_LIMITS["api:residents_import_upload"] > settings.RESIDENTS_IMPORT_MAX_BYTES
    assert settings.BODY_LIMITS["api:import_regions"] == settings.IMPORT_MAX_BYTES
    for name in settings.BODY_LIMITS:  # a renamed view would silently lose its limit
        reverse(name)


def test_a_json_body_over_the_memory_cap_is_a_413_in_the_api_format(api, gridworker, settings):
    body = json.dumps({"category": "no_mask", "description": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10),
                       "lon": 116.4, "lat": 39.9, "client_id": uuid.uuid4().hex})
    response = api.as_user(gridworker).post("/incidents", body)
    assert response.status_code == 413, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["errors"][0]["field"] == "body"


def test_an_upload_over_the_request_cap_is_a_413_before_it_is_read(api, gridworker, settings):
    settings.REQUEST_MAX_BYTES = 1024 * 1024
    client = api.as_user(gridworker)
    response = client.client.post("/api/v1/incidents/1/photos",
                                  {"photo": SimpleUploadedFile("p.jpg", b"\xff\xd8" + b"0" * 2 * 1024 * 1024)},
                                  headers=client.headers)
    assert response.status_code == 413, response.content
    assert response.json()["detail"] and response.json()["errors"][0]["field"] == "body"


def test_a_form_over_the_cap_gets_a_page_that_says_so(gridworker, settings):
    settings.REQUEST_MAX_BYTES = 1024 * 1024
    client = Client()
    client.force_login(gridworker)
    response = client.post("/patrol/report/", {"category": "no_mask", "description": "x",
                                               "photos": SimpleUploadedFile("p.jpg", b"0" * 2 * 1024 * 1024)})
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert 'data-testid="too-large"' in page and "1 MB" in page
    # the platform's own page (its header and stylesheet), with no menu: the sender is not yet known
    assert 'class="topbar"' in page and 'class="nav"' not in page
    assert response.get("Content-Security-Policy")


def test_the_roster_upload_may_pass_the_general_cap_up_to_its_own(api, alice, settings):
    settings.REQUEST_MAX_BYTES = 1024 * 1024
    client = api.as_user(alice)
    roster = "姓名,证件类型,证件号码\n".encode() + b"#" * (2 * 1024 * 1024)
    response = client.client.post("/api/v1/imports/residents", {"file": SimpleUploadedFile("r.csv", roster)},
                                  headers=client.headers)
    assert response.status_code != 413 and response.status_code < 500, response.content
    settings.BODY_LIMITS = {**settings.BODY_LIMITS, "api:residents_import_upload": 1024 * 1024}
    response = client.client.post("/api/v1/imports/residents", {"file": SimpleUploadedFile("r.csv", roster)},
                                  headers=client.headers)
    assert response.status_code == 413 and response.json()["errors"][0]["field"] == "body"


def test_too_many_form_fields_is_a_400_not_a_500(api, gridworker, settings):
    client = api.as_user(gridworker)
    fields = {f"f{i}": "x" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 5)}
    response = client.client.post("/api/v1/incidents/1/photos", fields, headers=client.headers)
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["field"] == "body"
