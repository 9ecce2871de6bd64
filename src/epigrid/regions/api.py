import json

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from epigrid.accounts.roles import MAP_VIEW
from epigrid.core.api import ERRORS, Pagination
from epigrid.core.errors import FieldError, NotFound, ServiceError
from epigrid.core.geo import Crs, from_wgs84, in_china, to_wgs84
from epigrid.core.scoping import in_scope

from . import maps, selectors
from .locate import locate
from .services import grid_set_workers, regions_import

router = Router(tags=["regions"])



class DivisionOut(Schema):
    code: str
    name: str
    level: str
    level_name: str = Field(..., description="The level as people say it: 直辖市 (municipality) for 北京市.")
    parent_code: str | None = Field(None, alias="parent.code")

    @staticmethod
    def resolve_level_name(obj):
        return obj.get_level_display()


class ChainItem(Schema):
    code: str
    name: str
    level: str
    level_name: str

    @staticmethod
    def resolve_level_name(obj):
        return obj.get_level_display()


class DivisionDetail(Schema):
    code: str
    name: str
    level: str
    level_name: str
    parent_code: str | None
    chain: list[ChainItem]
    children: list[DivisionOut]
    grid_count: int


class GridOut(Schema):
    code: str
    name: str
    community_code: str = Field(..., alias="community.code")
    area_m2: float
    centroid: tuple[float, float]

    @staticmethod
    def resolve_centroid(obj):
        return (obj.centroid_lon, obj.centroid_lat)


class WorkerOut(Schema):
    username: str
    display_name: str


class GridDetail(GridOut):
    chain: list[ChainItem]
    workers: list[WorkerOut]
    geometry: dict

    @staticmethod
    def resolve_geometry(obj):
        return json.loads(obj.geometry)

    @staticmethod
    def resolve_workers(obj):
        return list(obj.workers.all())


class DivisionsQuery(Schema):
    parent: str | None = Field(None, pattern=r"^\d{12}$",
                               description="Parent code; left out: the top divisions of your jurisdiction.")


@router.get("/divisions", response={200: list[DivisionOut], **ERRORS}, summary="Child divisions")
def divisions(request, q: Query[DivisionsQuery]):
    return selectors.division_children(user=request.user, parent=q.parent)


@router.get("/divisions/{code}", response={200: DivisionDetail, **ERRORS}, summary="One division")
def division(request, code: str):
    d = selectors.division_get(user=request.user, code=code)
    return {"code": d.code, "name": d.name, "level": d.level, "level_name": d.get_level_display(),
            "parent_code": d.parent.code if d.parent else None,
            "chain": selectors.ancestors(code),
            "children": selectors.division_children(user=request.user, parent=code, checked=d),
            "grid_count": selectors.grids_within(user=request.user, code=code, checked=d).count()}


class GridsQuery(Schema):
    within: str = Field(..., pattern=r"^\d{12}(\d{3})?$", description="Division code (or a grid's own code).")


@router.get("/grids", response={200: list[GridOut], **ERRORS}, summary="Grids under a division (paginated)")
@paginate(Pagination, page_size=100)
def grids(request, q: Query[GridsQuery]):
    # Only the listed columns: the polygons are the bulk of each row and the list shows none of them.
    return (selectors.grids_within(user=request.user, code=q.within).select_related("community")
            .only("code", "name", "area_m2", "centroid_lon", "centroid_lat", "community__code"))


@router.get("/grids/{code}", response={200: GridDetail, **ERRORS}, summary="One grid, with its GeoJSON")
def grid(request, code: str):
    g = selectors.grid_get(user=request.user, code=code)
    g.chain = selectors.ancestors(code)
    return g


class WorkersIn(Schema):
    usernames: list[str] = Field(..., max_length=100, description="Grid workers responsible for the grid.")


@router.put("/grids/{code}/workers", response={200: GridDetail, **ERRORS}, summary="Set a grid's grid workers")
def grid_workers(request, code: str, body: WorkersIn):
    """Each user must hold the grid_worker role at this grid or above it; the caller needs regions.edit."""
    grid_set_workers(actor=request.user, grid_code=code, usernames=body.usernames)
    return grid(request, code)


class LocateQuery(Schema):
    lon: float = Field(..., ge=-180, le=180)
    lat: float = Field(..., ge=-90, le=90)
    crs: Crs = "wgs84"


class LocateOut(Schema):
    lon: float = Field(..., description="WGS-84")
    lat: float = Field(..., description="WGS-84")
    grid: GridOut


@router.get("/locate", response={200: LocateOut, **ERRORS}, summary="The grid containing a point")
def locate_point(request, q: Query[LocateQuery]):
    """Coordinates may be WGS-84 (GPS), GCJ-02 (Amap, Tencent) or BD-09 (Baidu). 404 when no grid of
    your jurisdiction contains the point."""
    lon, lat = (float(v) for v in to_wgs84(q.lon, q.lat, q.crs))
    if not in_china(lon, lat):
        raise NotFound(_("The point lies outside China."))
    code = locate(lon, lat)
    if code is None or not in_scope(request.user, MAP_VIEW, code):
        raise NotFound(_("No grid of your jurisdiction contains this point."))
    return {"lon": round(lon, 7), "lat": round(lat, 7), "grid": selectors.grid_get(user=request.user, code=code)}


class ImportOut(Schema):
    created: int
    updated: int
    unchanged: int


class ImportQuery(Schema):
    crs: Crs = Field("wgs84", description="Datum of the file's coordinates; stored as WGS-84.")


_GEOJSON_BODY = {"requestBody": {"required": True, "content": {"application/geo+json": {"schema": {
    "type": "object", "required": ["type", "features"],
    "properties": {"type": {"enum": ["FeatureCollection"]},
                   "features": {"type": "array", "minItems": 1, "items": {
                       "type": "object", "required": ["type", "geometry", "properties"],
                       "properties": {"type": {"enum": ["Feature"]}}}}},
    "description": "FeatureCollection; properties: code, name, level, parent_code"}}}}}


@router.post("/regions/import", response={200: ImportOut, **ERRORS}, openapi_extra=_GEOJSON_BODY,
             summary="Import divisions and grids (GeoJSON, all or nothing)")
def import_regions(request, q: Query[ImportQuery]):
    """Creates or updates divisions and grids. Any bad feature: 400 listing every problem by feature
    index (`features[3].properties.code`), and nothing is imported."""
    return regions_import(actor=request.user, data=_read_body(request), crs=q.crs).as_dict()


def _read_body(request) -> bytes:
    """The request body up to IMPORT_MAX_BYTES (Django's own 2.5 MB cap is for forms, too small for a
    city's boundaries); larger bodies answer 413 without being read whole."""
    limit = settings.IMPORT_MAX_BYTES
    too_big = ServiceError(_("The file is too large."), [FieldError("body", _("at most %(mb)d MB")
                                                                    % {"mb": limit // 2**20})], status=413)
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise too_big
    body = request.read(limit + 1)
    if len(body) > limit:
        raise too_big
    return body


class ExportQuery(Schema):
    within: str = Field(..., pattern=r"^\d{12}(\d{3})?$")


@router.get("/regions/export", response={200: dict, **ERRORS}, summary="Export as GeoJSON")
def export_regions(request, q: Query[ExportQuery]):
    return selectors.regions_export(user=request.user, within=q.within)


class MapQuery(Schema):
    within: str = Field(..., pattern=r"^\d{12}(\d{3})?$")
    figure: str = Field("", pattern=r"^[a-z_]{0,32}$",
                        description="observed, alerts, missed, arrivals, incidents, overdue (registered by the "
                                    "apps), area, workers or grids; unknown or left out: the first.")
    crs: Crs = Field("wgs84", description="Datum to return coordinates in (that of your base map tiles).")


@router.get("/map", response={200: dict, **ERRORS}, summary="Map layer: grids or child divisions by figure")
def map_layer(request, q: Query[MapQuery]):
    """GeoJSON for the map page: the child divisions of `within` (the grids of a community) coloured by a
    figure; `meta` holds the legend's classes and the figure's date. Geometry simplified for display."""
    if q.figure and maps.valid_figure(q.figure) != q.figure:
        raise ServiceError(_("Please correct the marked fields."), [FieldError(
            "figure", _("one of %(v)s") % {"v": ", ".join(k for k, _label in maps.figure_choices())})])
    body = maps.map_layer(user=request.user, within=q.within, figure=q.figure,
                               max_grids=settings.MAP_MAX_GRIDS)
    if q.crs != "wgs84":
        body = _reproject_layer(body, q.crs)
    return HttpResponse(body, content_type="application/geo+json")


def _reproject_layer(body: str, crs: str) -> str:
    import numpy as np
    import shapely

    doc = json.loads(body)
    for feature in doc["features"]:
        geom = shapely.from_geojson(json.dumps(feature["geometry"]))
        geom = shapely.transform(geom, lambda c: np.column_stack(from_wgs84(c[:, 0], c[:, 1], crs)).round(6))
        feature["geometry"] = json.loads(shapely.to_geojson(geom))
    for feature in doc["meta"].get("context", []):
        geom = shapely.from_geojson(json.dumps(feature["geometry"]))
        geom = shapely.transform(geom, lambda c: np.column_stack(from_wgs84(c[:, 0], c[:, 1], crs)).round(6))
        feature["geometry"] = json.loads(shapely.to_geojson(geom))
    return json.dumps(doc, ensure_ascii=False)
