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
    from epigrid.regions.figures import Figure
    from epigrid.regions.figures import register as add

    add(Figure("incidents", _("Open incidents"), open_incidents, order=50))
    add(Figure("overdue", _("Overdue incidents"), overdue_incidents, order=60))
