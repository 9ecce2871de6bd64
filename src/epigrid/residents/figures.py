"""Arrival figures for maps and home pages, per grid (registered with regions in ResidentsConfig.ready)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from .models import Arrival

ARRIVAL_WINDOW_DAYS = 14


def recent_arrivals(*, as_of, day, grids=None) -> dict[str, int]:
    """Arrivals registered by `as_of` whose arrival date is within the last 14 days (today included)."""
    qs = Arrival.objects.filter(arrival_date__gt=day - timedelta(days=ARRIVAL_WINDOW_DAYS), arrival_date__lte=day,
                                created_at__lte=as_of)
    if grids is not None:
        qs = qs.filter(grid_code__in=grids)
    return dict(qs.order_by().values("grid_code").annotate(n=Count("id")).values_list("grid_code", "n"))


def register() -> None:
    from epigrid.regions.figures import Figure
    from epigrid.regions.figures import register as add

    add(Figure("arrivals", _("Arrivals, last 14 days"), recent_arrivals, order=40, worse_when_higher=False))
