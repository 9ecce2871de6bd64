"""Request-scoped facts the services need but should not take from the request (the client address),
and the template context every page gets."""

import contextvars

client_address: contextvars.ContextVar[str | None] = contextvars.ContextVar("client_address", default=None)


def platform(request):
    from django.conf import settings

    from epigrid.accounts.roles import AUDIT_VIEW, HEALTH_RECORD, INCIDENT_REPORT, RESIDENTS_VIEW
    from epigrid.core.scoping import can

    user = getattr(request, "user", None)
    return {
        "can_audit": bool(user and can(user, AUDIT_VIEW)),
        "can_residents": bool(user and can(user, RESIDENTS_VIEW)),
        "can_health": bool(user and can(user, HEALTH_RECORD)),
        "can_patrol": bool(user and can(user, INCIDENT_REPORT)),
        "map_tile_url": settings.MAP_TILE_URL,
    }
