"""The audit log reads as sentences: every action the platform records has a name in both languages,
the actor is shown by display name, and changes are told in words, never as raw JSON."""

import pytest
from django.utils import translation

from epigrid.core.audit_words import ACTION_LABELS, audit_describe, changes_in_words
from epigrid.core.models import AuditEvent
from epigrid.demo.people import demo_people_build
from epigrid.demo.services import demo_users_create


@pytest.fixture
def demo(city):
    demo_users_create()
    demo_people_build()


def test_every_action_of_the_demo_has_a_name_in_both_languages(demo):
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert len(actions) > 10
    assert sorted(actions - set(ACTION_LABELS)) == []
    with translation.override("en"):
        english = {a: str(ACTION_LABELS[a]) for a in actions}
    with translation.override("zh-hans"):
        untranslated = sorted(a for a in actions if str(ACTION_LABELS[a]) == english[a])
    assert untranslated == []


def test_an_event_reads_as_a_sentence(demo):
    from epigrid.accounts.models import User

    user = User.objects.get(username="dongcheng")
    user.display_name = "王主任"
    user.save()
    event = AuditEvent(actor_id=user.pk, actor_name="dongcheng", action="resident.update",
                       changes={"address": "changed", "grid_code": ["110101001001001", "110101001001002"]})
    system = AuditEvent(actor_id=None, actor_name="system", action="observation.start", changes={})
    with translation.override("zh-hans"):
        described = audit_describe([event, system])
        assert described[0].actor_display == "王主任"
        assert described[0].action_label == "修改了居民信息"
        assert described[0].change_lines == ["地址已修改", "网格：110101001001001 → 110101001001002"]
        assert described[1].actor_display == "系统"
    with translation.override("en"):
        assert changes_in_words({"observe_all": [False, True]}) == ["observe every arrival: no → yes"]


def test_the_log_is_filtered_by_an_action_picked_by_its_name(demo):
    from django.test import Client

    from epigrid.accounts.models import User

    commander = User.objects.get(username="commander")
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(commander)
    page = client.get("/audit/").content.decode()
    assert '<option value="resident.create">登记了居民</option>' in page
    rows = client.get("/audit/?action=resident.create").content.decode()
    assert "登记了居民" in rows and "开始巡查" not in rows.split('data-testid="audit-list"')[1]
    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    english.force_login(commander)
    assert "Correct the filters above." in english.get("/audit/?action=no.such.action").content.decode()
