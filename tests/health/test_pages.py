"""Pages: "my grid today", the staff list and detail, release with confirmation; scoped for every user."""

import pytest
import time_machine
from django.test import Client

from epigrid.core.principals import SYSTEM
from epigrid.health.models import Alert, CheckIn

from .conftest import local


def client_for(user) -> Client:
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    return client


def test_today_lists_the_grid_workers_people_and_records_a_check_in(observation, gridworker):
    client = client_for(gridworker)
    page = client.get("/health/today/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "张三" in html and 'name="client_id"' in html and "#}" not in html
    body = {"temperature": "38.2", "slot": "am", "client_id": "page-double-tap-01", "symptoms": ["cough"]}
    url = f"/health/today/{observation.uid}/checkin/"
    first = client.post(url, body, headers={"HX-Request": "true"})
    second = client.post(url, body, headers={"HX-Request": "true"})  # a double tap
    assert first.status_code == second.status_code == 200
    assert CheckIn.objects.count() == 1 and Alert.objects.count() == 2
    card = second.content.decode()
    assert 'data-testid="alert"' in card and "page-double-tap-01" not in card  # a fresh id for the next one


def test_today_shows_an_error_beside_the_field(observation, gridworker):
    response = client_for(gridworker).post(f"/health/today/{observation.uid}/checkin/",
                                           {"temperature": "50", "slot": "am", "client_id": "page-error-0001"},
                                           headers={"HX-Request": "true"})
    assert response.status_code == 200 and "34.0" in response.content.decode()
    assert not CheckIn.objects.exists()


def test_today_without_htmx_redirects_back(observation, gridworker):
    response = client_for(gridworker).post(f"/health/today/{observation.uid}/checkin/",
                                           {"temperature": "36.4", "slot": "pm", "client_id": "page-plain-0001"})
    assert response.status_code == 302 and CheckIn.objects.count() == 1


def test_people_outside_ones_scope_are_not_on_the_page_and_cannot_be_checked_in(observation, bob, charlie,
                                                                                  auditor):
    for user in (bob, charlie, auditor):
        client = client_for(user)
        page = client.get("/health/today/")
        assert page.status_code in (200, 403) and "张三" not in page.content.decode()
        response = client.post(f"/health/today/{observation.uid}/checkin/",
                               {"temperature": "36.4", "slot": "am", "client_id": f"scope-{user.username}-01"})
        assert response.status_code == 404
    assert not CheckIn.objects.exists()


def test_observation_list_and_detail_are_scoped(observation, alice, bob, charlie, gridworker, auditor):
    for user, visible in [(alice, True), (gridworker, True), (auditor, True), (bob, False), (charlie, False)]:
        client = client_for(user)
        listing = client.get("/health/observations/")
        assert ("张三" in listing.content.decode()) is visible
        detail = client.get(f"/health/observations/{observation.uid}/")
        assert detail.status_code == (200 if visible else 404)
    assert "dot-yellow" in client_for(alice).get("/health/observations/").content.decode()


def test_the_list_filters_by_colour(observation, alice):
    client = client_for(alice)
    assert "张三" in client.get("/health/observations/?colour=yellow").content.decode()
    assert "张三" not in client.get("/health/observations/?colour=red").content.decode()
    assert client.get("/health/observations/?colour=<script>&status=zzz").status_code == 200


def test_release_with_confirmation_from_the_detail_page(observation, alice):
    client = client_for(alice)
    url = f"/health/observations/{observation.uid}/"
    assert 'data-testid="release"' not in client.get(url).content.decode()  # not before the planned end
    end = observation.planned_end
    with time_machine.travel(local(end.year, end.month, end.day, 10), tick=False):
        client = client_for(alice)  # the session of two weeks ago has expired
        assert 'data-testid="release"' in client.get(url).content.decode()
        client.post(f"{url}release/", {})
        observation.refresh_from_db()
        assert observation.status == "active"  # not confirmed
        client.post(f"{url}release/", {"confirm": "1"})
    observation.refresh_from_db()
    assert observation.status == "released"


def test_release_hospital_link_and_alerts_are_404_outside_scope(observation, bob, charlie, auditor):
    from epigrid.health.services import checkin_record

    checkin_record(actor=SYSTEM, observation=observation, slot="am", temperature="39", symptoms=[],
                   client_id="page-alert-001")
    alert = Alert.objects.get()
    end = observation.planned_end
    with time_machine.travel(local(end.year, end.month, end.day, 10), tick=False):
        for user in (bob, charlie, auditor):
            client = client_for(user)
            base = f"/health/observations/{observation.uid}/"
            for path in ("release/", "hospital/", "link/"):
                assert client.post(base + path, {"confirm": "1"}).status_code == 404
            assert client.post(f"/health/alerts/{alert.pk}/handle/").status_code == 404
    observation.refresh_from_db()
    alert.refresh_from_db()
    assert observation.status == "active" and alert.status == "open"


def test_a_link_is_issued_from_the_detail_page(observation, gridworker):
    client = client_for(gridworker)
    response = client.post(f"/health/observations/{observation.uid}/link/", follow=True)
    assert "/c/" in response.content.decode()


def test_pages_need_a_login(observation):
    client = Client()
    for path in ["/health/today/", "/health/observations/", f"/health/observations/{observation.uid}/"]:
        assert client.get(path).status_code == 302


def test_my_grid_today_makes_the_same_queries_for_one_person_or_many(observation, gridworker, first_grid):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from epigrid.health.services import checkin_record, observation_start

    from .conftest import make_resident

    client = client_for(gridworker)
    client.get("/health/today/")
    with CaptureQueriesContext(connection) as one:
        client.get("/health/today/")
    for n in range(4):
        obs = observation_start(actor=SYSTEM, resident=make_resident(first_grid.code), kind="home", reason="other")
        checkin_record(actor=SYSTEM, observation=obs, slot="am", temperature="38.5", symptoms=["cough"],
                       client_id=f"many-people-{n:03d}")
    with CaptureQueriesContext(connection) as many:
        page = client.get("/health/today/")
    assert page.content.decode().count('data-testid="person"') == 5
    assert len(many.captured_queries) == len(one.captured_queries)


def test_today_for_someone_without_own_grids_shows_the_whole_jurisdiction(observation, alice, bob):
    page = client_for(alice).get("/health/today/").content.decode()
    assert "张三" in page and 'data-testid="whole-jurisdiction"' in page
    assert "张三" not in client_for(bob).get("/health/today/").content.decode()


def test_today_for_a_grid_worker_shows_only_their_grids(observation, gridworker, city):
    from epigrid.health.services import observation_start
    from epigrid.regions.models import Grid

    from .conftest import make_resident

    other_grid = Grid.objects.filter(code__startswith="110101").order_by("-code").first()
    observation_start(actor=SYSTEM, resident=make_resident(other_grid.code, "李四"), kind="home", reason="other")
    page = client_for(gridworker).get("/health/today/").content.decode()
    assert "张三" in page and "李四" not in page and 'data-testid="whole-jurisdiction"' not in page


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_an_observation_page_with_check_ins_and_symptoms_opens_in_both_languages(observation, alice, language):
    """Regression: the page answered 500 as soon as the person had one check-in (Symptom.labels was
    shadowed by Django's own `labels`)."""
    from epigrid.health.services import checkin_record

    day = observation.start
    with time_machine.travel(local(day.year, day.month, day.day, 9), tick=False):
        checkin_record(actor=alice, observation=observation, slot="am", temperature="38.1",
                       symptoms=["cough", "fatigue"], client_id="page-both-languages-1")
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(alice)
    page = client.get(f"/health/observations/{observation.uid}/")
    assert page.status_code == 200
    assert ("咳嗽" if language == "zh-hans" else "Cough") in page.content.decode()
