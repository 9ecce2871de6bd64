"""Scoped reads of patrols, incidents, notifications and the category tree. Everything through
`.restrict(user, action)`."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from epigrid.accounts.roles import INCIDENT_MANAGE, PATROL, VIEW
from epigrid.core.errors import NotFound

from .categories import categories_ensure
from .models import Incident, IncidentCategory, IncidentPhoto, Notification, Patrol, PatrolPlan, TrackPoint
from .workflow import allowed_actions

S = Incident.State


def category_tree() -> list[dict]:
    categories_ensure()
    cats = list(IncidentCategory.objects.filter(active=True))
    nodes = {c.pk: {"code": c.code, "name": c.label, "deadline_hours": c.deadline_hours, "children": []} for c in cats}
    roots = []
    for c in cats:
        (nodes[c.parent_id]["children"] if c.parent_id in nodes else roots).append(nodes[c.pk])
    return roots


def category_choices() -> list[tuple[str, str]]:
    """Leaf categories, labelled with their parent, for a select box."""
    categories_ensure()
    cats = list(IncidentCategory.objects.filter(active=True).select_related("parent"))
    parents = {c.parent_id for c in cats}
    return [(c.code, f"{c.parent.label} · {c.label}" if c.parent else c.label) for c in cats if c.pk not in parents]


def incident_get(*, user, incident_id: int) -> Incident:
    incident = (Incident.objects.restrict(user, VIEW).filter(pk=incident_id)
                .select_related("category", "reporter", "assignee").first())
    if incident is None:
        raise NotFound(_("No such incident."))
    return incident


def incident_timeline(incident: Incident):
    """The events, each with translated labels for its action and states (for the page)."""
    from django.utils.translation import gettext_lazy

    from .workflow import ACTION_NAMES

    extra = {"report": gettext_lazy("report"), "escalate": gettext_lazy("escalate")}
    states = dict(Incident.State.choices)
    events = list(incident.events.all())
    for e in events:
        e.action_label = ACTION_NAMES.get(e.action) or extra.get(e.action, e.action)
        e.from_label, e.to_label = states.get(e.from_state, e.from_state), states.get(e.to_state, e.to_state)
    return events


def incident_actions_for(*, user, incident: Incident) -> list[str]:
    """The workflow actions this user could take now (for buttons): the services' own rule."""
    from .workflow import refusal

    return [action for action in allowed_actions(incident.state) if refusal(user, incident, action) is None]


def incidents_list(*, user, state: str | None = None, within: str | None = None, mine: bool = False):
    qs = Incident.objects.restrict(user, VIEW).select_related("category")
    if state:
        qs = qs.filter(state=state)
    if within:
        from epigrid.core.scoping import code_level, code_prefix, prefix_q

        if code_level(within) is None:
            return qs.none()
        qs = qs.filter(prefix_q("grid_code", code_prefix(within)))
    if mine:
        qs = qs.filter(Q(reporter=user) | Q(assignee=user))
    return qs


def todo(*, user):
    """What waits for this user: incidents dispatched to them, those they reported that are handled
    (to verify), and, for managers, those to register, dispatch, verify or close."""
    mine = Q(state=S.DISPATCHED, assignee=user) | Q(state=S.HANDLED, reporter=user)
    qs = Incident.objects.restrict(user, VIEW).filter(mine)
    managed = Incident.objects.restrict(user, INCIDENT_MANAGE).filter(
        state__in=(S.REPORTED, S.REGISTERED, S.HANDLED, S.VERIFIED))
    return (qs | managed).select_related("category").order_by("deadline", "reported_at")


def photo_get(*, user, photo_id: int) -> IncidentPhoto:
    photo = IncidentPhoto.objects.restrict(user, VIEW).filter(pk=photo_id).first()
    if photo is None:
        raise NotFound(_("No such photo."))
    return photo


def patrol_get(*, user, patrol_id: int) -> Patrol:
    """A patrol: its worker sees it, and whoever may view its grid."""
    patrol = Patrol.objects.restrict(user, VIEW).filter(pk=patrol_id).select_related("worker").first()
    if patrol is None:
        raise NotFound(_("No such patrol."))
    return patrol


def patrols_list(*, user, within: str | None = None, mine: bool = False):
    qs = Patrol.objects.restrict(user, VIEW).select_related("worker")
    if mine:
        qs = qs.filter(worker=user)
    if within:
        from epigrid.core.scoping import code_level, code_prefix, prefix_q

        if code_level(within) is None:
            return qs.none()
        qs = qs.filter(prefix_q("grid_code", code_prefix(within)))
    return qs


def active_patrol(*, user) -> Patrol | None:
    return Patrol.objects.restrict(user, PATROL).filter(worker=user, status=Patrol.Status.ACTIVE).first()


def patrol_track(patrol: Patrol) -> dict:
    """The track as a GeoJSON LineString (WGS-84), points in time order."""
    coords = [[lon, lat] for lon, lat in TrackPoint.objects.filter(patrol=patrol).order_by("recorded_at")
              .values_list("lon", "lat")]
    return {"type": "LineString", "coordinates": coords}


def patrol_plan_get(*, user, grid_code: str) -> PatrolPlan | None:
    from epigrid.regions.selectors import grid_get

    grid_get(user=user, code=grid_code)  # 404 outside the scope
    return PatrolPlan.objects.restrict(user, VIEW).filter(grid_code=grid_code).prefetch_related("checkpoints").first()


def notifications_for(*, user, unread: bool = False):
    qs = Notification.objects.filter(user=user)
    return qs.filter(read_at__isnull=True) if unread else qs
