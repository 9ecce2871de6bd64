"""The report forms start with no category chosen (issue 9 point 6): the first option is an empty
"Please choose", and a report sent without a choice is refused with the category named beside it."""

import re
import uuid

import pytest
from django.test import Client

from epigrid.patrol.models import Incident
from epigrid.regions.links import community_token


def _pages(gridworker, first_grid):
    staff = Client(HTTP_ACCEPT_LANGUAGE="en")
    staff.force_login(gridworker)
    return {"staff": (staff, "/patrol/report/"),
            "public": (Client(HTTP_ACCEPT_LANGUAGE="en"), f"/r/{community_token(first_grid.community.code, 'report')}/")}


@pytest.mark.parametrize("which", ["staff", "public"])
def test_no_category_is_preselected_and_none_chosen_names_the_field(gridworker, first_grid, inside, which):
    client, url = _pages(gridworker, first_grid)[which]
    select = re.search(r'<select name="category".*?</select>', client.get(url).content.decode(), re.S).group(0)
    first = re.search(r"<option[^>]*>[^<]*</option>", select).group(0)
    assert first == '<option value="" selected>Please choose</option>'
    assert select.count(" selected") == 1
    r = client.post(url, {"client_id": uuid.uuid4().hex, "category": "", "description": "门口有垃圾",
                          "lon": inside[0], "lat": inside[1]})
    assert r.status_code == 400 and not Incident.objects.exists()
    html = r.content.decode()
    assert 'id="error-category">Category: choose a category</div>' in html
    assert 'aria-describedby="error-category"' in html
    # What was typed stays, and still no category is picked for the person.
    assert "门口有垃圾" in html and '<option value="" selected>' in html
