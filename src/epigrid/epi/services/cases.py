"""Cases: report (from scratch, from a health alert, from an arrival), change, reclassify. A case is a
registry resident (an existing one, or a new person registered with the registry's own validation and
protection); its jurisdiction is the person's grid, and the unit that reported it sees it too."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from epigrid.accounts.roles import EPI_EDIT, ROLE_ACTIONS
from epigrid.core.errors import Conflict, FieldError, NotFound, ServiceError
from epigrid.core.principals import Actor, actor_user, is_user, service
from epigrid.core.scoping import code_level, code_prefix, in_scope, user_memberships
from epigrid.core.validators import text_problem
from epigrid.health.models import Alert, AlertStatus
from epigrid.residents.models import Arrival, Resident
from epigrid.residents.services import resident_create

from ..models import (
    INFECTED,
    Case,
    CaseChange,
    Classification,
    Contact,
    ContactStatus,
    FoundBy,
    Link,
    Outcome,
    Severity,
    TaskStatus,
    TracingTask,
)
from .common import as_uuid, date_errors, epi_audit, today_local, writable

__all__ = ["case_create", "case_update", "case_reclassify", "case_from_alert", "case_from_arrival", "clean_case",
           "cases_running", "RECLASSIFY"]

DATE_FIELDS = ("onset_date", "sampling_date", "diagnosis_date", "report_date", "outcome_date")
# What a case may become: a suspected case is confirmed, found asymptomatic or excluded; an asymptomatic
# infection may turn out confirmed (symptoms appear); a confirmed case stays confirmed.
RECLASSIFY = {
    Classification.SUSPECTED: {Classification.CONFIRMED, Classification.ASYMPTOMATIC, Classification.EXCLUDED},
    Classification.ASYMPTOMATIC: {Classification.CONFIRMED},
    Classification.CONFIRMED: set(),
    Classification.EXCLUDED: set(),
}
TRACKED = ("classification", "severity", "outcome")  # kept as history rows (CaseChange)


def _choice(values: dict, errors: list, field: str, choices, *, required: bool) -> None:
    if field not in values:
        if required:
            errors.append(FieldError(field, _("required")))
        return
    if values[field] not in choices:
        errors.append(FieldError(field, _("one of %(v)s") % {"v": ", ".join(c for c in choices if c)}))


def clean_case(data: dict, *, today: date, current: Case | None = None) -> tuple[dict, list[FieldError]]:
    """The case's own fields from `data` (every key optional when changing `current`), checked alone and
    together with the stored ones: no date in the future, an onset or diagnosis after the outcome, an
    outcome without its date (or a date without an outcome) is refused naming the field."""
    fields = ("classification", "severity", "found_by", "imported", "place", "outcome", *DATE_FIELDS)
    values = {k: data[k] for k in fields if k in data}
    errors: list[FieldError] = []
    _choice(values, errors, "classification", Classification.values, required=current is None)
    for field, choices in (("severity", Severity.values + [""]), ("found_by", FoundBy.values),
                           ("outcome", Outcome.values)):
        if values.get(field) is None:
            values.pop(field, None)
        _choice(values, errors, field, choices, required=False)
    if "imported" in values and not isinstance(values["imported"], bool):
        errors.append(FieldError("imported", _("true or false")))
    if "place" in values:
        values["place"] = values["place"] or ""
        problem = text_problem(values["place"], max_length=100, required=False)
        if problem:
            errors.append(FieldError("place", problem))
    if current is None and values.get("report_date") is None:
        values["report_date"] = today
    if current is not None and "report_date" in values and values["report_date"] is None:
        errors.append(FieldError("report_date", _("required")))
    errors += date_errors({k: values[k] for k in DATE_FIELDS if k in values}, today)
    if errors:
        return values, errors
    merged = {f: getattr(current, f) for f in fields} if current is not None else {f: None for f in fields}
    merged.update(values)
    outcome, outcome_date = merged.get("outcome") or "", merged.get("outcome_date")
    if outcome and outcome_date is None:
        errors.append(FieldError("outcome_date", _("give the date of the outcome")))
    if outcome_date is not None and not outcome:
        errors.append(FieldError("outcome", _("give the outcome of this date")))
    if outcome_date is not None:
        for field in ("onset_date", "diagnosis_date", "sampling_date"):
            if merged.get(field) and merged[field] > outcome_date:
                errors.append(FieldError(field, _("after the outcome date (%(d)s)") % {"d": outcome_date}))
    if merged.get("sampling_date") and merged.get("diagnosis_date") and merged["diagnosis_date"] < merged["sampling_date"]:
        errors.append(FieldError("diagnosis_date", _("before the sampling date (%(d)s)") % {"d": merged["sampling_date"]}))
    return values, errors


def cases_running():
    """Cases still running (not excluded, no outcome): a person has at most one, and is no contact then."""
    return Case.objects.filter(outcome="").exclude(classification=Classification.EXCLUDED)


def _reporting_code(actor: Actor, grid_code: str) -> str:
    """The reporting unit: the actor's own node with EPI_EDIT over the case (the nearest one), or the
    case's district for SYSTEM (imports, the command line)."""
    if is_user(actor):
        nodes = sorted((m.node_code for m in user_memberships(actor)
                        if EPI_EDIT in ROLE_ACTIONS[m.role] and code_level(m.node_code)
                        and grid_code.startswith(code_prefix(m.node_code))),
                       key=lambda code: len(code_prefix(code)), reverse=True)
        if nodes:
            return nodes[0]
    return grid_code[:6].ljust(12, "0")


def _number_next(city_code: str, report_date: date) -> str:
    """The next case number of the city's year: 1101-2026-00042. Unique per city (the constraint); a
    number taken a moment ago by another request makes the caller try the next one."""
    prefix = f"{city_code}-{report_date.year}-"
    last = (Case.objects.filter(city_code=city_code, number__startswith=prefix).order_by("-number")
            .values_list("number", flat=True).first())
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{seq:05d}"


def _person(actor: Actor, resident, person: dict | None) -> Resident:
    if (resident is None) == (person is None):
        raise ServiceError(_("Who is the case?"), [FieldError("resident", _("give a registered person or a new one"))])
    if person is not None:
        if not isinstance(person, dict):
            raise ServiceError(_("Please correct the marked fields."), [FieldError("person", _("an object"))])
        try:
            return resident_create(actor=actor, data=person)
        except ServiceError as exc:  # name the new person's fields as the person's
            raise type(exc)(exc.detail, [FieldError(f"person.{e.field}", e.message) for e in exc.errors]) from None
    if not isinstance(resident, Resident):
        key = as_uuid(resident)
        resident = Resident.objects.filter(uid=key, anonymised_at__isnull=True).first() if key else None
    if resident is None or resident.anonymised_at is not None or not in_scope(actor, EPI_EDIT, resident.grid_code):
        raise NotFound(_("No such person."), [FieldError("resident", _("no such person in your jurisdiction"))])
    return resident


def _history(case: Case, actor, values: dict, previous: dict, on: date) -> None:
    CaseChange.objects.bulk_create([
        CaseChange(case=case, grid_code=case.grid_code, field=f, previous=previous.get(f) or "", value=values[f] or "",
                   on=on, by=actor_user(actor))
        for f in TRACKED if f in values and (values[f] or "") != (previous.get(f) or "")])


def _to_hospital(actor, case: Case) -> None:
    """An infected person goes to a designated hospital or isolation place: their running observation (a
    contact's, an arrival's) ends as "sent to hospital", so the grid worker stops asking for check-ins."""
    from epigrid.health.models import Observation
    from epigrid.health.models import Status as ObservationStatus
    from epigrid.health.services import observation_send_to_hospital

    if case.classification not in INFECTED:
        return
    running = Observation.objects.filter(resident_id=case.resident_id, status=ObservationStatus.ACTIVE).first()
    if running is not None:
        observation_send_to_hospital(actor=actor, uid=running.uid)


def _contact_became_case(actor, case: Case) -> None:
    """A contact under management who becomes a case keeps the chain: the contact ends as "became a case",
    and a case whose exposures all came from one case is linked to it as its infector."""
    contact = Contact.objects.filter(resident=case.resident, status=ContactStatus.MANAGED).first()
    if contact is None:
        return
    Contact.objects.filter(pk=contact.pk).update(status=ContactStatus.BECAME_CASE, case=case, ended_at=timezone.now())
    # Reaching, placing and testing a person who is now a case is the case's care, not a contact's task.
    TracingTask.objects.filter(contact=contact, status=TaskStatus.OPEN).update(status=TaskStatus.CANCELLED,
                                                                              escalate_at=None)
    epi_audit(actor, "contact.became_case", "contact", contact, {"status": [contact.status, ContactStatus.BECAME_CASE]})
    sources = set(contact.exposures.exclude(source_case=None).exclude(
        source_case__classification=Classification.EXCLUDED).values_list("source_case", flat=True))
    if len(sources) == 1:
        link = Link.objects.create(infector_id=sources.pop(), infectee=case, grid_code=case.grid_code,
                                   evidence="shared_exposure", created_by=actor_user(actor))
        epi_audit(actor, "link.create", "link", link, {"evidence": "shared_exposure"})


@service
def case_create(*, actor: Actor, data: dict, resident=None, person: dict | None = None, client_id: str | None = None,
                alert: Alert | None = None, arrival: Arrival | None = None) -> tuple[Case, bool]:
    """Report a case of a registered person (`resident`: a Resident or its uid) or of a new person
    (`person`: the registry's fields). Returns (case, created): a retry with the same `client_id` answers
    the stored case. A person with a case still running (not excluded, no outcome) cannot get another."""
    if client_id:
        stored = Case.objects.restrict(actor, EPI_EDIT).filter(client_id=client_id).first()
        if stored is not None:
            return stored, False
        if Case.objects.filter(client_id=client_id).exists():
            raise Conflict(_("This client id is already used."), [FieldError("client_id", _("already used"))])
    today = today_local()
    values, errors = clean_case(data, today=today)
    if errors:
        raise ServiceError(_("Please correct the marked fields."), errors)
    with transaction.atomic():
        resident = _person(actor, resident, person)
        running = cases_running().filter(resident=resident)
        if running.exists():
            raise Conflict(_("This person is already a case."), [FieldError("resident", _("already a case: %(n)s")
                                                                            % {"n": running.first().number})])
        for _attempt in range(5):
            case = Case(resident=resident, grid_code=resident.grid_code, city_code=resident.grid_code[:4],
                        reporting_code=_reporting_code(actor, resident.grid_code),
                        number=_number_next(resident.grid_code[:4], values["report_date"]), client_id=client_id or None,
                        alert=alert, arrival=arrival, created_by=actor_user(actor), **values)
            try:
                with transaction.atomic():
                    case.save()
                break
            except IntegrityError:
                if client_id and Case.objects.filter(client_id=client_id).exists():
                    raise Conflict(_("This client id is already used."), [FieldError("client_id", _("already used"))]) from None
        else:
            raise Conflict(_("Please try again."))
        _history(case, actor, values, {}, values["report_date"])
        epi_audit(actor, "case.create", "case", case, {k: "set" for k in values})
        _contact_became_case(actor, case)
        _to_hospital(actor, case)
    return case, True


@service
def case_update(*, actor: Actor, uid, data: dict) -> Case:
    """Change a case's clinical and administrative fields (not its classification: case_reclassify)."""
    case = writable(Case, actor=actor, uid=uid, message=_("No such case."))
    data = {k: v for k, v in data.items() if k != "classification"}
    values, errors = clean_case(data, today=today_local(), current=case)
    if errors:
        raise ServiceError(_("Please correct the marked fields."), errors)
    previous = {f: getattr(case, f) for f in values}
    changed = {f: v for f, v in values.items() if previous[f] != v}
    if not changed:
        return case
    with transaction.atomic():
        for f, v in changed.items():
            setattr(case, f, v)
        case.updated_at = timezone.now()
        case.save(update_fields=[*changed, "updated_at"])
        _history(case, actor, changed, previous, changed.get("outcome_date") or today_local())
        epi_audit(actor, "case.update", "case", case, {f: "changed" for f in changed})
    return case


@service
def case_reclassify(*, actor: Actor, uid, classification: str, on: date | None = None) -> Case:
    """Suspected -> confirmed, asymptomatic or excluded; asymptomatic -> confirmed. The change is kept as
    history with its day (`on`, default today: the diagnosis date of a confirmation when not yet set)."""
    case = writable(Case, actor=actor, uid=uid, message=_("No such case."))
    today = today_local()
    on = on or today
    errors = date_errors({"on": on}, today)
    if classification not in Classification.values:
        errors.append(FieldError("classification", _("one of %(v)s") % {"v": ", ".join(Classification.values)}))
    elif classification not in RECLASSIFY[case.classification]:
        errors.append(FieldError("classification", _("a %(a)s case cannot become %(b)s") % {
            "a": case.get_classification_display(), "b": Classification(classification).label}))
    if errors:
        raise ServiceError(_("Please correct the marked fields."), errors)
    previous = case.classification
    with transaction.atomic():
        updated = Case.objects.filter(pk=case.pk, classification=previous).update(
            classification=classification, updated_at=timezone.now(),
            diagnosis_date=case.diagnosis_date or (on if classification != Classification.EXCLUDED else None))
        if not updated:
            raise Conflict(_("This case was changed meanwhile; please reload."))
        case.refresh_from_db()
        _history(case, actor, {"classification": classification}, {"classification": previous}, on)
        epi_audit(actor, "case.reclassify", "case", case, {"classification": [previous, classification]})
        _to_hospital(actor, case)
    return case


@service
def case_from_alert(*, actor: Actor, alert_id: int) -> Case:
    """One action on a health alert (fever, symptoms): a suspected case of the person under observation,
    found through observation, onset on the alert's day; the alert is marked handled."""
    alert = (Alert.objects.restrict(actor, EPI_EDIT).filter(pk=alert_id).select_related("observation__resident")
             .first() if isinstance(alert_id, int) else None)
    if alert is None or alert.kind == "overdue":
        raise NotFound(_("No such alert."))
    with transaction.atomic():
        case, _created = case_create(actor=actor, resident=alert.observation.resident, alert=alert, data={
            "classification": Classification.SUSPECTED, "found_by": FoundBy.OBSERVATION, "onset_date": alert.date})
        if alert.status == AlertStatus.OPEN:
            Alert.objects.filter(pk=alert.pk).update(status=AlertStatus.HANDLED, handled_at=timezone.now(),
                                                     handled_by=actor_user(actor))
    return case


@service
def case_from_arrival(*, actor: Actor, uid) -> Case:
    """One action on an arrival registration: a suspected imported case of the arriving person."""
    key = as_uuid(uid)
    arrival = Arrival.objects.restrict(actor, EPI_EDIT).filter(uid=key).select_related("resident").first() if key else None
    if arrival is None:
        raise NotFound(_("No such arrival."))
    onset = arrival.arrival_date if arrival.symptoms else None
    case, _created = case_create(actor=actor, resident=arrival.resident, arrival=arrival, data={
        "classification": Classification.SUSPECTED, "found_by": FoundBy.ARRIVAL, "imported": True, "onset_date": onset})
    return case

