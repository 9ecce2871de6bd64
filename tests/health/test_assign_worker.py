"""The observation list gives the people ticked to one grid worker: all or nothing, only to a worker who
follows up people in their grids, only observations in the user's reach, each change audited."""

from django.test import Client

from epigrid.accounts.roles import Role
from epigrid.core.models import AuditEvent
from epigrid.core.principals import SYSTEM
from epigrid.health.models import Observation
from epigrid.health.services import observation_start
from epigrid.regions.models import Grid
from tests.conftest import _user

from .conftest import make_resident


def test_give_the_ticked_people_to_a_grid_worker(first_grid, worker_assigned, alice, bob):
    second = Grid.objects.filter(community=first_grid.community).exclude(pk=first_grid.pk).order_by("code").first()
    helper = _user("helper", Role.GRID_WORKER, first_grid.code)
    a, b = (observation_start(actor=SYSTEM, resident=make_resident(first_grid.code, n), kind="home", reason="arrival")
            for n in ("甲", "乙"))
    c = observation_start(actor=SYSTEM, resident=make_resident(second.code, "丙"), kind="home", reason="arrival")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(alice)
    page = client.get("/health/observations/").content.decode()
    assert 'data-testid="assign"' in page and '<option value="helper">' in page and f'value="{a.uid}"' in page
    r = client.post("/health/observations/assign/", {"uids": [a.uid, b.uid], "worker": "helper"}, follow=True)
    assert "2 observations given to the grid worker." in r.content.decode()
    assert set(Observation.objects.filter(worker=helper).values_list("uid", flat=True)) == {a.uid, b.uid}
    assert AuditEvent.objects.filter(action="observation.assign").count() == 2
    # helper works only the first grid: giving them 丙 of the second grid is refused, and nothing changes
    # all or nothing: gridworker may take 甲 (first grid) but not 丙 (second grid), so 甲 stays with helper
    r = client.post("/health/observations/assign/", {"uids": [a.uid, c.uid], "worker": "gridworker"}, follow=True)
    assert f"gridworker does not follow up people in grid {second.code}" in r.content.decode()
    assert Observation.objects.get(uid=a.uid).worker == helper
    r = client.post("/health/observations/assign/", {"uids": [c.uid], "worker": "helper"}, follow=True)
    assert f"helper does not follow up people in grid {second.code}" in r.content.decode()
    assert Observation.objects.get(uid=c.uid).worker != helper
    # someone else's observations: 404 as if unknown
    other = Client(HTTP_ACCEPT_LANGUAGE="en")
    other.force_login(bob)
    assert other.post("/health/observations/assign/", {"uids": [a.uid], "worker": "helper"}).status_code == 404
    assert set(Observation.objects.filter(worker=helper).values_list("uid", flat=True)) == {a.uid, b.uid}
