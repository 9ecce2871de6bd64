"""Jurisdiction scoping, written once.

Every division and grid has its national code: 12 digits for a division (GB/T 2260 county code + 3 street
+ 3 community digits, zero-padded above the community level), 15 for a grid (its community's code + a
3-digit sequence). A membership grants a role at one node; what the user may see is the subtree under it,
i.e. every code that starts with the node's significant prefix. Models opt in with `scope_field` and
`ScopedQuerySet`; views, API and selectors call `.restrict(user, action)` and never filter by hand.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .principals import SYSTEM, is_user
from .validators import is_ascii_digits

# The one action core itself checks (the audit log); every other action belongs to its app.
AUDIT_VIEW = "audit.view"
# Export a list one reads to XLSX (core.lists); personal values in full only with PII reveal and a reason.
LIST_EXPORT = "lists.export"

# What each role may do, and which actions read only one's own records: the table lives with the roles
# (accounts/roles.py), which hands it over at start-up (AccountsConfig.ready), so that core imports no app.
ROLE_ACTIONS: dict[str, frozenset[str]] = {}
OWN_RECORDS: dict[str, tuple[str, ...]] = {}


def roles_register(*, role_actions: dict, own_records: dict) -> None:
    # The very tables of accounts/roles.py, not copies: one table, wherever it is read or changed.
    global ROLE_ACTIONS, OWN_RECORDS
    ROLE_ACTIONS = role_actions
    OWN_RECORDS = own_records

LEVELS = ("province", "city", "district", "street", "community", "grid")
# Province-level codes of the 直辖市 (Beijing, Tianjin, Shanghai, Chongqing): municipalities whose districts
# sit right under the province-level code, and which nobody calls a province. Compared by code, never name.
MUNICIPALITIES = frozenset({"11", "12", "31", "50"})
PREFIX_DIGITS = {"province": 2, "city": 4, "district": 6, "street": 9, "community": 12, "grid": 15}


def code_level(code: str) -> str | None:
    """The level a code denotes by its shape, or None if it is not a valid division or grid code."""
    if not is_ascii_digits(code):
        return None
    if len(code) == 15:
        return "grid" if code[12:] != "000" and code_level(code[:12]) == "community" else None
    if len(code) != 12:
        return None
    if code[9:] != "000":
        return "community" if code[6:9] != "000" else None
    if code[6:9] != "000":
        return "street" if code[4:6] != "00" else None
    if code[4:6] != "00":
        return "district"
    if code[2:4] != "00":
        return "city"
    return "province" if code[:2] != "00" else None


def code_prefix(code: str) -> str:
    """The significant digits of a code: every code in its subtree starts with them."""
    level = code_level(code)
    if level is None:
        raise ValueError(f"not a division or grid code: {code!r}")
    return code[: PREFIX_DIGITS[level]]


def prefix_upper(prefix: str) -> str | None:
    """The least digit string above every code that starts with `prefix` (None: no upper bound).

    Codes are digits only, so that is the prefix plus one; all-nines prefixes have no upper bound.
    """
    stripped = prefix.rstrip("9")
    if not stripped:
        return None
    return stripped[:-1] + str(int(stripped[-1]) + 1)


def prefix_q(field: str, prefix: str) -> Q:
    """Codes starting with `prefix`, as an index-friendly range instead of LIKE: SQLite cannot use an
    index for Django's `LIKE ... ESCAPE`, PostgreSQL only with pattern_ops, while a range on the
    unique code index works on both."""
    if not prefix:
        return Q()
    upper = prefix_upper(prefix)
    if upper is None:
        return Q(**{f"{field}__gte": prefix})
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": upper})


def ancestor_codes(code: str) -> list[str]:
    """The 12-digit codes of every division above a division or grid code, top first (empty for an
    invalid code). A grid's own community is among them; a division is not its own ancestor."""
    level = code_level(code)
    if level is None:
        return []
    return [code[: PREFIX_DIGITS[above]].ljust(12, "0") for above in LEVELS[: LEVELS.index(level)]]


def narrow_within(qs: QuerySet, within: str, field: str = "grid_code") -> QuerySet:
    """Rows whose `field` lies in the subtree of `within` (a division or grid code; empty: no narrowing).
    An invalid code matches nothing. Narrowing only: the scope is `restrict`'s job."""
    if not within:
        return qs
    if code_level(within) is None:
        return qs.none()
    return qs.filter(prefix_q(field, code_prefix(within)))


def user_prefixes(user, action: str) -> tuple[str, ...]:
    """The minimal set of code prefixes under which `user` may do `action` (empty: nowhere). SYSTEM may do
    anything anywhere (the empty prefix); PUBLIC and link principals hold no jurisdiction at all: the
    services that accept them check the one record they may touch. An anonymous visitor (Django's
    AnonymousUser) may do nothing; None is a programming error, never "everyone"."""
    if user is None:
        raise TypeError("scoping needs a principal, not None")
    if user is SYSTEM:
        return ("",)
    if not is_user(user) or not user.is_active:
        return ()
    cache = user.__dict__.setdefault("_epigrid_prefixes", {})
    if action not in cache:
        prefixes = sorted(
            {code_prefix(m.node_code) for m in user_memberships(user) if action in ROLE_ACTIONS[m.role]}
        )
        # Drop prefixes already covered by a shorter one (a user at a district and at one of its streets).
        minimal: list[str] = []
        for p in prefixes:
            if not any(p.startswith(m) for m in minimal):
                minimal.append(p)
        cache[action] = tuple(minimal)
    return cache[action]


def user_memberships(user) -> list:
    """The user's memberships, read once per request (the user object lives as long as the request)."""
    if "_epigrid_memberships" not in user.__dict__:
        user.__dict__["_epigrid_memberships"] = list(user.memberships.all())
    return user.__dict__["_epigrid_memberships"]


def user_memberships_known(user, memberships) -> None:
    """Memberships read together with the user (token authentication reads both in one statement)."""
    user.__dict__["_epigrid_memberships"] = list(memberships)


def in_scope(user, action: str, code: str) -> bool:
    return any(code.startswith(p) for p in user_prefixes(user, action))


def strictly_below(user, action: str, code: str) -> bool:
    """In scope and not one of the user's own nodes: a node is maintained by the level above it."""
    if not is_user(user):
        return in_scope(user, action, code)
    own = {m.node_code for m in user_memberships(user) if action in ROLE_ACTIONS[m.role]}
    return code not in own and in_scope(user, action, code)


def can(user, action: str) -> bool:
    """Whether the user may do `action` anywhere at all (for showing a menu entry or a button)."""
    return bool(user_prefixes(user, action))


def may_read(user, action: str) -> bool:
    """Whether the user reads any record of `action`'s kind: node-wide, or only their own (OWN_RECORDS)."""
    return can(user, action) or any(can(user, a) for a in OWN_RECORDS.get(action, ()))


class ScopedQuerySet(QuerySet):
    def restrict(self, user, action: str) -> QuerySet:
        # No default action: each read names what it reads (accounts.roles), so no page inherits a broad one.
        prefixes = user_prefixes(user, action)
        if not prefixes:
            return self.none()
        # A model may name further code fields that also bring a row into scope (`scope_also`: a case is
        # seen by its address grid's jurisdiction and by the unit that reported it).
        fields = (self.model.scope_field, *getattr(self.model, "scope_also", ()))
        q = Q()
        for p in prefixes:
            for field in fields:
                q |= prefix_q(field, p)
        return self.filter(q)
