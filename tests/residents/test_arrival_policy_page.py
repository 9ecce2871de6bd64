"""The arrival policy is picked from a tree of provinces and cities (codes, never typed names), saved for
a division, and decides who starts observation, compared by code."""

from django.test import Client

from epigrid.residents.arrivals import arrival_policy
from epigrid.residents.models import ArrivalPolicy


def _client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_a_district_admin_ticks_risk_origins_in_the_tree(alice, first_grid):
    district = first_grid.code[:6] + "000000"
    assert f"/arrivals/policy/{district}/" in _client(alice).get(f"/divisions/{district}/").content.decode()
    page = _client(alice).get(f"/arrivals/policy/{district}/").content.decode()
    assert 'value="420000"' in page and 'value="420100"' in page  # 湖北省 and 武汉市 in the tree
    assert 'value="110100"' not in page  # a municipality is its own city
    r = _client(alice).post(f"/arrivals/policy/{district}/", {"origins": ["420100", "440300"], "observe_all": "0",
                                                             "days": "10"}, follow=True)
    assert r.status_code == 200 and "Saved." in r.content.decode()
    assert ArrivalPolicy.objects.get(node_code=district).origins == {"420100", "440300"}
    origins, everyone, days = arrival_policy(first_grid.community.code)  # a community below inherits it
    assert (origins, everyone, days) == ({"420100", "440300"}, False, 10)
    page = _client(alice).get(f"/arrivals/policy/{district}/").content.decode()
    assert 'value="420100" checked' in page and 'value="420000" checked' not in page


def test_bad_values_are_named_and_nothing_changes(alice, first_grid):
    district = first_grid.code[:6] + "000000"
    r = _client(alice).post(f"/arrivals/policy/{district}/", {"origins": ["420101"], "days": "99"})
    assert r.status_code == 400
    html = r.content.decode()
    assert 'data-field="days"' in html and 'data-field="risk_origins"' in html
    assert not ArrivalPolicy.objects.filter(node_code=district).exists()


def test_other_jurisdictions_get_404_and_viewers_no_form(bob, gridworker, first_grid):
    district = first_grid.code[:6] + "000000"
    assert _client(bob).get(f"/arrivals/policy/{district}/").status_code == 404
    assert _client(bob).post(f"/arrivals/policy/{district}/", {"origins": ["420000"], "days": "14"}).status_code == 404
    assert _client(gridworker).get(f"/arrivals/policy/{first_grid.code[:12]}/").status_code in (403, 404)
