"""The commander's picture at city scale: the map GeoJSON per level and the rollup that feeds it.

Data: the `city` demo (Beijing: 16 districts, 300 streets, 7,000 communities, 20,000 grids, under
BENCH_VAR_DIR/figures, default var/bench/figures) and, for today and yesterday, a figure value for every grid and every
registered figure (Poisson counts, seeded), summed into the divisions by the real rollup writer
(regions/rollups.py). The map reads these rows only, so the number of people behind them (20 million
residents) does not enter the request; what does is the number of nodes per level.

Then starts `epigrid serve` (2 sync workers, EPIGRID_FIGURES_MAX_AGE=0 so no request recomputes) and
times, from this separate process, with a city commander's bearer token (median and p95 over ROUNDS):
  GET /api/v1/map?within=110000000000&figure=alerts   the city: 16 districts
  GET /api/v1/map?within=<district>&figure=alerts     the district with the most streets
  GET /api/v1/map?within=<street>&figure=alerts       the street with the most communities
  GET /api/v1/map?within=<community>&figure=alerts    the community with the most grids
  GET /api/v1/me                                      the floor, in the same run
Also times, in this process, an incremental update over 100 changed grids (figures_update) against the
rows of the whole city, and a rebuild of today from scratch (figures_rebuild: here the apps' tables hold
the bench's few rows, so this is the cost of the queries' plans and of deleting and writing the day).
Target: every map under 200 ms.

Run: .venv/bin/python bench/figures.py (BENCH_SCALE=small: the small demo, under var/bench/figures-small)
"""

import http.client
import json
import math
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _server import bench_var_dir, emit, free_port, serve, stop  # noqa: E402

# BENCH_SCALE=small: the small demo (64 grids) in a directory of its own, for the figure on a laptop.
SCALE = os.environ.get("BENCH_SCALE", "city")
os.environ["EPIGRID_VAR_DIR"] = bench_var_dir("figures-small" if SCALE == "small" else "figures")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "epigrid.settings")
os.environ["EPIGRID_FIGURES_MAX_AGE"] = "0"

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from epigrid.accounts.models import User  # noqa: E402
from epigrid.accounts.roles import Role  # noqa: E402
from epigrid.accounts.services import token_create, user_add  # noqa: E402
from epigrid.core.audit import audit_event, audit_record_many  # noqa: E402
from epigrid.core.principals import SYSTEM  # noqa: E402
from epigrid.demo.services import demo_city_build  # noqa: E402
from epigrid.regions import rollups  # noqa: E402
from epigrid.regions.figures import figures  # noqa: E402
from epigrid.regions.models import Division, FigureDaily, FigureRun, Grid  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "30"))
WARMUP = 3
TARGET_MS = 200
MEANS = {"observed": 8, "alerts": 0.3, "missed": 0.5, "arrivals": 15, "incidents": 1, "overdue": 0.2}


def get(port: int, path: str, token: str) -> tuple[float, bytes]:
    """Seconds from sending the request to reading the last byte, and the body (as bench/map.py)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        start = time.perf_counter()
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - start
    finally:
        conn.close()
    if response.status != 200:
        raise RuntimeError(f"GET {path}: {response.status} {body[:300]!r}")
    return elapsed, body


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


def prepare() -> str:
    call_command("migrate", verbosity=0)
    if Grid.objects.filter(code__startswith="11").count() < (10_000 if SCALE == "city" else 1):
        demo_city_build(scale=SCALE)
    if not User.objects.filter(username="benchuser").exists():
        user_add(actor=SYSTEM, username="benchuser", role=Role.CITY_COMMANDER, node_code="110000000000")
    _, token = token_create(actor=SYSTEM, username="benchuser", name="bench", days=1)
    return token


def fill() -> int:
    """Figure rows for today and yesterday, every grid of Beijing, through the rollup's writer."""
    grids = list(Grid.objects.filter(code__startswith="11").values_list("code", flat=True))
    rng = np.random.default_rng(7)
    now = timezone.now()
    today = timezone.localdate(now)
    rows = []
    for day in (today - timedelta(days=1), today):
        for f in figures():
            values = rng.poisson(MEANS.get(f.key, 1), size=len(grids))
            per_grid = {g: int(v) for g, v in zip(grids, values, strict=True) if v}
            rows += [(f.key, code, level, day, value) for code, (level, value) in rollups._roll_up(per_grid).items()]
    with transaction.atomic():
        FigureDaily.objects.filter(day__gte=today - timedelta(days=1)).delete()
        rollups._write(rows, add=False)
        for day in (today - timedelta(days=1), today):
            FigureRun.objects.update_or_create(day=day, defaults={"computed_at": now, "full_at": now})
    return len(rows)


def biggest(child_level: str) -> str:
    """The division of one level with the most children of the next (by code prefix)."""
    field = "parent__code"
    top = (Division.objects.filter(level=child_level, code__startswith="11").values(field)
           .annotate(n=Count("id")).order_by("-n", field).first())
    return top[field]


def main() -> None:
    token = prepare()
    start = time.perf_counter()
    rows = fill()
    emit("figure_rows_written", rows, "rows")
    emit("figure_rows_write_s", time.perf_counter() - start, "s")
    community = (Grid.objects.filter(code__startswith="11").values("community__code").annotate(n=Count("id"))
                 .order_by("-n", "community__code").first())["community__code"]
    paths = {
        "me": "/api/v1/me",
        "map_city": "/api/v1/map?within=110000000000&figure=alerts",
        "map_district": f"/api/v1/map?within={biggest('street')}&figure=alerts",
        "map_street": f"/api/v1/map?within={biggest('community')}&figure=alerts",
        "map_community": f"/api/v1/map?within={community}&figure=alerts",
    }
    port = free_port()
    proc = serve(port, token)
    try:
        times = {name: [] for name in paths}
        bodies = {}
        for i in range(WARMUP + ROUNDS):
            for name, path in paths.items():
                elapsed, bodies[name] = get(port, path, token)
                if i >= WARMUP:
                    times[name].append(elapsed * 1000)
    finally:
        stop(proc)
    for name in paths:
        if name != "me":
            doc = json.loads(bodies[name])
            assert doc["features"] and doc["meta"]["classes"], name
            emit(f"{name}_features", len(doc["features"]), "features")
        emit(f"{name}_median_ms", statistics.median(times[name]), "ms")
        emit(f"{name}_p95_ms", p95(times[name]), "ms")
        emit(f"{name}_bytes", len(bodies[name]), "bytes")
    emit("map_target_ms", TARGET_MS, "ms")

    # The task's incremental path: 100 grids written to since the last run (audit rows), recounted
    # from the apps' tables and their differences added to the city's rows. Placed ten minutes after
    # the build, as the task would run, so the build's own audit rows are out of its window.
    later = timezone.now() + timedelta(minutes=10)
    FigureRun.objects.filter(day=timezone.localdate(later)).update(computed_at=later - timedelta(minutes=1))
    changed = list(Grid.objects.filter(code__startswith="11").order_by("?").values_list("code", flat=True)[:100])
    events = [audit_event(actor=SYSTEM, action="bench.touch", object_type="grid", object_id=c, jurisdiction_code=c)
              for c in changed]
    for event in events:
        event.at = later - timedelta(seconds=30)
    audit_record_many(events)
    start = time.perf_counter()
    kind = rollups.figures_update(now=later)
    emit(f"figures_update_{kind}_100_grids_ms", (time.perf_counter() - start) * 1000, "ms")
    start = time.perf_counter()
    rows = rollups.figures_rebuild(now=later)
    emit("figures_rebuild_today_s", time.perf_counter() - start, "s")
    emit("figures_rebuild_today_rows", rows, "rows")

if __name__ == "__main__":
    main()
