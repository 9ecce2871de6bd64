"""Health figures for maps and home pages, per grid (registered with regions in HealthConfig.ready; the
rules live here, regions only sums them). Each gives the state at `as_of`, so a past day can be rebuilt."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from .models import Alert, AlertKind, AlertStatus, CheckIn, Observation, Slot, Status


def _per_grid(qs, grids) -> dict[str, int]:
    if grids is not None:
        qs = qs.filter(grid_code__in=grids)
    return dict(qs.order_by().values("grid_code").annotate(n=Count("id")).values_list("grid_code", "n"))


def under_observation(*, as_of, day, grids=None) -> dict[str, int]:
    """People under observation: an episode started by `day` and not ended at `as_of`."""
    qs = Observation.objects.filter(start__lte=day, created_at__lte=as_of).filter(
        Q(status=Status.ACTIVE) | Q(ended_at__gt=as_of))
    return _per_grid(qs, grids)


def open_alerts(*, as_of, day, grids=None) -> dict[str, int]:
    """Alerts (fever, symptom, missed check-in) raised and not handled at `as_of`."""
    qs = Alert.objects.filter(created_at__lte=as_of).filter(
        Q(status=AlertStatus.OPEN) | Q(handled_at__gt=as_of))
    return _per_grid(qs, grids)


def missed_checkins(*, as_of, day, grids=None) -> dict[str, int]:
    """Check-in slots of yesterday and today that passed their deadline without a check-in: the overdue
    alerts that `checkins_mark_overdue` raised for them (it decides what "missed" is), less those whose
    slot got a check-in after all."""
    late = CheckIn.objects.filter(observation_id=OuterRef("observation_id"), date=OuterRef("date"),
                                  slot=OuterRef("slot"), recorded_at__lte=as_of)
    qs = (Alert.objects.filter(kind=AlertKind.OVERDUE, date__gte=day - timedelta(days=1), date__lte=day,
                               created_at__lte=as_of)
          .filter(~Exists(late)))
    return _per_grid(qs, grids)


def register() -> None:
    from epigrid.regions.figures import Figure, Work, register_work
    from epigrid.regions.figures import register as add

    add(Figure("observed", _("Under observation"), under_observation, order=10))
    add(Figure("alerts", _("Open alerts"), open_alerts, order=20))
    add(Figure("missed", _("Missed check-ins"), missed_checkins, order=30))
    register_work(Work("checkins", checkins_due, order=10))
    register_work(Work("alerts", my_open_alerts, order=20))


# -- a grid worker's work for today (the home page) -----------------------------------------------------

ITEMS_SHOWN = 10


def _today(user, now):
    from .selectors import my_grid_codes, worker_today

    cached = getattr(user, "_worker_today", None)  # the two kinds of work below read the same page
    if cached is not None and cached[0] == now:
        return cached[1]
    data = worker_today(user=user, now=now) if my_grid_codes(user) else None
    user._worker_today = (now, data)
    return data


def checkins_due(*, user, now) -> dict | None:
    """Today's check-ins still due from the people under observation in the user's grids."""
    from django.urls import reverse

    data = _today(user, now)
    if data is None:
        return None
    due = [o for o in data["observations"] if o.missing_slots]
    slot_names = dict(Slot.choices)
    return {"label": str(_("Check-ins due today")), "count": len(due), "url": reverse("health:today"),
            "items": [{"text": o.resident.name, "url": reverse("health:observation", args=[o.uid]),
                       "note": ", ".join(str(slot_names[s]) for s in o.missing_slots)} for o in due[:ITEMS_SHOWN]]}


def my_open_alerts(*, user, now) -> dict | None:
    """Open alerts of the people under observation in the user's grids."""
    from django.urls import reverse

    data = _today(user, now)
    if data is None:
        return None
    alerts = [(o, a) for o in data["observations"] for a in o.open_alerts]
    return {"label": str(_("Open alerts")), "count": len(alerts), "url": reverse("health:today"),
            "items": [{"text": o.resident.name, "url": reverse("health:observation", args=[o.uid]),
                       "note": f"{a.get_kind_display()} · {a.date} {a.get_slot_display()}"}
                      for o, a in alerts[:ITEMS_SHOWN]]}
