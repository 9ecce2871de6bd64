"""Tracing work: a case's activity trajectory (活动轨迹), turned into exposures by staff; and the tasks per
contact (reach, place under management, test) given to the contact's grid worker, which escalate a
level up (grid -> community -> street) when overdue, as incidents do."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from epigrid.accounts.roles import EPI_EDIT, EPI_TASK
from epigrid.core.errors import Conflict, FieldError, ServiceError
from epigrid.core.principals import SYSTEM, Actor, actor_user, service
from epigrid.core.scoping import in_scope
from epigrid.core.validators import text_problem
from epigrid.health.services import first_worker
from epigrid.regions.locate import locate

from ..models import Case, Setting, TaskKind, TaskStatus, TracingTask, TrajectoryEntry
from .common import as_uuid, epi_audit, writable

__all__ = ["trajectory_add", "trajectory_to_exposures", "tasks_create_for", "task_complete",
           "tasks_escalate_overdue", "task_deadlines"]


@service
def trajectory_add(*, actor: Actor, case, start: datetime, end: datetime, place: str,
                   setting: str = Setting.VENUE, lon: float | None = None, lat: float | None = None,
                   notes: str = "") -> TrajectoryEntry:
    """A place and time the case visited. The place's grid comes from its coordinates when given."""
    case = writable(Case, actor=actor, uid=case.uid if isinstance(case, Case) else case, message=_("No such case."))
    errors = []
    for field, value, limit, required in (("place", place, 100, True), ("notes", notes, 300, False)):
        problem = text_problem(value or "", max_length=limit, required=required)
        if problem:
            errors.append(FieldError(field, problem))
    if setting not in Setting.values:
        errors.append(FieldError("setting", _("one of %(v)s") % {"v": ", ".join(Setting.values)}))
    if not isinstance(start, datetime) or not isinstance(end, datetime):
        errors.append(FieldError("start", _("a date and time")))
    else:
        # A time without its zone is the city's local time (what a person types on a phone here).
        start, end = (timezone.make_aware(t) if timezone.is_naive(t) else t for t in (start, end))
        if end < start:
            errors.append(FieldError("end", _("before the start")))
        if start > timezone.now():
            errors.append(FieldError("start", _("cannot be in the future")))
    if (lon is None) != (lat is None) or (lon is not None and not (-180 <= lon <= 180 and -90 <= lat <= 90)):
        errors.append(FieldError("lon", _("give both longitude and latitude, in range")))
    if errors:
        raise ServiceError(_("Please correct the marked fields."), errors)
    grid = locate(lon, lat) if lon is not None else None
    with transaction.atomic():
        entry = TrajectoryEntry.objects.create(case=case, grid_code=case.grid_code, start=start, end=end, place=place,
                                               setting=setting, lon=lon, lat=lat, place_grid_code=grid or "",
                                               notes=notes or "")
        epi_audit(actor, "trajectory.create", "trajectory", entry, {"place": "set", "setting": setting})
    return entry


@service
def trajectory_to_exposures(*, actor: Actor, uid, residents: list, persons: list | None = None) -> list:
    """Turn a trajectory entry into exposures of the people met there (registered `residents` by uid, or
    new `persons`), with its setting, place and dates. All or nothing: the first refusal names its row."""
    from .contacts import exposure_record

    entry = writable(TrajectoryEntry, actor=actor, uid=uid, message=_("No such trajectory entry."))
    case = entry.case
    targets = [("resident", r) for r in (residents or [])] + [("person", p) for p in (persons or [])]
    if not targets:
        raise ServiceError(_("Whom did the case meet there?"), [FieldError("residents", _("at least one person"))])
    first, last = timezone.localdate(entry.start), timezone.localdate(entry.end)
    exposures = []
    with transaction.atomic():
        for row, (kind, who) in enumerate(targets, start=1):
            try:
                exposure, _created = exposure_record(
                    actor=actor, source_case=case, setting=entry.setting, place=entry.place, first_date=first,
                    last_date=last, notes=_("from the trajectory"), **{kind: who})
            except ServiceError as exc:
                raise type(exc)(exc.detail, [FieldError(f"{kind}s[{row}].{e.field}", e.message)
                                             for e in exc.errors] or [FieldError(f"{kind}s[{row}]", exc.detail)]) from None
            exposures.append(exposure)
    return exposures


def task_deadlines(now: datetime) -> dict[str, datetime]:
    """Kind -> deadline of a new contact's tasks (EPI_TASK_HOURS after `now`). Also the import's rule."""
    return {kind: now + timedelta(hours=settings.EPI_TASK_HOURS[kind]) for kind in TaskKind.values}


@service
def tasks_create_for(*, actor: Actor, contact) -> list[TracingTask]:
    """The contact's three tasks, due EPI_TASK_HOURS after now, for the grid's first grid worker. Called
    inside the transaction that registers the contact."""
    worker = first_worker(contact.grid_code)
    tasks = [TracingTask(contact=contact, grid_code=contact.grid_code, kind=kind, assignee=worker,
                         deadline=deadline, escalate_at=deadline)
             for kind, deadline in task_deadlines(timezone.now()).items()]
    TracingTask.objects.bulk_create(tasks)
    for task in tasks:
        epi_audit(actor, "task.create", "tracing_task", task, {"kind": task.kind})
    return tasks


@service
def task_complete(*, actor: Actor, uid, result: str = "") -> TracingTask:
    """Mark a task done: its assignee, or anyone who may act on tracing tasks or edit tracing there."""
    key = as_uuid(uid)
    task = TracingTask.objects.filter(uid=key).first() if key else None
    allowed = task is not None and (
        (task.assignee_id is not None and task.assignee_id == getattr(actor, "pk", None))
        or in_scope(actor, EPI_TASK, task.grid_code) or in_scope(actor, EPI_EDIT, task.grid_code))
    if not allowed:
        from epigrid.core.errors import NotFound

        raise NotFound(_("No such task."))
    problem = text_problem(result or "", max_length=300, required=False)
    if problem:
        raise ServiceError(_("Please correct the marked fields."), [FieldError("result", problem)])
    with transaction.atomic():
        done = TracingTask.objects.filter(pk=task.pk, status=TaskStatus.OPEN).update(
            status=TaskStatus.DONE, done_at=timezone.now(), done_by=actor_user(actor), result=result or "",
            escalate_at=None)
        if not done:
            raise Conflict(_("This task is already closed."), [FieldError("status", _("already closed"))])
        task.refresh_from_db()
        epi_audit(actor, "task.done", "tracing_task", task, {"status": [TaskStatus.OPEN, TaskStatus.DONE]})
    return task


def tasks_escalate_overdue(*, now: datetime | None = None) -> int:
    """Flag open tasks past their deadline and move each one level up (grid -> community -> street), one
    level per period of its kind. Safe to run twice at once: each is a conditional UPDATE."""
    now = now or timezone.now()
    due = list(TracingTask.objects.filter(escalate_at__lte=now, status=TaskStatus.OPEN).order_by("escalate_at")[:5000])
    moved = 0
    for task in due:
        level = min(task.escalation_level + 1, 2)
        following = now + timedelta(hours=settings.EPI_TASK_HOURS[task.kind]) if level < 2 else None
        if TracingTask.objects.filter(pk=task.pk, status=TaskStatus.OPEN, escalate_at=task.escalate_at).update(
                overdue=True, escalation_level=level, escalate_at=following):
            epi_audit(SYSTEM, "task.escalate", "tracing_task", task, {"escalation_level": [task.escalation_level, level]})
            moved += 1
    return moved
