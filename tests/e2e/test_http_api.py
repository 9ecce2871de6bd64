"""The API over real HTTP with a bearer token, as a phone or another system calls it."""

import json
import urllib.error
import urllib.request

import pytest

from epigrid.accounts.services import token_create, user_add
from epigrid.core.principals import SYSTEM
from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e


def call(url, token, method="GET", body=None):
    request = urllib.request.Request(url, data=body, method=method, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_token_client_lists_locates_and_gets_json_errors(live_city):
    user_add(actor=SYSTEM, username="alice", role="district_admin", node_code="110101000000", password=PASSWORD)
    _, token = token_create(actor=SYSTEM, username="alice")
    api = f"{live_city.url}/api/v1"
    status, grids = call(f"{api}/grids?within=110101000000", token)
    assert status == 200 and grids["count"] == 4
    first = grids["items"][0]
    status, found = call(f"{api}/locate?lon={first['centroid'][0]}&lat={first['centroid'][1]}", token)
    assert status == 200 and found["grid"]["code"] == first["code"]
    status, error = call(f"{api}/regions/import", token, "POST", b"{broken")
    assert status == 400 and error["errors"][0]["field"] == "body"
    status, error = call(f"{api}/grids/110102001001001", token)
    assert status == 404 and error["detail"]
    status, error = call(f"{api}/grids?within=110101000000", "eg_wrong")
    assert status == 401
