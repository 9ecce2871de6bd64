"""Locate a million points: `epigrid.regions.locate.locate_many` over the `city` demo (~52,000 grids, 4 cities).

1,000,000 seeded random points in the bounding box of Beijing's grids widened by 5% each side (since the
demo has Beijing's real outline, about 40% fall in a grid: `locate_hit_share`), index built once (its build time is printed as its own figure, not counted).
Target: at least 500,000 points/s. Floor, in the same run: `shapely.points` plus a bounding-box-only
`STRtree.query` on the same points, the part an STRtree-based locator cannot skip (locate.py no longer
builds Points, so it can beat it). Also the same points given in GCJ-02, which adds the conversion.

Data: its own directory, var/bench/<script> (BENCH_VAR_DIR moves var/bench); EPIGRID_DATABASE_URL is honoured.
Run: .venv/bin/python bench/locate.py
"""

import os
import time
from pathlib import Path

from _server import bench_var_dir, emit  # bench/_server.py

ROOT = Path(__file__).resolve().parent.parent
os.environ["EPIGRID_VAR_DIR"] = bench_var_dir("locate")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "epigrid.settings")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
import shapely  # noqa: E402
from django.core.management import call_command  # noqa: E402

from epigrid.core.geo import from_wgs84  # noqa: E402
from epigrid.demo.services import demo_city_build  # noqa: E402
from epigrid.regions.locate import grid_index, locate_many  # noqa: E402
from epigrid.regions.models import Grid  # noqa: E402

N = 1_000_000
TARGET = 500_000  # points/s


def ensure_city() -> None:
    call_command("migrate", verbosity=0)
    if Grid.objects.filter(code__startswith="11").count() < 10_000:
        demo_city_build(scale="city")


def best_of(fn, repeat: int = 3) -> float:
    """Best wall time of `repeat` runs: the least disturbed by other work on the machine."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    ensure_city()
    start = time.perf_counter()
    index = grid_index()
    emit("locate_index_build_s", time.perf_counter() - start, "s")
    emit("locate_grids", len(index.codes), "grids")

    beijing = np.array([code.startswith("11") for code in index.codes])
    west, south, east, north = shapely.total_bounds(index.geoms[beijing])
    rng = np.random.default_rng(20200123)
    dx, dy = (east - west) * 0.05, (north - south) * 0.05
    lon, lat = rng.uniform(west - dx, east + dx, N), rng.uniform(south - dy, north + dy, N)
    glon, glat = from_wgs84(lon, lat, "gcj02")

    codes = locate_many(lon, lat, index=index)
    emit("locate_hit_share", float(np.mean(codes != None)), "fraction")  # noqa: E711 (elementwise)

    tree = shapely.STRtree(index.geoms)

    def floor():
        tree.query(shapely.points(lon, lat))

    floor_s = best_of(floor)
    wgs_s = best_of(lambda: locate_many(lon, lat, index=index))
    gcj_s = best_of(lambda: locate_many(glon, glat, "gcj02", index=index))
    emit("locate_points_per_s", N / wgs_s, "points/s")
    emit("locate_gcj02_points_per_s", N / gcj_s, "points/s")
    emit("locate_floor_bbox_query_points_per_s", N / floor_s, "points/s")
    emit("locate_target_points_per_s", TARGET, "points/s")


if __name__ == "__main__":
    main()
