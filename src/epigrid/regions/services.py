"""Writes to the division tree and the grids: GeoJSON import and grid worker assignment."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

import numpy as np
import shapely
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from pyproj import Geod

from epigrid.accounts.roles import REGIONS_EDIT, Role
from epigrid.core.audit import audit_event, audit_record, audit_record_many
from epigrid.core.errors import Conflict, FieldError, NotFound, ServiceError
from epigrid.core.geo import CRS_CHOICES, in_china, transform_geometry
from epigrid.core.principals import Actor, service
from epigrid.core.scoping import LEVELS, code_level, code_prefix, strictly_below
from epigrid.core.validators import is_ascii_digits, text_problem

from .models import Division, Grid, RegionsRevision, level_label

MAX_FEATURES = 100_000
# Each level's possible parents. Beijing and the other municipalities put districts right under the
# province-level code, without the statistical "市辖区" city level, so a district may have either.
ALLOWED_PARENTS = {
    "province": (),
    "city": ("province",),
    "district": ("city", "province"),
    "street": ("district",),
    "community": ("street",),
    "grid": ("community",),
}
# Map outlines are simplified to about 5 m and rounded to 1e-5 degrees (about 1 m): the exact polygon
# stays in `geometry` for locating, the map copy is several times smaller.
MAP_TOLERANCE_DEG = 0.00005
_GEOD = Geod(ellps="WGS84")


@dataclass
class _Feature:
    index: int
    code: str
    name: str
    level: str
    parent_code: str
    geom: object | None  # shapely geometry in WGS-84


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


def _where(index: int, prop: str | None = None) -> str:
    return f"features[{index}]" + (f".{prop}" if prop else "")


def _load_document(data) -> list:
    if isinstance(data, (bytes, bytearray)):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ServiceError(_("The file is not UTF-8 text."), [FieldError("body", _("not UTF-8 text"))]) from None
    if isinstance(data, str):
        if not data.strip():
            raise ServiceError(_("The file is empty."), [FieldError("body", _("empty"))])
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise ServiceError(_("The file is not valid JSON."), [FieldError("body", str(exc))]) from None
        except RecursionError:
            raise ServiceError(_("The file is not valid JSON."),
                               [FieldError("body", _("nested too deeply"))]) from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise ServiceError(_("Expected a GeoJSON FeatureCollection."),
                           [FieldError("type", _("must be \"FeatureCollection\""))])
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise ServiceError(_("The FeatureCollection has no features."),
                           [FieldError("features", _("must be a non-empty list"))])
    if len(features) > MAX_FEATURES:
        raise ServiceError(_("Too many features in one file."),
                           [FieldError("features", _("at most %(n)d per import") % {"n": MAX_FEATURES})])
    return features


def _geometry(index: int, raw, crs: str, errors: list[FieldError]):
    where = _where(index, "geometry")
    if raw.get("type") not in ("Polygon", "MultiPolygon"):
        errors.append(FieldError(where, _("must be a Polygon or MultiPolygon, not %(t)s") % {"t": raw.get("type")}))
        return None
    try:
        geom = shapely.from_geojson(json.dumps(raw))
    except (shapely.errors.GEOSException, ValueError, TypeError) as exc:
        errors.append(FieldError(where, _("malformed coordinates: %(e)s") % {"e": exc}))
        return None
    if geom.is_empty:
        errors.append(FieldError(where, _("the polygon is empty")))
        return None
    coords = shapely.get_coordinates(geom)
    if not np.isfinite(coords).all() or not in_china(coords[:, 0], coords[:, 1]).all():
        errors.append(FieldError(where, _("coordinates lie outside China (expected longitude, latitude in degrees)")))
        return None
    geom = transform_geometry(shapely.force_2d(geom), crs)
    reason = shapely.is_valid_reason(geom)
    if reason != "Valid Geometry":
        errors.append(FieldError(where, _("invalid polygon: %(r)s") % {"r": reason}))
        return None
    if geom.area == 0:
        errors.append(FieldError(where, _("the polygon has no area")))
        return None
    return geom


def _code(value) -> str:
    """A code as text: GIS tools write codes as strings or as integers; nothing else is a code."""
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    return value.strip()[:20] if isinstance(value, str) else ""


def _parse_feature(index: int, raw, crs: str, errors: list[FieldError]) -> _Feature | None:
    if not isinstance(raw, dict) or raw.get("type") != "Feature":
        errors.append(FieldError(_where(index), _("must be a GeoJSON Feature")))
        return None
    props = raw.get("properties")
    if not isinstance(props, dict):
        errors.append(FieldError(_where(index, "properties"), _("missing")))
        return None
    before = len(errors)
    code, parent_code = _code(props.get("code")), _code(props.get("parent_code") or props.get("parent"))
    level = props.get("level").strip().lower() if isinstance(props.get("level"), str) else ""
    name = props.get("name").strip() if isinstance(props.get("name"), str) else props.get("name")
    if level not in LEVELS:
        errors.append(FieldError(_where(index, "properties.level"),
                                 _("must be one of %(levels)s") % {"levels": ", ".join(LEVELS)}))
    want = 15 if level == "grid" else 12
    if not is_ascii_digits(code, want):
        errors.append(FieldError(_where(index, "properties.code"),
                                 _("must be %(n)d digits, got %(code)r") % {"n": want, "code": code}))
    elif level in LEVELS and code_level(code) != level:
        errors.append(FieldError(_where(index, "properties.code"),
                                 _("%(code)s is not a %(level)s code") % {"code": code, "level": level_label(level)}))
    if problem := text_problem(name, max_length=100):
        errors.append(FieldError(_where(index, "properties.name"), problem))
    if level != "province" and not parent_code:
        errors.append(FieldError(_where(index, "properties.parent_code"), _("required")))
    geom = None
    raw_geom = raw.get("geometry")
    if raw_geom is None:
        if level == "grid":
            errors.append(FieldError(_where(index, "geometry"), _("a grid needs a Polygon or MultiPolygon")))
    elif not isinstance(raw_geom, dict):
        errors.append(FieldError(_where(index, "geometry"), _("must be a GeoJSON geometry object")))
    else:
        geom = _geometry(index, raw_geom, crs, errors)
    if len(errors) > before:
        return None
    return _Feature(index, code, name, level, parent_code, geom)


def _check_tree(features: list[_Feature], actor, errors: list[FieldError]) -> None:
    """Codes are the writer's to edit; parents prefix their children, exist (in the file or the
    database) and sit at an allowed level.

    The prefix check comes before any lookup, so only ancestors of a code the writer may edit are ever
    looked up: an error never tells whether a code outside the writer's jurisdiction exists.
    """
    in_file: dict[str, _Feature] = {}
    for f in features:
        if f.code in in_file:
            errors.append(FieldError(_where(f.index, "properties.code"),
                                     _("duplicate of features[%(i)d]") % {"i": in_file[f.code].index}))
        in_file[f.code] = f
    checked = []
    for f in features:
        if not strictly_below(actor, REGIONS_EDIT, f.code):
            errors.append(FieldError(_where(f.index, "properties.code"),
                                     _("%(code)s is outside your jurisdiction") % {"code": f.code}))
        elif f.level != "province" and (code_level(f.parent_code) is None
                                        or not f.code.startswith(code_prefix(f.parent_code))
                                        or f.code == f.parent_code):
            errors.append(FieldError(_where(f.index, "properties.code"),
                                     _("%(code)s is not under its parent %(p)s") % {"code": f.code, "p": f.parent_code}))
        elif f.level != "province":
            checked.append(f)
    wanted = {f.parent_code for f in checked} - in_file.keys()
    known = dict(Division.objects.filter(code__in=wanted).values_list("code", "level"))
    for f in checked:
        where = _where(f.index, "properties.parent_code")
        parent_level = in_file[f.parent_code].level if f.parent_code in in_file else known.get(f.parent_code)
        if parent_level is None:
            errors.append(FieldError(where, _("parent %(p)s does not exist") % {"p": f.parent_code}))
        elif parent_level not in ALLOWED_PARENTS[f.level]:
            errors.append(FieldError(where, _("a %(level)s cannot sit under a %(parent)s")
                                     % {"level": level_label(f.level), "parent": level_label(parent_level)}))


def _map_geometry(geom) -> str:
    simple = shapely.simplify(geom, MAP_TOLERANCE_DEG, preserve_topology=True)
    return shapely.to_geojson(shapely.transform(simple, lambda c: np.round(c, 5)))


def _area_m2(geom) -> float:
    return abs(_GEOD.geometry_area_perimeter(geom)[0])


@service
def regions_import(*, actor: Actor, data, crs: str = "wgs84") -> ImportResult:
    """Create or update divisions and grids from a GeoJSON FeatureCollection, all or nothing.

    Properties: code, name, level (province|city|district|street|community|grid), parent_code. Every
    problem is reported with its feature index; if there is any, nothing is written. SYSTEM is the
    command line (the operator of the install); a user needs `regions.edit` over every code, and may not
    edit their own node (the level above maintains it).
    """
    if crs not in CRS_CHOICES:
        raise ServiceError(_("Unknown coordinate system."),
                           [FieldError("crs", _("must be one of %(c)s") % {"c": ", ".join(CRS_CHOICES)})])
    raw_features = _load_document(data)
    errors: list[FieldError] = []
    features = [f for i, raw in enumerate(raw_features) if (f := _parse_feature(i, raw, crs, errors))]
    if not errors:
        _check_tree(features, actor, errors)
    if errors:
        raise ServiceError(ngettext("%(n)d problem found; nothing was imported.",
                                    "%(n)d problems found; nothing was imported.", len(errors)) % {"n": len(errors)},
                           errors)

    try:
        return _write(features, actor)
    except IntegrityError:
        # Another import created one of these codes between our read and our write (PostgreSQL runs
        # them side by side; SQLite's IMMEDIATE transactions queue them instead).
        raise Conflict(_("Another import changed these divisions or grids at the same time; try again.")) from None


def _write(features: list[_Feature], actor) -> ImportResult:
    result = ImportResult()
    now = timezone.now()
    events = []
    with transaction.atomic():
        ids: dict[str, int] = {}
        for level in LEVELS[:-1]:
            batch = [f for f in features if f.level == level]
            if batch:
                _upsert_divisions(batch, ids, now, actor, result, events)
        grids = [f for f in features if f.level == "grid"]
        if grids:
            _upsert_grids(grids, now, actor, result, events)
            # A fresh random value rather than +1: a rolled-back import can never leave another process
            # holding an index whose revision number comes round again.
            RegionsRevision.objects.update_or_create(pk=1, defaults={"value": secrets.randbits(62)})
        audit_record_many(events)
    return result


def _parent_ids(batch: list[_Feature], ids: dict[str, int]) -> None:
    missing = {f.parent_code for f in batch if f.parent_code and f.parent_code not in ids}
    ids.update(Division.objects.filter(code__in=missing).values_list("code", "id"))


def _upsert_divisions(batch, ids, now, actor, result, events) -> None:
    _parent_ids(batch, ids)
    existing = {d.code: d for d in Division.objects.filter(code__in=[f.code for f in batch])}
    new, changed = [], []
    for f in batch:
        values = {
            "name": f.name,
            "level": f.level,
            "parent_id": ids.get(f.parent_code),
            "geometry": shapely.to_geojson(f.geom) if f.geom is not None else "",
            "map_geometry": _map_geometry(f.geom) if f.geom is not None else "",
        }
        _collect(Division, f, values, existing, new, changed, now, actor, result, events)
    Division.objects.bulk_create(new, batch_size=2000)
    Division.objects.bulk_update(changed, ["name", "level", "parent_id", "geometry", "map_geometry", "updated_at"],
                                 batch_size=2000)
    ids.update((d.code, d.id) for d in new)
    ids.update((d.code, d.id) for d in changed)


def _upsert_grids(batch, now, actor, result, events) -> None:
    ids: dict[str, int] = {}
    _parent_ids(batch, ids)
    existing = {g.code: g for g in Grid.objects.filter(code__in=[f.code for f in batch])}
    new, changed = [], []
    for f in batch:
        centroid = f.geom.centroid
        values = {
            "name": f.name,
            "community_id": ids[f.parent_code],
            "geometry": shapely.to_geojson(f.geom),
            "map_geometry": _map_geometry(f.geom),
            "area_m2": round(_area_m2(f.geom), 1),
            "centroid_lon": round(centroid.x, 6),
            "centroid_lat": round(centroid.y, 6),
        }
        _collect(Grid, f, values, existing, new, changed, now, actor, result, events)
    Grid.objects.bulk_create(new, batch_size=2000)
    Grid.objects.bulk_update(changed, ["name", "community_id", "geometry", "map_geometry", "area_m2",
                                       "centroid_lon", "centroid_lat", "updated_at"], batch_size=2000)


def _collect(model, f, values, existing, new, changed, now, actor, result, events) -> None:
    """Sort one feature into new / changed / unchanged and queue its audit event (geometry by name only)."""
    kind = model.__name__.lower()
    obj = existing.get(f.code)
    if obj is None:
        new.append(model(code=f.code, updated_at=now, **values))
        result.created += 1
        changes = {k: [None, v] for k, v in values.items() if k in ("name", "level")}
        events.append(audit_event(actor=actor, action=f"{kind}.create", object_type=kind, object_id=f.code,
                                  object_repr=f.name, jurisdiction_code=f.code, changes=changes))
        return
    changes = {}
    for key, value in values.items():
        old = getattr(obj, key)
        if old != value:
            # Polygons are large and not secret, but the log records that they changed, not the shapes.
            changes[key] = True if "geometry" in key or key.startswith("centroid") else [old, value]
            setattr(obj, key, value)
    if not changes:
        result.unchanged += 1
        return
    obj.updated_at = now
    changed.append(obj)
    result.updated += 1
    events.append(audit_event(actor=actor, action=f"{kind}.update", object_type=kind, object_id=f.code,
                              object_repr=f.name, jurisdiction_code=f.code, changes=changes))


@service
def grid_set_workers(*, actor: Actor, grid_code: str, usernames: list[str]) -> Grid:
    """Name the grid workers responsible for a grid (each must hold the grid_worker role there)."""
    from epigrid.accounts.models import User

    grid = Grid.objects.restrict(actor, REGIONS_EDIT).filter(code=grid_code).first()
    if grid is None:
        raise NotFound(_("No such grid."))
    users = list(User.objects.filter(username__in=usernames, is_active=True))
    found = {u.username for u in users}
    # One message whether the name is unknown or belongs to someone elsewhere (another city, say):
    # the form must not tell which user names exist.
    not_here = [u for u in usernames if u not in found] + [
        u.username for u in users if not any(grid.code.startswith(code_prefix(m.node_code))
                                             for m in u.memberships.all() if m.role == Role.GRID_WORKER)]
    errors = [FieldError("workers", _("%(u)s is not a grid worker of this grid") % {"u": u}) for u in not_here]
    if errors:
        raise ServiceError(_("Cannot assign these workers."), errors)
    before = sorted(grid.workers.values_list("username", flat=True))
    with transaction.atomic():
        grid.workers.set(users)
        audit_record(actor=actor, action="grid.set_workers", object_type="grid", object_id=grid.code,
                     object_repr=grid.name, jurisdiction_code=grid.code,
                     changes={"workers": [before, sorted(found)]})
    return grid
