"""Scoped reads of patrols, incidents, notifications and the category tree. Everything through
`.restrict(user, action)`."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from epigrid.accounts.roles import (
    INCIDENT_HANDLE,
    INCIDENT_MANAGE,
    INCIDENT_VIEW,
    OWN_RECORDS,
    PATROL,
    PATROL_VIEW,
    ROLE_ACTIONS,
)
from epigrid.core.errors import NotFound
from epigrid.core.principals import is_user
from epigrid.core.scoping import ancestor_codes, narrow_within

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


def incidents_visible(user):
    """The one rule of which incidents a user reads (list, page, photos, API, workflow steps): every
    incident under the nodes where the role has INCIDENT_VIEW, and, where it only reports or handles
    (a volunteer), its own tasks: those it reported or that were dispatched to it, still within its node."""
    qs = Incident.objects.restrict(user, INCIDENT_VIEW)
    if not is_user(user):
        return qs
    report_action, handle_action = OWN_RECORDS[INCIDENT_VIEW]
    own = (Incident.objects.restrict(user, report_action).filter(reporter=user)
           | Incident.objects.restrict(user, handle_action).filter(assignee=user))
    return qs | own


def patrols_visible(user):
    """Patrols a user reads (and so their GPS tracks): every one under the nodes where the role has
    PATROL_VIEW, and a grid worker's own."""
    qs = Patrol.objects.restrict(user, PATROL_VIEW)
    if not is_user(user):
        return qs
    (own_action,) = OWN_RECORDS[PATROL_VIEW]
    return qs | Patrol.objects.restrict(user, own_action).filter(worker=user)


def incident_get(*, user, incident_id: int) -> Incident:
    incident = (incidents_visible(user).filter(pk=incident_id)
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
    qs = incidents_visible(user).select_related("category")
    if state:
        qs = qs.filter(state=state)
    qs = narrow_within(qs, within or "")
    if mine:
        qs = qs.filter(Q(reporter=user) | Q(assignee=user))
    return qs


def todo(*, user):
    """What waits for this user: incidents dispatched to them, those they reported that are handled
    (to verify), and, for managers, those to register, dispatch, verify or close."""
    mine = Q(state=S.DISPATCHED, assignee=user) | Q(state=S.HANDLED, reporter=user)
    qs = incidents_visible(user).filter(mine)
    managed = Incident.objects.restrict(user, INCIDENT_MANAGE).filter(
        state__in=(S.REPORTED, S.REGISTERED, S.HANDLED, S.VERIFIED))
    return (qs | managed).select_related("category").order_by("deadline", "reported_at")


def photo_get(*, user, photo_id: int) -> IncidentPhoto:
    photo = IncidentPhoto.objects.filter(pk=photo_id, incident__in=incidents_visible(user)).first()
    if photo is None:
        raise NotFound(_("No such photo."))
    return photo


def patrol_get(*, user, patrol_id: int) -> Patrol:
    """A patrol: its worker sees it, and whoever may view the patrols of its grid."""
    patrol = patrols_visible(user).filter(pk=patrol_id).select_related("worker").first()
    if patrol is None:
        raise NotFound(_("No such patrol."))
    return patrol


def patrols_list(*, user, within: str | None = None, mine: bool = False):
    qs = patrols_visible(user).select_related("worker")
    if mine:
        qs = qs.filter(worker=user)
    qs = narrow_within(qs, within or "")
    return qs


def active_patrol(*, user) -> Patrol | None:
    return Patrol.objects.restrict(user, PATROL).filter(worker=user, status=Patrol.Status.ACTIVE).first()


def patrol_track(patrol: Patrol) -> dict:
    """The track as a GeoJSON LineString (WGS-84), points in time order."""
    coords = [[lon, lat] for lon, lat in TrackPoint.objects.filter(patrol=patrol).order_by("recorded_at")
              .values_list("lon", "lat")]
    return {"type": "LineString", "coordinates": coords}


def patrol_plan_readable(user, grid_code: str) -> bool:
    """A grid's patrol plan (its checkpoints) is read by who sees the grid's patrols and who walks it."""
    from epigrid.core.scoping import in_scope

    return any(in_scope(user, action, grid_code) for action in (PATROL_VIEW, *OWN_RECORDS[PATROL_VIEW]))


def patrol_plan_get(*, user, grid_code: str) -> PatrolPlan | None:
    from epigrid.regions.models import Grid

    if not isinstance(grid_code, str) or not patrol_plan_readable(user, grid_code) or \
            not Grid.objects.filter(code=grid_code).exists():
        raise NotFound(_("No such grid."))
    return PatrolPlan.objects.filter(grid_code=grid_code).prefetch_related("checkpoints").first()


def notifications_for(*, user, unread: bool = False):
    qs = Notification.objects.filter(user=user)
    return qs.filter(read_at__isnull=True) if unread else qs


def incident_handlers(grid_code: str) -> list:
    """Everyone who may handle an incident in this grid (the role at the grid or above it), the grid's
    own workers first: the people a dispatch may name. The page's list and the service's check both
    read this, so they cannot disagree."""
    from django.db.models import prefetch_related_objects

    from epigrid.accounts.models import User
    from epigrid.regions.selectors import grid_workers

    roles = [role for role, actions in ROLE_ACTIONS.items() if INCIDENT_HANDLE in actions]
    workers = grid_workers(grid_code)
    prefetch_related_objects(workers, "memberships")  # their roles in one query, not one per worker
    named = [u for u in workers if any(m.role in roles for m in u.memberships.all())]
    others = (User.objects.filter(is_active=True, memberships__role__in=roles,
                                  memberships__node_code__in=[*ancestor_codes(grid_code), grid_code])
              .exclude(pk__in=[u.pk for u in named]).distinct().order_by("username"))
    return named + list(others)
