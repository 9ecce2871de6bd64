"""Guessing the hidden digits of a masked number (security review, points 3 and 4): the masked value
is all a role without the reveal right sees, look-ups are audited and limited, and a burst alerts."""

import json

from django.test import Client

from epigrid.core.models import AuditEvent
from tests.residents.conftest import id_number


def lookup(client, **body):
    return client.post("/api/v1/residents/lookup", json.dumps(body), content_type="application/json")


def test_a_grid_worker_sees_the_age_never_the_birth_date(alice, gridworker, make_resident):
    number = id_number(birth="19630817", seq=31)
    resident = make_resident(actor=alice, seq=31, id_number=number)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(gridworker)
    page = client.get(f"/residents/{resident.uid}/").content.decode()
    listing = client.get("/residents/").content.decode()
    api = client.get(f"/api/v1/residents/{resident.uid}").json()
    for shown in (page, listing, json.dumps(api)):
        assert "1963-08-17" not in shown and "19630817" not in shown and "0817" not in shown
    assert api["id_number_masked"] == number[:6] + "*" * 8 + number[-4:]
    assert "birth_date" not in api and api["age"] >= 63
    assert 'data-testid="age"' in page


def test_phone_guessing_is_limited_audited_and_alerts_the_auditors(settings, alice, gridworker, make_resident):
    """The attack as it was made: a grid worker confirms the number behind 138****9939 by trying the
    10,000 candidates. Every try is audited, the 61st in a minute is refused, and past the hourly
    threshold the auditors of the worker's jurisdiction see a security alert."""
    settings.LOOKUP_ALERT_PER_HOUR = 40
    make_resident(actor=alice, seq=32, phone="13812349939")
    client = Client()
    client.force_login(gridworker)
    answers = [lookup(client, phone=f"1381234{n:04d}") for n in range(9900, 9961)]
    assert [r.status_code for r in answers[:60]] == [200] * 60 and answers[60].status_code == 429
    assert [r.json() for r in answers[:60]].count([]) == 59
    events = AuditEvent.objects.filter(action="resident.lookup", actor_name="gridworker")
    assert events.count() == 60 and all(e.changes["by"] == "phone" for e in events)
    assert "9939" not in json.dumps([e.changes for e in events]) + "".join(e.object_repr for e in events)
    alert = AuditEvent.objects.get(action="security.lookup_burst")
    assert alert.jurisdiction_code == gridworker.home_code
    # The district's auditor sees it.
    assert AuditEvent.objects.restrict(alice, "audit.view").exists() is False  # admins are not auditors
    from epigrid.accounts.services import user_add
    from epigrid.core.principals import SYSTEM

    auditor, _ = user_add(actor=SYSTEM, username="dc-auditor", role="auditor", node_code="110101000000",
                          password="correct horse battery staple")
    assert AuditEvent.objects.restrict(auditor, "audit.view").filter(action="security.lookup_burst").exists()


def test_the_search_box_takes_an_id_number_without_putting_it_in_the_address(alice, make_resident):
    number = id_number(seq=33)
    make_resident(actor=alice, seq=33, name="赵敏")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(alice)
    response = client.post("/residents/", {"q": number}, follow=True)
    final = response.redirect_chain[-1][0]
    assert number not in final and "s=" in final and "赵敏" in response.content.decode()
    # Typed into the address by hand, it is refused rather than searched.
    refused = client.get(f"/residents/?q={number}").content.decode()
    assert "赵敏" not in refused and "never put in the page" in refused
    assert AuditEvent.objects.filter(action="resident.lookup", actor_name="alice").count() == 1
    # A name search still lives in the address, for bookmarks.
    by_name = client.post("/residents/", {"q": "赵"}, follow=True)
    assert by_name.redirect_chain[-1][0].endswith("?q=%E8%B5%B5")
