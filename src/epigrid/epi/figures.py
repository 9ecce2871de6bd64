"""Tracing figures for maps, home pages and the commander, per grid (registered with regions in
EpiConfig.ready; regions sums grids into divisions and keeps them per node and day). Counts only, never a
person: this is what a commander (epi.figures) sees of the epidemic."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from .models import INFECTED, Case, Contact, ContactStatus


def _per_grid(qs, grids) -> dict[str, int]:
    if grids is not None:
        qs = qs.filter(grid_code__in=grids)
    return dict(qs.order_by().values("grid_code").annotate(n=Count("id")).values_list("grid_code", "n"))


def current_cases(*, as_of, day, grids=None) -> dict[str, int]:
    """Infected people (confirmed or asymptomatic) reported by `day` and without an outcome by then, by
    their address grid. The classification is today's (a case confirmed today counts on a rebuilt past day
    too; the analysis rollups of issue 13 keep the history)."""
    qs = Case.objects.filter(classification__in=INFECTED, report_date__lte=day, created_at__lte=as_of).filter(
        Q(outcome="") | Q(outcome_date__gt=day))
    return _per_grid(qs, grids)


def new_cases(*, as_of, day, grids=None) -> dict[str, int]:
    """Infected people reported on `day`."""
    return _per_grid(Case.objects.filter(classification__in=INFECTED, report_date=day, created_at__lte=as_of), grids)


def managed_contacts(*, as_of, day, grids=None) -> dict[str, int]:
    """Close and secondary contacts under management at `as_of`."""
    qs = Contact.objects.filter(created_at__lte=as_of).filter(
        Q(status=ContactStatus.MANAGED) | Q(ended_at__gt=as_of)).exclude(
        status=ContactStatus.RELEASED, ended_at__lte=as_of)
    return _per_grid(qs, grids)


def register() -> None:
    from epigrid.regions.figures import Figure
    from epigrid.regions.figures import register as add

    add(Figure("cases", _("Current cases"), current_cases, order=70))
    add(Figure("new_cases", _("New cases"), new_cases, order=75))
    add(Figure("contacts", _("Contacts under management"), managed_contacts, order=80))
