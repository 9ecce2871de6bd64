"""Which grid contains a point: one STRtree over every grid, built once per process and rebuilt when the
grids change (RegionsRevision), queried a million points at a time with shapely 2's vectorised calls."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import shapely

from epigrid.core.geo import to_wgs84

from .models import Grid, RegionsRevision


@dataclass
class GridIndex:
    revision: int
    codes: np.ndarray  # sorted ascending: tree index order == code order
    geoms: np.ndarray
    tree: shapely.STRtree


_lock = threading.Lock()
_index: GridIndex | None = None


def _revision() -> int:
    return RegionsRevision.objects.filter(pk=1).values_list("value", flat=True).first() or 0


def grid_index() -> GridIndex:
    global _index
    revision = _revision()
    with _lock:
        if _index is None or _index.revision != revision:
            rows = list(Grid.objects.order_by("code").values_list("code", "geometry"))
            codes = np.array([r[0] for r in rows], dtype=object)
            geoms = shapely.from_geojson([r[1] for r in rows]) if rows else np.array([], dtype=object)
            shapely.prepare(geoms)
            _index = GridIndex(revision, codes, geoms, shapely.STRtree(geoms))
        return _index


def locate_many(lons, lats, crs: str = "wgs84", index: GridIndex | None = None) -> np.ndarray:
    """Grid codes for arrays of points (None where no grid contains the point).

    A point on an edge shared by two grids belongs to both polygons (intersects, not within); it goes to
    the lower code, which is the lower tree index because the tree is built in code order.
    """
    index = index or grid_index()
    lon, lat = to_wgs84(np.atleast_1d(lons), np.atleast_1d(lats), crs)
    out = np.full(lon.shape[0], None, dtype=object)
    if not len(index.codes) or not len(lon):
        return out
    # Bounding-box candidates first (cheap), then the exact test on coordinates without building
    # Point objects for the pairs.
    points = shapely.points(lon, lat)
    point_idx, grid_idx = index.tree.query(points)
    hit = shapely.intersects_xy(index.geoms[grid_idx], lon[point_idx], lat[point_idx])
    point_idx, grid_idx = point_idx[hit], grid_idx[hit]
    if len(point_idx):
        best = np.full(lon.shape[0], len(index.codes), dtype=np.int64)
        np.minimum.at(best, point_idx, grid_idx)
        found = best < len(index.codes)
        out[found] = index.codes[best[found]]
    return out


def locate(lon: float, lat: float, crs: str = "wgs84") -> str | None:
    return locate_many([lon], [lat], crs)[0]
