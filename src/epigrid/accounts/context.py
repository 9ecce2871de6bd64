"""The template context every page gets: the menu entries the user's roles may open."""

from django.conf import settings

from epigrid.core.scoping import can, may_read

from .roles import (
    AUDIT_VIEW,
    EPI_EDIT,
    EPI_TASK,
    EPI_VIEW,
    HEALTH_RECORD,
    HEALTH_VIEW,
    INCIDENT_REPORT,
    INCIDENT_VIEW,
    KPI_VIEW,
    MAP_VIEW,
    RESIDENTS_VIEW,
)


def platform(request):
    # The menu offers only the pages the role may open (the same checks the views make).
    user = getattr(request, "user", None)
    return {
        "can_audit": bool(user and can(user, AUDIT_VIEW)),
        "can_map": bool(user and can(user, MAP_VIEW)),
        "can_residents": bool(user and can(user, RESIDENTS_VIEW)),
        "can_health": bool(user and can(user, HEALTH_RECORD)),
        "can_observations": bool(user and can(user, HEALTH_VIEW)),
        "can_patrol": bool(user and may_read(user, INCIDENT_VIEW)),
        "can_report": bool(user and can(user, INCIDENT_REPORT)),
        "can_kpis": bool(user and can(user, KPI_VIEW)),
        # Tracing: people (cases, contacts) only for EPI_VIEW; a commander's EPI_FIGURES shows none.
        "can_epi": bool(user and can(user, EPI_VIEW)),
        "can_epi_edit": bool(user and can(user, EPI_EDIT)),
        "can_epi_tasks": bool(user and can(user, EPI_TASK)),
        "map_tile_url": settings.MAP_TILE_URL,
    }
