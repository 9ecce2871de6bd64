"""A community's posters: the community's name and place, a headline, the QR code of its signed link and
what a passer-by does, for those who may print the bare QR code; 404 for anyone else."""

from django.test import Client


def _client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_the_arrival_poster_names_the_community_and_carries_its_link(alice, first_grid):
    community = first_grid.community
    page = _client(alice).get(f"/divisions/{community.code}/").content.decode()
    assert f"/divisions/{community.code}/poster/arrival/" in page
    r = _client(alice).get(f"/divisions/{community.code}/poster/arrival/")
    html = r.content.decode()
    assert r.status_code == 200 and community.name in html and "东城区" in html
    assert f"/divisions/{community.code}/arrival-qr.svg" in html and "Scan the code" in html
    link = html.split("No camera? Open this address:")[1].split("<span>")[1].split("</span>")[0]
    # the printed address opens this community's registration page
    public = Client(HTTP_ACCEPT_LANGUAGE="en").get(link.replace("http://testserver", ""))
    assert public.status_code == 200 and community.name in public.content.decode()
    assert _client(alice).get(f"/divisions/{community.code}/poster/report/").status_code == 200


def test_posters_are_404_outside_the_jurisdiction_and_for_other_levels(alice, bob, first_grid):
    community = first_grid.community
    assert _client(bob).get(f"/divisions/{community.code}/poster/arrival/").status_code == 404
    assert _client(alice).get(f"/divisions/{community.code[:9]}000/poster/arrival/").status_code == 404
    assert _client(alice).get(f"/divisions/{community.code}/poster/anything/").status_code == 404
