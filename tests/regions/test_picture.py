"""The commander's picture: the map coloured by today's figures with a drill-down one level at a time,
and a home page per role (a commander's figures today and yesterday, a grid worker's work)."""

from datetime import datetime, time, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from epigrid.accounts.roles import Role
from epigrid.accounts.services import user_add
from epigrid.core.principals import SYSTEM
from epigrid.health.services import checkin_record, observation_start
from epigrid.regions import rollups
from epigrid.regions.models import FigureDaily, FigureRun, Grid
from epigrid.regions.services import grid_set_workers
from tests.health.conftest import make_resident


def _client(user):
    """Logged in, pages in English (the assertions read English; the new strings' Chinese comes later)."""
    client = Client()
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    return client


def _observe(grid_code, n):
    return [observation_start(actor=SYSTEM, resident=make_resident(grid_code), kind="home", reason="arrival")
            for _ in range(n)]


def _layer(user, within, figure="observed"):
    response = _client(user).get("/api/v1/map", {"within": within, "figure": figure})
    assert response.status_code == 200, response.content
    return response.json()


def test_the_map_drills_down_one_level_at_a_time_with_the_same_figure(commander, first_grid):
    within, seen = "110000000000", []
    for expected in ("district", "street", "community", "grid"):
        body = _layer(commander, within, "alerts")
        assert body["meta"]["figure"] == "alerts" and body["meta"]["within"] == within
        levels = {f["properties"]["level"] for f in body["features"]}
        assert levels == {expected}, (within, levels)
        codes = [f["properties"]["code"] for f in body["features"]]
        assert all(c.startswith(within.rstrip("0")[:len(within.rstrip("0"))]) for c in codes)
        seen.append(expected)
        # Next: the child on the path to the first grid.
        within = next((c for c in codes if first_grid.code.startswith(c.rstrip("0"))), None)
        if expected == "grid":
            break
    assert seen == ["district", "street", "community", "grid"]


def test_the_map_shows_the_sum_of_its_grids(commander, first_grid):
    street = first_grid.code[:9] + "000"
    grids = list(Grid.objects.filter(code__startswith=first_grid.code[:9]).order_by("code"))
    other = next(g for g in grids if g.code[:12] != first_grid.code[:12])
    _observe(first_grid.code, 3)
    _observe(other.code, 1)
    body = _layer(commander, "110101000000")
    values = {f["properties"]["code"]: f["properties"]["value"] for f in body["features"]}
    assert values[street] == 4
    assert sum(values.values()) == 4
    community = _layer(commander, first_grid.code[:12])
    assert {f["properties"]["code"]: f["properties"]["value"] for f in community["features"]}[first_grid.code] == 3
    labels = [c["label"] for c in body["meta"]["classes"]]
    assert labels[-1] == "4" and set(labels) <= {"0", "4"}
    assert body["meta"]["as_of_text"].startswith("as of " + timezone.localdate().isoformat())


def test_a_district_admins_map_holds_no_other_district(alice, bob):
    body = _layer(alice, "110101000000")
    assert body["features"] and all(f["properties"]["code"].startswith("110101") for f in body["features"])
    assert [c["properties"]["code"] for c in body["meta"]["context"]] == []  # at district level: none
    street = body["features"][0]["properties"]["code"]
    context = _layer(alice, street)["meta"]["context"]
    assert [c["properties"]["code"] for c in context] == ["110101000000"]
    assert _client(alice).get("/api/v1/map", {"within": "110000000000"}).status_code == 404
    assert _client(alice).get("/api/v1/map", {"within": "110102000000"}).status_code == 404
    assert _client(bob).get("/api/v1/map", {"within": "110101000000"}).status_code == 404
    assert _client(bob).get("/map/?within=110101000000&figure=alerts").status_code == 404


def test_the_map_page_keeps_the_figure_in_the_url(alice):
    page = _client(alice).get("/map/?within=110101000000&figure=incidents").content.decode()
    assert '<option value="incidents" selected>' in page
    assert 'data-testid="map-areas"' in page


def test_a_commanders_home_shows_today_yesterday_and_the_difference(commander, first_grid):
    yesterday = timezone.localdate() - timedelta(days=1)
    # Yesterday's figures as the task left them: one person under observation in the city.
    FigureRun.objects.create(day=yesterday, computed_at=timezone.now() - timedelta(days=1),
                             full_at=timezone.now() - timedelta(days=1))
    FigureDaily.objects.create(figure="observed", node_code="110000000000", level="province", day=yesterday,
                               value=1)
    _observe(first_grid.code, 3)
    page = _client(commander).get("/").content.decode()
    row = page.split('data-testid="figure-observed"')[1].split("</tr>")[0]
    assert 'data-testid="today">3<' in row and 'data-testid="yesterday">1<' in row
    assert 'data-testid="diff">+2<' in row
    assert "/map/?within=110000000000&amp;figure=observed" in row
    assert "Today as of " + timezone.localdate().isoformat() in page
    assert "km²" not in page


@pytest.fixture
def manager(first_grid):
    user, _ = user_add(actor=SYSTEM, username="manager", role=Role.COMMUNITY_WORKER,
                       node_code=first_grid.community.code, password="x" * 20)
    return user


@pytest.fixture
def morning():
    """Today at 10:00, whatever the hour the suite runs at: after 20:00 both of the day's check-ins are
    past their deadlines and none is "due" any more (the page then rightly shows 0)."""
    import time_machine

    with time_machine.travel(datetime.combine(timezone.localdate(), time(10), tzinfo=timezone.get_current_timezone())):
        yield


def test_a_grid_workers_home_lists_todays_work(morning, gridworker, manager, first_grid):
    from tests.patrol.helpers import incident_in

    grid_set_workers(actor=SYSTEM, grid_code=first_grid.code, usernames=["gridworker"])
    due, feverish = _observe(first_grid.code, 2)
    checkin_record(actor=gridworker, observation=feverish, slot="am", temperature="38.6", symptoms=[],
                   client_id="home-test-1")
    checkin_record(actor=gridworker, observation=feverish, slot="pm", temperature="36.6", symptoms=[],
                   client_id="home-test-2")
    incident = incident_in("dispatched", reporter=gridworker, manager=manager, handler=gridworker,
                           lon=first_grid.centroid_lon, lat=first_grid.centroid_lat)
    page = _client(gridworker).get("/").content.decode()
    work = page.split('data-testid="work"')[1]
    checkins = work.split('data-testid="work-checkins"')[1].split('data-testid="work-alerts"')[0]
    assert 'data-testid="work-checkins-count">1<' in checkins
    assert f"/health/observations/{due.uid}/" in checkins and f"/health/observations/{feverish.uid}/" not in checkins
    alerts = work.split('data-testid="work-alerts"')[1].split('data-testid="work-incidents"')[0]
    assert 'data-testid="work-alerts-count">1<' in alerts and f"/health/observations/{feverish.uid}/" in alerts
    incidents = work.split('data-testid="work-incidents"')[1]
    assert 'data-testid="work-incidents-count">1<' in incidents
    assert f"/patrol/incidents/{incident.pk}/" in incidents
    assert f"/grids/{first_grid.code}/" in page
    assert "km²" not in page and 'data-testid="figure-' not in page


def test_charity_staff_keep_the_module_to_come_text(city):
    user, _ = user_add(actor=SYSTEM, username="charity", role=Role.CHARITY_STAFF, node_code="110000000000",
                       password="x" * 20)
    page = _client(user).get("/").content.decode()
    assert "module that is not available yet" in page and 'data-testid="figure-' not in page


def test_figures_are_kept_up_to_date_from_a_page_once_stale(commander, first_grid, settings):
    settings.FIGURES_MAX_AGE = 60
    _client(commander).get("/")  # the day's first computation
    _observe(first_grid.code, 2)
    assert _layer(commander, "110000000000")["features"]  # fresh: not recomputed yet
    run = FigureRun.objects.get(day=timezone.localdate())
    FigureRun.objects.filter(pk=run.pk).update(computed_at=run.computed_at - timedelta(minutes=2))
    values = [f["properties"]["value"] for f in _layer(commander, "110000000000")["features"]]
    assert sum(values) == 2
    assert rollups.values_at(figure="observed", day=timezone.localdate(), codes=[first_grid.code])[first_grid.code] == 2
