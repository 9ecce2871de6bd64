import secrets
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from epigrid.accounts.roles import PII_REVEAL, RESIDENTS_EDIT, RESIDENTS_VIEW
from epigrid.core.errors import ServiceError
from epigrid.core.lists import list_view
from epigrid.core.scoping import can, in_scope
from epigrid.core.views import refused
from epigrid.core.web import field_errors, form_add_errors, message_error

from . import arrivals, selectors, services
from .forms import ResidentEditForm, ResidentForm, RevealForm
from .lists import RESIDENTS
from .models import Tag

# Exact searches by ID number or phone are posted, kept in the session under a random id, and the page's
# address carries only that id: the number never reaches a URL, a browser history or an access log.
SEARCHES = "resident-searches"
KEEP_SEARCHES = 20


def _remember(request, value: str) -> str:
    searches = request.session.get(SEARCHES, {})
    sid = secrets.token_urlsafe(9)
    searches[sid] = value
    request.session[SEARCHES] = dict(list(searches.items())[-KEEP_SEARCHES:])
    return sid


def _list_params(request) -> dict:
    """The list's address parameters: from a posted search form (an ID number or phone becomes a search
    id), or as they came."""
    if request.method != "POST" or "export" in request.GET:  # a full export posts its reason, not a search
        return {k: v for k, v in request.GET.items() if k in ("q", "s", "tag", "within", "sort", "page") and v}
    data = request.POST
    q = data.get("q", "").strip()[:50]
    params = {k: data[k] for k in ("tag", "within", "sort") if data.get(k)}
    if q and selectors.personal_value(q) is not None:
        params["s"] = _remember(request, q)
    elif q:
        params["q"] = q
    return params


@login_required
def resident_list(request):
    if not can(request.user, RESIDENTS_VIEW):
        return refused(request)
    params = _list_params(request)
    url = f"{reverse('residents:residents')}?{urlencode(params)}" if params else reverse("residents:residents")
    htmx = bool(request.headers.get("HX-Request"))
    if request.method == "POST" and not htmx and "export" not in request.GET:
        return redirect(url, permanent=False)
    tag = params.get("tag", "")
    tag_value = Tag[tag.upper()].value if tag.upper() in Tag.__members__ else 0
    residents, shown_q = selectors.residents_search(user=request.user, within=params.get("within", ""),
                                                    tag=tag_value), params.get("q", "")
    if "s" in params:
        shown_q = request.session.get(SEARCHES, {}).get(params["s"], "")
        try:
            residents = services.residents_lookup(actor=request.user, value=shown_q).filter(
                pk__in=residents.values("pk"))
        except ServiceError as exc:
            message_error(request, exc)
            residents = residents.none()
    elif shown_q and selectors.personal_value(shown_q) is not None:
        messages.error(request, _("Type ID numbers and phone numbers into the search box: they are never put "
                                  "in the page's address."))
        residents, shown_q = residents.none(), ""
    elif shown_q:
        residents = selectors.residents_search(user=request.user, q=shown_q, within=params.get("within", ""),
                                               tag=tag_value)
    response = list_view(request, RESIDENTS, residents, params=params, path=reverse("residents:residents"),
                         template="residents/list.html", partial="residents/_rows.html", context={
                             "tags": Tag, "can_edit": can(request.user, RESIDENTS_EDIT), "q": shown_q, "tag": tag,
                             "matches": selectors.matches_pending(user=request.user).count()})
    if htmx:
        response["HX-Push-Url"] = url
    return response


@login_required
def resident_new(request):
    if not can(request.user, RESIDENTS_EDIT):
        return refused(request)
    form = ResidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            resident = services.resident_create(actor=request.user, data=form.cleaned_data)
        except ServiceError as exc:
            form_add_errors(form, exc)
        else:
            return redirect("residents:resident", uid=resident.uid)
    return render(request, "residents/form.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def resident_detail(request, uid):
    resident = selectors.resident_get(user=request.user, uid=uid)
    matches = selectors.matches_pending(user=request.user).filter(existing=resident)
    return render(request, "residents/detail.html", {
        "resident": resident, "reveal_form": RevealForm(), "matches": matches,
        "can_reveal": in_scope(request.user, PII_REVEAL, resident.grid_code),
        "can_edit": in_scope(request.user, RESIDENTS_EDIT, resident.grid_code)})


@login_required
def resident_edit(request, uid):
    resident = selectors.resident_get(user=request.user, uid=uid)
    if not in_scope(request.user, RESIDENTS_EDIT, resident.grid_code):
        return refused(request)
    form = ResidentEditForm(request.POST or None, resident=resident)
    if request.method == "POST" and form.is_valid():
        try:
            services.resident_update(actor=request.user, uid=uid, data=form.changes())
        except ServiceError as exc:
            form_add_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("residents:resident", uid=uid)
    return render(request, "residents/form.html", {"form": form, "resident": resident},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def resident_reveal(request, uid):
    form = RevealForm(request.POST)
    value = None
    if form.is_valid():
        try:
            value = services.resident_reveal(actor=request.user, uid=uid, field=form.cleaned_data["field"],
                                             purpose=form.cleaned_data["purpose"], reason=form.cleaned_data["reason"])
        except ServiceError as exc:
            form_add_errors(form, exc)
    return render(request, "residents/_revealed.html", {"form": form, "value": value},
                  status=200 if value is not None else 400)


@login_required
def match_list(request):
    if not can(request.user, RESIDENTS_EDIT):
        return refused(request)
    page = Paginator(selectors.matches_pending(user=request.user), 50).get_page(request.GET.get("page"))
    return render(request, "residents/matches.html", {"page": page})


@login_required
@require_POST
def match_decide(request, uid):
    decision = request.POST.get("decision")
    try:
        if decision == "decline":
            services.resident_match_decline(actor=request.user, uid=uid)
            messages.success(request, _("Declined: the two records stay apart."))
        elif decision in ("move", "keep"):
            services.resident_match_accept(actor=request.user, uid=uid, move=decision == "move")
            messages.success(request, _("Merged into one record."))
        else:
            raise Http404
    except ServiceError as exc:
        message_error(request, exc)
    return redirect("residents:matches")


@login_required
def arrival_policy_page(request, code):
    """Who starts home observation on arrival, for a division and below: risk origins ticked in a tree of
    provinces and cities (codes, never typed names), everyone or only those, and for how many days."""
    from epigrid.core.places import province_tree
    from epigrid.regions.selectors import ancestors, division_get

    division = division_get(user=request.user, code=code)  # 404 outside the jurisdiction
    if not in_scope(request.user, RESIDENTS_EDIT, code):
        return refused(request)
    origins, observe_all, days = arrivals.arrival_policy(code)
    errors = {}
    if request.method == "POST":
        origins = set(request.POST.getlist("origins"))
        observe_all = request.POST.get("observe_all") == "1"
        days_raw = request.POST.get("days", "")
        try:
            arrivals.arrival_policy_set(actor=request.user, node_code=code, risk_origins=sorted(origins),
                                        observe_all=observe_all,
                                        days=int(days_raw) if days_raw.isdigit() and len(days_raw) < 4 else 0)
        except ServiceError as exc:
            errors = field_errors(exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("residents:arrival_policy", code=code)
    own = arrivals.ArrivalPolicy.objects.filter(node_code=code).first()
    return render(request, "residents/arrival_policy.html", {
        "division": division, "chain": ancestors(code, request.user), "tree": province_tree(), "origins": origins,
        "observe_all": observe_all, "days": days, "errors": errors, "own": own}, status=400 if errors else 200)
