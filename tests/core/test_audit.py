"""The audit log: every write, login and failed login leaves a row nobody can change or delete."""

import json
from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import timezone

from epigrid.core.models import AuditEvent
from tests.conftest import PASSWORD
from tests.regions.test_import import good_file


def test_an_import_through_the_api_is_audited_with_actor_and_address(alice, api):
    api.as_user(alice)
    response = api.client.post("/api/v1/regions/import", json.dumps(good_file()), content_type="application/json",
                               headers=api.headers, REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    events = AuditEvent.objects.filter(action__in=["division.create", "grid.create"], actor_name="alice")
    assert events.count() == 4
    assert {e.ip for e in events} == {"10.1.2.3"}
    assert all(e.actor_id == alice.pk for e in events)


def test_logins_and_failed_logins_are_audited_without_the_password(alice):
    client = Client()
    client.post("/login/", {"username": "alice", "password": "wrong-password-1"}, REMOTE_ADDR="10.9.9.9")
    client.post("/login/", {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="10.9.9.9")
    failed = AuditEvent.objects.get(action="login_failed")
    assert failed.object_repr == "alice" and failed.ip == "10.9.9.9" and failed.jurisdiction_code == "110101000000"
    assert AuditEvent.objects.filter(action="login", actor_name="alice", ip="10.9.9.9").exists()
    dump = json.dumps(list(AuditEvent.objects.values()), default=str)
    assert "wrong-password-1" not in dump and PASSWORD not in dump


def test_the_log_cannot_be_changed_through_the_orm(city):
    event = AuditEvent.objects.first()
    event.action = "forged"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.all().update(action="forged")
    with pytest.raises(TypeError):
        AuditEvent.objects.all().delete()


@pytest.mark.parametrize("sql", ["UPDATE core_auditevent SET action = 'forged'", "DELETE FROM core_auditevent"])
def test_the_database_refuses_to_change_the_log(city, sql):
    count = AuditEvent.objects.count()
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert AuditEvent.objects.count() == count
    assert not AuditEvent.objects.filter(action="forged").exists()


def test_the_admin_cannot_edit_or_delete_audit_rows(city):
    from epigrid.accounts.models import User

    admin = User.objects.create_superuser("root", password=PASSWORD)
    client = Client()
    client.force_login(admin)
    event = AuditEvent.objects.first()
    assert client.get("/admin/core/auditevent/").status_code == 200
    page = client.get(f"/admin/core/auditevent/{event.pk}/change/")
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert client.post(f"/admin/core/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_auditors_browse_the_log_filtered_by_user_object_and_date(auditor, alice, api):
    api.as_user(alice).post("/regions/import", json.dumps(good_file()))
    client = Client()
    client.force_login(auditor)
    page = client.get("/audit/", {"user": "alice"}).content.decode()
    assert "grid.create" in page and "110101901001001" in page
    assert "system" not in page  # the demo city's own import was by the command line, not alice
    by_object = client.get("/audit/", {"object": "110101901001002"}).content.decode()
    assert "110101901001002" in by_object and "110101901001001" not in by_object
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert "No matching events" in client.get("/audit/", {"date_from": tomorrow}).content.decode() or \
        "没有符合条件的记录" in client.get("/audit/", {"date_from": tomorrow}).content.decode()
    bad = client.get("/audit/", {"date_from": "2020-02-30"})
    assert bad.status_code == 200 and "error" in bad.content.decode()
    rows = api.as_user(auditor).get("/audit", user="alice", page_size=100).json()
    assert rows["count"] == 4 and {r["action"] for r in rows["items"]} == {"division.create", "grid.create"}


def test_the_audit_log_is_scoped_and_closed_to_other_roles(auditor, alice, bob, api):
    client = Client()
    client.force_login(alice)
    assert client.get("/audit/").status_code == 403  # a page the role may not open
    assert api.as_user(alice).get("/audit").status_code == 403  # refused, not an empty log
    # The Beijing auditor sees nothing that happened in Shenzhen.
    shenzhen_rows = api.as_user(auditor).get("/audit", object="440303000000").json()
    assert shenzhen_rows["count"] == 0
    assert api.as_user(bob).get("/audit").json()["count"] > 0  # bob is Shenzhen's commander
    assert all(r["jurisdiction_code"].startswith("4403") for r in api.as_user(bob).get("/audit").json()["items"])
