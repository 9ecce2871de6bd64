"""One click releases everyone in the list's area whose observation period has ended: only those, only in
the user's scope, each audited as a release of its own, after a confirmation."""

from datetime import timedelta

import time_machine
from django.test import Client

from epigrid.core.models import AuditEvent
from epigrid.core.principals import SYSTEM
from epigrid.health.models import Observation
from epigrid.health.services import observation_start

from .conftest import local, make_resident


def test_releasing_those_whose_period_ended(first_grid, worker_assigned, alice, bob, shenzhen_grid):
    today = local(2026, 12, 2, 9)
    with time_machine.travel(today - timedelta(days=20), tick=False):
        ended = [observation_start(actor=SYSTEM, resident=make_resident(first_grid.code, n), kind="home",
                                   reason="arrival") for n in ("张一", "张二")]
        elsewhere = observation_start(actor=SYSTEM, resident=make_resident(shenzhen_grid.code, "李四"), kind="home",
                                      reason="arrival")
    with time_machine.travel(today - timedelta(days=3), tick=False):
        running = observation_start(actor=SYSTEM, resident=make_resident(first_grid.code, "王五"), kind="home",
                                    reason="arrival")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(alice)
    with time_machine.travel(today, tick=False):
        page = client.get("/health/observations/?within=" + first_grid.code[:6] + "000000").content.decode()
        assert 'data-testid="release-ended"' in page and "Release the 2 people whose period has ended" in page
        r = client.post("/health/observations/release-ended/", {"within": first_grid.code[:6] + "000000"}, follow=True)
        assert "confirm" in r.content.decode().lower()
        assert Observation.objects.filter(status="released").count() == 0
        r = client.post("/health/observations/release-ended/", {"within": first_grid.code[:6] + "000000",
                                                                "confirm": "1"}, follow=True)
    assert "Released 2 people from observation." in r.content.decode()
    assert 'data-testid="release-ended"' not in r.content.decode()  # none left to release
    status = dict(Observation.objects.values_list("uid", "status"))
    assert [status[o.uid] for o in ended] == ["released", "released"]
    assert status[running.uid] == "active" and status[elsewhere.uid] == "active"  # not ended; not alice's
    assert AuditEvent.objects.filter(action="observation.release").count() == 2
    bob_client = Client(HTTP_ACCEPT_LANGUAGE="en")
    bob_client.force_login(bob)
    with time_machine.travel(today, tick=False):
        r = bob_client.post("/health/observations/release-ended/", {"within": first_grid.code, "confirm": "1"},
                            follow=True)
    assert "Released 0 people" in r.content.decode() and status[running.uid] == "active"
