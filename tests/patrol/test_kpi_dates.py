"""Dates out of any sane range answer 400 (JSON on the API), never 500 (security review, point 12)."""

import pytest
from django.test import Client


@pytest.mark.parametrize("query", ["date_to=0001-01-05", "date_from=0001-01-01&date_to=0001-01-05",
                                   "date_from=9999-12-01", "date_to=9999-12-31"])
def test_far_dates_on_the_kpi_api_answer_json_400(api, commander, query):
    client = api.as_user(commander)
    for path in ("/kpis", "/kpis/xlsx"):
        response = client.client.get(f"/api/v1{path}?within=110000000000&{query}", headers=client.headers)
        assert response.status_code == 400, (path, query)
        body = response.json()
        assert body["detail"] and {e["field"] for e in body["errors"]} & {"date_from", "date_to"}


def test_far_dates_on_the_kpi_page_answer_400_with_the_reason(commander):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(commander)
    response = client.get("/patrol/kpis/?within=110000000000&date_to=0001-01-05")
    assert response.status_code == 400
    assert "must be between 2000-01-01 and 2999-12-31" in response.content.decode()
