"""Infector -> infectee links between cases, with their evidence. A case is never its own infector, and
the links never form a cycle (an infectee cannot be an ancestor of its infector)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from epigrid.accounts.roles import EPI_EDIT
from epigrid.core.errors import Conflict, FieldError, NotFound, ServiceError
from epigrid.core.principals import Actor, actor_user, service
from epigrid.core.validators import text_problem

from ..models import Case, Evidence, Link
from .common import as_uuid, epi_audit, writable

__all__ = ["link_create", "link_delete", "ancestors_of"]

MAX_DEPTH = 1000  # a chain longer than any outbreak's: the walk stops there


def ancestors_of(case_id: int) -> set[int]:
    """Every case above this one through infector links (one indexed query per generation)."""
    seen: set[int] = set()
    frontier = {case_id}
    for _depth in range(MAX_DEPTH):
        frontier = set(Link.objects.filter(infectee_id__in=frontier).values_list("infector_id", flat=True)) - seen
        if not frontier:
            break
        seen |= frontier
    return seen


def _case(actor, uid, field: str) -> Case:
    key = as_uuid(uid)
    case = Case.objects.restrict(actor, EPI_EDIT).filter(uid=key).first() if key else None
    if case is None:
        raise NotFound(_("No such case."), [FieldError(field, _("not found in your jurisdiction"))])
    return case


@service
def link_create(*, actor: Actor, infector, infectee, evidence: str, notes: str = "") -> Link:
    errors = []
    if evidence not in Evidence.values:
        errors.append(FieldError("evidence", _("one of %(v)s") % {"v": ", ".join(Evidence.values)}))
    problem = text_problem(notes or "", max_length=300, required=False)
    if problem:
        errors.append(FieldError("notes", problem))
    if errors:
        raise ServiceError(_("Please correct the marked fields."), errors)
    source, target = _case(actor, infector, "infector"), _case(actor, infectee, "infectee")
    if source.pk == target.pk:
        raise ServiceError(_("Please correct the marked fields."),
                           [FieldError("infector", _("a case cannot be its own infector"))])
    with transaction.atomic():
        if target.pk in ancestors_of(source.pk):
            raise ServiceError(_("Please correct the marked fields."), [FieldError(
                "infector", _("%(b)s is already upstream of %(a)s: the link would make a cycle")
                % {"a": source.number, "b": target.number})])
        try:
            with transaction.atomic():
                link = Link.objects.create(infector=source, infectee=target, grid_code=target.grid_code,
                                           evidence=evidence, notes=notes or "", created_by=actor_user(actor))
        except IntegrityError:
            raise Conflict(_("These cases are already linked."), [FieldError("infectee", _("already linked"))]) from None
        epi_audit(actor, "link.create", "link", link, {"evidence": evidence})
    return link


@service
def link_delete(*, actor: Actor, uid) -> None:
    link = writable(Link, actor=actor, uid=uid, message=_("No such link."))
    with transaction.atomic():
        epi_audit(actor, "link.delete", "link", link, {"infector": link.infector_id, "infectee": link.infectee_id})
        link.delete()
