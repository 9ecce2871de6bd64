"""The map of a node: its child divisions (city -> districts -> streets -> communities) or, at a community
(or a grid), its grids, coloured by a figure, with the legend's classes and the figure's date.

Registered figures (figures.py: observations, alerts, arrivals, incidents...) are read from the rollup
rows (rollups.py), a few rows per map; the grid's own properties (area, workers, count) are summed from
the grids table as before. Built from the pre-simplified `map_geometry` strings without parsing them.
"""

from __future__ import annotations

import json

from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from epigrid.accounts.roles import MAP_VIEW
from epigrid.core.scoping import code_prefix

from . import rollups
from .figures import figure as registered
from .figures import figures
from .legend import classes
from .models import Division
from .selectors import _division_values, division_get, grid_get, grids_within

# The grids' own figures: label, unit and how to sum them over a queryset of grids.
GRID_FIGURES = {
    "area": (_("Area"), _("km²"), Sum("area_m2") / 1e6),
    "workers": (_("Grid workers"), "", Count("workers", distinct=True)),
    "grids": (_("Grids"), "", Count("id", distinct=True)),
}


def figure_choices() -> list[tuple[str, str]]:
    """(key, label) of every figure a map can show: today's first, then the grids' own."""
    return [(f.key, str(f.label)) for f in figures()] + [(k, str(v[0])) for k, v in GRID_FIGURES.items()]


def default_figure() -> str:
    found = figures()
    return found[0].key if found else "area"


def valid_figure(key: str | None) -> str:
    return key if key and (registered(key) or key in GRID_FIGURES) else default_figure()


def _feature(kind: str, level: str, code: str, name: str, value, geometry: str) -> str:
    props = json.dumps({"kind": kind, "level": level, "code": code, "name": name, "value": value},
                       ensure_ascii=False)
    return f'{{"type":"Feature","properties":{props},"geometry":{geometry}}}'


def _round(value):
    return None if value is None else round(float(value), 3)


def as_of_text(moment) -> str:
    return date_format(timezone.localtime(moment), "Y-m-d H:i")


def map_layer(*, user, within: str, figure: str = "", max_grids: int = 5000) -> str:
    """GeoJSON (as text) for the map of `within`, coloured by `figure`; `meta` carries the legend's
    classes, the figure's date and `context`: the outline and name of the district around `within`, for a
    map without base tiles."""
    figure = valid_figure(figure)
    if len(within) == 15:
        node, level = grid_get(user=user, code=within), "grid"
    else:
        node = division_get(user=user, code=within)
        level = node.level
    grids = grids_within(user=user, code=within, checked=node)
    children = []
    if level not in ("grid", "community"):
        children = list(Division.objects.restrict(user, MAP_VIEW).filter(parent__code=within)
                        .exclude(map_geometry="").values_list("code", "name", "level", "map_geometry"))
    today = timezone.localdate()
    f = registered(figure)
    if f is not None:
        rollups.figures_fresh()
        as_of = rollups.computed_at(today) or timezone.now()
    else:
        as_of = timezone.now()
    features, values = [], []
    if children:
        codes = [c[0] for c in children]
        if f is not None:
            found = rollups.values_at(figure=figure, day=today, codes=codes)
        else:
            by_prefix = _division_values(grids, Division.objects.filter(code__in=codes), GRID_FIGURES[figure][2])
            found = {code: by_prefix.get(code_prefix(code)) for code in codes}
        for code, name, child_level, geometry in children:
            value = _round(found.get(code, 0 if f is not None else None))
            values.append(value)
            features.append(_feature("division", child_level, code, name, value, geometry))
        kind = "division"
    else:
        rows = list(grids.values_list("code", "name", "map_geometry")[:max_grids])
        if f is not None:
            found = rollups.values_under(figure=figure, day=today, level="grid", prefix=code_prefix(within))
        else:
            found = dict(grids.values("code").annotate(v=GRID_FIGURES[figure][2]).values_list("code", "v"))
        for code, name, geometry in rows:
            value = _round(found.get(code, 0 if f is not None else None))
            values.append(value)
            features.append(_feature("grid", "grid", code, name, value, geometry))
        kind = "grid"
    label, unit = (f.label, "") if f is not None else GRID_FIGURES[figure][:2]
    meta = json.dumps({"figure": figure, "label": str(label), "unit": str(unit), "kind": kind, "within": within,
                       "level": level, "as_of": timezone.localtime(as_of).isoformat(),
                       "as_of_text": str(_("as of %(time)s") % {"time": as_of_text(as_of)}),
                       "classes": classes(values), "context": _context(user, within, level)},
                      ensure_ascii=False)
    return f'{{"type":"FeatureCollection","meta":{meta},"features":[{",".join(features)}]}}'


def _context(user, within: str, level: str) -> list[dict]:
    """The district around a map below district level (its outline and name), when the user may see it."""
    if level in ("province", "city", "district"):
        return []
    district = within[:6].ljust(12, "0")
    row = (Division.objects.restrict(user, MAP_VIEW).filter(code=district).exclude(map_geometry="")
           .values_list("code", "name", "map_geometry").first())
    if row is None:
        return []
    return [{"type": "Feature", "properties": {"code": row[0], "name": row[1]}, "geometry": json.loads(row[2])}]
