"""Writes for observation and check-ins. Each is keyword-only, transactional, scoped and audited; audit
rows name the fields written, never a temperature, symptom or other personal value."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from epigrid.accounts.roles import HEALTH_RECORD
from epigrid.core.audit import audit_event, audit_record, audit_record_many
from epigrid.core.errors import Conflict, FieldError, NotFound, ServiceError
from epigrid.core.principals import SYSTEM, Actor, LinkPrincipal, actor_user, service
from epigrid.core.ratelimit import rate_limit
from epigrid.core.scoping import in_scope
from epigrid.regions.selectors import grid_workers
from epigrid.residents.models import Resident

from .models import (
    Alert,
    AlertKind,
    AlertStatus,
    By,
    CheckIn,
    HealthStatus,
    HealthStatusChange,
    Kind,
    Observation,
    Reason,
    Slot,
    Status,
    Symptom,
)
from .rules import colours_for

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
def observation_send_to_hospital(*, actor: Actor, uid, when: datetime | None = None) -> Observation:
    obs = _writable(actor, uid)
    with transaction.atomic():
        _end(actor, obs, Status.HOSPITAL, when)
        _audit(actor, "observation.hospital", obs, {"status": [Status.ACTIVE, Status.HOSPITAL]})
        health_status_refresh(resident_ids=[obs.resident_id])
    return obs


# -- the personal check-in link ------------------------------------------------------------------------

@service
def checkin_link_token(*, actor: Actor, uid, bound: bool = False) -> str:
    """A signed token for the resident's own check-in page (no login), valid until planned end + 1 day.
    `bound`: valid only while the observation belongs to the record it was issued for (a link handed to
    whoever filled in a public form must not follow the observation into another record on a merge)."""
    obs = _writable(actor, uid)
    if obs.status != Status.ACTIVE:
        raise Conflict(_("This observation has already ended."), [FieldError("status", _("ended"))])
    expires = obs.planned_end + timedelta(days=1)
    with transaction.atomic():
        _audit(actor, "observation.link", obs, {"link": [None, f"until {expires}"]})
    value = [obs.uid.hex, expires.toordinal(), *([obs.resident.uid.hex] if bound else [])]
    return signing.dumps(value, salt=LINK_SALT, compress=True)


class LinkExpired(ServiceError):
    status = 410


def checkin_link_resolve(token: str, *, today: date | None = None) -> Observation:
    """The active observation behind a personal link; NotFound when tampered, 410 when expired or ended."""
    try:
        uid_hex, expires, *bound = signing.loads(token, salt=LINK_SALT)
        expires = date.fromordinal(int(expires))
    except (signing.BadSignature, ValueError, TypeError, OverflowError):
        raise NotFound(_("This link is not valid.")) from None
    today = today or local_now().date()
    obs = Observation.objects.filter(uid=uid_hex).select_related("resident").first() if _is_uuid(uid_hex) else None
    if obs is None or (bound and bound != [obs.resident.uid.hex]):
        raise NotFound(_("This link is not valid."))
    if today > expires or obs.status != Status.ACTIVE:
        raise LinkExpired(_("This link has expired: the observation has ended."))
    return obs


# -- check-ins ----------------------------------------------------------------------------------------

def clean_temperature(value) -> Decimal:
    try:
        t = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
        if not t.is_finite():
            raise InvalidOperation
        t = t.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError, TypeError):
        raise ServiceError(_("Please correct the marked fields."),
                           [FieldError("temperature", _("a number such as 36.5"))]) from None
    if not TEMPERATURE_MIN <= t <= TEMPERATURE_MAX:
        raise ServiceError(_("Please correct the marked fields."),
                           [FieldError("temperature", _("between 34.0 and 43.0 °C"))])
    return t


def clean_symptoms(value) -> int:
    """A list of symptom codes ("none" alone, or empty, for none) as the stored bits."""
    if value is None:
        return 0
    if isinstance(value, str):
        value = [v for v in value.split(",") if v.strip()]
    codes = [str(v).strip().lower() for v in value]
    unknown = [c for c in codes if c != "none" and c not in SYMPTOM_CODES]
    if unknown or ("none" in codes and len(set(codes)) > 1) or len(codes) > 16:
        raise ServiceError(_("Please correct the marked fields."), [FieldError(
            "symptoms", _("none, or some of %(v)s") % {"v": ", ".join(SYMPTOM_CODES)})])
    bits = 0
    for c in codes:
        bits |= SYMPTOM_CODES.get(c, 0)
    return bits


@cache
def _insert_sql(vendor: str) -> tuple[str, tuple]:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id: one statement both stores a new check-in and
    detects a retry (the same client_id) or a second check-in for the slot (SQLite 3.35+ and PostgreSQL)."""
    meta = CheckIn._meta
    fields = tuple(f for f in meta.concrete_fields if not f.primary_key)
    q = connection.ops.quote_name
    cols = ", ".join(q(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = (f"INSERT INTO {q(meta.db_table)} ({cols}) VALUES ({marks}) "
           f"ON CONFLICT DO NOTHING RETURNING {q(meta.pk.column)}")
    return sql, fields


def checkin_link_principal(observation: Observation) -> LinkPrincipal:
    """The resident behind a personal check-in link: may check in for this one observation only."""
    return LinkPrincipal(kind="observation", object_id=observation.uid.hex, jurisdiction_code=observation.grid_code)


def _may_check_in(actor: Actor, observation: Observation) -> bool:
    if isinstance(actor, LinkPrincipal):
        return actor.opens("observation", observation.uid)
    return in_scope(actor, HEALTH_RECORD, observation.grid_code)


@service
def checkin_record(*, actor: Actor, observation: Observation, slot, temperature, symptoms, client_id: str,
                   when: datetime | None = None) -> tuple[CheckIn, bool]:
    """Store a check-in; returns it (with `alerts_raised`, the kinds of alert it raised) and whether it is
    new. The same `client_id` again returns the stored check-in (a phone retrying) and raises nothing.
    One check-in per slot: a later one for the same slot replaces it (audited as such).
    The actor is a grid worker (HEALTH_RECORD) or the resident through their personal link (at most
    CHECKIN_LINK_RATE_PER_HOUR submissions an hour per link).
    A temperature at or above FEVER_THRESHOLD (37.3) raises a fever alert, any symptom a symptom alert."""
    if not _may_check_in(actor, observation):
        raise NotFound(_("No such observation."))
    if isinstance(actor, LinkPrincipal):
        rate_limit("checkin-link", settings.CHECKIN_LINK_RATE_PER_HOUR, observation.uid.hex,
                   message=_("Too many check-ins from this link; please try again later."))
    errors = []
    if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
        errors.append(FieldError("client_id", _("8 to 64 letters, digits or -_.: generated by the client")))
    if slot not in Slot.values:
        errors.append(FieldError("slot", _("am or pm")))
    if errors:
        raise ServiceError(_("Please correct the marked fields."), errors)
    temperature = clean_temperature(temperature)
    bits = clean_symptoms(symptoms)
    now = when or timezone.now()
    day = local_now(now).date()
    if observation.status != Status.ACTIVE:
        raise Conflict(_("This observation has already ended."), [FieldError("observation", _("ended"))])
    if day < observation.start:
        raise ServiceError(_("The observation has not started yet."),
                           [FieldError("observation", _("starts on %(d)s") % {"d": observation.start})])
    checkin = CheckIn(observation_id=observation.pk, grid_code=observation.grid_code, date=day, slot=slot,
                      temperature=temperature, symptoms=bits,
                      by=By.RESIDENT if isinstance(actor, LinkPrincipal) else By.WORKER,
                      recorded_by_id=getattr(actor_user(actor), "pk", None), recorded_at=now,
                      client_id=client_id)
    sql, fields = _insert_sql(connection.vendor)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, [f.get_db_prep_save(getattr(checkin, f.attname), connection) for f in fields])
            row = cursor.fetchone()
        action = "checkin.record"
        if row is None:
            stored = CheckIn.objects.filter(client_id=client_id).first()
            if stored is not None:
                if stored.observation_id != observation.pk:
                    raise Conflict(_("This client_id was used for another check-in."),
                                   [FieldError("client_id", _("already used; generate a new one"))])
                stored.alerts_raised = []
                return stored, False
            checkin.pk = _replace(checkin)
            action = "checkin.replace"
        else:
            checkin.pk = row[0]
        events = [audit_event(actor=actor, action=action, object_type="checkin", object_id=checkin.pk,
                              jurisdiction_code=checkin.grid_code,
                              changes={"temperature": "recorded", "symptoms": "recorded", "slot": slot})]
        kinds = []
        if temperature >= fever_threshold():
            kinds.append(AlertKind.FEVER)
        if bits:
            kinds.append(AlertKind.SYMPTOM)
        if kinds and action == "checkin.replace":  # a slot's fever or symptom is raised once
            kinds = [k for k in kinds if not Alert.objects.filter(observation_id=observation.pk, date=day,
                                                                  slot=slot, kind=k).exists()]
        if kinds:
            alerts = Alert.objects.bulk_create([
                Alert(observation_id=observation.pk, checkin_id=checkin.pk, grid_code=checkin.grid_code,
                      kind=k, date=day, slot=slot, created_at=now) for k in kinds])
            events += [audit_event(actor=actor, action="alert.raise", object_type="alert", object_id=a.pk,
                                   jurisdiction_code=a.grid_code, changes={"kind": [None, a.kind]})
                       for a in alerts]
        late = now >= datetime.combine(day, slot_deadlines()[slot], tzinfo=local_zone())
        if late:  # checked in after all: the slot's overdue alert, if the check already raised it, is done
            for alert_id in Alert.objects.filter(observation_id=observation.pk, kind=AlertKind.OVERDUE, date=day,
                                                 slot=slot, status=AlertStatus.OPEN).values_list("pk", flat=True):
                Alert.objects.filter(pk=alert_id).update(status=AlertStatus.HANDLED, handled_at=now,
                                                         handled_by_id=checkin.recorded_by_id)
                events.append(audit_event(actor=actor, action="alert.handle", object_type="alert",
                                          object_id=alert_id, jurisdiction_code=checkin.grid_code,
                                          changes={"status": [AlertStatus.OPEN, AlertStatus.HANDLED],
                                                   "by": "late check-in"}))
                kinds.append(None)  # the colour may change
        audit_record_many(events)
        if kinds:
            health_status_refresh(resident_ids=[observation.resident_id], now=now)
    checkin.alerts_raised = [str(k) for k in kinds if k is not None]
    return checkin, True


def _replace(checkin: CheckIn) -> int:
    """A second check-in for a slot: its values replace the first one's (one check-in per slot). Returns
    the stored row's id."""
    stored = CheckIn.objects.select_for_update().filter(observation_id=checkin.observation_id, date=checkin.date,
                                                        slot=checkin.slot).first()
    if stored is None:  # removed between the insert and now: nothing to replace
        raise Conflict(_("Please send the check-in again."))
    CheckIn.objects.filter(pk=stored.pk).update(
        temperature=checkin.temperature, symptoms=checkin.symptoms, by=checkin.by,
        recorded_by_id=checkin.recorded_by_id, recorded_at=checkin.recorded_at, client_id=checkin.client_id)
    return stored.pk


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
