"""Every write of the incident closed loop: report, the workflow steps of `workflow.TRANSITIONS`, photos
and the escalation of overdue incidents. Patrols and plans are in `patrols.py`.

A step runs in one transaction: load in scope (404), check the actor (403), check the state (409), then a
conditional UPDATE on (state, version), so of two people acting at once exactly one wins and the other
gets 409; then the timeline event, the audit row, the KPI rollups and any notification.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from epigrid.accounts.models import Membership, User
from epigrid.accounts.roles import (
    INCIDENT_MANAGE,
    INCIDENT_REPORT,
    INCIDENT_VIEW,
    PATROL,
    ROLE_ACTIONS,
)
from epigrid.core.audit import audit_record
from epigrid.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ServiceError
from epigrid.core.principals import PUBLIC, SYSTEM, Actor, actor_user, is_user, require_user, service
from epigrid.core.scoping import ancestor_codes, in_scope, user_prefixes
from epigrid.regions.locate import locate_many

from .. import rollups
from ..categories import categories_ensure
from ..checks import check_position, check_time, clean_text, raise_if
from ..models import Incident, IncidentCategory, IncidentEvent, IncidentPhoto, Notification, Patrol
from ..photos import MAX_PHOTOS, photo_discard, photo_prepare, photo_store
from ..selectors import incident_handlers
from ..workflow import ACTION_NAMES, RUNNING, TRANSITIONS, refusal

S = Incident.State
MAX_BACKDATE = timedelta(days=7)  # reports queued offline: older ones are refused
REJECT_REASONS = ("invalid", "duplicate")
STATE_NAMES = dict(S.choices)


def _manager_codes(grid_code: str, level: int) -> str:
    """The node an incident escalated to `level` answers to: 0 its community, 1 its street, 2 its district."""
    return ancestor_codes(grid_code)[-1 - level]


def _notify(users, *, incident: Incident, kind: str, message: str) -> None:
    Notification.objects.bulk_create([Notification(user=u, grid_code=incident.grid_code, incident=incident,
                                                   kind=kind, message=message[:500]) for u in users])


def _managers_at(code: str) -> list[User]:
    roles = [role for role, actions in ROLE_ACTIONS.items() if INCIDENT_MANAGE in actions]
    ids = Membership.objects.filter(node_code=code, role__in=roles).values_list("user_id", flat=True)
    return list(User.objects.filter(pk__in=ids, is_active=True))


# ---------------------------------------------------------------- report

def _client_key(actor: Actor, client_id: str, community_code: str | None) -> str:
    """A client id as stored: within its principal (a user, or the public of one community), so that one
    principal's id never finds another's incident."""
    owner = f"u{actor.pk}" if is_user(actor) else f"p{community_code}"
    return f"{owner}:{client_id}"


@service
def incident_report(*, actor: Actor, category: str, description: str, lon: float, lat: float, crs: str = "wgs84",
                    client_id: str | None = None, source: str | None = None, patrol_id: int | None = None,
                    address: str = "", reported_at: datetime | None = None, photos=(),
                    reporter_name: str = "", community_code: str | None = None) -> Incident:
    """Report an incident. Staff need incident.report where the point lies; a member of the public
    (PUBLIC) reports through a community's page, and the point must lie in that community.
    The same client_id twice from the same principal returns the first incident and stores nothing more."""
    if actor is not PUBLIC:
        require_user(actor)
    errors: list[FieldError] = []
    if client_id is not None and (not isinstance(client_id, str) or not 8 <= len(client_id) <= 64
                                  or not client_id.isascii()):
        errors.append(FieldError("client_id", _("8 to 64 ASCII characters")))
        client_id = None
    client_key = _client_key(actor, client_id, community_code) if client_id else None
    if client_key:
        existing = Incident.objects.filter(client_id=client_key).first()
        if existing is not None:
            return existing
    categories_ensure()
    cat = IncidentCategory.objects.filter(code=category, active=True).first() if isinstance(category, str) else None
    if cat is None:
        errors.append(FieldError("category", _("choose a category") if not category else _("unknown category")))
    elif cat.children.exists():
        errors.append(FieldError("category", _("choose a category under %(c)s") % {"c": cat.label}))
    description = clean_text(description, "description", errors, max_length=2000)
    address = clean_text(address, "address", errors, max_length=200, required=False)
    reporter_name = clean_text(reporter_name, "reporter_name", errors, max_length=100, required=False)
    check_time(reported_at, "reported_at", errors, not_before=timezone.now() - MAX_BACKDATE)
    position = check_position(lon, lat, crs, errors)
    if len(photos) > MAX_PHOTOS:
        errors.append(FieldError("photos", _("at most %(n)d photos") % {"n": MAX_PHOTOS}))
    grid_code = None
    if position is not None:
        grid_code = locate_many([position[0]], [position[1]])[0]
        if grid_code is None:
            errors.append(FieldError("lon", _("no grid contains this position")))
        elif actor is PUBLIC:
            if not community_code or not grid_code.startswith(community_code):
                errors.append(FieldError("lon", _("the position is outside this community")))
        elif not in_scope(actor, INCIDENT_REPORT, grid_code):
            errors.append(FieldError("lon", _("the position is outside your jurisdiction")))
    patrol = None
    if patrol_id is not None and actor is not PUBLIC:
        patrol = Patrol.objects.restrict(actor, PATROL).filter(pk=patrol_id, worker=actor).first()
        if patrol is None:
            errors.append(FieldError("patrol_id", _("not one of your patrols")))
    if source is None:
        source = Incident.Source.PUBLIC if actor is PUBLIC else (Incident.Source.PATROL if patrol else Incident.Source.STAFF)
    if source not in Incident.Source.values or (actor is PUBLIC) != (source == Incident.Source.PUBLIC):
        errors.append(FieldError("source", _("not a valid source here")))
    raise_if(errors, _("The incident cannot be reported."))
    prepared = [photo_prepare(p, f"photos[{i}]") for i, p in enumerate(photos)]  # all checked before any write

    stored: list[str] = []
    try:
        with transaction.atomic():
            incident = Incident.objects.create(
                client_id=client_key, grid_code=grid_code, category=cat, source=source,
                description=description, lon=position[0], lat=position[1], address=address,
                reporter=actor_user(actor), reporter_name=reporter_name, patrol=patrol,
                reported_at=reported_at or timezone.now())
            for p in prepared:
                path, thumb = photo_store(p)
                stored += [path, thumb]
                IncidentPhoto.objects.create(incident=incident, grid_code=grid_code, stage=IncidentPhoto.Stage.REPORT,
                                             path=path, thumb_path=thumb, width=p.width, height=p.height,
                                             size=len(p.image), uploaded_by=actor_user(actor))
            IncidentEvent.objects.create(incident=incident, grid_code=grid_code, action="report", to_state=S.REPORTED,
                                         actor=actor_user(actor), actor_name=_actor_name(actor, reporter_name),
                                         comment=description[:1000], data={"source": source})
            audit_record(actor=actor, action="incident.report", object_type="incident", object_id=incident.pk,
                         object_repr=f"{cat.code} {grid_code}", jurisdiction_code=grid_code,
                         changes={"category": [None, cat.code], "source": [None, source], "photos": len(prepared)})
            counts = {"reported": 1, f"reported_{source}": 1}
            rollups.bump(grid_code=grid_code, at=incident.reported_at, user_id=getattr(actor_user(actor), "pk", None), **counts)
    except IntegrityError:
        photo_discard(stored)
        # The same client_id arrived twice at the same moment: the other request stored it.
        existing = Incident.objects.filter(client_id=client_key).first() if client_key else None
        if existing is None:
            raise
        return existing
    except BaseException:
        photo_discard(stored)
        raise
    return incident


def _actor_name(actor: Actor, fallback: str = "") -> str:
    if actor is PUBLIC:
        return fallback or str(_("Public"))
    return str(actor)


# ---------------------------------------------------------------- the workflow steps

def _load(actor, incident_id: int) -> Incident:
    from ..selectors import incidents_visible

    incident = (incidents_visible(actor).filter(pk=incident_id).select_related("category").first()
                if isinstance(incident_id, int) else None)
    if incident is None:
        raise NotFound(_("No such incident."))
    return incident


def _check_actor(actor: Actor, incident: Incident, action: str) -> None:
    if (reason := refusal(actor, incident, action)) is not None:
        raise PermissionDenied(reason)


def _transition(*, actor, incident_id: int, action: str, comment: str = "", validate=None, data=None) -> Incident:
    """Apply one step of the table. `validate(incident, errors)` checks the step's own input once the
    incident is known and returns the extra fields to set; it runs after the scope, actor and state
    checks, so a step out of order answers 409 whatever its input."""
    step = TRANSITIONS[action]
    errors: list[FieldError] = []
    comment = clean_text(comment, "comment", errors, max_length=1000, required=False)
    with transaction.atomic():
        incident = _load(actor, incident_id)
        _check_actor(actor, incident, action)
        if incident.state not in step.sources:
            raise Conflict(_("Cannot %(action)s an incident that is %(state)s.")
                           % {"action": ACTION_NAMES[action], "state": STATE_NAMES[incident.state]},
                           [FieldError("state", str(STATE_NAMES[incident.state]))])
        fields = {}
        if validate is not None:
            fields = validate(incident, errors) or {}
        raise_if(errors)
        target = fields.pop("_target", step.target)
        now = timezone.now()
        moved = Incident.objects.filter(pk=incident.pk, state=incident.state, version=incident.version).update(
            state=target, version=F("version") + 1, **fields)
        if not moved:
            raise Conflict(_("Someone else acted on this incident at the same moment; reload it."))
        IncidentEvent.objects.create(incident=incident, grid_code=incident.grid_code, action=action,
                                     from_state=incident.state, to_state=target, actor=actor_user(actor),
                                     actor_name=_actor_name(actor), at=now, comment=comment, data=data or {})
        changes = {"state": [incident.state, target]}
        changes.update({k: v.isoformat() if isinstance(v, datetime) else v for k, v in fields.items()
                        if k in ("assignee_id", "assignee_unit", "deadline", "rating")})
        audit_record(actor=actor, action=f"incident.{action}", object_type="incident", object_id=incident.pk,
                     object_repr=f"{incident.category.code} {incident.grid_code}",
                     jurisdiction_code=incident.grid_code, changes=changes, reason=comment)
        incident.refresh_from_db()
        _after(action, incident, actor, now)
    return incident


def _after(action: str, incident: Incident, actor, now: datetime) -> None:
    """Rollups and notifications that follow a step."""
    reporter = incident.reporter_id
    actor_pk = getattr(actor_user(actor), "pk", None)
    if action == "register":
        rollups.bump(grid_code=incident.grid_code, at=now, user_id=reporter, registered=1)
    elif action == "reject":
        rollups.bump(grid_code=incident.grid_code, at=now, user_id=reporter, rejected=1)
    elif action == "close":
        on_time = int(bool(incident.closed_on_time))
        took = rollups.close_column((now - incident.reported_at).total_seconds())
        rollups.bump(grid_code=incident.grid_code, at=now, user_id=reporter, closed=1, closed_on_time=on_time,
                     **{took: 1})
    elif action == "dispatch" and incident.assignee_id and incident.assignee_id != actor_pk:
        _notify([incident.assignee], incident=incident, kind="dispatched",
                message=_("Incident #%(id)d (%(cat)s) was dispatched to you; deadline %(d)s.")
                % {"id": incident.pk, "cat": incident.category.label,
                   "d": timezone.localtime(incident.deadline).strftime("%Y-%m-%d %H:%M")})
    elif action == "handle" and incident.reporter_id and incident.reporter_id != actor_pk:
        _notify([incident.reporter], incident=incident, kind="handled",
                message=_("Incident #%(id)d you reported was handled; please verify it.") % {"id": incident.pk})
    elif action == "verify" and incident.state == S.DISPATCHED and incident.assignee_id:
        _notify([incident.assignee], incident=incident, kind="verify_failed",
                message=_("Incident #%(id)d failed verification and needs handling again.") % {"id": incident.pk})


@service
def incident_register(*, actor: Actor, incident_id: int, comment: str = "") -> Incident:
    return _transition(actor=actor, incident_id=incident_id, action="register", comment=comment)


@service
def incident_reject(*, actor: Actor, incident_id: int, reason: str, duplicate_of: int | None = None,
                    comment: str = "") -> Incident:
    """Reject as invalid, or as a duplicate of another incident in the actor's scope."""
    def validate(incident, errors):
        if reason not in REJECT_REASONS:
            errors.append(FieldError("reason", _("must be one of %(r)s") % {"r": ", ".join(REJECT_REASONS)}))
            return None
        if reason == "duplicate":
            original = (Incident.objects.restrict(actor, INCIDENT_VIEW).filter(pk=duplicate_of).first()
                        if isinstance(duplicate_of, int) and duplicate_of != incident.pk else None)
            if original is None:
                errors.append(FieldError("duplicate_of", _("name another incident of your jurisdiction")))
                return None
            return {"duplicate_of_id": original.pk}
        return {}

    return _transition(actor=actor, incident_id=incident_id, action="reject", comment=comment, validate=validate,
                       data={"reason": reason, "duplicate_of": duplicate_of})


@service
def incident_dispatch(*, actor: Actor, incident_id: int, assignee: str | None = None, unit: str = "",
                      comment: str = "") -> Incident:
    """Dispatch to a person (who may handle incidents where it lies) and/or a handling unit; the
    deadline comes from the category."""
    def validate(incident, errors):
        fields = {}
        name = clean_text(unit, "unit", errors, max_length=100, required=False)
        fields["assignee_unit"] = name
        fields["assignee_id"] = None
        if assignee:
            user = next((u for u in incident_handlers(incident.grid_code) if u.username == assignee), None)
            if user is None:
                errors.append(FieldError("assignee", _("no one of that name may handle incidents here")))
            else:
                fields["assignee_id"] = user.pk
        elif not name:
            errors.append(FieldError("assignee", _("name a person or a handling unit")))
        deadline = timezone.now() + timedelta(hours=incident.category.deadline_hours)
        fields.update(deadline=deadline, escalate_at=deadline)
        return fields

    return _transition(actor=actor, incident_id=incident_id, action="dispatch", comment=comment, validate=validate,
                       data={"assignee": assignee, "unit": unit})


@service
def incident_handle(*, actor: Actor, incident_id: int, result: str, photos=()) -> Incident:
    errors: list[FieldError] = []
    result = clean_text(result, "result", errors, max_length=1000)
    if len(photos) > MAX_PHOTOS:
        errors.append(FieldError("photos", _("at most %(n)d photos") % {"n": MAX_PHOTOS}))
    raise_if(errors)
    prepared = [photo_prepare(p, f"photos[{i}]") for i, p in enumerate(photos)]
    stored: list[str] = []

    def validate(incident, errors):
        handler = actor_user(actor)
        for p in prepared:
            path, thumb = photo_store(p)
            stored.extend([path, thumb])
            IncidentPhoto.objects.create(incident=incident, grid_code=incident.grid_code, stage=IncidentPhoto.Stage.HANDLE,
                                         path=path, thumb_path=thumb, width=p.width, height=p.height,
                                         size=len(p.image), uploaded_by=actor_user(actor))
        return {"handled_by_id": getattr(handler, "pk", None)}

    try:
        return _transition(actor=actor, incident_id=incident_id, action="handle", comment=result,
                           validate=validate, data={"photos": len(prepared)})
    except BaseException:
        photo_discard(stored)
        raise


@service
def incident_verify(*, actor: Actor, incident_id: int, passed: bool, comment: str = "") -> Incident:
    """Passed: verified. Failed: back to handling (dispatched), with the reason in the comment."""
    def validate(incident, errors):
        if not isinstance(passed, bool):
            errors.append(FieldError("passed", _("must be true or false")))
        elif not passed and not comment.strip():
            errors.append(FieldError("comment", _("say what is still wrong")))
        return {} if passed else {"_target": S.DISPATCHED}

    return _transition(actor=actor, incident_id=incident_id, action="verify", comment=comment, validate=validate,
                       data={"passed": passed})


@service
def incident_close(*, actor: Actor, incident_id: int, comment: str = "") -> Incident:
    def validate(incident, errors):
        now = timezone.now()
        on_time = incident.deadline is None or now <= incident.deadline
        return {"closed_at": now, "closed_on_time": on_time, "escalate_at": None}

    return _transition(actor=actor, incident_id=incident_id, action="close", comment=comment, validate=validate)


@service
def incident_evaluate(*, actor: Actor, incident_id: int, rating: int, comment: str = "") -> Incident:
    def validate(incident, errors):
        if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
            errors.append(FieldError("rating", _("from 1 to 5")))
        return {"rating": rating}

    return _transition(actor=actor, incident_id=incident_id, action="evaluate", comment=comment, validate=validate,
                       data={"rating": rating})


INCIDENT_ACTIONS = {
    "register": incident_register, "reject": incident_reject, "dispatch": incident_dispatch,
    "handle": incident_handle, "verify": incident_verify, "close": incident_close, "evaluate": incident_evaluate,
}


@service
def incident_add_photo(*, actor: Actor, incident_id: int, photo, client_id: str | None = None) -> IncidentPhoto:
    """One more photo: by the reporter while it is being registered, or by whoever may handle it."""
    require_user(actor)
    if client_id:
        existing = IncidentPhoto.objects.filter(client_id=client_id).first()
        if existing is not None and existing.uploaded_by_id == actor.pk:
            return existing
        if existing is not None:
            raise Conflict(_("This client id is already used."), [FieldError("client_id", _("already used"))])
    incident = _load(actor, incident_id)
    if incident.state in (S.REPORTED, S.REGISTERED) and (incident.reporter_id == actor.pk
                                                           or in_scope(actor, INCIDENT_MANAGE, incident.grid_code)):
        stage = IncidentPhoto.Stage.REPORT
    elif incident.state == S.DISPATCHED:
        _check_actor(actor, incident, "handle")
        stage = IncidentPhoto.Stage.HANDLE
    else:
        raise Conflict(_("Photos cannot be added to an incident that is %(state)s.")
                       % {"state": STATE_NAMES[incident.state]})
    if incident.photos.count() >= 2 * MAX_PHOTOS:
        raise ServiceError(_("Too many photos."), [FieldError("photo", _("at most %(n)d photos") % {"n": 2 * MAX_PHOTOS})])
    prepared = photo_prepare(photo)
    path, thumb = photo_store(prepared)
    try:
        with transaction.atomic():
            obj = IncidentPhoto.objects.create(incident=incident, grid_code=incident.grid_code, stage=stage,
                                               client_id=client_id or None, path=path, thumb_path=thumb,
                                               width=prepared.width, height=prepared.height,
                                               size=len(prepared.image), uploaded_by=actor)
            audit_record(actor=actor, action="incident.photo", object_type="incident", object_id=incident.pk,
                         jurisdiction_code=incident.grid_code, changes={"stage": stage})
    except BaseException:
        photo_discard([path, thumb])
        raise
    return obj


# ---------------------------------------------------------------- deadlines

def incident_escalate_overdue(*, now: datetime | None = None) -> int:
    """Flag running incidents past their deadline and escalate each one level up (community -> street
    -> district), notifying the managers there; a further period later, the next level. Returns how
    many escalations were made. Safe to run twice at once: each is a conditional UPDATE."""
    now = now or timezone.now()
    done = 0
    due = list(Incident.objects.filter(state__in=RUNNING, escalate_at__lte=now).select_related("category")
               .order_by("escalate_at")[:5000])
    for incident in due:
        level = min(incident.escalation_level + 1, 2)
        period = timedelta(hours=incident.category.deadline_hours)
        with transaction.atomic():
            moved = Incident.objects.filter(pk=incident.pk, state__in=RUNNING, escalate_at=incident.escalate_at).update(
                overdue=True, escalation_level=level, escalate_at=now + period if level < 2 else None)
            if not moved:
                continue
            code = _manager_codes(incident.grid_code, level)
            IncidentEvent.objects.create(incident=incident, grid_code=incident.grid_code, action="escalate",
                                         from_state=incident.state, to_state=incident.state,
                                         actor_name="system", at=now, data={"level": level, "to": code})
            audit_record(actor=SYSTEM, action="incident.escalate", object_type="incident", object_id=incident.pk,
                         jurisdiction_code=incident.grid_code, changes={"escalation_level": [incident.escalation_level, level]})
            rollups.bump(grid_code=incident.grid_code, at=now, user_id=incident.reporter_id, escalated=1)
            recipients = _managers_at(code)
            _notify(recipients, incident=incident, kind="overdue",
                    message=_("Incident #%(id)d (%(cat)s) is overdue (deadline %(d)s) and was escalated to you.")
                    % {"id": incident.pk, "cat": incident.category.label,
                       "d": timezone.localtime(incident.deadline).strftime("%Y-%m-%d %H:%M")})
            done += 1
    return done


@service
def category_set_deadline(*, actor: Actor, code: str, deadline_hours: int) -> IncidentCategory:
    """Change a category's deadline (hours from dispatch to close). Categories are shared by the whole
    install, so this needs incident.manage at a province or city node."""
    if not any(len(p) <= 4 for p in user_prefixes(actor, INCIDENT_MANAGE)):
        raise PermissionDenied(_("Only city-level managers may change deadlines."))
    categories_ensure()
    category = IncidentCategory.objects.filter(code=code).first() if isinstance(code, str) else None
    if category is None:
        raise NotFound(_("No such category."))
    if not isinstance(deadline_hours, int) or isinstance(deadline_hours, bool) or not 1 <= deadline_hours <= 24 * 90:
        raise ServiceError(_("Invalid deadline."), [FieldError("deadline_hours", _("from 1 to 2160 hours"))])
    with transaction.atomic():
        old = category.deadline_hours
        category.deadline_hours = deadline_hours
        category.save(update_fields=["deadline_hours"])
        audit_record(actor=actor, action="incident_category.deadline", object_type="incident_category",
                     object_id=category.code, object_repr=category.name,
                     jurisdiction_code=sorted(user_prefixes(actor, INCIDENT_MANAGE))[0].ljust(12, "0"),
                     changes={"deadline_hours": [old, deadline_hours]})
    return category


@service
def notification_read(*, actor: Actor, notification_id: int) -> None:
    require_user(actor)
    updated = Notification.objects.filter(pk=notification_id, user=actor, read_at__isnull=True).update(
        read_at=timezone.now())
    if not updated and not Notification.objects.filter(pk=notification_id, user=actor).exists():
        raise NotFound(_("No such notification."))
