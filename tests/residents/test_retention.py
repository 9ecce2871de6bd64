"""Retention: people whose observation ended long enough ago are anonymised, keeping the counts."""

import datetime

import time_machine
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from epigrid.core.models import AuditEvent
from epigrid.residents.models import Resident
from epigrid.residents.retention import RETENTION_HOLDS, residents_purge
from tests.residents.conftest import id_number


def observe_and_end(resident, ended_days_ago):
    from epigrid.health.models import Observation

    start = timezone.localdate() - datetime.timedelta(days=ended_days_ago + 14)
    Observation.objects.create(resident=resident, grid_code=resident.grid_code, kind="home", reason="arrival",
                               start=start, planned_end=start + datetime.timedelta(days=14), status="released",
                               ended_at=timezone.now() - datetime.timedelta(days=ended_days_ago))


def test_purge_anonymises_only_those_past_retention(make_resident, capsys):
    old = make_resident(name="旧人", seq=31, phone="13811110000", address="1号楼", tags="孕妇")
    recent = make_resident(name="新人", seq=32)
    never = make_resident(name="未观察", seq=33)
    observe_and_end(old, ended_days_ago=40)
    observe_and_end(recent, ended_days_ago=5)
    call_command("purge", "--after-days", "30")
    assert "anonymised 1 people" in capsys.readouterr().out
    old.refresh_from_db()
    assert old.anonymised_at and old.id_number_enc is None and old.phone_enc is None and old.id_number_index == ""
    assert old.address == "" and old.tags == 0 and old.name != "旧人"
    assert old.birth_date == datetime.date(1980, 1, 1) and old.gender == "M" and old.grid_code  # counts kept
    assert Resident.objects.filter(anonymised_at__isnull=True).count() == 2
    assert {recent.pk, never.pk} == set(Resident.objects.filter(anonymised_at__isnull=True).values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM residents_resident WHERE id = %s", [old.pk])
        assert "旧人" not in repr(cursor.fetchall())
    assert AuditEvent.objects.get(action="residents.purge").changes["anonymised"] == 1
    # Anonymised people no longer turn up anywhere, not even by their old ID number.
    assert not Resident.objects.filter(anonymised_at__isnull=True, pk=old.pk).exists()


def test_purge_runs_again_harmlessly_and_respects_holds(make_resident):
    person = make_resident(seq=34)
    observe_and_end(person, ended_days_ago=60)
    RETENTION_HOLDS.append(lambda: Resident.objects.filter(pk=person.pk).values_list("pk", flat=True))
    try:
        assert residents_purge(after_days=30) == 0
    finally:
        RETENTION_HOLDS.pop()
    assert residents_purge(after_days=30) == 1
    assert residents_purge(after_days=30) == 0


def test_a_person_can_register_again_after_anonymisation(make_resident, first_grid):
    person = make_resident(seq=35)
    observe_and_end(person, ended_days_ago=60)
    with time_machine.travel(timezone.now()):
        residents_purge(after_days=30)
    again = make_resident(seq=35)
    assert again.pk != person.pk and again.id_number_masked.endswith(id_number(seq=35)[-4:])


def test_the_daily_purge_also_removes_old_job_reports(settings, tmp_path, db):
    import os
    import time

    from epigrid.residents.retention import purge_task

    settings.MEDIA_ROOT = tmp_path
    old, new = tmp_path / "jobs" / "a" / "errors.xlsx", tmp_path / "jobs" / "b" / "errors.xlsx"
    for path in (old, new):
        path.parent.mkdir(parents=True)
        path.write_bytes(b"x")
    past = time.time() - (settings.RETENTION_DAYS + 1) * 86400
    os.utime(old, (past, past))
    purge_task()
    assert not old.exists() and new.exists()
