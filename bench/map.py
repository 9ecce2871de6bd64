"""The map and the grid list of the largest district of the `city` demo, over real HTTP.

Starts `epigrid serve` (gunicorn, 2 sync workers, on a free loopback port) as a subprocess on the bench
data, and from this process, as a separate load process, times with a city commander's bearer token:
  GET /api/v1/map?within=<district>&figure=area    the map GeoJSON of the district with the most grids
  GET /api/v1/grids?within=<district>&page_size=1000    the first page of its grid list
  GET /api/v1/me    the floor: a bare authenticated endpoint, in the same run
Requests are sequential and interleaved (one of each per round), a new connection each (gunicorn's sync
workers close it), timed from sending to the last byte read: median and p95 over ROUNDS rounds.
Targets: the map under 300 ms and under 2 MB.

Data: its own directory, var/bench/<script> (BENCH_VAR_DIR moves var/bench); EPIGRID_DATABASE_URL is honoured.
Run: .venv/bin/python bench/map.py
"""

import http.client
import json
import math
import os
import statistics
import time
from pathlib import Path

from _server import bench_var_dir, emit, free_port, serve, stop  # bench/_server.py

ROOT = Path(__file__).resolve().parent.parent
os.environ["EPIGRID_VAR_DIR"] = bench_var_dir("map")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "epigrid.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.db.models.functions import Substr  # noqa: E402

from epigrid.accounts.models import User  # noqa: E402
from epigrid.accounts.roles import Role  # noqa: E402
from epigrid.accounts.services import token_create, user_add  # noqa: E402
from epigrid.core.principals import SYSTEM  # noqa: E402
from epigrid.demo.services import demo_city_build  # noqa: E402
from epigrid.regions.models import Grid  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "30"))
WARMUP = 3
TARGET_MS, TARGET_MB = 300, 2


def prepare() -> tuple[str, int, str]:
    """The bench data, the largest district (code, grid count) and a fresh token."""
    call_command("migrate", verbosity=0)
    if Grid.objects.filter(code__startswith="11").count() < 10_000:
        demo_city_build(scale="city")
    # Beijing's largest (the bench user commands Beijing; the demo also holds Tianjin, Shenzhen, Guiyang).
    top = (Grid.objects.filter(code__startswith="11").annotate(district=Substr("code", 1, 6)).values("district")
           .annotate(n=Count("id")).order_by("-n", "district").first())
    if not User.objects.filter(username="benchuser").exists():
        user_add(actor=SYSTEM, username="benchuser", role=Role.CITY_COMMANDER, node_code="110000000000")
    _, token = token_create(actor=SYSTEM, username="benchuser", name="bench", days=1)
    return top["district"] + "000000", top["n"], token


def get(port: int, path: str, token: str) -> tuple[float, bytes]:
    """Seconds from sending the request to reading the last byte, and the body."""
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


def main() -> None:
    district, n_grids, token = prepare()
    emit("map_district_grids", n_grids, "grids")
    port = free_port()
    proc = serve(port, token)
    try:
        paths = {
            "me": "/api/v1/me",
            "grids_page": f"/api/v1/grids?within={district}&page_size=1000",
            "map_geojson": f"/api/v1/map?within={district}&figure=area",
        }
        times = {name: [] for name in paths}
        bodies = {}
        for i in range(WARMUP + ROUNDS):
            for name, path in paths.items():
                elapsed, bodies[name] = get(port, path, token)
                if i >= WARMUP:
                    times[name].append(elapsed * 1000)
    finally:
        stop(proc)

    doc = json.loads(bodies["map_geojson"])
    grids = json.loads(bodies["grids_page"])
    # A district's map shows its streets (one level down at a time); bench/figures.py times each level.
    assert doc["meta"]["kind"] == "division" and doc["features"], doc["meta"]
    emit("map_features", len(doc["features"]), "features")
    emit("grids_page_items", len(grids["items"]), "items")
    for name in ("map_geojson", "grids_page", "me"):
        emit(f"{name}_median_ms", statistics.median(times[name]), "ms")
        emit(f"{name}_p95_ms", p95(times[name]), "ms")
        emit(f"{name}_bytes", len(bodies[name]), "bytes")
    emit("map_geojson_mb", len(bodies["map_geojson"]) / 1e6, "MB")
    emit("map_target_ms", TARGET_MS, "ms")
    emit("map_target_mb", TARGET_MB, "MB")


if __name__ == "__main__":
    main()
