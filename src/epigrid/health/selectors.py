"""Scoped reads of observations, check-ins and alerts."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from functools import cache

from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils.translation import gettext as _

from epigrid.accounts.roles import HEALTH_RECORD, HEALTH_VIEW
from epigrid.core.errors import NotFound
from epigrid.core.scoping import code_level, code_prefix, in_scope, narrow_within, user_prefixes

from .models import Alert, AlertStatus, CheckIn, Observation, Status
from .services import _is_uuid, current_slot, local_now, local_zone, slot_deadlines


def observations_list(*, user, status: str = "", kind: str = "", within: str = "", colour: str = "",
                      reason: str = "", mine: bool = False, action: str = HEALTH_VIEW):
    qs = (Observation.objects.restrict(user, action)
          .select_related("resident", "resident__health_status", "worker"))
    qs = narrow_within(qs, within)
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if reason:
        qs = qs.filter(reason=reason)
    if colour:
        qs = qs.filter(resident__health_status__colour=colour)
    if mine:
        qs = qs.filter(Q(worker=user) | Q(grid_code__in=my_grid_codes(user)))
    return qs


def observation_get(*, user, uid, action: str = HEALTH_VIEW) -> Observation:
    obs = None
    if _is_uuid(uid):
        obs = observations_list(user=user, action=action).filter(uid=uid).first()
    if obs is None:
        raise NotFound(_("No such observation."))
    return obs


_CHECKIN_FIELDS = ("id", "uid", "resident_id", "grid_code", "start", "status")


@cache
def _checkin_lookup(vendor: str) -> tuple[str, tuple[str, ...]]:
    meta, q = Observation._meta, connection.ops.quote_name
    fields = tuple(f for f in meta.concrete_fields if f.attname in _CHECKIN_FIELDS)  # model order: from_db
    cols = ", ".join(q(f.column) for f in fields)
    sql = f"SELECT {cols} FROM {q(meta.db_table)} WHERE {q(meta.get_field('uid').column)} = %s"
    return sql, tuple(f.attname for f in fields)


def observation_for_checkin(*, user, uid) -> Observation:
    """The few columns a check-in needs, when `user` may record check-ins for it. This is the hot path
    of every check-in, so one statement by the unique uid and the scope checked in Python (the user's
    prefixes are loaded once per request) instead of a compiled ORM query with the scope's range
    conditions: the same answer at a third of the cost."""
    if not _is_uuid(uid):
        raise NotFound(_("No such observation."))
    uid = uid if isinstance(uid, uuid.UUID) else uuid.UUID(str(uid))
    sql, names = _checkin_lookup(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [Observation._meta.get_field("uid").get_db_prep_value(uid, connection)])
        row = cursor.fetchone()
    values = dict(zip(names, row, strict=True)) if row else None
    if values is None or not in_scope(user, HEALTH_RECORD, values["grid_code"]):
        raise NotFound(_("No such observation."))
    values["uid"] = uid
    if not isinstance(values["start"], date):
        values["start"] = date.fromisoformat(values["start"])
    return Observation.from_db(connection.alias, names, [values[n] for n in names])


def checkins_of(*, observation: Observation):
    return CheckIn.objects.filter(observation=observation).select_related("recorded_by")


def alerts_list(*, user, status: str = "", kind: str = "", within: str = "", observation=None,
                action: str = HEALTH_VIEW):
    qs = Alert.objects.restrict(user, action).select_related("observation", "observation__resident")
    qs = narrow_within(qs, within)
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if observation is not None:
        qs = qs.filter(observation=observation)
    return qs


def my_grid_codes(user) -> list[str]:
    """The grids a user works in: those naming them as a grid worker, and grid-level roles that may
    record check-ins."""
    codes = set(user.grids.values_list("code", flat=True)) if user.is_authenticated else set()
    codes |= {p for p in user_prefixes(user, HEALTH_RECORD) if len(p) == 15}
    return sorted(codes)


TODAY_LIMIT = 300


def worker_today(*, user, now=None, uid=None) -> dict:
    """"My grid today": the people under observation in the user's grids (or for whom they are
    responsible), which of today's slots each has checked in, and their open alerts. A user with no grid
    of their own (a community worker, a street admin) sees everyone in their jurisdiction, the first
    TODAY_LIMIT by grid."""
    today = local_now(now).date()
    grids = my_grid_codes(user)
    own = uid is None and (bool(grids) or Observation.objects.filter(worker=user, status=Status.ACTIVE).exists())
    qs = observations_list(user=user, status=Status.ACTIVE, mine=own, action=HEALTH_RECORD)
    if uid is not None:
        qs = qs.filter(uid=uid)
    open_alerts = Alert.objects.filter(status=AlertStatus.OPEN)
    observations = list(
        qs
        .annotate(has_open_alert=Exists(open_alerts.filter(observation=OuterRef("pk"))))
        .prefetch_related(
            Prefetch("checkins", queryset=CheckIn.objects.filter(date=today), to_attr="today_checkins"),
            Prefetch("alerts", queryset=open_alerts.select_related("checkin"), to_attr="open_alerts"))
        # People with an open alert first (they are the ones to call), then by grid and name.
        .order_by("-has_open_alert", "grid_code", "resident__name")[:TODAY_LIMIT])
    due = ["am"] if current_slot(now) == "am" else ["am", "pm"]
    ends = {slot: datetime.combine(today, deadline, tzinfo=local_zone()) for slot, deadline in slot_deadlines().items()}
    for obs in observations:
        obs.slots_done = {c.slot for c in obs.today_checkins}
        # A slot that ended before the observation was registered was never the person's to miss (the
        # same rule as the overdue alerts, services.checkins_mark_overdue).
        obs.missing_slots = [s for s in due if s not in obs.slots_done and obs.start <= today
                             and obs.created_at < ends[s]]
    return {
        "today": today,
        "observations": observations,
        "missing": sum(1 for o in observations if o.missing_slots),
        "alerts": sum(len(o.open_alerts) for o in observations),
        "grids": grids,
        "whole_jurisdiction": uid is None and not own,
        "limited": len(observations) >= TODAY_LIMIT,
    }


def observations_ended(*, user, within: str = "") -> int:
    """How many active observations the user may release (under `within`) have reached their planned
    end: the count on the list's "release those whose period has ended" button."""
    return narrow_within(Observation.objects.restrict(user, HEALTH_RECORD), within).filter(
        status=Status.ACTIVE, planned_end__lte=local_now().date()).count()


def assignable_workers(*, user, within: str = "") -> list:
    """The grid workers the user may give observations to: active users holding the grid-worker role at a
    grid in the user's HEALTH_RECORD scope (under `within`), by name."""
    from django.contrib.auth import get_user_model

    from epigrid.accounts.roles import Role

    prefixes = user_prefixes(user, HEALTH_RECORD)
    if not prefixes:
        return []
    scope = Q()
    for p in prefixes:
        scope |= Q(memberships__node_code__startswith=p)
    if within and code_level(within):
        scope &= Q(memberships__node_code__startswith=code_prefix(within))
    return list(get_user_model().objects.filter(scope, is_active=True, memberships__role=Role.GRID_WORKER)
                .distinct().order_by("username")[:500])
