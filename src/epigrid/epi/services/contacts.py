"""Exposures and the contacts they make. An exposure links a source (a case, or a close contact for a
secondary contact) to a person; the person becomes a contact managed for the period the city's rule
gives from the last exposure (../rules.py), observed through the health app (so check-ins, alerts and
the grid worker's list work for contacts unchanged), with tracing tasks for their grid worker. A person
already managed as a contact, or already under observation for another reason, keeps that one record:
the new exposure is added and the period extended, never duplicated."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from epigrid.accounts.roles import EPI_EDIT
from epigrid.core.errors import Conflict, FieldError, NotFound, ServiceError
from epigrid.core.principals import Actor, actor_user, service
from epigrid.core.scoping import in_scope
from epigrid.core.validators import text_problem
from epigrid.health.models import Observation, Reason
from epigrid.health.models import Status as ObservationStatus
from epigrid.health.services import observation_start
from epigrid.residents.models import Resident

from ..clusters import place_key as normalised_place_key
from ..models import Case, Classification, Contact, ContactStatus, Degree, Exposure, Setting
from ..rules import management_period
from .cases import _person, cases_running
from .common import as_uuid, date_errors, epi_audit, today_local
from .tracing import tasks_create_for

__all__ = ["exposure_record", "place_key", "contacts_release_ended", "clean_exposure", "source_refusal",
           "observation_length"]

def place_key(setting: str, place: str, *, household_id: int | None = None) -> str:
    """What makes two exposures "the same setting": a household by its registry household, any other
    setting by its place written in one form (clusters.place_key, the rule the proposals group by)."""
    if setting == Setting.HOUSEHOLD and household_id:
        return f"household:{household_id}"
    return normalised_place_key(setting, place)


def _source(actor, source_case, source_contact) -> tuple[Resident, Case | None, Contact | None, int]:
    if (source_case is None) == (source_contact is None):
        raise ServiceError(_("Who was the source?"), [FieldError("source_case", _("give a case or a contact"))])
    model, key, field = (Case, source_case, "source_case") if source_case is not None else (Contact, source_contact,
                                                                                              "source_contact")
    uid = as_uuid(key.uid if isinstance(key, model) else key)
    obj = model.objects.restrict(actor, EPI_EDIT).filter(uid=uid).select_related("resident").first() if uid else None
    if obj is None:
        raise NotFound(_("No such source."), [FieldError(field, _("not found in your jurisdiction"))])
    refusal = source_refusal(obj)
    if refusal is not None:
        raise ServiceError(_("Please correct the marked fields."), [refusal])
    if isinstance(obj, Case):
        return obj.resident, obj, None, Degree.CLOSE
    return obj.resident, None, obj, Degree.SECONDARY


def source_refusal(source: Case | Contact) -> FieldError | None:
    """Why this case or contact cannot be the source of an exposure (None: it can). Also the import's rule."""
    if isinstance(source, Case):
        if source.classification == Classification.EXCLUDED:
            return FieldError("source_case", _("an excluded case exposes nobody"))
        return None
    if source.degree >= Degree.SECONDARY:
        return FieldError("source_contact", _("contacts of secondary contacts are not traced"))
    return None


def observation_length(end, today) -> int:
    """The days of an observation started today for a management ending on `end` (observation_start's
    `days`, 1 to 60)."""
    return min(60, max(1, (end - today).days))


def clean_exposure(setting, place, seat, notes, first_date, last_date, today) -> list[FieldError]:
    errors = []
    if setting not in Setting.values:
        errors.append(FieldError("setting", _("one of %(v)s") % {"v": ", ".join(Setting.values)}))
    for field, value, limit in (("place", place, 100), ("seat", seat, 20), ("notes", notes, 300)):
        problem = text_problem(value or "", max_length=limit, required=False)
        if problem:
            errors.append(FieldError(field, problem))
    if first_date is None:
        errors.append(FieldError("first_date", _("required")))
    if last_date is None:
        errors.append(FieldError("last_date", _("required")))
    errors += date_errors({"first_date": first_date, "last_date": last_date}, today)
    if not errors and last_date < first_date:
        errors.append(FieldError("last_date", _("before the first exposure (%(d)s)") % {"d": first_date}))
    return errors


def _observe(actor, contact: Contact, end, kind: str, today) -> None:
    """Put the contact under observation until `end`, or extend the observation already running."""
    running = Observation.objects.filter(resident_id=contact.resident_id, status=ObservationStatus.ACTIVE).first()
    if running is not None:
        if running.planned_end < end:
            Observation.objects.filter(pk=running.pk).update(planned_end=end)
            epi_audit(actor, "observation.extend", "observation", running,
                      {"planned_end": [str(running.planned_end), str(end)]})
        contact.observation = running
    else:
        contact.observation = observation_start(actor=actor, resident=contact.resident, kind=kind,
                                                reason=Reason.CLOSE_CONTACT, start=today,
                                                days=observation_length(end, today))
    Contact.objects.filter(pk=contact.pk).update(observation=contact.observation)


@service
def exposure_record(*, actor: Actor, setting: str, first_date, last_date, source_case=None, source_contact=None,
                    resident=None, person: dict | None = None, place: str = "", seat: str = "", notes: str = "",
                    client_id: str | None = None) -> tuple[Exposure, bool]:
    """Record that a source exposed a person (a registered `resident`, or a new `person`), making them a
    close contact (source: a case) or a secondary contact (source: a close contact) and starting or
    extending their management and observation. Returns (exposure, created); idempotent by client_id."""
    if client_id:
        stored = Exposure.objects.restrict(actor, EPI_EDIT).filter(client_id=client_id).first()
        if stored is not None:
            return stored, False
        if Exposure.objects.filter(client_id=client_id).exists():
            raise Conflict(_("This client id is already used."), [FieldError("client_id", _("already used"))])
    today = today_local()
    errors = clean_exposure(setting, place, seat, notes, first_date, last_date, today)
    if errors:
        raise ServiceError(_("Please correct the marked fields."), errors)
    source, source_case, source_contact, degree = _source(actor, source_case, source_contact)
    with transaction.atomic():
        target = _person(actor, resident, person)
        if target.pk == source.pk:
            raise ServiceError(_("Please correct the marked fields."),
                               [FieldError("resident", _("a person cannot be their own contact"))])
        if not in_scope(actor, EPI_EDIT, target.grid_code):
            raise NotFound(_("No such person."), [FieldError("resident", _("no such person in your jurisdiction"))])
        if cases_running().filter(resident=target).exists():
            raise Conflict(_("This person is already a case."),
                           [FieldError("resident", _("already a case: link the two cases instead"))])
        contact = _contact_for(actor, target, degree, last_date, today)
        exposure = Exposure.objects.create(
            source=source, source_case=source_case, source_contact=source_contact, person=target, contact=contact,
            grid_code=target.grid_code, setting=setting, place=place or "", seat=seat or "", notes=notes or "",
            place_key=place_key(setting, place, household_id=source.household_id
                                if source.household_id == target.household_id else None),
            first_date=first_date, last_date=last_date, client_id=client_id or None, created_by=actor_user(actor))
        epi_audit(actor, "exposure.create", "exposure", exposure, {"setting": setting, "degree": degree})
    return exposure, True


def _contact_for(actor, person: Resident, degree: int, last_exposure, today) -> Contact:
    """The person's managed contact record, extended to this exposure, or a new one (with its
    observation and tasks)."""
    period = management_period(last_exposure, today)
    contact = Contact.objects.select_for_update().filter(resident=person, status=ContactStatus.MANAGED).first()
    if contact is not None:
        changes = {}
        if last_exposure > contact.last_exposure:
            changes.update(last_exposure=last_exposure, management_end=period.end)
        if degree < contact.degree:
            changes["degree"] = degree
        if changes:
            Contact.objects.filter(pk=contact.pk).update(**changes)
            epi_audit(actor, "contact.extend", "contact", contact,
                      {k: [str(getattr(contact, k)), str(v)] for k, v in changes.items()})
            for k, v in changes.items():
                setattr(contact, k, v)
            if "management_end" in changes and period.end >= today:
                _observe(actor, contact, period.end, period.kind, today)
        return contact
    ended = period.end < today  # the period passed already: recorded for the chain, not managed
    contact = Contact.objects.create(
        resident=person, grid_code=person.grid_code, city_code=person.grid_code[:4], degree=degree,
        last_exposure=last_exposure, management_end=period.end, rule=period.rule,
        status=ContactStatus.RELEASED if ended else ContactStatus.MANAGED, ended_at=timezone.now() if ended else None)
    epi_audit(actor, "contact.create", "contact", contact, {"degree": degree, "rule": period.rule})
    if not ended:
        _observe(actor, contact, period.end, period.kind, today)
        tasks_create_for(actor=actor, contact=contact)
    return contact


@service
def contacts_release_ended(*, actor: Actor, now=None) -> int:
    """Contacts whose management period is over are released (the scheduled task; the observation itself
    is released by staff as always). Returns how many."""
    today = today_local(now)
    qs = Contact.objects.restrict(actor, EPI_EDIT).filter(status=ContactStatus.MANAGED,
                                                          management_end__lt=today)
    done = 0
    for contact in qs.iterator():
        if Contact.objects.filter(pk=contact.pk, status=ContactStatus.MANAGED).update(
                status=ContactStatus.RELEASED, ended_at=timezone.now()):
            epi_audit(actor, "contact.release", "contact", contact, {"status": [ContactStatus.MANAGED,
                                                                                 ContactStatus.RELEASED]})
            done += 1
    return done
