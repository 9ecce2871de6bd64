"""Odd input never ends in a 500: huge ids, wrong types, missing files."""

import json
import uuid

import pytest

BIG = 10**30


@pytest.mark.parametrize(("method", "path", "body"), [
    ("get", f"/incidents/{BIG}", None),
    ("post", f"/incidents/{BIG}/register", {}),
    ("post", "/incidents/1/reject", {"reason": "duplicate", "duplicate_of": BIG}),
    ("get", f"/patrols/{BIG}", None),
    ("post", f"/patrols/{BIG}/points", {"points": [{"lon": 116.4, "lat": 39.9, "t": "2026-01-01T00:00:00Z"}]}),
    ("post", f"/patrols/{BIG}/end", {}),
    ("get", f"/incident-photos/{BIG}", None),
    ("post", "/incidents", {"category": ["x"], "description": 5, "lon": "a", "lat": None}),
    ("post", "/incidents", {"category": "fever", "description": "x", "lon": 1e400, "lat": 1e400}),
    ("post", "/patrols", {"client_id": "x" * 65}),
    ("post", "/patrols", {"started_at": "yesterday"}),
    ("post", f"/notifications/{BIG}/read", {}),
    ("get", "/kpis?within=110101000000&date_from=0001-01-01", None),
])
def test_no_500(api, alice, gridworker, community_worker, inside, method, path, body):
    from .helpers import report

    report(gridworker, *inside)
    client = api.as_user(community_worker)
    if method == "get":
        r = client.get(path)
    else:
        r = client.post(path, json.dumps(body) if not isinstance(body, str) else body)
    assert 400 <= r.status_code < 500, (r.status_code, r.content[:300])


def test_a_photo_missing_on_disk_is_404(api, gridworker, inside, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .conftest import jpeg_with_gps
    from .helpers import report

    client = api.as_user(gridworker)
    incident = report(gridworker, *inside, photos=[SimpleUploadedFile("a.jpg", jpeg_with_gps())])
    photo = incident.photos.get()
    (settings.MEDIA_ROOT / photo.path).unlink()
    assert client.client.get(f"/api/v1/incident-photos/{photo.pk}", headers=client.headers).status_code == 404


def test_pages_with_odd_input(gridworker, community_worker, inside):
    from django.test import Client

    from .helpers import report

    incident = report(gridworker, *inside)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(community_worker)
    r = client.post(f"/patrol/incidents/{incident.pk}/reject/", {"reason": "duplicate", "duplicate_of": str(BIG)})
    assert r.status_code == 302
    assert client.post(f"/patrol/incidents/{incident.pk}/evaluate/", {"rating": str(BIG)}).status_code == 302
    assert client.get(f"/patrol/incidents/{BIG}/").status_code == 404
    community = incident.grid_code[:12]
    assert client.get(f"/patrol/kpis/?within={community}&date_from=2026-13-45&by=planet").status_code == 400
    assert client.post("/patrol/report/", {"client_id": uuid.uuid4().hex, "category": "fever", "description": "x",
                                           "lon": "nan", "lat": "inf", "patrol_id": str(BIG)}).status_code == 400


def test_the_public_report_page_is_rate_limited(city, settings, first_grid):
    from django.test import Client

    settings.PUBLIC_REPORT_RATE_PER_HOUR = 1
    client = Client(REMOTE_ADDR="10.7.7.7")
    from epigrid.regions.links import community_token

    url = f"/r/{community_token(first_grid.community.code, 'report')}/"
    first = client.post(url, {"category": "sanitation", "description": "垃圾", "lon": first_grid.centroid_lon,
                              "lat": first_grid.centroid_lat})
    assert first.status_code in (200, 400)
    assert client.post(url, {"category": "sanitation", "description": "垃圾"}).status_code == 429
