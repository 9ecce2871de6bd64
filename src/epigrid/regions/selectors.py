"""Scoped reads of divisions and grids. Everything goes through `.restrict(user, ...)`."""

from __future__ import annotations

import json

from django.db.models.functions import Substr
from django.utils.translation import gettext_lazy as _

from epigrid.accounts.roles import MAP_VIEW
from epigrid.core.errors import NotFound
from epigrid.core.scoping import (
    ancestor_codes,
    code_level,
    code_prefix,
    in_scope,
    prefix_q,
    user_prefixes,
)

from .models import Division, Grid


def _light(divisions):
    """Divisions with their parent, without the polygons (the bulk of each row)."""
    return divisions.select_related("parent").defer("geometry", "map_geometry", "parent__geometry",
                                                    "parent__map_geometry")

def division_get(*, user, code: str) -> Division:
    division = _light(Division.objects.restrict(user, MAP_VIEW).filter(code=code)).first()
    if division is None:
        raise NotFound(_("No such division."))
    return division

def grid_workers(grid_code: str) -> list:
    """Who works a grid: the active grid workers named for it (`grid_set_workers` checks that each holds
    the grid-worker role there), in the order they were named. The first follows up its people."""
    through = Grid.workers.through
    rows = through.objects.filter(grid__code=grid_code, user__is_active=True).order_by("id").select_related("user")
    return [row.user for row in rows]

def grid_get(*, user, code: str) -> Grid:
    grid = Grid.objects.restrict(user, MAP_VIEW).filter(code=code).select_related("community").first()
    if grid is None:
        raise NotFound(_("No such grid."))
    return grid

def home_nodes(*, user) -> list[Division | Grid]:
    """The top nodes of the user's jurisdiction: where their pages and maps start."""
    prefixes = user_prefixes(user, MAP_VIEW)
    codes = {m.node_code for m in user.memberships.all() if code_prefix(m.node_code) in prefixes}
    divisions = list(_light(Division.objects.filter(code__in=codes)))
    grids = list(Grid.objects.filter(code__in=codes))
    return sorted(divisions + grids, key=lambda n: n.code)

def division_children(*, user, parent: str | None, checked: Division | None = None) -> list[Division]:
    """Children of `parent` in scope; with no parent, the user's own top divisions. `checked`: the
    parent, already fetched through division_get."""
    if not parent:
        return [n for n in home_nodes(user=user) if isinstance(n, Division)]
    checked or division_get(user=user, code=parent)  # 404 outside the scope
    return list(_light(Division.objects.restrict(user, MAP_VIEW).filter(parent__code=parent)))

def grids_within(*, user, code: str, checked: Division | None = None):
    """Grids under a division (or that grid itself), in the user's scope, as a queryset."""
    if code_level(code) is None:
        raise NotFound(_("No such division."))
    if checked is None:
        (grid_get if len(code) == 15 else division_get)(user=user, code=code)  # 404 outside the scope
    return Grid.objects.restrict(user, MAP_VIEW).filter(prefix_q("code", code_prefix(code)))

def ancestors(code: str, user=None) -> list[Division]:
    """The chain of divisions above a code, top first: names only, a breadcrumb, not a disclosure.
    With `user`, each carries `linked`: whether its own page is in the user's jurisdiction."""
    # Without the outlines: a district's is a large text, and a breadcrumb shows none.
    chain = list(Division.objects.filter(code__in=ancestor_codes(code)).defer("geometry", "map_geometry")
                 .order_by("code"))
    for d in chain:
        d.linked = user is not None and in_scope(user, MAP_VIEW, d.code)
    return chain

def _division_values(grids, children, expression) -> dict:
    """The figure per child division, grouped in SQL by the child's code prefix."""
    lengths = {len(code_prefix(c)) for c in children.values_list("code", flat=True)}
    values = {}
    for n in lengths:
        rows = grids.annotate(p=Substr("code", 1, n)).values("p").annotate(v=expression).values_list("p", "v")
        values.update(rows)
    return values

def regions_export(*, user, within: str) -> dict:
    """A FeatureCollection of every division and grid under `within`, re-importable as it is."""
    if len(within) == 15:
        grid = grid_get(user=user, code=within)
        divisions, grids = [], [grid]
    else:
        division = division_get(user=user, code=within)
        divisions = list(Division.objects.restrict(user, MAP_VIEW).filter(prefix_q("code", code_prefix(within)))
                         .select_related("parent"))
        grids = list(grids_within(user=user, code=division.code).select_related("community"))
    features = []
    for d in divisions:
        features.append({
            "type": "Feature",
            "properties": {"code": d.code, "name": d.name, "level": d.level,
                           "parent_code": d.parent.code if d.parent else None},
            "geometry": json.loads(d.geometry) if d.geometry else None,
        })
    for g in grids:
        features.append({
            "type": "Feature",
            "properties": {"code": g.code, "name": g.name, "level": "grid", "parent_code": g.community.code,
                           "area_m2": g.area_m2},
            "geometry": json.loads(g.geometry),
        })
    return {"type": "FeatureCollection", "features": features}

