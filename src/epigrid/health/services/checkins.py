"""Check-ins and the personal check-in link: recorded by staff or by the person through the link,
idempotent by client id; fever and symptom alerts raised on the way."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache

from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from epigrid.accounts.roles import HEALTH_RECORD
from epigrid.core.audit import audit_event, audit_record_many
from epigrid.core.errors import Conflict, FieldError, NotFound, ServiceError
from epigrid.core.models import AuditEvent
from epigrid.core.principals import Actor, LinkPrincipal, actor_user, service
from epigrid.core.ratelimit import rate_limit
from epigrid.core.scoping import in_scope
from epigrid.core.statements import insert_or_nothing, insert_with_audit

from ..models import (
    Alert,
    AlertKind,
    AlertStatus,
    By,
    CheckIn,
    Observation,
    Slot,
    Status,
)
from .common import (
    CLIENT_ID,
    LINK_SALT,
    SYMPTOM_CODES,
    TEMPERATURE_MAX,
    TEMPERATURE_MIN,
    fever_threshold,
    health_status_refresh,
    local_now,
    local_zone,
    slot_deadlines,
)
from .observations import _audit, _is_uuid, _writable

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
    late = now >= datetime.combine(day, slot_deadlines()[slot], tzinfo=local_zone())

    def recorded(action: str, pk) -> AuditEvent:
        return audit_event(actor=actor, action=action, object_type="checkin", object_id=pk,
                           jurisdiction_code=checkin.grid_code,
                           changes={"temperature": "recorded", "symptoms": "recorded", "slot": slot})

    fever = temperature >= fever_threshold()
    if connection.vendor == "postgresql" and not (fever or bits or late):
        # The common check-in (in time, no alert to raise) is two rows, the check-in and its audit row:
        # one statement on PostgreSQL. A retry or a second check-in for the slot writes nothing here and
        # takes the path below.
        pk = insert_with_audit(checkin, recorded("checkin.record", ""))
        if pk is not None:
            checkin.pk, checkin.alerts_raised = pk, []
            return checkin, True
    with transaction.atomic():
        # One statement both stores a new check-in and detects a retry (the same client_id) or a second
        # check-in for the slot.
        pk = insert_or_nothing(checkin)
        action = "checkin.record"
        if pk is None:
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
            checkin.pk = pk
        events = [recorded(action, checkin.pk)]
        kinds = []
        if fever:
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
        if late:  # checked in after all: the slot's overdue alert, if the check already raised it, is done
            for alert_id in _overdue_handled(checkin, now):
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


@cache
def _overdue_handled_sql(vendor: str) -> str:
    col = {f.name: connection.ops.quote_name(f.column) for f in Alert._meta.concrete_fields}
    return (f"UPDATE {connection.ops.quote_name(Alert._meta.db_table)} "
            f"SET {col['status']} = %s, {col['handled_at']} = %s, {col['handled_by']} = %s "
            f"WHERE {col['observation']} = %s AND {col['kind']} = %s AND {col['date']} = %s AND {col['slot']} = %s "
            f"AND {col['status']} = %s RETURNING {col['id']}")


def _overdue_handled(checkin: CheckIn, now: datetime) -> list[int]:
    """Marks the slot's open overdue alerts handled by a late check-in; their ids. One written statement:
    a check-in after the deadline is common, and an ORM select and update cost a third of the check-in."""
    ops = connection.ops
    with connection.cursor() as cursor:
        cursor.execute(_overdue_handled_sql(connection.vendor), [
            AlertStatus.HANDLED, ops.adapt_datetimefield_value(now), checkin.recorded_by_id,
            checkin.observation_id, AlertKind.OVERDUE, ops.adapt_datefield_value(checkin.date), checkin.slot,
            AlertStatus.OPEN])
        return [row[0] for row in cursor.fetchall()]


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
