"""A NUL character (which PostgreSQL refuses in any query, a 500 there) answers 400 wherever it comes in:
the path, the query string, a JSON body (found by the API fuzz on PostgreSQL)."""

import json

from django.test import Client


def test_a_nul_in_a_json_body_answers_400(api, alice, first_grid):
    response = api.as_user(alice).client.put(
        f"/api/v1/grids/{first_grid.code}/workers", json.dumps({"usernames": ["grid\x00worker"]}),
        content_type="application/json", headers=api.headers)
    assert response.status_code == 400 and response.json()["detail"]


def test_a_nul_in_the_query_or_the_path_answers_400(api, alice):
    client = api.as_user(alice)
    assert client.get("/residents", q="138\x00").status_code == 400
    assert client.get("/residents", q="138\x00").json()["detail"] == "The request holds a NUL character."
    page = Client()
    page.force_login(alice)
    assert page.get("/divisions/110101%00/").status_code == 400
    assert page.get("/residents/", {"q": "\x00"}).status_code == 400
