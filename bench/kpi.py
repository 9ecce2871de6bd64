"""KPIs for Beijing in the `city` demo (about 19,500 grids) with 1,000,000 incidents, over real HTTP.

The incidents and the daily rollups the services would have kept for them are loaded by the bulk path
(executemany on SQLite, COPY on PostgreSQL), once; later runs reuse them. Then `epigrid serve` (2 gunicorn
workers) is started and, from this process, sequential requests are timed with a city commander's
token (median and p95 over ROUNDS rounds, a new connection each):
  GET /api/v1/kpis?within=110000000000&date_from=<a year ago>   the whole city by district, a year
  GET /api/v1/kpis?within=<largest district>                    one district by street, 30 days
  GET /api/v1/me                                                the floor: a bare authenticated endpoint
Target: the city's KPIs under 300 ms. Also printed: the raw-scan equivalent (COUNT over the incidents
of the same year, in-process), to show what the rollups save.

Data: its own directory, var/bench/<script> (BENCH_VAR_DIR moves var/bench); EPIGRID_DATABASE_URL is honoured.
Run: .venv/bin/python bench/kpi.py   (BENCH_INCIDENTS to change the count)
"""

import json
import os
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
from _server import bench_var_dir, emit, free_port, request, serve, stop  # bench/_server.py

ROOT = Path(__file__).resolve().parent.parent
os.environ["EPIGRID_VAR_DIR"] = bench_var_dir("kpi")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "epigrid.settings")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from epigrid.accounts.models import User  # noqa: E402
from epigrid.accounts.roles import Role  # noqa: E402
from epigrid.accounts.services import token_create, user_add  # noqa: E402
from epigrid.core.principals import SYSTEM  # noqa: E402
from epigrid.demo.services import demo_city_build  # noqa: E402
from epigrid.patrol.categories import categories_ensure  # noqa: E402
from epigrid.patrol.models import CLOSE_COLUMNS, Incident, IncidentCategory, KpiDaily  # noqa: E402
from epigrid.patrol.rollups import CLOSE_BUCKETS_H, COUNTERS, NODE_LEVELS  # noqa: E402
from epigrid.regions.models import Grid  # noqa: E402

N = int(os.environ.get("BENCH_INCIDENTS", "1000000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "20"))
DAYS = 365
TARGET_MS = 300
TZ_OFFSET = 8 * 3600  # Asia/Shanghai: the rollups' days are local days


def _bulk(table: str, columns: list[str], rows) -> None:
    """Rows into a table by the bulk path: COPY on PostgreSQL, executemany on SQLite."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


def generate(today: date) -> dict:
    """1M incidents over the last year and the rollups the services keep for them."""
    rng = np.random.default_rng(7)
    # Beijing's grids only: the figures are for one city (the demo also holds Tianjin, Shenzhen, Guiyang).
    beijing = Grid.objects.filter(code__startswith="11").order_by("code")
    grids = np.array(beijing.values_list("code", flat=True))
    coords = np.array(beijing.values_list("centroid_lon", "centroid_lat"))
    leaves = list(IncidentCategory.objects.filter(children__isnull=True).values_list("pk", "deadline_hours"))
    start = datetime.combine(today - timedelta(days=DAYS - 1), datetime.min.time(), tzinfo=UTC).timestamp() - TZ_OFFSET
    g = rng.integers(0, len(grids), N)
    cat = rng.integers(0, len(leaves), N)
    deadline_h = np.array([h for _pk, h in leaves])[cat]
    reported = start + rng.random(N) * DAYS * 86400
    source = rng.choice(np.array(["patrol", "staff", "public"]), N, p=[0.6, 0.3, 0.1])
    fate = rng.random(N)
    rejected = fate < 0.05
    closed = fate >= 0.2
    close_h = rng.exponential(deadline_h * 0.6)
    closed_at = reported + 600 + close_h * 3600  # dispatched ten minutes after the report
    closed &= closed_at < start + DAYS * 86400
    on_time = closed & (close_h <= deadline_h)
    state = np.where(rejected, "rejected", np.where(closed, "closed", "dispatched"))

    def iso(ts):
        return datetime.fromtimestamp(ts, UTC)

    cat_pk = np.array([pk for pk, _h in leaves])[cat]
    print(f"inserting {N} incidents", file=sys.stderr, flush=True)
    columns = ["public_id", "grid_code", "category_id", "source", "description", "lon", "lat", "address", "state",
               "version", "reporter_name", "assignee_unit", "reported_at", "deadline", "overdue", "escalation_level",
               "closed_at", "closed_on_time"]
    import uuid

    def rows():
        for i in range(N):
            done = bool(closed[i])
            yield (str(uuid.uuid4()), grids[g[i]], int(cat_pk[i]), source[i], "bench", float(coords[g[i], 0]),
                   float(coords[g[i], 1]), "", state[i], 3, "", "", iso(reported[i]),
                   None if rejected[i] else iso(reported[i] + 600 + deadline_h[i] * 3600), False, 0,
                   iso(closed_at[i]) if done else None, bool(on_time[i]) if done else None)

    with transaction.atomic():
        _bulk(Incident._meta.db_table, columns, rows())
    print("rollups", file=sys.stderr, flush=True)
    day_rep = ((reported + TZ_OFFSET) // 86400 - (start + TZ_OFFSET) // 86400).astype(np.int64)
    day_close = ((closed_at + TZ_OFFSET) // 86400 - (start + TZ_OFFSET) // 86400).astype(np.int64)
    first_day = date.fromtimestamp(0) + timedelta(days=int((start + TZ_OFFSET) // 86400))
    bucket = np.searchsorted(np.array(CLOSE_BUCKETS_H), (closed_at - reported) / 3600, side="right")
    counts = {
        "reported": (day_rep, np.ones(N, bool)),
        "reported_patrol": (day_rep, source == "patrol"), "reported_staff": (day_rep, source == "staff"),
        "reported_public": (day_rep, source == "public"),
        "registered": (day_rep, ~rejected), "rejected": (day_rep, rejected),
        "closed": (day_close, closed), "closed_on_time": (day_close, on_time),
        **{name: (day_close, closed & (bucket == i)) for i, name in enumerate(CLOSE_COLUMNS)},
    }
    levels = [("grid", 15)] + list(NODE_LEVELS)
    kpi_rows = []
    for level, digits in levels:
        prefixes = np.array([c[:digits] for c in grids])
        nodes, node_of_grid = np.unique(prefixes, return_inverse=True)
        node = node_of_grid[g]
        pad = 15 if level == "grid" else 12
        keys = {}
        for name, (day, mask) in counts.items():
            inside = mask & (day >= 0) & (day < DAYS)
            keys[name] = node[inside] * DAYS + day[inside]
        cells = np.unique(np.concatenate(list(keys.values())))  # the (node, day) cells with any count
        values = {name: np.bincount(np.searchsorted(cells, k), minlength=len(cells)) for name, k in keys.items()}
        zero = np.zeros(len(cells), dtype=np.int64)
        columns = [values.get(n, zero) for n in COUNTERS]
        for i, k in enumerate(cells):
            kpi_rows.append((level, nodes[k // DAYS].ljust(pad, "0"), 0, first_day + timedelta(days=int(k % DAYS)),
                             *(int(c[i]) for c in columns)))
    with transaction.atomic():
        _bulk(KpiDaily._meta.db_table, ["level", "node_code", "user_id", "day", *COUNTERS], kpi_rows)
    return {"kpi_rows": len(kpi_rows)}


def prepare() -> tuple[str, str]:
    call_command("migrate", verbosity=0)
    if Grid.objects.filter(code__startswith="11").count() < 10_000:
        demo_city_build(scale="city")
    categories_ensure()
    if Incident.objects.count() < N:
        if Incident.objects.exists() or KpiDaily.objects.exists():
            raise SystemExit("the bench database holds other incidents; delete var/bench/kpi or use another BENCH_VAR_DIR")
        t = time.perf_counter()
        sizes = generate(date.today())
        emit("kpi_bulk_load_s", time.perf_counter() - t, "s")
        emit("kpi_rollup_rows", sizes["kpi_rows"], "rows")
    if not User.objects.filter(username="benchkpi").exists():
        user_add(actor=SYSTEM, username="benchkpi", role=Role.CITY_COMMANDER, node_code="110000000000")
    _, token = token_create(actor=SYSTEM, username="benchkpi", name="bench", days=1)
    top = (Grid.objects.filter(code__startswith="11").values_list("code", flat=True))
    districts: dict[str, int] = {}
    for code in top:
        districts[code[:6]] = districts.get(code[:6], 0) + 1
    return token, max(districts, key=districts.get) + "000000"


def main() -> None:
    token, district = prepare()
    incidents = Incident.objects.count()
    emit("kpi_incidents", incidents, "incidents")
    today = date.today()
    year_ago = today - timedelta(days=DAYS - 1)
    paths = {
        "me": "/api/v1/me",
        "kpi_city_year": f"/api/v1/kpis?within=110000000000&date_from={year_ago}&date_to={today}",
        "kpi_district_30d": f"/api/v1/kpis?within={district}",
    }
    port = free_port()
    proc = serve(port, token)
    times = {name: [] for name in paths}
    bodies = {}
    try:
        for i in range(3 + ROUNDS):
            for name, path in paths.items():
                elapsed, status, bodies[name] = request(port, "GET", path, token)
                if status != 200:
                    raise RuntimeError(f"{path}: {status} {bodies[name][:300]!r}")
                if i >= 3:
                    times[name].append(elapsed * 1000)
    finally:
        stop(proc)
    city = json.loads(bodies["kpi_city_year"])
    emit("kpi_city_reported", city["total"]["reported"], "incidents")
    emit("kpi_city_rows", len(city["rows"]), "districts")
    for name in ("kpi_city_year", "kpi_district_30d", "me"):
        ordered = sorted(times[name])
        emit(f"{name}_median_ms", statistics.median(ordered), "ms")
        emit(f"{name}_p95_ms", ordered[max(0, int(0.95 * len(ordered)) - 1)], "ms")
    # What the rollups save: one COUNT over the raw incidents of the same year (in-process).
    t = time.perf_counter()
    Incident.objects.filter(reported_at__gte=datetime.combine(year_ago, datetime.min.time(), tzinfo=UTC)).count()
    emit("raw_scan_count_year_ms", (time.perf_counter() - t) * 1000, "ms")
    emit("kpi_target_ms", TARGET_MS, "ms")


if __name__ == "__main__":
    main()
