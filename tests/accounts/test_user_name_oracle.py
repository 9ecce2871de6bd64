"""Forms must not tell which user names exist (security review, point 15): an unknown name and a user
of another city get the same answer when naming grid workers, dispatching or logging in."""

import json

from django.test import Client

from epigrid.accounts.roles import Role
from epigrid.accounts.services import user_add
from epigrid.core.principals import SYSTEM
from tests.conftest import PASSWORD, SHENZHEN


def test_naming_grid_workers_does_not_tell_unknown_from_elsewhere(alice, first_grid, city):
    user_add(actor=SYSTEM, username="sz-worker", role=Role.GRID_WORKER, node_code=SHENZHEN, password=PASSWORD)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(alice)

    def message(name):
        response = client.put(f"/api/v1/grids/{first_grid.code}/workers", json.dumps({"usernames": [name]}),
                              content_type="application/json")
        assert response.status_code == 400
        return response.json()["errors"][0]["message"].replace(name, "NAME")

    assert message("sz-worker") == message("nobody-at-all")


def test_logging_in_does_not_tell_unknown_from_a_wrong_password(bob):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    wrong_password = client.post("/login/", {"username": "bob", "password": "not the password"})
    unknown = client.post("/login/", {"username": "nobody-at-all", "password": "not the password"})
    assert wrong_password.status_code == unknown.status_code == 200
    strip = lambda r: r.content.decode().split('name="csrfmiddlewaretoken"')[0]  # noqa: E731
    assert strip(wrong_password).replace("bob", "NAME") == strip(unknown).replace("nobody-at-all", "NAME")
