"""Which grid contains a point: an in-memory index over every grid, built once per process and rebuilt
when the grids change (RegionsRevision), queried a million points at a time with numpy and shapely 2's
vectorised calls.

The index is a uniform bucket grid over the grids' bounding boxes (buckets about the size of a grid),
each bucket listing the grids whose box overlaps it, in code order. A point's candidates come from
arithmetic on its coordinates, so no shapely Point is ever built; each candidate's box is checked in
numpy and only then the exact, boundary-inclusive test (`shapely.intersects_xy` on prepared polygons).
Candidates are tried in code order and a point stops at its first hit, which is the lowest code.
Points go through in chunks, so memory stays bounded whatever the input size.

Written by hand rather than with shapely's STRtree alone because the tree needs a shapely Point per
query point, and building a million of them plus the bbox query costs about as much as the whole
500,000 points/s budget (bench/locate.py prints that floor beside this path's figure).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import shapely

from epigrid.core.geo import CRS_CHOICES, to_wgs84

from .models import Grid, RegionsRevision

CHUNK = 65_536  # points per pass: large enough to amortise numpy calls, small enough to stay in cache
MAX_BUCKETS = 4_000_000


@dataclass
class GridIndex:
    revision: int
    codes: np.ndarray  # sorted ascending: index order == code order
    geoms: np.ndarray  # prepared shapely polygons
    bounds: np.ndarray  # (n, 4): west, south, east, north of each grid
    origin: tuple[float, float] = (0.0, 0.0)
    cell: tuple[float, float] = (1.0, 1.0)
    shape: tuple[int, int] = (1, 1)  # buckets along x, along y
    starts: np.ndarray | None = None  # bucket b lists members[starts[b]:starts[b + 1]]
    members: np.ndarray | None = None  # grid indices, ascending within each bucket

    def buckets(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Bucket of each (finite) point. The same float expression places the boxes' corners, and it
        is monotonic, so a point inside a box always lands in a bucket that lists that box."""
        (x0, y0), (cw, ch), (nx, ny) = self.origin, self.cell, self.shape
        ix = np.clip(np.floor((x - x0) / cw), 0, nx - 1).astype(np.int64)
        iy = np.clip(np.floor((y - y0) / ch), 0, ny - 1).astype(np.int64)
        return iy * nx + ix


_lock = threading.Lock()
_index: GridIndex | None = None


def _revision() -> int:
    return RegionsRevision.objects.filter(pk=1).values_list("value", flat=True).first() or 0


def _build(revision: int, codes: np.ndarray, geoms: np.ndarray) -> GridIndex:
    shapely.prepare(geoms)
    bounds = shapely.bounds(geoms).reshape(-1, 4)
    index = GridIndex(revision, codes, geoms, bounds)
    if not len(codes):
        index.starts, index.members = np.zeros(2, dtype=np.int64), np.zeros(0, dtype=np.int32)
        return index
    west, south = bounds[:, 0].min(), bounds[:, 1].min()
    width, height = bounds[:, 2].max() - west, bounds[:, 3].max() - south
    cw = float(np.median(bounds[:, 2] - bounds[:, 0])) or width or 1.0
    ch = float(np.median(bounds[:, 3] - bounds[:, 1])) or height or 1.0
    while True:
        nx, ny = int(width // cw) + 1, int(height // ch) + 1
        if nx * ny <= MAX_BUCKETS:
            break
        cw, ch = cw * 2, ch * 2
    index.origin, index.cell, index.shape = (float(west), float(south)), (cw, ch), (nx, ny)
    # Every (bucket, grid) pair whose box overlaps the bucket, listed by bucket, grids in code order.
    low, high = index.buckets(bounds[:, 0], bounds[:, 1]), index.buckets(bounds[:, 2], bounds[:, 3])
    ix0, iy0, ix1, iy1 = low % nx, low // nx, high % nx, high // nx
    span_x = ix1 - ix0 + 1
    per_grid = span_x * (iy1 - iy0 + 1)
    grid = np.repeat(np.arange(len(codes)), per_grid)
    offset = np.arange(len(grid)) - np.repeat(np.cumsum(per_grid) - per_grid, per_grid)
    bucket = (iy0[grid] + offset // span_x[grid]) * nx + ix0[grid] + offset % span_x[grid]
    order = np.argsort(bucket, kind="stable")
    index.members = grid[order].astype(np.int32)
    index.starts = np.concatenate([[0], np.cumsum(np.bincount(bucket, minlength=nx * ny))])
    return index


def grid_index() -> GridIndex:
    global _index
    revision = _revision()
    with _lock:
        if _index is None or _index.revision != revision:
            rows = list(Grid.objects.order_by("code").values_list("code", "geometry"))
            codes = np.array([r[0] for r in rows], dtype=object)
            geoms = shapely.from_geojson([r[1] for r in rows]) if rows else np.array([], dtype=object)
            _index = _build(revision, codes, geoms)
        return _index


def _locate_chunk(index: GridIndex, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Index of the lowest-code grid containing each point (boundary included), -1 for none."""
    best = np.full(len(lon), -1, dtype=np.int64)
    points = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat))
    bucket = index.buckets(lon[points], lat[points])
    start = index.starts[bucket]
    count = index.starts[bucket + 1] - start
    keep = count > 0
    points, start, count = points[keep], start[keep], count[keep]
    rank = 0
    while len(points):
        grid = index.members[start + rank]
        x, y = lon[points], lat[points]
        box = index.bounds[grid]
        hit = (box[:, 0] <= x) & (x <= box[:, 2]) & (box[:, 1] <= y) & (y <= box[:, 3])
        hit[hit] = shapely.intersects_xy(index.geoms[grid[hit]], x[hit], y[hit])
        best[points[hit]] = grid[hit]
        rank += 1
        more = ~hit & (count > rank)
        points, start, count = points[more], start[more], count[more]
    return best


def locate_many(lons, lats, crs: str = "wgs84", index: GridIndex | None = None) -> np.ndarray:
    """Grid codes for arrays of points (None where no grid contains the point).

    A point on an edge shared by two grids belongs to both polygons (intersects, not within); it goes to
    the lower code: candidates are tried in code order and the first hit wins.
    """
    if crs not in CRS_CHOICES:
        raise ValueError(f"unknown coordinate system {crs!r}; use one of {', '.join(CRS_CHOICES)}")
    index = index or grid_index()
    lons, lats = np.ravel(lons), np.ravel(lats)
    if len(lons) != len(lats):
        raise ValueError("lons and lats differ in length")
    out = np.full(len(lons), None, dtype=object)
    if not len(index.codes) or not len(lons):
        return out
    for i in range(0, len(lons), CHUNK):
        lon, lat = to_wgs84(lons[i:i + CHUNK], lats[i:i + CHUNK], crs)
        best = _locate_chunk(index, lon, lat)
        found = np.flatnonzero(best >= 0)
        out[i + found] = index.codes[best[found]]
    return out


def locate(lon: float, lat: float, crs: str = "wgs84") -> str | None:
    return locate_many([lon], [lat], crs)[0]
