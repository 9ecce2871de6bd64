"""Who acts. Every service takes one explicit principal as `actor`, never None:

- a logged-in user (an `AbstractBaseUser`): their memberships decide where they may do what;
- `SYSTEM`: the command line and scheduled tasks, with every right, audited as "system";
- `PUBLIC`: an anonymous visitor of a public page (arrival registration, incident report), with no right
  over any existing record: it may only create what the page offers;
- a `LinkPrincipal`: a resident (or enterprise) acting through a signed personal link, limited to that
  one record.

The scoping rule (core.scoping) and the audit (core.audit) handle each kind here, once. `@service` marks
a service function and refuses anything else as its actor, so a view that passes None or an
`AnonymousUser` by mistake fails loudly instead of getting full (or no) access silently.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Union

from django.contrib.auth.base_user import AbstractBaseUser


@dataclass(frozen=True)
class SystemPrincipal:
    """The operator at the command line, or a scheduled task: every right, audited as such."""

    audit_name = "system"

    def __str__(self) -> str:
        return self.audit_name


@dataclass(frozen=True)
class PublicPrincipal:
    """An anonymous member of the public on a public page: may create, never change or read back."""

    audit_name = "public"

    def __str__(self) -> str:
        return self.audit_name


@dataclass(frozen=True)
class LinkPrincipal:
    """A person acting through a signed personal link: `kind` names the record type and `object_id` the
    one record the link opens; nothing else is within its reach."""

    kind: str
    object_id: str
    jurisdiction_code: str = ""

    @property
    def audit_name(self) -> str:
        return f"link:{self.kind}"

    def __str__(self) -> str:
        return self.audit_name

    def opens(self, kind: str, object_id) -> bool:
        """Whether this link is the one for that record."""
        value = object_id.hex if hasattr(object_id, "hex") else str(object_id)
        return self.kind == kind and self.object_id == value


SYSTEM = SystemPrincipal()
PUBLIC = PublicPrincipal()

Actor = Union[AbstractBaseUser, SystemPrincipal, PublicPrincipal, LinkPrincipal]  # noqa: UP007 (a runtime alias)


def is_user(actor) -> bool:
    """A logged-in user (AnonymousUser is not an AbstractBaseUser)."""
    return isinstance(actor, AbstractBaseUser) and actor.is_authenticated


def check_actor(actor) -> Actor:
    if is_user(actor) or isinstance(actor, SystemPrincipal | PublicPrincipal | LinkPrincipal):
        return actor
    raise TypeError(f"a service needs a principal (a user, SYSTEM, PUBLIC or a link), not {actor!r}")


def actor_user(actor):
    """The user behind the actor, for foreign keys such as `reported_by`; None for the other kinds."""
    return actor if is_user(actor) else None


def require_user(actor) -> None:
    """For work only a person with an account does (a patrol, a token of their own)."""
    from django.utils.translation import gettext as _

    from .errors import PermissionDenied

    if not is_user(actor):
        raise PermissionDenied(_("Only a logged-in user may do this."))


def service(fn):
    """Mark a service: its keyword `actor` must be a principal (checked before anything else runs)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        check_actor(kwargs.get("actor"))
        return fn(*args, **kwargs)

    wrapper.is_service = True
    return wrapper
