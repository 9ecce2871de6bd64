"""Scoped reads of cases, contacts, exposures, trajectory and tracing tasks. A case is read by the
jurisdiction of its address grid and by the unit that reported it (Case.scope_also); everything else by
the grid of the person it is about. Chains and clusters are read in chains.py and clusters.py."""

from __future__ import annotations

from datetime import date

from django.db.models import Q
from django.utils.translation import gettext as _

from epigrid.accounts.roles import EPI_VIEW
from epigrid.core.errors import NotFound
from epigrid.core.principals import is_user
from epigrid.core.scoping import narrow_within

from .models import Case, CaseChange, Contact, Exposure, Link, TaskStatus, TracingTask, TrajectoryEntry
from .services import as_uuid


def cases_list(*, user, classification: str = "", within: str = "", q: str = "", found_by: str = "",
               outcome: str = "", imported: bool | None = None, reported_from: date | None = None,
               reported_to: date | None = None, action: str = EPI_VIEW):
    qs = Case.objects.restrict(user, action).select_related("resident")
    qs = narrow_within(qs, within)
    if classification:
        qs = qs.filter(classification=classification)
    if found_by:
        qs = qs.filter(found_by=found_by)
    if outcome == "none":
        qs = qs.filter(outcome="")
    elif outcome:
        qs = qs.filter(outcome=outcome)
    if imported is not None:
        qs = qs.filter(imported=imported)
    if reported_from:
        qs = qs.filter(report_date__gte=reported_from)
    if reported_to:
        qs = qs.filter(report_date__lte=reported_to)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(number__startswith=q) | Q(resident__name__contains=q))
    return qs


def case_get(*, user, uid, action: str = EPI_VIEW) -> Case:
    key = as_uuid(uid)
    case = cases_list(user=user, action=action).filter(uid=key).first() if key else None
    if case is None:
        raise NotFound(_("No such case."))
    return case


def case_history(*, case: Case):
    return CaseChange.objects.filter(case=case).select_related("by")


def contacts_list(*, user, status: str = "", degree: int | None = None, within: str = "", q: str = "",
                  case=None, action: str = EPI_VIEW):
    qs = Contact.objects.restrict(user, action).select_related("resident", "observation")
    qs = narrow_within(qs, within)
    if status:
        qs = qs.filter(status=status)
    if degree:
        qs = qs.filter(degree=degree)
    if case is not None:
        qs = qs.filter(exposures__source_case=case).distinct()
    q = (q or "").strip()
    if q:
        qs = qs.filter(resident__name__contains=q)
    return qs


def contact_get(*, user, uid, action: str = EPI_VIEW) -> Contact:
    key = as_uuid(uid)
    contact = contacts_list(user=user, action=action).filter(uid=key).first() if key else None
    if contact is None:
        raise NotFound(_("No such contact."))
    return contact


def exposures_list(*, user, case=None, contact=None, person=None, action: str = EPI_VIEW):
    """Exposures the user may read: those of people in scope (the exposed person's grid)."""
    qs = Exposure.objects.restrict(user, action).select_related("source", "person", "source_case", "contact")
    if case is not None:
        qs = qs.filter(source_case=case)
    if contact is not None:
        qs = qs.filter(contact=contact)
    if person is not None:
        qs = qs.filter(Q(person=person) | Q(source=person))
    return qs


def links_of(*, user, case: Case, action: str = EPI_VIEW):
    """The case's infectors and infectees the user may read."""
    visible = Case.objects.restrict(user, action)
    return (Link.objects.filter(Q(infectee=case, infector__in=visible) | Q(infector=case, infectee__in=visible))
            .select_related("infector", "infectee", "infector__resident", "infectee__resident"))


def trajectory_of(*, case: Case):
    return TrajectoryEntry.objects.filter(case=case)


def tasks_list(*, user, status: str = TaskStatus.OPEN, mine: bool = False, within: str = "", overdue: bool = False,
               action: str = EPI_VIEW):
    """Tracing tasks in scope, or given to the user; `mine`: only the user's own."""
    qs = TracingTask.objects.restrict(user, action)
    if is_user(user):
        qs = TracingTask.objects.filter(Q(pk__in=qs.values("pk")) | Q(assignee=user)) if not mine else \
            TracingTask.objects.filter(assignee=user)
    qs = narrow_within(qs.select_related("contact", "contact__resident", "assignee"), within)
    if status:
        qs = qs.filter(status=status)
    if overdue:
        qs = qs.filter(overdue=True)
    return qs


def task_get(*, user, uid) -> TracingTask:
    key = as_uuid(uid)
    task = tasks_list(user=user, status="").filter(uid=key).first() if key else None
    if task is None:
        raise NotFound(_("No such task."))
    return task


def trajectory_entry_get(*, user, uid, action: str = EPI_VIEW) -> TrajectoryEntry:
    """One trajectory entry the user may read (its case's grid), with its case."""
    key = as_uuid(uid)
    entry = (TrajectoryEntry.objects.restrict(user, action).select_related("case", "case__resident")
             .filter(uid=key).first() if key else None)
    if entry is None:
        raise NotFound(_("No such trajectory entry."))
    return entry


def tasks_by_urgency(qs):
    """Open tasks with the overdue and most escalated first, then by deadline."""
    return qs.order_by("-overdue", "-escalation_level", "deadline", "id")
