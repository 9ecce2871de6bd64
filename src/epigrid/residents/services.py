"""Writes to the resident registry: create, update, reveal, anonymise, and the decisions on records that
share an ID number. Every one is scoped and audited; the audit rows name the personal fields that
changed, never their values.

One person, one record per city, with one exception that keeps jurisdictions (and the public) from
learning about or changing each other's records: a registration whose ID number is already held where
the registrant cannot reach it (another jurisdiction; any record, for the public) is stored as a newer
record beside the existing one (`duplicate_of`) and answered exactly like a new person. The existing
record's jurisdiction then decides (`ResidentMatch`): merge (the person moved there, or stays) or
decline. Only staff who may edit the existing record ever change or move it.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from epigrid.accounts.roles import PII_REVEAL, RESIDENTS_EDIT
from epigrid.core import pii
from epigrid.core.audit import audit_record
from epigrid.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ServiceError
from epigrid.core.principals import PUBLIC, SYSTEM, Actor, actor_user, is_user, require_user, service
from epigrid.core.reveal import reveal_reason
from epigrid.core.scoping import in_scope
from epigrid.regions.locate import locate
from epigrid.regions.models import Grid

from .models import HOLDS_NUMBER, Arrival, Resident, ResidentMatch, Source
from .signals import resident_merged, resident_moved
from .validation import clean_resident

PII_FIELDS = ("id_number", "phone")
# What a merge that moves the person takes from the newer record: where they live now.
PLACE_FIELDS = ("grid_code", "address", "lon", "lat", "household_id")


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


def _grid_for(actor: Actor, values: dict) -> str:
    """The grid: the one given (must be in the actor's scope) or the one containing the coordinates."""
    code = values.get("grid_code")
    if code:
        if not Grid.objects.filter(code=code).exists() or not in_scope(actor, RESIDENTS_EDIT, code):
            raise ServiceError(_("Unknown grid."), [FieldError("grid_code", _("no grid %(c)s in your jurisdiction")
                                                                % {"c": code})])
        return code
    if "lon" in values:
        code = locate(values["lon"], values["lat"])
        if code is None or not in_scope(actor, RESIDENTS_EDIT, code):
            raise ServiceError(_("The location is in no grid of your jurisdiction."),
                               [FieldError("lon", _("outside every grid of your jurisdiction"))])
        return code
    raise ServiceError(_("Where does this person live?"), [FieldError("grid_code", _("give a grid or coordinates"))])


def _audit(actor: Actor, action: str, resident: Resident, fields, reason: str = "", word: str = "changed") -> None:
    audit_record(actor=actor, action=action, object_type="resident", object_id=resident.uid,
                 object_repr=resident.name if action != "resident.reveal" else "", jurisdiction_code=resident.grid_code,
                 changes={f: word for f in fields}, reason=reason)


def _holder(city_code: str, index: str, *, exclude: int | None = None) -> Resident | None:
    """The record that holds this ID number in the city (not one of its newer duplicates)."""
    if not index:
        return None
    qs = Resident.objects.filter(HOLDS_NUMBER, city_code=city_code, id_number_index=index)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.first()


def _claim(actor: Actor, resident: Resident, existing: Resident, source: str) -> ResidentMatch:
    """File the newer record's match with the existing record's jurisdiction (audited there, so its
    auditors see who registered the person elsewhere; the registrant's side sees nothing of it)."""
    match = ResidentMatch.objects.create(record=resident, existing=existing, grid_code=existing.grid_code,
                                         to_grid_code=resident.grid_code, source=source)
    audit_record(actor=actor, action="resident_match.request", object_type="resident_match", object_id=match.uid,
                 jurisdiction_code=existing.grid_code, changes={"registered_in": resident.grid_code, "source": source})
    return match


@service
def resident_register(*, actor: Actor, stored: dict, grid_code: str, source: str,
                      household: str = "", fields=()) -> Resident:
    """Insert a record (values already cleaned and protected) in `grid_code`, which the caller has
    checked. If another record holds the ID number, this one is stored beside it and a match is filed
    with that record's jurisdiction; the caller cannot tell the two cases apart. Not a service of its own:
    resident_create and the arrival registration call it inside their transaction."""
    stored = {k: v for k, v in stored.items() if k != "grid_code"}
    for _attempt in range(2):
        existing = _holder(grid_code[:4], stored.get("id_number_index", ""))
        resident = Resident(city_code=grid_code[:4], source=source, grid_code=grid_code, duplicate_of=existing,
                            **stored)
        if household:
            resident.household_id = household_for(grid_code=grid_code, address=household[:200])
        try:
            with transaction.atomic():
                resident.save()
                _audit(actor, "resident.create", resident, fields)
                if existing is not None:
                    _claim(actor, resident, existing, source)
            return resident
        except IntegrityError:
            continue  # the same ID number was registered a moment ago: store beside that one
    raise Conflict(_("Please try again."))


@service
def resident_create(*, actor: Actor, data: dict, merge: bool = False, source: str = Source.MANUAL) -> Resident:
    """Register a resident. An ID number already held in the actor's own jurisdiction is a duplicate:
    refused (409), or with `merge` that record is updated. One held outside it is handled as a match (see
    the module docstring): the answer is the same as for a new person."""
    if actor is PUBLIC or not (is_user(actor) or actor is SYSTEM):
        raise PermissionDenied(_("Only staff may register residents here."))
    values, errors = clean_resident(data)
    if errors:
        raise ServiceError(_("Please correct the marked fields."), errors)
    grid_code = _grid_for(actor, values)
    stored = resident_protect(values)
    existing = _holder(grid_code[:4], stored["id_number_index"])
    if existing is not None and not in_scope(actor, RESIDENTS_EDIT, existing.grid_code):
        # Held elsewhere: the registrant's own record beside the holder (registered before) is theirs, so a
        # second registration answers as it would for a person held here, never differently.
        existing = (Resident.objects.restrict(actor, RESIDENTS_EDIT).filter(duplicate_of=existing)
                    .order_by("pk").first()) or existing
    if existing is not None and in_scope(actor, RESIDENTS_EDIT, existing.grid_code):
        if not merge:
            raise Conflict(_("This person is already registered."),
                           [FieldError("id_number", _("already registered; merge to update the record"))])
        return resident_update(actor=actor, uid=existing.uid, data=data)
    return resident_register(actor=actor, stored=stored, grid_code=grid_code, source=source,
                             household=str(data.get("household") or ""), fields=values)


@service
def resident_update(*, actor: Actor, uid, data: dict) -> Resident:
    values, errors = clean_resident(data, partial=True)
    if errors:
        raise ServiceError(_("Please correct the marked fields."), errors)
    resident = _editable(actor, uid)
    old_grid, old_index = resident.grid_code, resident.id_number_index
    if "grid_code" in values or "lon" in values:
        values["grid_code"] = _grid_for(actor, values)
    stored = resident_protect(values)
    new_index = stored.get("id_number_index", old_index)
    claim_on = None
    if new_index != old_index:
        holder = _holder(resident.city_code, new_index, exclude=resident.pk)
        if holder is not None and in_scope(actor, RESIDENTS_EDIT, holder.grid_code):
            raise Conflict(_("This person is already registered."), [FieldError("id_number", _("already registered"))])
        claim_on = holder  # held out of reach: this record becomes a newer duplicate, as at registration
    changed = [k for k in values if k not in ("name_pinyin", "name_initials")]
    for key, value in stored.items():
        setattr(resident, key, value)
    resident.city_code = resident.grid_code[:4]
    resident.updated_at = timezone.now()
    with transaction.atomic():
        if new_index != old_index:
            release_duplicates(resident)
            ResidentMatch.objects.filter(record=resident, status=ResidentMatch.Status.PENDING).delete()
            resident.duplicate_of = claim_on
        resident.save()
        _audit(actor, "resident.update", resident, changed)
        if claim_on is not None:
            _claim(actor, resident, claim_on, Source.MANUAL)
        if resident.grid_code != old_grid:
            _moved(resident, old_grid)
    return resident


def _moved(resident: Resident, old_grid: str) -> None:
    """After a grid change: matches filed with this record follow it, and so does its running work."""
    ResidentMatch.objects.filter(existing=resident, status=ResidentMatch.Status.PENDING).update(
        grid_code=resident.grid_code)
    resident_moved.send(sender=Resident, resident=resident, old_grid_code=old_grid)


def release_duplicates(resident: Resident) -> None:
    """`resident` no longer holds its ID number (changed or anonymised): the oldest of its duplicates takes
    its place, the others and their pending matches turn to that one."""
    duplicates = list(resident.duplicates.order_by("created_at", "pk"))
    if not duplicates:
        return
    heir, rest = duplicates[0], duplicates[1:]
    Resident.objects.filter(pk=heir.pk).update(duplicate_of=None)
    ResidentMatch.objects.filter(record=heir, status=ResidentMatch.Status.PENDING).delete()
    Resident.objects.filter(pk__in=[r.pk for r in rest]).update(duplicate_of=heir)
    ResidentMatch.objects.filter(existing=resident, status=ResidentMatch.Status.PENDING).update(
        existing=heir, grid_code=heir.grid_code)


def _editable(actor: Actor, uid) -> Resident:
    resident = Resident.objects.restrict(actor, RESIDENTS_EDIT).filter(uid=uid, anonymised_at__isnull=True).first()
    if resident is None:
        raise NotFound(_("No such resident."))
    return resident


@service
def resident_reveal(*, actor: Actor, uid, field: str, purpose: str, reason: str) -> str:
    """The full ID number or phone, for a role that may see it, with a purpose and a reason; audited."""
    if field not in PII_FIELDS:
        raise ServiceError(_("Nothing to reveal."), [FieldError("field", _("one of id_number, phone"))])
    resident = Resident.objects.restrict(actor, PII_REVEAL).filter(uid=uid, anonymised_at__isnull=True).first()
    if resident is None:
        raise NotFound(_("No such resident."))
    why = reveal_reason(purpose, reason)
    with transaction.atomic():
        _audit(actor, "resident.reveal", resident, [field], reason=why, word="revealed")
    return pii.decrypt(getattr(resident, f"{field}_enc"), field)


@service
def residents_lookup(*, actor: Actor, value: str):
    """Residents in the actor's scope whose ID number or phone is exactly `value` (through the blind index).
    A look-up confirms a full number behind a masked one, so each is audited (by what, how many found;
    never the value), at most LOOKUP_RATE_PER_MINUTE are allowed a minute, and past LOOKUP_ALERT_PER_HOUR in
    an hour the auditors of the user's jurisdiction get a security alert."""
    from django.conf import settings

    from epigrid.core.ratelimit import hits, rate_limit

    from .selectors import personal_value, residents_search, with_id_number

    require_user(actor)
    found = personal_value(value)
    if found is None:
        raise ServiceError(_("Not an ID number or a phone number."),
                           [FieldError("value", _("an ID number or a phone number"))])
    kind, index = found
    rate_limit("lookup", settings.LOOKUP_RATE_PER_MINUTE, f"user{actor.pk}", window=60,
               message=_("Too many look-ups in a minute; please wait a moment."))
    qs = residents_search(user=actor).filter(with_id_number(index) if kind == "id_number" else Q(phone_index=index))
    matches = list(qs.values_list("uid", flat=True)[:2])
    home = actor.home_code
    audit_record(actor=actor, action="resident.lookup", object_type="resident",
                 object_id=matches[0] if len(matches) == 1 else "", jurisdiction_code=home,
                 changes={"by": kind, "found": len(matches)})
    if hits("lookup-hour", f"user{actor.pk}", 3600) == settings.LOOKUP_ALERT_PER_HOUR:
        audit_record(actor=actor, action="security.lookup_burst", object_type="user", object_id=actor.pk,
                     object_repr=actor.get_username(), jurisdiction_code=home,
                     changes={"lookups_in_an_hour": settings.LOOKUP_ALERT_PER_HOUR})
    return qs


@service
def resident_anonymise(*, actor: Actor, uid, reason: str) -> None:
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


# -- decisions on two records of one person ---------------------------------------------------------

def _pending_match(actor: Actor, uid) -> ResidentMatch:
    match = (ResidentMatch.objects.restrict(actor, RESIDENTS_EDIT).filter(uid=uid)
             .select_related("record", "existing").first())
    if match is None or match.existing.anonymised_at is not None:
        raise NotFound(_("No such match."))
    if match.status != ResidentMatch.Status.PENDING or match.record is None:
        raise Conflict(_("This match has already been decided."))
    return match


@service
def resident_match_accept(*, actor: Actor, uid, move: bool) -> Resident:
    """The two records are one person: the newer one merges into the existing record, which moves to the
    newer record's place (`move`: the person lives there now) or stays where it is. Everything hanging on
    the newer record (arrivals, observations) follows. Decided by whoever may edit the existing record."""
    match = _pending_match(actor, uid)
    existing, record = match.existing, match.record
    old_grid = existing.grid_code
    with transaction.atomic():
        if move:
            for name in PLACE_FIELDS:
                setattr(existing, name, getattr(record, name))
        if not existing.phone_index and record.phone_index:
            existing.phone_enc, existing.phone_index = record.phone_enc, record.phone_index
        existing.updated_at = timezone.now()
        existing.save()
        Arrival.objects.filter(resident=record).update(resident=existing)
        Resident.objects.filter(duplicate_of=record).update(duplicate_of=existing)
        resident_merged.send(sender=Resident, into=existing, merged=record)
        match.status = ResidentMatch.Status.MOVED if move else ResidentMatch.Status.KEPT
        match.decided_at, match.decided_by = timezone.now(), actor_user(actor)
        match.save(update_fields=["status", "decided_at", "decided_by"])
        audit_record(actor=actor, action="resident.merge", object_type="resident", object_id=existing.uid,
                     object_repr=existing.name, jurisdiction_code=existing.grid_code,
                     changes={"merged": str(record.uid), "grid_code": [old_grid, existing.grid_code]})
        record.delete()
        if existing.grid_code != old_grid:
            _moved(existing, old_grid)
    return existing


@service
def resident_match_decline(*, actor: Actor, uid) -> ResidentMatch:
    """Not the same person, or not moving: both records stay, apart."""
    match = _pending_match(actor, uid)
    with transaction.atomic():
        match.status = ResidentMatch.Status.DECLINED
        match.decided_at, match.decided_by = timezone.now(), actor_user(actor)
        match.save(update_fields=["status", "decided_at", "decided_by"])
        audit_record(actor=actor, action="resident_match.decline", object_type="resident_match",
                     object_id=match.uid, jurisdiction_code=match.grid_code)
    return match
