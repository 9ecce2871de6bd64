"""Pages: the grid worker's phone pages (patrol, report, to-do), incident pages with the workflow buttons,
a patrol's track, and the KPI table. Thin: every rule is in the services and selectors."""

import uuid
from datetime import date

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from epigrid.accounts.roles import INCIDENT_REPORT, INCIDENT_VIEW, KPI_VIEW, PATROL
from epigrid.core.errors import ServiceError
from epigrid.core.lists import list_view
from epigrid.core.principals import PUBLIC
from epigrid.core.ratelimit import rate_limit
from epigrid.core.scoping import can, may_read, user_prefixes
from epigrid.core.views import refused
from epigrid.core.web import error_text, field_errors, message_error
from epigrid.regions.models import Grid, level_label
from epigrid.regions.selectors import home_nodes

from . import kpis, selectors, services
from .lists import INCIDENTS
from .models import Checkpoint, Incident
from .workflow import ACTIONS


@login_required
def patrol_home(request):
    """The grid worker's phone page: the patrol button, report, and what waits for them."""
    if not may_read(request.user, INCIDENT_VIEW):
        return refused(request)
    return render(request, "patrol/home.html", {
        "patrol": selectors.active_patrol(user=request.user),
        "can_patrol": can(request.user, PATROL),
        "can_report": can(request.user, INCIDENT_REPORT),
        "grids": [p for p in user_prefixes(request.user, PATROL) if len(p) == 15],
        "todo": selectors.todo(user=request.user)[:30],
        "notifications": selectors.notifications_for(user=request.user, unread=True)[:10],
        "client_id": uuid.uuid4().hex,
    })


@login_required
def report(request):
    if not can(request.user, INCIDENT_REPORT):
        return refused(request)
    context = {"categories": selectors.category_choices(), "values": {}, "errors": {},
               "patrol": selectors.active_patrol(user=request.user)}
    if request.method == "POST":
        data = request.POST
        try:
            rate_limit("incident-public", settings.PUBLIC_REPORT_RATE_PER_HOUR)
            incident = services.incident_report(
                actor=request.user, client_id=data.get("client_id") or None, category=data.get("category", ""),
                description=data.get("description", ""), lon=data.get("lon"), lat=data.get("lat"),
                crs=data.get("crs") or "wgs84", address=data.get("address", ""),
                patrol_id=int(data["patrol_id"]) if data.get("patrol_id", "").isdigit() else None,
                photos=request.FILES.getlist("photos"))
        except ServiceError as exc:
            context["values"] = data
            context["errors"] = field_errors(exc)
            context["detail"] = exc.detail
            context["client_id"] = data.get("client_id") or uuid.uuid4().hex
            return render(request, "patrol/report.html", context, status=400)
        messages.success(request, _("Incident #%(id)d reported.") % {"id": incident.pk})
        return redirect("patrol:incident", incident.pk)
    context["client_id"] = uuid.uuid4().hex
    return render(request, "patrol/report.html", context)


def public_report(request, token: str):
    """The public's report page of a community (no login), opened through the community's signed link
    (a QR code at the gate): the point reported must lie in that community."""
    from epigrid.regions.links import community_from_token

    community = community_from_token(token=token, purpose="report")
    context = {"community": community, "categories": selectors.category_choices(), "values": {}, "errors": {}}
    if request.method == "POST":
        data = request.POST
        try:
            rate_limit("incident-public", settings.PUBLIC_REPORT_RATE_PER_HOUR)
            incident = services.incident_report(
                actor=PUBLIC, community_code=community.code, client_id=data.get("client_id") or None,
                category=data.get("category", ""), description=data.get("description", ""),
                lon=data.get("lon"), lat=data.get("lat"), crs=data.get("crs") or "wgs84",
                address=data.get("address", ""), reporter_name=data.get("reporter_name", ""),
                photos=request.FILES.getlist("photos"))
        except ServiceError as exc:
            if exc.status == 429:
                context.update(values=data, detail=exc.detail, client_id=data.get("client_id"), errors={})
                return render(request, "patrol/public_report.html", context, status=429)
            context.update(values=data, detail=exc.detail, client_id=data.get("client_id") or uuid.uuid4().hex,
                           errors=field_errors(exc))
            return render(request, "patrol/public_report.html", context, status=400)
        return render(request, "patrol/public_report.html", {"community": community, "done": incident.pk})
    context["client_id"] = uuid.uuid4().hex
    return render(request, "patrol/public_report.html", context)


@login_required
def public_report_qr(request, code: str, fmt: str):
    """The QR code of a community's public report link, to print (PNG or SVG)."""
    from django.urls import reverse

    from epigrid.accounts.roles import INCIDENT_MANAGE
    from epigrid.core.scoping import in_scope
    from epigrid.regions.links import community_from_token, community_token, qr_response

    if fmt not in ("png", "svg") or len(code) != 12 or not in_scope(request.user, INCIDENT_MANAGE, code):
        raise Http404
    token = community_token(code, "report")
    community_from_token(token=token, purpose="report")
    url = request.build_absolute_uri(reverse("patrol:public_report", args=[token]))
    return qr_response(url, fmt=fmt, filename=f"report-{code}")


@login_required
def incident_list(request):
    if not may_read(request.user, INCIDENT_VIEW):
        return refused(request)
    state = request.GET.get("state") or ""
    if state not in Incident.State.values:
        state = ""
    within = request.GET.get("within", "").strip()[:15]
    incidents = selectors.incidents_list(user=request.user, state=state or None, within=within)
    return list_view(request, INCIDENTS, incidents, params={"state": state, "within": within},
                     path=reverse("patrol:incidents"), template="patrol/incidents.html",
                     context={"state": state, "within": within, "states": Incident.State.choices})


@login_required
def incident_page(request, incident_id: int):
    incident = selectors.incident_get(user=request.user, incident_id=incident_id)
    return render(request, "patrol/incident.html", {
        "incident": incident, "timeline": selectors.incident_timeline(incident),
        "photos": list(incident.photos.all()),
        "actions": selectors.incident_actions_for(user=request.user, incident=incident),
        "grid": Grid.objects.filter(code=incident.grid_code).only("code", "name").first(),
        "candidates": selectors.incident_handlers(incident.grid_code),
    })


@login_required
@require_POST
def incident_act(request, incident_id: int, action: str):
    if action not in ACTIONS:
        raise Http404
    data = request.POST
    kwargs = {
        "register": lambda: {"comment": data.get("comment", "")},
        "reject": lambda: {"reason": data.get("reason", ""), "comment": data.get("comment", ""),
                           "duplicate_of": int(data["duplicate_of"]) if data.get("duplicate_of", "").isdigit() else None},
        "dispatch": lambda: {"assignee": data.get("assignee") or None, "unit": data.get("unit", ""),
                             "comment": data.get("comment", "")},
        "handle": lambda: {"result": data.get("result", ""), "photos": request.FILES.getlist("photos")},
        "verify": lambda: {"passed": data.get("passed") == "yes", "comment": data.get("comment", "")},
        "close": lambda: {"comment": data.get("comment", "")},
        "evaluate": lambda: {"rating": int(data["rating"]) if data.get("rating", "").isdigit() else 0,
                             "comment": data.get("comment", "")},
    }[action]()
    try:
        services.INCIDENT_ACTIONS[action](actor=request.user, incident_id=incident_id, **kwargs)
    except ServiceError as exc:
        message_error(request, exc)
    return redirect("patrol:incident", incident_id)


@login_required
def patrol_page(request, patrol_id: int):
    patrol = selectors.patrol_get(user=request.user, patrol_id=patrol_id)
    import json

    # Whoever may read this patrol may read the checkpoints it was walked against.
    checkpoints = list(Checkpoint.objects.filter(grid_code=patrol.grid_code)
                       .values("name", "lon", "lat", "radius_m"))
    return render(request, "patrol/patrol.html", {
        "patrol": patrol, "track": json.dumps(selectors.patrol_track(patrol)),
        "checkpoints": json.dumps(checkpoints, ensure_ascii=False),
        "tile_url": settings.MAP_TILE_URL,
    })


def _checkpoint_lines(text: str) -> tuple[list[dict], list[str]]:
    """One checkpoint a line: name, longitude, latitude[, radius in metres[, kind]]."""
    out, bad = [], []
    for n, line in enumerate(text.splitlines(), start=1):
        parts = [p.strip() for p in line.replace("，", ",").split(",")]
        if not line.strip():
            continue
        try:
            out.append({"name": parts[0], "lon": float(parts[1]), "lat": float(parts[2]),
                        "radius_m": int(parts[3]) if len(parts) > 3 and parts[3] else 30,
                        "kind": parts[4] if len(parts) > 4 and parts[4] else "other"})
        except (IndexError, ValueError):
            bad.append(_("line %(n)d: expected name, longitude, latitude[, radius[, kind]]") % {"n": n})
    return out, bad


@login_required
def plan_page(request, grid_code: str):
    """A grid's patrol plan: how often, and its checkpoints (managers edit it here)."""
    from epigrid.accounts.roles import INCIDENT_MANAGE
    from epigrid.core.scoping import in_scope

    plan = selectors.patrol_plan_get(user=request.user, grid_code=grid_code)
    may_edit = in_scope(request.user, INCIDENT_MANAGE, grid_code)
    checkpoints = list(plan.checkpoints.all()) if plan else []
    text = "\n".join(f"{c.name}, {c.lon}, {c.lat}, {c.radius_m}, {c.kind}" for c in checkpoints)
    times = plan.times_per_day if plan else 0
    if request.method == "POST" and may_edit:
        from .services import patrol_plan_set

        text = request.POST.get("checkpoints", "")
        rows, bad = _checkpoint_lines(text)
        times_raw = request.POST.get("times_per_day", "")
        try:
            if bad:
                raise ServiceError(_("The patrol plan cannot be saved."), [])
            patrol_plan_set(actor=request.user, grid_code=grid_code, checkpoints=rows,
                            times_per_day=int(times_raw) if times_raw.isdigit() and len(times_raw) < 4 else -1)
        except ServiceError as exc:
            message_error(request, exc)
            for line in bad:
                messages.error(request, line)
            return render(request, "patrol/plan.html", {"grid_code": grid_code, "times": times_raw, "text": text,
                                                        "may_edit": may_edit, "kinds": Checkpoint.Kind.choices},
                          status=400)
        messages.success(request, _("Patrol plan saved."))
        return redirect("patrol:plan", grid_code)
    return render(request, "patrol/plan.html", {"grid_code": grid_code, "times": times, "text": text,
                                                "may_edit": may_edit, "kinds": Checkpoint.Kind.choices})


def _date(value):
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@login_required
def kpi_page(request):
    if not can(request.user, KPI_VIEW):
        return refused(request)
    within = request.GET.get("within", "")
    if not within:
        nodes = home_nodes(user=request.user)
        if not nodes:
            raise Http404
        return redirect(f"{request.path}?within={nodes[0].code}")
    by = request.GET.get("by") or None
    table, error = None, None
    try:
        table = kpis.kpi_table(user=request.user, within=within, by=by, date_from=_date(request.GET.get("date_from")),
                               date_to=_date(request.GET.get("date_to")))
    except ServiceError as exc:
        error = error_text(exc)
    if request.GET.get("format") == "xlsx" and table:
        response = HttpResponse(kpis.kpi_xlsx(table),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = f'attachment; filename="kpi-{within}.xlsx"'
        return response
    from epigrid.regions.selectors import ancestors

    return render(request, "patrol/kpis.html", {
        "table": table, "error": error, "within": within, "columns": kpis.COLUMNS, "rates": kpis.RATES,
        "by_levels": [(b, _("Grid worker") if b == "worker" else level_label(b)) for b in kpis.BY_LEVELS], "chain": ancestors(within, request.user),
        "query": request.GET.urlencode(),
    }, status=400 if error else 200)
