"""Health status colours, decided in this one place.

A resident's colour is the colour of the first rule in `HEALTH_STATUS_RULES` whose condition holds for them; green when
none does. The table is the setting `HEALTH_STATUS_RULES` ((colour, condition) pairs, first match wins)
and the look-back window `HEALTH_STATUS_DAYS` (default 14), both in settings.py. Conditions:

  hospital            sent to hospital within the window
  fever_alert         a fever alert (>= FEVER_THRESHOLD) within the window
  symptom_alert       an open symptom alert
  under_observation   an active observation episode
  missed_checkin      an open overdue (missed check-in) alert

Default: red = hospital or fever alert in the last 14 days; yellow = under observation, missed check-in
or an open symptom alert; green otherwise. Every change of colour is kept as a HealthStatusChange row.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .models import Alert, AlertKind, AlertStatus, Colour, Observation, Status


def rules() -> tuple[tuple[str, str], ...]:
    return tuple(tuple(rule) for rule in settings.HEALTH_STATUS_RULES)


def window_days() -> int:
    return settings.HEALTH_STATUS_DAYS


def _hospital(ids, since):
    return Observation.objects.filter(resident_id__in=ids, status=Status.HOSPITAL, ended_at__gte=since)


def _fever(ids, since):
    return Alert.objects.filter(observation__resident_id__in=ids, kind=AlertKind.FEVER, created_at__gte=since)


def _symptom(ids, since):
    return Alert.objects.filter(observation__resident_id__in=ids, kind=AlertKind.SYMPTOM, status=AlertStatus.OPEN)


def _observed(ids, since):
    return Observation.objects.filter(resident_id__in=ids, status=Status.ACTIVE)


def _missed(ids, since):
    return Alert.objects.filter(observation__resident_id__in=ids, kind=AlertKind.OVERDUE, status=AlertStatus.OPEN)


# condition name -> queryset of rows that make it hold, and the path from a row to its resident's id
CONDITIONS = {
    "hospital": (_hospital, "resident_id"),
    "fever_alert": (_fever, "observation__resident_id"),
    "symptom_alert": (_symptom, "observation__resident_id"),
    "under_observation": (_observed, "resident_id"),
    "missed_checkin": (_missed, "observation__resident_id"),
}


def colours_for(resident_ids, now=None) -> dict[int, tuple[str, str]]:
    """{resident id: (colour, rule name)} for the given residents: one query per condition in use."""
    ids = list(set(resident_ids))
    since = (now or timezone.now()) - timedelta(days=window_days())
    held: dict[str, set[int]] = {}
    for _colour, name in rules():
        if name not in held:
            query, path = CONDITIONS[name]
            held[name] = set(query(ids, since).values_list(path, flat=True)) if ids else set()
    out = {}
    for rid in ids:
        out[rid] = (Colour.GREEN.value, "")
        for colour, name in rules():
            if rid in held[name]:
                out[rid] = (str(colour), name)
                break
    return out
