"""Scoped reads of the registry: search by name, pinyin or initials; the matches waiting for a decision."""

from __future__ import annotations

import re

from django.db.models import F, Q
from django.utils.translation import gettext as _

from epigrid.accounts.roles import RESIDENTS_EDIT, RESIDENTS_VIEW
from epigrid.core import pii
from epigrid.core.errors import NotFound
from epigrid.core.scoping import narrow_within
from epigrid.core.validators import compact_id_number, normalise_phone

from .models import HOLDS_NUMBER, Resident, ResidentMatch

_ID_LIKE = re.compile(r"^[0-9]{17}[0-9Xx]$")
_PHONE_LIKE = re.compile(r"^\+?[0-9 -]{7,16}$")
_LATIN = re.compile(r"^[A-Za-z]+$")


def personal_value(q: str) -> tuple[str, str] | None:
    """("id_number" | "phone", blind index) when `q` is an ID number or a phone, else None. Such values
    are looked up exactly (services.residents_lookup: audited and rate-limited), never searched for."""
    q = (q or "").strip()
    if _ID_LIKE.match(q):
        return "id_number", pii.blind_index(compact_id_number(q), "id_number")
    if _PHONE_LIKE.match(q):
        phone, problem = normalise_phone(q)
        return "phone", pii.blind_index(phone, "phone") if not problem else "-"
    return None


def with_id_number(index: str) -> Q:
    """The records with this ID number (its blind index): the one holding it in each city, found through
    the unique constraint's index, and the newer records stored beside one of those (duplicate_of, which
    always shares its holder's number), through theirs. What filter(id_number_index=index) means, but
    with an index for each part: a plain index on the blind index would cost every insert."""
    holders = list(Resident.objects.filter(HOLDS_NUMBER, id_number_index=index).values_list("pk", flat=True))
    return Q(pk__in=holders) | Q(duplicate_of__in=holders, id_number_index=index)


def residents_search(*, user, q: str = "", within: str = "", tag: int = 0):
    """Residents in the user's scope. `q`: a name (contains), its pinyin or initials (starts with). An
    ID number or phone in `q` finds nothing here: those go through the look-up."""
    qs = Resident.objects.restrict(user, RESIDENTS_VIEW).filter(anonymised_at__isnull=True)
    qs = narrow_within(qs, within)
    if tag:
        qs = qs.annotate(tag_bits=F("tags").bitand(tag)).filter(tag_bits=tag)
    q = (q or "").strip()
    if not q:
        return qs
    if personal_value(q) is not None:
        return qs.none()
    if _LATIN.match(q):
        q = q.lower()
        return qs.filter(Q(name_pinyin__startswith=q) | Q(name_initials__startswith=q))
    return qs.filter(name__contains=q)


def matches_pending(*, user):
    """Records registered elsewhere with the same ID number as a record the user may edit, waiting for
    their decision (see services.resident_match_accept)."""
    return (ResidentMatch.objects.restrict(user, RESIDENTS_EDIT).filter(status=ResidentMatch.Status.PENDING)
            .select_related("record", "existing").order_by("created_at"))


def resident_get(*, user, uid) -> Resident:
    resident = Resident.objects.restrict(user, RESIDENTS_VIEW).filter(uid=uid, anonymised_at__isnull=True).first()
    if resident is None:
        raise NotFound(_("No such resident."))
    return resident


