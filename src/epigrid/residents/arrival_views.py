"""The public arrival page (no login), the community's QR code, and the staff's arrivals list."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from epigrid.accounts.roles import RESIDENTS_EDIT, RESIDENTS_VIEW
from epigrid.core.errors import NotFound, ServiceError
from epigrid.core.lists import list_view, place_names
from epigrid.core.middleware import client_ip
from epigrid.core.principals import PUBLIC
from epigrid.core.scoping import can, in_scope, narrow_within
from epigrid.core.views import refused
from epigrid.core.web import form_add_errors
from epigrid.regions.links import community_from_token, community_token, qr_response

from . import arrivals, selectors
from .forms import ArrivalForm
from .lists import ARRIVALS
from .models import Arrival


def arrival_page(request, token):
    community = community_from_token(token, "arrival")
    form = ArrivalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            record = arrivals.arrival_register(actor=PUBLIC, community_code=community.code, data=form.cleaned_data,
                                               client=client_ip(request))
        except ServiceError as exc:
            if exc.status == 429:
                return render(request, "residents/arrival_limited.html", {"community": community}, status=429)
            form_add_errors(form, exc)
        else:
            checkin_url = (request.build_absolute_uri(reverse("health:resident_checkin", args=[record.checkin_token]))
                           if record.checkin_token else None)
            return render(request, "residents/arrival_done.html", {"community": community, "arrival": record,
                                                                   "checkin_url": checkin_url})
    return render(request, "residents/arrival_form.html", {"community": community, "form": form},
                  status=400 if form.errors else 200)


@login_required
def arrival_qr(request, code, fmt):
    """The QR code of a community's registration link, to print (PNG or SVG)."""
    if fmt not in ("png", "svg") or len(code) != 12 or not in_scope(request.user, RESIDENTS_EDIT, code):
        raise Http404
    token = community_token(code, "arrival")
    community_from_token(token, "arrival")
    url = request.build_absolute_uri(reverse("residents:arrival_public", args=[token]))
    return qr_response(url, fmt=fmt, filename=f"arrival-{code}")


@login_required
def arrival_list(request):
    if not can(request.user, RESIDENTS_VIEW):
        return refused(request)
    qs = Arrival.objects.restrict(request.user, RESIDENTS_VIEW).select_related("resident")
    params = {k: "1" for k in ("pending", "risk") if request.GET.get(k)}
    params["within"] = request.GET.get("within", "").strip()[:15]
    if params.get("pending"):
        qs = qs.filter(reviewed_at__isnull=True)
    if params.get("risk"):
        qs = qs.filter(from_risk_origin=True)
    qs = narrow_within(qs, params["within"])

    def mark_to_decide(rows):
        # Arrivals of people already registered in the user's own jurisdiction: one click to decide.
        to_decide = set(selectors.matches_pending(user=request.user).filter(
            record_id__in=[a.resident_id for a in rows]).values_list("record_id", flat=True))
        for a in rows:
            a.to_decide = a.resident_id in to_decide

    return list_view(request, ARRIVALS, qs, params=params, path=reverse("residents:arrivals"),
                     template="residents/arrivals.html", context={"filters": params}, prepare=mark_to_decide)


@login_required
@require_POST
def arrival_review(request, uid):
    try:
        arrivals.arrival_review(actor=request.user, uid=uid)
    except ServiceError as exc:
        if isinstance(exc, NotFound):
            raise
        # already reviewed: show the row as it is
    arrival = Arrival.objects.restrict(request.user, RESIDENTS_VIEW).select_related("resident").get(uid=uid)
    arrival.place = place_names([arrival.grid_code]).get(arrival.grid_code)
    return render(request, "residents/_arrival_row.html", {"a": arrival})
