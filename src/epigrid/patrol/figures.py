"""Incident figures for maps and home pages, per grid (registered with regions in PatrolConfig.ready).
Open: reported and not yet closed, rejected or evaluated; overdue: running past its deadline (the flag
that `incident_escalate_overdue` sets)."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from .models import Incident
from .workflow import RUNNING

S = Incident.State
ENDED = (S.CLOSED, S.EVALUATED, S.REJECTED)


def _per_grid(qs, grids) -> dict[str, int]:
    if grids is not None:
        qs = qs.filter(grid_code__in=grids)
    return dict(qs.order_by().values("grid_code").annotate(n=Count("id")).values_list("grid_code", "n"))


def _open_at(as_of):
    return Incident.objects.filter(reported_at__lte=as_of).filter(
        ~Q(state__in=ENDED) | Q(closed_at__gt=as_of))


def open_incidents(*, as_of, day, grids=None) -> dict[str, int]:
    return _per_grid(_open_at(as_of), grids)


def overdue_incidents(*, as_of, day, grids=None) -> dict[str, int]:
    qs = _open_at(as_of).filter(overdue=True).filter(Q(state__in=RUNNING) | Q(closed_at__gt=as_of))
    return _per_grid(qs, grids)


def register() -> None:
    from epigrid.regions.figures import Figure, Work, register_work
    from epigrid.regions.figures import register as add

    add(Figure("incidents", _("Open incidents"), open_incidents, order=50))
    add(Figure("overdue", _("Overdue incidents"), overdue_incidents, order=60))
    register_work(Work("incidents", dispatched_to_me, order=30))


def dispatched_to_me(*, user, now) -> dict | None:
    """Incidents dispatched to the user, waiting to be handled (earliest deadline first)."""
    from django.urls import reverse
    from django.utils import timezone
    from django.utils.formats import date_format

    from epigrid.accounts.roles import INCIDENT_HANDLE
    from epigrid.core.scoping import user_prefixes

    if not user_prefixes(user, INCIDENT_HANDLE):
        return None
    from .selectors import incidents_visible

    qs = (incidents_visible(user).filter(state=S.DISPATCHED, assignee=user).select_related("category")
          .order_by("deadline", "reported_at"))
    rows = list(qs[:10])
    return {"label": str(_("Incidents dispatched to you")), "count": qs.count(),
            "url": reverse("patrol:home"),
            "items": [{"text": f"#{i.pk} {i.category.label}", "url": reverse("patrol:incident", args=[i.pk]),
                       "note": (str(_("deadline %(d)s") % {"d": date_format(timezone.localtime(i.deadline), "Y-m-d H:i")})
                                if i.deadline else "") + (f" · {_('overdue')}" if i.overdue else "")}
                      for i in rows]}
