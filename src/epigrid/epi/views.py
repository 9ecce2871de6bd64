"""Tracing pages about cases: the list, the detail with its history, links, exposures and trajectory,
and the forms that report, change, reclassify and link cases, record exposures and trajectory entries.
Thin: every rule is in services/, every read in selectors.py. Contacts and tasks: contact_views.py."""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from epigrid.accounts.roles import EPI_EDIT, EPI_VIEW, RESIDENTS_VIEW
from epigrid.core.errors import FieldError, NotFound, ServiceError
from epigrid.core.lists import list_view
from epigrid.core.scoping import can, in_scope
from epigrid.core.views import refused
from epigrid.core.web import form_add_errors, message_error
from epigrid.residents.selectors import residents_search

from . import selectors, services
from .forms import (
    CaseNewForm,
    ExposureForm,
    LinkForm,
    PersonNewForm,
    ReclassifyForm,
    TrajectoryForm,
    case_edit_form,
)
from .lists import CASES
from .models import Case, Classification, FoundBy, Outcome
from .services.cases import TRACKED

PICK_MAX = 20  # registered people offered by a name search on a form
EXPOSURES_SHOWN = 200


def may_edit(user, case) -> bool:
    return in_scope(user, EPI_EDIT, case.grid_code) or in_scope(user, EPI_EDIT, case.reporting_code)


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


_ALLOWED = {"classification": ("", *Classification.values), "found_by": ("", *FoundBy.values),
            "outcome": ("", "none", *[v for v in Outcome.values if v]), "imported": ("", "1", "0")}


@login_required
def case_list(request):
    if not can(request.user, EPI_VIEW):
        return refused(request)
    g = request.GET
    filters = {k: g.get(k, "") for k in _ALLOWED}
    filters = {k: (v if v in _ALLOWED[k] else "") for k, v in filters.items()}
    filters["within"] = g.get("within", "").strip()[:15]
    filters["q"] = g.get("q", "").strip()[:50]
    dates = {k: _date(g.get(k, "").strip()) for k in ("reported_from", "reported_to")}
    filters.update({k: v.isoformat() if v else "" for k, v in dates.items()})
    qs = selectors.cases_list(
        user=request.user, classification=filters["classification"], found_by=filters["found_by"],
        outcome=filters["outcome"], imported={"1": True, "0": False}.get(filters["imported"]),
        within=filters["within"], q=filters["q"], **dates)
    return list_view(request, CASES, qs, params=filters, path=reverse("epi:cases"), template="epi/cases.html",
                     context={"filters": filters, "classifications": Classification.choices,
                              "found_by_choices": FoundBy.choices,
                              "outcomes": [(v, label) for v, label in Outcome.choices if v],
                              "can_edit": can(request.user, EPI_EDIT)})


@login_required
def case_detail(request, uid):
    case = selectors.case_get(user=request.user, uid=uid)
    # A superspreader's page shows the latest EXPOSURES_SHOWN; the contact list ("as a list") has them all.
    exposures = list(selectors.exposures_list(user=request.user, case=case)[:EXPOSURES_SHOWN])
    links = list(selectors.links_of(user=request.user, case=case))
    editable = may_edit(request.user, case)
    return render(request, "epi/case.html", {
        "case": case, "history": _history(case),
        "infectors": [lk for lk in links if lk.infectee_id == case.pk],
        "infectees": [lk for lk in links if lk.infector_id == case.pk],
        "exposures": exposures,
        "exposed_by": selectors.exposures_list(user=request.user, person=case.resident).filter(
            person=case.resident),
        "trajectory": selectors.trajectory_of(case=case),
        "may_edit": editable, "reclassify_form": ReclassifyForm() if editable else None,
        "next_classes": services.RECLASSIFY[case.classification],
        "can_registry": in_scope(request.user, RESIDENTS_VIEW, case.grid_code),
    })


def _history(case) -> list:
    """The case's changes with their field and values in words."""
    changes = list(selectors.case_history(case=case))
    for h in changes:
        field = Case._meta.get_field(h.field) if h.field in TRACKED else None
        words = dict(field.choices or ()) if field is not None else {}
        h.label = field.verbose_name if field is not None else h.field
        h.previous_label, h.value_label = words.get(h.previous, h.previous), words.get(h.value, h.value)
    return changes


def _editable_case(request, uid):
    """The case (404 outside the user's scope) and whether they may change it."""
    case = selectors.case_get(user=request.user, uid=uid)
    return case, may_edit(request.user, case)


def _candidates(request, q: str):
    q = (q or "").strip()[:50]
    if not q:
        return []
    return list(residents_search(user=request.user, q=q)[:PICK_MAX])


def _errors_to_forms(exc: ServiceError, form, person_form, picker: dict) -> None:
    """A service refusal beside the field it names: a new person's fields (person.name...) on the
    person form, the registered person's choice beside the picker, the rest on the main form."""
    rest = []
    for e in exc.errors:
        field = e.field.split("]", 1)[-1].lstrip(".") if e.field.startswith(("residents[", "persons[")) else e.field
        if field.startswith("person.") and person_form is not None:
            name = field.split(".", 1)[1]
            person_form.add_error(name if name in person_form.fields else None, e.message)
        elif field in ("resident", "residents", "person"):
            picker["error"] = f"{picker.get('error', '')} {e.message}".strip()
        else:
            rest.append(FieldError(field, e.message))
    if rest or not exc.errors:
        form_add_errors(form, type(exc)(exc.detail, rest))


def _who(request):
    """The person a form is about: a registered one ticked in the picker, or a new one typed in.
    Returns (kwargs for the service, the person form, the picker's state)."""
    post = request.POST if request.method == "POST" else None
    who = (post or request.GET).get("who", "registered")
    person_form = PersonNewForm(post if who == "new" else None)
    q = (post or request.GET).get("q", "")
    picker = {"q": q, "who": who, "candidates": _candidates(request, q),
              "chosen": post.get("resident", "") if post else ""}
    if post is None:
        return None, person_form, picker
    if who == "new":
        return ({"person": person_form.cleaned_data} if person_form.is_valid() else None), person_form, picker
    if not picker["chosen"]:
        picker["error"] = _("Search for the person by name and pick them, or register a new person.")
        return None, person_form, picker
    return {"resident": picker["chosen"]}, person_form, picker


@login_required
def case_new(request):
    if not can(request.user, EPI_EDIT):
        return refused(request)
    form = CaseNewForm(request.POST if request.method == "POST" else None)
    form_ok = form.is_valid() if request.method == "POST" else False
    who, person_form, picker = _who(request)
    if form_ok and who is not None:
        try:
            case, _created = services.case_create(actor=request.user, data=form.data_for_service(), **who)
        except ServiceError as exc:
            _errors_to_forms(exc, form, person_form, picker)
        else:
            messages.success(request, _("Case %(n)s reported.") % {"n": case.number})
            return redirect("epi:case", uid=case.uid)
    failed = request.method == "POST"
    return render(request, "epi/case_form.html", {"form": form, "person_form": person_form, "picker": picker},
                  status=400 if failed else 200)


@login_required
def case_edit(request, uid):
    case, editable = _editable_case(request, uid)
    if not editable:
        return refused(request)
    form = case_edit_form(case, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.case_update(actor=request.user, uid=case.uid, data=form.cleaned_data)
        except ServiceError as exc:
            form_add_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("epi:case", uid=case.uid)
    return render(request, "epi/case_form.html", {"form": form, "case": case},
                  status=400 if form.errors else 200)


@login_required
def case_reclassify(request, uid):
    case, editable = _editable_case(request, uid)
    if not editable:
        return refused(request)
    form = ReclassifyForm(request.POST if request.method == "POST" else None)
    form.fields["classification"].choices = [(code, label) for code, label in Classification.choices
                                             if code in services.RECLASSIFY[case.classification]]
    if request.method == "POST" and form.is_valid():
        try:
            services.case_reclassify(actor=request.user, uid=case.uid, **form.cleaned_data)
        except ServiceError as exc:
            form_add_errors(form, exc)
        else:
            messages.success(request, _("Reclassified."))
            return redirect("epi:case", uid=case.uid)
    return render(request, "epi/simple_form.html", {
        "form": form, "case": case, "title": _("Reclassify case %(n)s") % {"n": case.number}},
        status=400 if form.errors else 200)


@login_required
def exposure_new(request, uid):
    """Someone the case exposed: a registered person (searched by name) or a new one."""
    case, editable = _editable_case(request, uid)
    if not editable:
        return refused(request)
    form = ExposureForm(request.POST if request.method == "POST" else None)
    form_ok = form.is_valid() if request.method == "POST" else False
    who, person_form, picker = _who(request)
    if form_ok and who is not None:
        try:
            exposure, _created = services.exposure_record(actor=request.user, source_case=case, **form.cleaned_data,
                                                          **who)
        except ServiceError as exc:
            _errors_to_forms(exc, form, person_form, picker)
        else:
            messages.success(request, _("Exposure recorded: %(name)s is managed as a contact.")
                             % {"name": exposure.person.name})
            return redirect("epi:case", uid=case.uid)
    return render(request, "epi/exposure_form.html", {"form": form, "person_form": person_form, "picker": picker,
                                                      "case": case},
                  status=400 if request.method == "POST" else 200)


@login_required
def link_new(request, uid):
    case, editable = _editable_case(request, uid)
    if not editable:
        return refused(request)
    form = LinkForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        other = selectors.cases_list(user=request.user, action=EPI_EDIT).filter(number=data["other"].strip()).first()
        if other is None:
            form.add_error("other", _("No such case in your jurisdiction."))
        else:
            ends = (other.uid, case.uid) if data["direction"] == "infector" else (case.uid, other.uid)
            try:
                services.link_create(actor=request.user, infector=ends[0], infectee=ends[1],
                                     evidence=data["evidence"], notes=data["notes"])
            except ServiceError as exc:  # either end named: the other case's field (also "not found")
                form_add_errors(form, ServiceError(exc.detail, [
                    FieldError("other", e.message) if e.field in ("infector", "infectee") else e for e in exc.errors]))
            else:
                messages.success(request, _("Linked."))
                return redirect("epi:case", uid=case.uid)
    return render(request, "epi/simple_form.html", {
        "form": form, "case": case, "title": _("Link case %(n)s to another case") % {"n": case.number}},
        status=400 if form.errors else 200)


@login_required
@require_POST
def link_delete(request, uid):
    back = request.POST.get("case", "")
    try:
        services.link_delete(actor=request.user, uid=uid)
        messages.success(request, _("The link was removed."))
    except ServiceError as exc:
        message_error(request, exc)
    if services.as_uuid(back):
        return redirect("epi:case", uid=back)
    return redirect("epi:cases")


@login_required
def trajectory_new(request, uid):
    case, editable = _editable_case(request, uid)
    if not editable:
        return refused(request)
    form = TrajectoryForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.trajectory_add(actor=request.user, case=case, **form.cleaned_data)
        except ServiceError as exc:
            form_add_errors(form, exc)
        else:
            messages.success(request, _("Trajectory entry added."))
            return redirect("epi:case", uid=case.uid)
    return render(request, "epi/simple_form.html", {
        "form": form, "case": case, "title": _("Where was case %(n)s?") % {"n": case.number}},
        status=400 if form.errors else 200)


@login_required
def trajectory_exposures(request, uid):
    """Turn a trajectory entry into exposures of the registered people ticked (found by name)."""
    entry = selectors.trajectory_entry_get(user=request.user, uid=uid)
    case = entry.case
    if not may_edit(request.user, case):
        return refused(request)
    q = (request.POST or request.GET).get("q", "")
    picker = {"q": q, "candidates": _candidates(request, q), "chosen": request.POST.getlist("residents")}
    if request.method == "POST":
        try:
            made = services.trajectory_to_exposures(actor=request.user, uid=entry.uid, residents=picker["chosen"])
        except ServiceError as exc:
            picker["error"] = "; ".join([e.message for e in exc.errors] or [exc.detail]) if not isinstance(
                exc, NotFound) else _("no such person in your jurisdiction")
        else:
            messages.success(request, ngettext("%(n)d exposure recorded.", "%(n)d exposures recorded.", len(made))
                             % {"n": len(made)})
            return redirect("epi:case", uid=case.uid)
    return render(request, "epi/trajectory_exposures.html", {"entry": entry, "case": case, "picker": picker},
                  status=400 if request.method == "POST" else 200)


def _one_action(request, run, back: str):
    try:
        case = run()
    except ServiceError as exc:
        if isinstance(exc, NotFound):
            raise
        message_error(request, exc)
        return redirect(back)
    messages.success(request, _("Suspected case %(n)s reported.") % {"n": case.number})
    return redirect("epi:case", uid=case.uid)


@login_required
@require_POST
def case_from_alert(request, alert_id):
    """The one-action "suspected case" button of a health alert."""
    nxt = request.POST.get("next", "")
    back = nxt if nxt.startswith("/") and not nxt.startswith("//") else reverse("health:observations")
    return _one_action(request, lambda: services.case_from_alert(actor=request.user, alert_id=alert_id), back)


@login_required
@require_POST
def case_from_arrival(request, uid):
    """The one-action "suspected case" button of an arrival registration."""
    return _one_action(request, lambda: services.case_from_arrival(actor=request.user, uid=uid),
                       reverse("residents:arrivals"))

