"""Tracing pages about contacts and the work on them: the contact list and detail, a grid worker's own
tracing tasks (phone first, one tap to mark one done) and the tasks of a community or street with the
overdue and escalated ones first. Thin: rules in services/, reads in selectors.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from epigrid.accounts.roles import EPI_EDIT, EPI_TASK, EPI_VIEW, HEALTH_VIEW
from epigrid.core.errors import ServiceError
from epigrid.core.lists import list_view, place_names
from epigrid.core.scoping import can, in_scope
from epigrid.core.views import refused
from epigrid.core.web import field_errors

from . import selectors, services
from .lists import CONTACTS, TASKS
from .models import ContactStatus, Degree, TaskStatus
from .rules import RULES


@login_required
def contact_list(request):
    if not can(request.user, EPI_VIEW):
        return refused(request)
    g = request.GET
    raw = g.get("status", "")
    status = "" if raw == "all" else raw if raw in ContactStatus.values else ContactStatus.MANAGED
    filters = {"status": status, "degree": g.get("degree", "") if g.get("degree", "") in ("1", "2") else "",
               "within": g.get("within", "").strip()[:15], "case": ""}
    # A case outside the user's scope (or none such) is the 404 page, as its own page is.
    case = selectors.case_get(user=request.user, uid=g["case"]) if g.get("case") else None
    filters["case"] = str(case.uid) if case else ""
    qs = selectors.contacts_list(user=request.user, status=status, degree=int(filters["degree"] or 0),
                                 within=filters["within"], case=case)
    # In the address: no status is the default (managed), "all" every status.
    params = {**filters, "status": "all" if not status else "" if status == ContactStatus.MANAGED else status}
    return list_view(request, CONTACTS, qs, params=params, path=reverse("epi:contacts"),
                     template="epi/contacts.html", context={
                         "filters": filters, "statuses": ContactStatus.choices, "degrees": Degree.choices,
                         "case": case})


@login_required
def contact_detail(request, uid):
    contact = selectors.contact_get(user=request.user, uid=uid)
    tasks = list(contact.tasks.select_related("assignee", "done_by").order_by("deadline", "id"))
    rule = RULES.get(contact.rule)
    return render(request, "epi/contact.html", {
        "contact": contact, "exposures": selectors.exposures_list(user=request.user, contact=contact),
        "rule": rule.label if rule else contact.rule, "tasks": tasks, "now": timezone.now(),
        "can_observation": contact.observation_id and in_scope(request.user, HEALTH_VIEW, contact.grid_code),
        "may_act": in_scope(request.user, EPI_TASK, contact.grid_code)
        or in_scope(request.user, EPI_EDIT, contact.grid_code),
        "may_edit": in_scope(request.user, EPI_EDIT, contact.grid_code)})


def _task_cards(tasks) -> list:
    names = place_names(t.grid_code for t in tasks)
    for t in tasks:
        t.place = names.get(t.grid_code)
    return tasks


@login_required
def tasks_mine(request):
    """A grid worker's open tracing tasks, the overdue and escalated first: cards for a phone."""
    if not (can(request.user, EPI_TASK) or can(request.user, EPI_VIEW)):
        return refused(request)
    tasks = _task_cards(list(selectors.tasks_by_urgency(selectors.tasks_list(user=request.user, mine=True))))
    return render(request, "epi/tasks_mine.html", {"tasks": tasks, "now": timezone.now(),
                                                   "overdue": sum(t.overdue for t in tasks)})


@login_required
def task_list(request):
    """The tracing tasks of a community or street (in scope), the overdue and escalated first."""
    if not can(request.user, EPI_VIEW):
        return refused(request)
    g = request.GET
    status = g.get("status", "") or TaskStatus.OPEN
    filters = {"status": status if status in ("all", *TaskStatus.values) else TaskStatus.OPEN,
               "overdue": "1" if g.get("overdue") == "1" else "",
               "within": g.get("within", "").strip()[:15]}
    qs = selectors.tasks_list(user=request.user, status="" if filters["status"] == "all" else filters["status"],
                              within=filters["within"], overdue=bool(filters["overdue"]))
    # In the address: no status is the default (open).
    params = {**filters, "status": "" if filters["status"] == TaskStatus.OPEN else filters["status"]}
    return list_view(request, TASKS, qs, params=params, path=reverse("epi:tasks"), template="epi/tasks.html",
                     context={"filters": filters, "statuses": TaskStatus.choices, "now": timezone.now()})


@login_required
@require_POST
def task_done(request, uid):
    """Mark a task done with its result: the card again (htmx), or back to the page it came from."""
    result = request.POST.get("result", "")
    errors, task = {}, None
    try:
        task = services.task_complete(actor=request.user, uid=uid, result=result)
    except ServiceError as exc:
        errors = field_errors(exc, default_field="result")
    if request.headers.get("HX-Request"):
        task = task or selectors.task_get(user=request.user, uid=uid)
        _task_cards([task])
        return render(request, "epi/_task_card.html", {"t": task, "errors": errors, "result": result,
                                                       "now": timezone.now(), "just_done": not errors})
    if errors:
        messages.error(request, "; ".join(errors.values()))
    else:
        messages.success(request, _("Task done."))
    nxt = request.POST.get("next", "")
    return redirect(nxt if nxt.startswith("/") and not nxt.startswith("//") else reverse("epi:tasks_mine"))
