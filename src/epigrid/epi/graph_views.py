"""Pages of the transmission graph: a person's chain, the clusters and one cluster (its graph, cases,
contacts, timeline and growth), with the staff's decisions. The graphs are drawn by static/epi/graph.js
(ECharts, served by the platform) from the JSON API, positions computed on the server."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from epigrid.accounts.roles import EPI_EDIT, EPI_VIEW
from epigrid.core.errors import ServiceError
from epigrid.core.scoping import can, in_scope, user_prefixes
from epigrid.core.web import message_error

from . import chains, clusters
from .models import Case, Classification, ClusterStatus

PAGE_SIZE = 50
CASES_SHOWN = 200  # rows of a cluster's case table on its page (the API and the graph give them all)


def _legend() -> dict:
    """The graph's categories in the page's language, for graph.js (its colours live there)."""
    labels = {c.value: str(c.label) for c in Classification}
    labels.update({"contact": _("Contact, not a case"), "masked": _("Outside your jurisdiction"),
                   "no_source": _("No known source")})
    return labels


def _refuse(request):
    return render(request, "regions/no_jurisdiction.html", status=403)


@login_required
def chain(request, person):
    resident = chains.person_for_chain(user=request.user, person_uid=person)
    up = _hops(request.GET.get("up"))
    down = _hops(request.GET.get("down"))
    return render(request, "epi/chain.html", {
        "person": resident, "up": up, "down": down, "hops": range(chains.HOPS_MAX + 1), "legend": _legend(),
        "data_url": reverse("api:chain_of", args=[person]) + f"?up={up}&down={down}"})


def _hops(value) -> int:
    try:
        return max(0, min(chains.HOPS_MAX, int(value)))
    except (TypeError, ValueError):
        return 3


@login_required
def cluster_list(request):
    if not can(request.user, EPI_VIEW):
        return _refuse(request)
    status = request.GET.get("status", "")
    if status not in ClusterStatus.values:
        status = ""
    page = Paginator(clusters.clusters_list(user=request.user, status=status), PAGE_SIZE).get_page(
        request.GET.get("page"))
    return render(request, "epi/clusters.html", {
        "page": page, "status": status, "statuses": ClusterStatus.choices,
        "may_edit": can(request.user, EPI_EDIT), "cities": _cities(request.user)})


def _cities(user) -> list[str]:
    """The cities where the user may propose clusters: those of their memberships at a city or below, and
    for a membership above a city (a province, or a municipality's own node) the cities with cases."""
    prefixes = user_prefixes(user, EPI_EDIT)
    cities = {p[:4] for p in prefixes if len(p) >= 4}
    wider = [p for p in prefixes if len(p) < 4]
    if wider:
        q = Q()
        for p in wider:
            q |= Q(city_code__startswith=p)
        cities |= set(Case.objects.filter(q).values_list("city_code", flat=True).distinct())
    return sorted(cities)


@login_required
@require_POST
def clusters_propose(request):
    cities = _cities(request.user)
    try:
        made = {"created": 0, "updated": 0}
        for city in cities:
            chains.chains_recompute(city_code=city)
            counts = clusters.clusters_propose(actor=request.user, city_code=city)
            made = {k: made[k] + counts[k] for k in made}
        messages.success(request, _("Clusters proposed: %(created)s new, %(updated)s updated.") % made)
    except ServiceError as exc:
        message_error(request, exc)
    return redirect("epi:clusters")


@login_required
def cluster_page(request, uid):
    cluster = clusters.cluster_get(user=request.user, uid=uid)
    detail = clusters.cluster_detail(user=request.user, cluster=cluster)
    return render(request, "epi/cluster.html", {
        **detail, "legend": _legend(), "cases_shown": CASES_SHOWN, "cases_slice": f":{CASES_SHOWN}", "data_url": reverse("api:cluster_graph", args=[cluster.uid]),
        "may_edit": in_scope(request.user, EPI_EDIT, cluster.grid_code)})


def _decide(request, uid, step):
    try:
        step()
        messages.success(request, _("Saved."))
    except ServiceError as exc:
        message_error(request, exc)
    return redirect("epi:cluster", uid=uid)


@login_required
@require_POST
def cluster_confirm(request, uid):
    return _decide(request, uid, lambda: clusters.cluster_confirm(actor=request.user, uid=uid,
                                                                  name=request.POST.get("name", "")))


@login_required
@require_POST
def cluster_dismiss(request, uid):
    return _decide(request, uid, lambda: clusters.cluster_dismiss(actor=request.user, uid=uid,
                                                                  reason=request.POST.get("reason", "")))


@login_required
@require_POST
def cluster_rename(request, uid):
    return _decide(request, uid, lambda: clusters.cluster_rename(actor=request.user, uid=uid,
                                                                 name=request.POST.get("name", "")))
