"""Retention: personal data is kept only while its purpose lasts (PIPL). A person whose observation
ended more than N days ago, and whom nothing else still needs, is anonymised: the record stays, so the
counts per grid, gender and birth year stay right, but nothing in it identifies anyone any more."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from epigrid.core.audit import audit_record
from epigrid.core.principals import SYSTEM

from .models import Arrival, Resident, ResidentMatch

# Other apps add querysets-makers of resident ids that must be kept (e.g. epidemiology: cases and
# their contacts under investigation). Each is called with no arguments and returns a values_list.
RETENTION_HOLDS: list = []
BATCH = 2000


def anonymise(ids: list[int], now: datetime.datetime) -> None:
    """Strip everything that identifies these residents; keep grid, gender and birth year for counts.
    A record that held an ID number hands it to its oldest duplicate; pending matches of its own go."""
    from .services import release_duplicates

    for holder in Resident.objects.filter(pk__in=ids, duplicates__isnull=False).distinct():
        release_duplicates(holder)
    ResidentMatch.objects.filter(record_id__in=ids, status=ResidentMatch.Status.PENDING).delete()
    Resident.objects.filter(pk__in=ids).update(
        name=_("(anonymised)"), name_pinyin="", name_initials="", id_number_enc=None, id_number_index="",
        phone_enc=None, phone_index="", address="", lon=None, lat=None, notes="", tags=0, household=None,
        anonymised_at=now, updated_at=now)
    # The birth year stays for age bands; the day would help re-identify.
    for resident in Resident.objects.filter(pk__in=ids, birth_date__isnull=False).only("pk", "birth_date"):
        Resident.objects.filter(pk=resident.pk).update(birth_date=resident.birth_date.replace(month=1, day=1))
    Arrival.objects.filter(resident_id__in=ids).update(transport_number="", places_14d="")


def purge_candidates(*, after_days: int, now: datetime.datetime | None = None):
    from epigrid.health.models import Observation, Status

    cutoff = (now or timezone.now()) - datetime.timedelta(days=after_days)
    observations = Observation.objects.filter(resident=OuterRef("pk"))
    qs = (Resident.objects.filter(anonymised_at__isnull=True)
          .filter(Exists(observations.filter(ended_at__lt=cutoff)))
          .exclude(Exists(observations.filter(status=Status.ACTIVE)))
          .exclude(Exists(observations.filter(ended_at__gte=cutoff))))
    for hold in RETENTION_HOLDS:
        qs = qs.exclude(pk__in=hold())
    return qs


def residents_purge(*, after_days: int | None = None, now: datetime.datetime | None = None) -> int:
    """Anonymise everyone past retention; returns how many. Audited as one event with the count."""
    after_days = settings.RETENTION_DAYS if after_days is None else after_days
    if after_days < 0:
        raise ValueError(_("after_days must not be negative"))
    now = now or timezone.now()
    total = 0
    while True:
        ids = list(purge_candidates(after_days=after_days, now=now).values_list("pk", flat=True)[:BATCH])
        if not ids:
            break
        with transaction.atomic():
            anonymise(ids, now)
        total += len(ids)
    audit_record(actor=SYSTEM, action="residents.purge", object_type="resident", object_id="",
                 changes={"anonymised": total, "after_days": after_days})
    return total


def purge_task() -> int:
    """The daily scheduled purge, with the configured retention; old import reports go with it."""
    from epigrid.core.tasks import job_files_purge

    job_files_purge(older_than_days=settings.RETENTION_DAYS)
    return residents_purge()
