"""Health alerts: handled by staff; missed check-ins marked overdue by a scheduled task."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from epigrid.accounts.roles import HEALTH_RECORD
from epigrid.core.audit import audit_event, audit_record, audit_record_many
from epigrid.core.errors import NotFound
from epigrid.core.principals import SYSTEM, Actor, actor_user, service

from ..models import (
    Alert,
    AlertKind,
    AlertStatus,
    CheckIn,
    Observation,
    Slot,
    Status,
)
from .common import health_status_refresh, local_now, local_zone, slot_deadlines

# -- alerts -------------------------------------------------------------------------------------------

@service
def alert_handle(*, actor: Actor, alert_id: int) -> Alert:
    qs = Alert.objects.restrict(actor, HEALTH_RECORD)
    alert = qs.filter(pk=alert_id).select_related("observation").first()
    if alert is None:
        raise NotFound(_("No such alert."))
    if alert.status == AlertStatus.HANDLED:
        return alert
    alert.status, alert.handled_at = AlertStatus.HANDLED, timezone.now()
    alert.handled_by = actor_user(actor)
    with transaction.atomic():
        alert.save(update_fields=["status", "handled_at", "handled_by"])
        audit_record(actor=actor, action="alert.handle", object_type="alert", object_id=alert.pk,
                     jurisdiction_code=alert.grid_code, changes={"status": [AlertStatus.OPEN, AlertStatus.HANDLED]})
        health_status_refresh(resident_ids=[alert.observation.resident_id])
    return alert


def checkins_mark_overdue(*, now: datetime | None = None, lookback_days: int = 2, chunk: int = 2000) -> int:
    """Raise one overdue alert for each slot missed by an active observation (a slot is missed when its
    deadline passed with no check-in). Looks back `lookback_days` days, so a late run catches up; the
    unique constraint makes a second run create nothing. Works through the active observations in chunks
    (bounded memory, short transactions). Returns the number of new alerts."""
    now = now or timezone.now()
    today = local_now(now).date()
    first_day = today - timedelta(days=lookback_days)
    active = (Observation.objects.filter(status=Status.ACTIVE, start__lte=today, planned_end__gte=first_day)
              .order_by("pk").values_list("pk", "grid_code", "start", "planned_end", "created_at", "resident_id"))
    created, after = 0, 0
    while True:
        observations = list(active.filter(pk__gt=after)[:chunk])
        if not observations:
            return created
        after = observations[-1][0]
        created += _mark_overdue_chunk(observations, now, today, first_day)


def _mark_overdue_chunk(observations, now, today, first_day) -> int:
    zone, deadlines = local_zone(), slot_deadlines()
    ids = [o[0] for o in observations]
    done = set(CheckIn.objects.filter(observation_id__in=ids, date__gte=first_day)
               .values_list("observation_id", "date", "slot"))
    reported = set(Alert.objects.filter(observation_id__in=ids, kind=AlertKind.OVERDUE, date__gte=first_day)
                   .values_list("observation_id", "date", "slot"))
    new, residents = [], set()
    for pk, grid_code, start, planned_end, created_at, resident_id in observations:
        day = max(first_day, start)
        while day <= min(today, planned_end):
            for slot in Slot.values:
                deadline = datetime.combine(day, deadlines[slot], tzinfo=zone)
                key = (pk, day, slot)
                # Not due before the observation existed, nor before the deadline.
                if created_at < deadline <= now and key not in done and key not in reported:
                    new.append(Alert(observation_id=pk, grid_code=grid_code, kind=AlertKind.OVERDUE,
                                     date=day, slot=slot, created_at=now))
                    residents.add(resident_id)
            day += timedelta(days=1)
    if not new:
        return 0
    with transaction.atomic():
        Alert.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)
        audit_record_many(audit_event(actor=SYSTEM, action="alert.overdue", object_type="observation",
                                      object_id=a.observation_id, jurisdiction_code=a.grid_code,
                                      changes={"date": str(a.date), "slot": a.slot}) for a in new)
        health_status_refresh(resident_ids=residents, now=now)
    return len(new)
