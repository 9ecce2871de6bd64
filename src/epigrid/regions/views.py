from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import prefetch_related_objects
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from epigrid.accounts.roles import INCIDENT_MANAGE, PENDING_MODULE_ROLES, RESIDENTS_EDIT
from epigrid.core.scoping import in_scope

from . import home as home_content
from . import maps, selectors
from .links import community_token


@login_required
def home(request):
    # The page reads the user's memberships three times (scoping, the top nodes, the roles it lists): once.
    prefetch_related_objects([request.user], "memberships")
    overview = home_content.home_overview(user=request.user)
    nodes = overview["divisions"] or overview["grids"]
    # Charity staff and consultants have no part in grid control: their home says their module is to come.
    pending = not nodes and any(m.role in PENDING_MODULE_ROLES for m in request.user.memberships.all())
    return render(request, "regions/home.html", {**overview, "nodes": nodes, "pending_module": pending})


@login_required
def map_page(request):
    within = request.GET.get("within", "")
    if not within:
        nodes = selectors.home_nodes(user=request.user)
        if not nodes:
            return render(request, "regions/no_jurisdiction.html", status=403)
        return redirect(f"{request.path}?within={nodes[0].code}")
    if len(within) == 15:
        node = selectors.grid_get(user=request.user, code=within)
    else:
        node = selectors.division_get(user=request.user, code=within)
    return render(request, "regions/map.html", {
        "node": node, "chain": selectors.ancestors(node.code, request.user), "figures": maps.figure_choices(),
        "figure": maps.valid_figure(request.GET.get("figure")),
        "tile_url": settings.MAP_TILE_URL, "tile_crs": settings.MAP_TILE_CRS,
        "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
    })


@login_required
def division_page(request, code):
    division = selectors.division_get(user=request.user, code=code)
    children = selectors.division_children(user=request.user, parent=code, checked=division)
    grids = selectors.grids_within(user=request.user, code=code, checked=division)
    context = {"division": division, "chain": selectors.ancestors(code, request.user), "children": children,
               "grid_count": grids.count(), "can_set_policy": in_scope(request.user, RESIDENTS_EDIT, code)}
    if division.level == "community":
        context["grids"] = grids.prefetch_related("workers")
        context["can_print_qr"] = in_scope(request.user, RESIDENTS_EDIT, code)
        context["can_print_report_qr"] = in_scope(request.user, INCIDENT_MANAGE, code)
    return render(request, "regions/division.html", context)


@login_required
def grid_page(request, code):
    grid = selectors.grid_get(user=request.user, code=code)
    return render(request, "regions/grid.html", {
        "grid": grid, "chain": selectors.ancestors(code, request.user), "workers": grid.workers.all(),
        "tile_url": settings.MAP_TILE_URL, "tile_crs": settings.MAP_TILE_CRS,
    })


# A community's posters, to print and put up at the gate: who may print them (as for the bare QR code), the
# QR code's and the public page's URL names, the headline, and what a passer-by does.
POSTERS = {
    "arrival": (RESIDENTS_EDIT, "residents:arrival_qr", "residents:arrival_public", _("Arriving here? Register first"), (
        _("Scan the code with WeChat or the phone's camera."),
        _("Fill in who you are, where you come from and how you feel today."),
        _("Keep the check-in link the page gives you: you report your temperature with it every day."))),
    "report": (INCIDENT_MANAGE, "patrol:public_report_qr", "patrol:public_report", _("Seen a problem? Tell us"), (
        _("Scan the code with WeChat or the phone's camera."),
        _("Pick what you saw, say where, add a photo if you can."),
        _("The community's staff take it up; nobody sees who reported it."))),
}


@login_required
def community_poster(request, code, purpose):
    if purpose not in POSTERS:
        raise Http404
    action, qr_name, page_name, title, steps = POSTERS[purpose]
    community = selectors.division_get(user=request.user, code=code)  # 404 outside the jurisdiction
    if community.level != "community" or not in_scope(request.user, action, code):
        raise Http404
    link = request.build_absolute_uri(reverse(page_name, args=[community_token(code, purpose)]))
    return render(request, "regions/poster.html", {
        "community": community, "chain": selectors.ancestors(code), "title": title, "steps": steps, "link": link,
        "qr_url": reverse(qr_name, args=[code, "svg"])})
