"""Writes to the resident registry: create, update, merge, reveal. Every one is scoped and audited; the
audit rows name the personal fields that changed, never their values."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from epigrid.accounts.roles import PII_REVEAL, RESIDENTS_EDIT
from epigrid.core import pii
from epigrid.core.audit import audit_record
from epigrid.core.errors import Conflict, FieldError, NotFound, ServiceError
from epigrid.core.scoping import in_scope
from epigrid.regions.locate import locate
from epigrid.regions.models import Grid

from .models import Resident, Source
from .validation import clean_resident

PII_FIELDS = ("id_number", "phone")


def resident_protect(values: dict, ring: pii.Keyring | None = None) -> dict:
    """Replace plaintext ID number and phone by their ciphertext and blind index (the stored form)."""
    ring = ring or pii.keyring()
    out = dict(values)
    for field in PII_FIELDS:
        if field in out:
            plain = out.pop(field)
            out[f"{field}_enc"] = pii.encrypt(plain, field, ring) if plain else None
            out[f"{field}_index"] = pii.blind_index(plain, field, ring)
    return out


def _grid_for(actor, values: dict) -> str:
    """The grid: the one given (must be in the actor's scope) or the one containing the coordinates."""
    code = values.get("grid_code")
    if code:
        if not Grid.objects.filter(code=code).exists() or (actor is not None and not in_scope(actor, RESIDENTS_EDIT, code)):
            raise ServiceError(_("Unknown grid."), [FieldError("grid_code", _("no grid %(c)s in your jurisdiction")
                                                                % {"c": code})])
        return code
    if "lon" in values:
        code = locate(values["lon"], values["lat"])
        if code is None or (actor is not None and not in_scope(actor, RESIDENTS_EDIT, code)):
            raise ServiceError(_("The location is in no grid of your jurisdiction."),
                               [FieldError("lon", _("outside every grid of your jurisdiction"))])
        return code
    raise ServiceError(_("Where does this person live?"), [FieldError("grid_code", _("give a grid or coordinates"))])


def _audit(actor, action: str, resident: Resident, fields, reason: str = "") -> None:
    audit_record(actor=actor, action=action, object_type="resident", object_id=resident.uid,
                 object_repr=resident.name if action != "resident.reveal" else "", jurisdiction_code=resident.grid_code,
                 changes={f: "changed" for f in fields}, reason=reason)


def resident_create(*, actor, data: dict, merge: bool = False, source: str = Source.MANUAL) -> Resident:
    """Register a resident. The same ID number twice in a city is a duplicate: rejected (409), or with
    `merge` the existing record is updated with the new values."""
    values, errors = clean_resident(data)
    if errors:
        raise ServiceError(_("Please correct the marked fields."), errors)
    grid_code = _grid_for(actor, values)
    stored = resident_protect(values)
    stored["grid_code"] = grid_code
    existing = Resident.objects.filter(city_code=grid_code[:4], id_number_index=stored["id_number_index"]).first()
    if existing is not None:
        if not merge or (actor is not None and not in_scope(actor, RESIDENTS_EDIT, existing.grid_code)):
            raise Conflict(_("This person is already registered."),
                           [FieldError("id_number", _("already registered; merge to update the record"))])
        return resident_update(actor=actor, uid=existing.uid, data=data)
    resident = Resident(city_code=grid_code[:4], source=source, **stored)
    if data.get("household"):
        resident.household_id = household_for(grid_code=grid_code, address=str(data["household"])[:200])
    try:
        with transaction.atomic():
            resident.save()
            _audit(actor, "resident.create", resident, values)
    except IntegrityError:
        raise Conflict(_("This person is already registered."),
                       [FieldError("id_number", _("already registered"))]) from None
    return resident


def resident_update(*, actor, uid, data: dict) -> Resident:
    values, errors = clean_resident(data, partial=True)
    if errors:
        raise ServiceError(_("Please correct the marked fields."), errors)
    resident = _editable(actor, uid)
    if "grid_code" in values or "lon" in values:
        values["grid_code"] = _grid_for(actor, values)
    stored = resident_protect(values)
    if "id_number_index" in stored and stored["id_number_index"] != resident.id_number_index and \
            Resident.objects.filter(city_code=resident.city_code, id_number_index=stored["id_number_index"]).exists():
        raise Conflict(_("This person is already registered."), [FieldError("id_number", _("already registered"))])
    changed = [k for k in values if k not in ("name_pinyin", "name_initials")]
    for key, value in stored.items():
        setattr(resident, key, value)
    resident.city_code = resident.grid_code[:4]
    resident.updated_at = timezone.now()
    with transaction.atomic():
        resident.save()
        _audit(actor, "resident.update", resident, changed)
    return resident


def _editable(actor, uid) -> Resident:
    qs = Resident.objects.all() if actor is None else Resident.objects.restrict(actor, RESIDENTS_EDIT)
    resident = qs.filter(uid=uid, anonymised_at__isnull=True).first()
    if resident is None:
        raise NotFound(_("No such resident."))
    return resident


def resident_reveal(*, actor, uid, field: str, reason: str) -> str:
    """The full ID number or phone, for a role that may see it, with a reason; always audited."""
    if field not in PII_FIELDS:
        raise ServiceError(_("Nothing to reveal."), [FieldError("field", _("one of id_number, phone"))])
    resident = Resident.objects.restrict(actor, PII_REVEAL).filter(uid=uid, anonymised_at__isnull=True).first()
    if resident is None:
        raise NotFound(_("No such resident."))
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ServiceError(_("Say why you need to see it."), [FieldError("reason", _("required"))])
    with transaction.atomic():
        _audit(actor, "resident.reveal", resident, [field], reason=reason[:500])
    return pii.decrypt(getattr(resident, f"{field}_enc"), field)


def resident_anonymise(*, actor, uid, reason: str) -> None:
    """Remove a person's identifying data now (e.g. registered by mistake, or at their request)."""
    from .retention import anonymise

    resident = _editable(actor, uid)
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ServiceError(_("Say why."), [FieldError("reason", _("required"))])
    with transaction.atomic():
        anonymise([resident.pk], timezone.now())
        _audit(actor, "resident.anonymise", resident, ["all"], reason=reason[:500])


def household_for(*, grid_code: str, address: str) -> int:
    """The household at this address in this grid (created on first use)."""
    from .models import Household

    household, _created = Household.objects.get_or_create(grid_code=grid_code, address=address)
    return household.pk
