"""Observation episodes: start, release, transfer to hospital. Keyword-only, transactional, scoped and
audited; audit rows name the fields written, never a personal value."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from epigrid.accounts.roles import HEALTH_RECORD
from epigrid.core.audit import audit_record
from epigrid.core.errors import Conflict, FieldError, NotFound, ServiceError
from epigrid.core.principals import Actor, actor_user, service
from epigrid.core.scoping import in_scope, narrow_within
from epigrid.regions.selectors import grid_workers
from epigrid.residents.models import Resident

from ..models import (
    Kind,
    Observation,
    Reason,
    Status,
)
from .common import health_status_refresh, local_now, observation_days

# -- observation --------------------------------------------------------------------------------------

def _audit(actor, action: str, obs: Observation, changes: dict | None = None) -> None:
    audit_record(actor=actor, action=action, object_type="observation", object_id=obs.uid,
                 jurisdiction_code=obs.grid_code, changes=changes or {})


def first_worker(grid_code: str):
    """The grid worker who follows up people in this grid (the first of the grid's workers)."""
    workers = grid_workers(grid_code)
    return workers[0] if workers else None


@service
def observation_start(*, actor: Actor, resident, kind, reason, start: date | None = None, days: int | None = None,
                      worker=None) -> Observation:
    """Put a resident under home or centralised observation from `start` (today) for `days`
    (OBSERVATION_DAYS, 14): the planned end is `start + days`. `worker` defaults to the grid's first
    grid worker. The actor needs HEALTH_RECORD over the resident (SYSTEM: the arrival policy)."""
    if not isinstance(resident, Resident):
        resident = Resident.objects.filter(uid=resident).first()
    if resident is None or resident.anonymised_at is not None or not in_scope(actor, HEALTH_RECORD, resident.grid_code):
        raise NotFound(_("No such resident."), [FieldError("resident", _("no such resident in your jurisdiction"))])
    today = local_now().date()
    start = start or today
    days = observation_days() if days is None else days
    errors = []
    if kind not in Kind.values:
        errors.append(FieldError("kind", _("one of %(v)s") % {"v": ", ".join(Kind.values)}))
    if reason not in Reason.values:
        errors.append(FieldError("reason", _("one of %(v)s") % {"v": ", ".join(Reason.values)}))
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 60:
        errors.append(FieldError("days", _("a whole number of days from 1 to 60")))
        days = observation_days()
    if start > today + timedelta(days=30):
        errors.append(FieldError("start", _("at most 30 days ahead")))
    elif start + timedelta(days=days) < today:
        errors.append(FieldError("start", _("this observation would already have ended")))
    if worker is None:
        worker = first_worker(resident.grid_code)
    elif not worker.is_active or not in_scope(worker, HEALTH_RECORD, resident.grid_code):
        errors.append(FieldError("worker", _("not a grid worker of this resident's grid")))
    if errors:
        raise ServiceError(_("Please correct the marked fields."), errors)
    obs = Observation(resident=resident, grid_code=resident.grid_code, kind=kind, reason=reason, start=start,
                      planned_end=start + timedelta(days=days), worker=worker)
    try:
        with transaction.atomic():
            if Observation.objects.filter(resident=resident, status=Status.ACTIVE).exists():
                raise IntegrityError("active observation")
            obs.save()
            _audit(actor, "observation.start", obs,
                   {"kind": [None, kind], "reason": [None, reason], "start": [None, str(start)],
                    "planned_end": [None, str(obs.planned_end)], "worker": [None, worker.pk if worker else None]})
            health_status_refresh(resident_ids=[resident.pk])
    except IntegrityError:
        raise Conflict(_("This person is already under observation."),
                       [FieldError("resident", _("already under observation"))]) from None
    return obs


def _writable(actor, uid) -> Observation:
    qs = Observation.objects.restrict(actor, HEALTH_RECORD)
    obs = qs.filter(uid=uid).select_related("resident").first() if _is_uuid(uid) else None
    if obs is None:
        raise NotFound(_("No such observation."))
    return obs


def _is_uuid(value) -> bool:
    import uuid

    if isinstance(value, uuid.UUID):
        return True
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _end(actor, obs: Observation, status: str, when=None) -> None:
    if obs.status != Status.ACTIVE:
        raise Conflict(_("This observation has already ended."),
                       [FieldError("status", _("already %(s)s") % {"s": obs.get_status_display()})])
    now = when or timezone.now()
    updated = Observation.objects.filter(pk=obs.pk, status=Status.ACTIVE).update(
        status=status, ended_at=now,
        released_at=now if status == Status.RELEASED else None,
        released_by=actor_user(actor) if status == Status.RELEASED else None)
    if not updated:  # ended by someone else a moment ago
        raise Conflict(_("This observation has already ended."), [FieldError("status", _("already ended"))])
    obs.refresh_from_db()


@service
def observation_release(*, actor: Actor, uid, confirm: bool = False, when: datetime | None = None) -> Observation:
    """End an observation at or after its planned end, once the person confirming says so."""
    obs = _writable(actor, uid)
    if obs.status == Status.ACTIVE and local_now(when).date() < obs.planned_end:
        raise Conflict(_("Not before the planned end."),
                       [FieldError("planned_end", _("release on or after %(d)s") % {"d": obs.planned_end})])
    if obs.status == Status.ACTIVE and not confirm:
        raise ServiceError(_("Please confirm the release."), [FieldError("confirm", _("confirm the release"))])
    with transaction.atomic():
        _end(actor, obs, Status.RELEASED, when)
        _audit(actor, "observation.release", obs, {"status": [Status.ACTIVE, Status.RELEASED]})
        health_status_refresh(resident_ids=[obs.resident_id])
    return obs


@service
def observations_release_ended(*, actor: Actor, within: str = "", confirm: bool = False,
                               when: datetime | None = None) -> int:
    """Release at once every active observation in the actor's scope (under `within`, a division or grid
    code) whose planned end has come: the list's one click for the day's releases. Each is ended and
    audited as if released alone; one ended by someone else meanwhile is left as it is. Returns how many."""
    if not confirm:
        raise ServiceError(_("Please confirm the release."), [FieldError("confirm", _("confirm the release"))])
    today = local_now(when).date()
    qs = narrow_within(Observation.objects.restrict(actor, HEALTH_RECORD), within).filter(
        status=Status.ACTIVE, planned_end__lte=today).select_related("resident")
    released = []
    with transaction.atomic():
        for obs in qs:
            try:
                _end(actor, obs, Status.RELEASED, when)
            except Conflict:
                continue
            _audit(actor, "observation.release", obs, {"status": [Status.ACTIVE, Status.RELEASED]})
            released.append(obs.resident_id)
        if released:
            health_status_refresh(resident_ids=released)
    return len(released)


@service
def observations_assign_worker(*, actor: Actor, uids: list, worker: str) -> int:
    """Give the selected active observations to one grid worker, who follows them up. All or nothing: an
    observation out of the actor's reach is NotFound; a worker who may not record check-ins in one of
    their grids is refused, naming it. Returns how many changed; each change is audited."""
    from django.contrib.auth import get_user_model

    uids = [u for u in dict.fromkeys(uids or []) if _is_uuid(u)]
    if not uids:
        raise ServiceError(_("Select the people first."), [FieldError("uids", _("select at least one"))])
    found = list(Observation.objects.restrict(actor, HEALTH_RECORD).filter(uid__in=uids, status=Status.ACTIVE))
    if len(found) != len(uids):
        raise NotFound(_("No such observation."))
    user = get_user_model().objects.filter(username=worker, is_active=True).first()
    refused = sorted({o.grid_code for o in found if user is None or not in_scope(user, HEALTH_RECORD, o.grid_code)})
    if refused:
        raise ServiceError(_("Cannot assign this grid worker."), [
            FieldError("worker", _("%(u)s does not follow up people in grid %(g)s") % {"u": worker, "g": g})
            for g in refused])
    changed = [o for o in found if o.worker_id != user.pk]
    with transaction.atomic():
        for o in changed:
            _audit(actor, "observation.assign", o, {"worker": [o.worker_id, user.pk]})
        Observation.objects.filter(pk__in=[o.pk for o in changed]).update(worker=user)
    return len(changed)


@service
def observation_send_to_hospital(*, actor: Actor, uid, when: datetime | None = None) -> Observation:
    obs = _writable(actor, uid)
    with transaction.atomic():
        _end(actor, obs, Status.HOSPITAL, when)
        _audit(actor, "observation.hospital", obs, {"status": [Status.ACTIVE, Status.HOSPITAL]})
        health_status_refresh(resident_ids=[obs.resident_id])
    return obs
