"""Scoped reads of the registry: search by name, pinyin or initials, and exactly by ID number or phone."""

from __future__ import annotations

import re

from django.db.models import F, Q
from django.utils.translation import gettext as _

from epigrid.accounts.roles import RESIDENTS_VIEW
from epigrid.core import pii
from epigrid.core.errors import NotFound
from epigrid.core.scoping import code_level, code_prefix, prefix_q
from epigrid.core.validators import compact_id_number, normalise_phone

from .models import Resident

_ID_LIKE = re.compile(r"^[0-9]{17}[0-9Xx]$")
_PHONE_LIKE = re.compile(r"^\+?[0-9 -]{7,16}$")
_LATIN = re.compile(r"^[A-Za-z]+$")


def residents_search(*, user, q: str = "", within: str = "", tag: int = 0):
    """Residents in the user's scope. `q`: an ID number or phone (exact, through the blind index), a
    name (contains), its pinyin or initials (starts with). Personal values are never compared in
    plaintext: the database holds none."""
    qs = Resident.objects.restrict(user, RESIDENTS_VIEW).filter(anonymised_at__isnull=True)
    if within:
        if code_level(within) is None:
            return qs.none()
        qs = qs.filter(prefix_q("grid_code", code_prefix(within)))
    if tag:
        qs = qs.annotate(tag_bits=F("tags").bitand(tag)).filter(tag_bits=tag)
    q = (q or "").strip()
    if not q:
        return qs
    if _ID_LIKE.match(q):
        return qs.filter(id_number_index=pii.blind_index(compact_id_number(q), "id_number"))
    if _PHONE_LIKE.match(q):
        phone, problem = normalise_phone(q)
        return qs.filter(phone_index=pii.blind_index(phone, "phone")) if not problem else qs.none()
    if _LATIN.match(q):
        q = q.lower()
        return qs.filter(Q(name_pinyin__startswith=q) | Q(name_initials__startswith=q))
    return qs.filter(name__contains=q)


def resident_get(*, user, uid) -> Resident:
    resident = Resident.objects.restrict(user, RESIDENTS_VIEW).filter(uid=uid, anonymised_at__isnull=True).first()
    if resident is None:
        raise NotFound(_("No such resident."))
    return resident


def resident_by_id_number(*, user, id_number: str) -> Resident:
    """Exact lookup by ID number (any type), within the user's scope."""
    index = pii.blind_index(compact_id_number(id_number), "id_number")
    resident = residents_search(user=user).filter(id_number_index=index).first()
    if resident is None:
        raise NotFound(_("No such resident."))
    return resident
