"""What the health services share: limits, the settings they read on each call, the local clock and its
check-in slots, and the health status rule applied to residents."""

from __future__ import annotations

import re
from datetime import datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from epigrid.residents.models import Resident

from ..models import (
    HealthStatus,
    HealthStatusChange,
    Slot,
    Symptom,
)
from ..rules import colours_for

TEMPERATURE_MIN, TEMPERATURE_MAX = Decimal("34.0"), Decimal("43.0")
SYMPTOM_CODES = {Symptom.code(s): s.value for s in Symptom}
CLIENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")
LINK_SALT = "epigrid.health.checkin-link"


# -- settings (read on each call, so tests and deployments can change them) ----------------------------

def observation_days() -> int:
    return settings.OBSERVATION_DAYS


def fever_threshold() -> Decimal:
    return Decimal(str(settings.FEVER_THRESHOLD))


def local_zone() -> ZoneInfo:
    """Check-in days and slots run on the city's clock (TIME_ZONE)."""
    return ZoneInfo(settings.TIME_ZONE)


def slot_deadlines() -> dict[str, time]:
    """When each slot's check-in becomes overdue, local time (HEALTH_SLOT_DEADLINES, "HH:MM")."""
    return {slot: time.fromisoformat(settings.HEALTH_SLOT_DEADLINES[slot]) for slot in Slot.values}


def local_now(when: datetime | None = None) -> datetime:
    return (when or timezone.now()).astimezone(local_zone())


def current_slot(when: datetime | None = None) -> str:
    """The slot a check-in made at `when` belongs to: morning until the morning deadline."""
    now = local_now(when)
    return Slot.AM if now.time() < slot_deadlines()["am"] else Slot.PM



# -- status -------------------------------------------------------------------------------------------

def health_status_refresh(*, resident_ids, now=None) -> int:
    """Recompute the colour of these residents (rules.py) and keep a history row for each change."""
    now = now or timezone.now()
    colours = colours_for(resident_ids, now)
    current = {s.resident_id: s for s in HealthStatus.objects.filter(resident_id__in=list(colours))}
    grids = dict(Resident.objects.filter(pk__in=list(colours)).values_list("pk", "grid_code"))
    changes = []
    for rid, (colour, rule) in colours.items():
        status = current.get(rid)
        previous = status.colour if status else ""
        if status is None:
            HealthStatus.objects.create(resident_id=rid, grid_code=grids[rid], colour=colour, rule=rule,
                                        updated_at=now)
        elif status.colour != colour or status.rule != rule:
            HealthStatus.objects.filter(pk=status.pk).update(colour=colour, rule=rule, grid_code=grids[rid],
                                                             updated_at=now)
        if previous != colour:
            changes.append(HealthStatusChange(resident_id=rid, grid_code=grids[rid], colour=colour,
                                              previous=previous, rule=rule, at=now))
    HealthStatusChange.objects.bulk_create(changes)
    return len(changes)
