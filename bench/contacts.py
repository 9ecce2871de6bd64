"""Import 100,000 contacts with their exposures into a city with 20,000 cases, then list a district's
managed contacts over real HTTP.

Data (seeded, built once under var/bench/contacts and reused): the `city` demo's Beijing grids; 120,000
residents spread over them (through the resident import, the registry's own bulk path); 20,000 confirmed
cases of the first 20,000 of them (direct raw inserts); a CSV of 100,000 exposures, each making one of
the other 100,000 people a close contact of a random case (setting, place, dates in the last days).
Before each run the previous run's contacts, exposures, tasks, observations and health statuses are
deleted, so every run imports into the same state.

Figures:
  contacts_import_s, contacts_import_rows_per_s   epigrid.epi.importing.contacts_import as an epidemiologist
      of the whole city: reading, validation (the services' rules), people found by blind index, the
      sources, the plan, and the writes of contacts, exposures, observations (started, as observation_start
      would), three tasks each, health statuses and the audit. Goal: under 10 s.
  contacts_floor_raw_write_s     the same rows read back and written again with a plain executemany
      (SQLite) or binary COPY (PostgreSQL) into empty copies of the tables with the same indexes and foreign
      keys (checked at the commit, which is timed); and the ratio of the import to it.
  contacts_list_median_ms / p95  GET /api/v1/contacts?within=<largest district>&status=managed (first page)
      against `epigrid serve`, a new connection each time. Goal: under 200 ms.
  static_file_median_ms          GET /static/epigrid/app.css of the same server: the ceiling.

Data: EPIGRID_VAR_DIR is BENCH_VAR_DIR/contacts; EPIGRID_DATABASE_URL is honoured (give it a database of
its own, e.g. postgres://postgres@127.0.0.1:5432/epigrid_bench_contacts).
Run: .venv/bin/python bench/contacts.py [--rows N] [--cases N]
"""

import argparse
import csv
import os
import re
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

from _server import bench_var_dir, emit, free_port, request, serve, stop  # bench/_server.py

os.environ["EPIGRID_VAR_DIR"] = bench_var_dir("contacts")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "epigrid.settings")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from stdnum.cn import ric  # noqa: E402

from epigrid.accounts.models import User  # noqa: E402
from epigrid.accounts.roles import Role  # noqa: E402
from epigrid.accounts.services import token_create, user_add  # noqa: E402
from epigrid.core.ids import uuid7  # noqa: E402
from epigrid.core.principals import SYSTEM  # noqa: E402
from epigrid.demo.services import demo_city_build  # noqa: E402
from epigrid.epi.importing import contacts_import  # noqa: E402
from epigrid.epi.importing.bulk import Table, adapters  # noqa: E402
from epigrid.epi.importing.write import CONTACT, EXPOSURE, OBSERVATION, STATUS, TASK  # noqa: E402
from epigrid.epi.models import Case, Contact, Exposure, TracingTask  # noqa: E402
from epigrid.epi.services.common import today_local  # noqa: E402
from epigrid.health.models import HealthStatus, HealthStatusChange, Observation  # noqa: E402
from epigrid.regions.models import Grid  # noqa: E402
from epigrid.residents.importing import _bulk_cache, residents_import  # noqa: E402
from epigrid.residents.models import Resident  # noqa: E402

TARGET_S = 10
TARGET_MS = 200
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "20"))
USER = "benchepi"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
SETTINGS = ["家庭", "工作场所", "交通工具", "聚集活动", "场所"]


def id_numbers(n: int) -> list[str]:
    """Unique valid resident ID numbers: Beijing districts x birth days 1960-2005 x a sequence."""
    regions = ["110101", "110102", "110105", "110106", "110107", "110108"]
    day0 = np.datetime64("1960-01-01", "D")
    out = []
    for i in range(n):
        day = str(day0 + (i // len(regions)) % 16000).replace("-", "")
        body = f"{regions[i % len(regions)]}{day}{i // (len(regions) * 16000) + 1:03d}"
        out.append(body + ric.calc_check_digit(body + "0"))
    return out


def build(people: int, cases: int, rows: int, contacts_csv: Path) -> None:
    call_command("migrate", verbosity=0)
    if Grid.objects.filter(code__startswith="11").count() < 10_000:
        demo_city_build(scale="city")
    rng = np.random.default_rng(20200123)
    grids = list(Grid.objects.filter(code__startswith="11").order_by("code").values_list("code", flat=True))
    numbers = id_numbers(people)
    if Resident.objects.count() < people:
        roster = Path(settings.VAR_DIR) / "residents.csv"
        with open(roster, "w", newline="", encoding="utf-8") as f:
            out = csv.writer(f)
            out.writerow(["姓名", "证件号码", "网格编码"])
            for i, number in enumerate(numbers):
                out.writerow([SURNAMES[i % len(SURNAMES)] + "某" + SURNAMES[(i // 7) % len(SURNAMES)], number,
                              grids[int(rng.integers(0, len(grids)))]])
        t = time.perf_counter()
        outcome = residents_import(actor=SYSTEM, path=roster)
        assert outcome.written, outcome.errors[:5]
        emit("contacts_build_residents_s", time.perf_counter() - t, "s")
    if Case.objects.count() < cases:
        today, now = today_local(), timezone.now()
        ids = list(Resident.objects.order_by("id").values_list("id", "grid_code")[:cases])
        columns = ("uid", "number", "city_code", "resident_id", "grid_code", "reporting_code", "classification",
                   "severity", "report_date", "found_by", "imported", "place", "outcome", "created_at", "updated_at")
        day, _time, uid = adapters()
        with transaction.atomic():
            Table(Case, columns).insert([
                (uid(uuid7()), f"1101-{today.year}-{i + 1:05d}", "1101", rid, grid, grid[:6] + "000000", "confirmed",
                 "", day(today - timedelta(days=int(i % 5))), "other", False, "", "", day(now), day(now))
                for i, (rid, grid) in enumerate(ids)])
    if not contacts_csv.exists():
        today = today_local()
        with open(contacts_csv, "w", newline="", encoding="utf-8") as f:
            out = csv.writer(f)
            out.writerow(["传染源病例编号", "证件号码", "接触方式", "接触地点", "座位号", "首次接触日期", "末次接触日期"])
            for i in range(rows):
                last = today - timedelta(days=int(rng.integers(0, 5)))
                setting = SETTINGS[int(rng.integers(0, len(SETTINGS)))]
                out.writerow([f"1101-{today.year}-{int(rng.integers(0, cases)) + 1:05d}", numbers[cases + i], setting,
                              "" if setting == "家庭" else f"某地点{i % 997}", "12A" if setting == "交通工具" else "",
                              str(last - timedelta(days=int(rng.integers(0, 3)))), str(last)])
    if not User.objects.filter(username=USER).exists():
        user_add(actor=SYSTEM, username=USER, role=Role.EPIDEMIOLOGIST, node_code="110000000000")


def reset() -> None:
    """The state before an import: no contacts, exposures, tasks, observations or health statuses (the
    audit log is append-only: each run adds its summary rows)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # TRUNCATE for the tables only these reference: deleting rows one by one would check, for each
            # contact, the exposures that might name it as a source (an unindexed foreign key), at the commit.
            cursor.execute(f"TRUNCATE {', '.join(m._meta.db_table for m in (TracingTask, Exposure, Contact))}, "
                           f"{HealthStatusChange._meta.db_table}, {HealthStatus._meta.db_table}")
        for model in (TracingTask, Exposure, Contact, HealthStatusChange, HealthStatus, Observation):
            cursor.execute(f"DELETE FROM {model._meta.db_table}")


TABLES = [(Observation, OBSERVATION), (Contact, CONTACT), (Exposure, EXPOSURE), (TracingTask, TASK),
          (HealthStatus, STATUS)]


def floor() -> tuple[float, int]:
    """Seconds to write the rows the import wrote again, into empty copies of the tables (same indexes and
    foreign keys), commit included."""
    spent, count = 0.0, 0
    copies = []
    with transaction.atomic():
        for model, _columns in TABLES:
            table, copy = model._meta.db_table, f"bench_floor_{model._meta.db_table}"
            copies.append(copy)
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {copy}")
                if connection.vendor == "postgresql":
                    cursor.execute(f"CREATE TABLE {copy} (LIKE {table} INCLUDING ALL)")
                    # LIKE leaves out the foreign keys, which the import's rows are checked against: added.
                    cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                                   "WHERE conrelid = %s::regclass AND contype = 'f'", [table])
                    for name, definition in cursor.fetchall():
                        cursor.execute(f'ALTER TABLE {copy} ADD CONSTRAINT "bench_floor_{name}" {definition}')
                else:
                    cursor.execute("SELECT sql FROM sqlite_master WHERE tbl_name = %s AND sql IS NOT NULL "
                                   "ORDER BY type DESC", [table])
                    for (sql,) in cursor.fetchall():
                        sql = re.sub(r'INDEX "([^"]+)"', r'INDEX "bench_floor_\1"', sql.replace(f'"{table}"',
                                                                                                f'"{copy}"'))
                        cursor.execute(sql)
    rows_of = {}
    with connection.cursor() as cursor:
        for model, columns in TABLES:
            order = {f.attname: f.column for f in model._meta.concrete_fields}
            cursor.execute(f"SELECT {', '.join(order[c] for c in columns)} FROM {model._meta.db_table}")
            rows_of[model] = cursor.fetchall()
    start = time.perf_counter()
    with transaction.atomic(), _bulk_cache():  # the importer's SQLite page cache: a like-for-like floor
        for model, columns in TABLES:
            Table(model, columns, table=f"bench_floor_{model._meta.db_table}").insert(rows_of[model])
            count += len(rows_of[model])
    spent = time.perf_counter() - start
    with transaction.atomic(), connection.cursor() as cursor:
        for copy in copies:
            cursor.execute(f"DROP TABLE {copy}")
    return spent, count


def http_list(token: str) -> None:
    districts: dict[str, int] = {}
    for code in Contact.objects.values_list("grid_code", flat=True):
        districts[code[:6]] = districts.get(code[:6], 0) + 1
    district = max(districts, key=districts.get) + "000000"
    emit("contacts_in_district", districts[district[:6]], "contacts")
    paths = {"list": f"/api/v1/contacts?within={district}&status=managed", "static": "/static/epigrid/app.css"}
    port = free_port()
    proc = serve(port, token)
    times = {name: [] for name in paths}
    try:
        for i in range(3 + ROUNDS):
            for name, path in paths.items():
                elapsed, status, body = request(port, "GET", path, token)
                if status != 200:
                    raise RuntimeError(f"{path}: {status} {body[:300]!r}")
                if i >= 3:
                    times[name].append(elapsed * 1000)
    finally:
        stop(proc)
    for name, metric in (("list", "contacts_list"), ("static", "static_file")):
        ordered = sorted(times[name])
        emit(f"{metric}_median_ms", statistics.median(ordered), "ms")
        emit(f"{metric}_p95_ms", ordered[int(len(ordered) * 0.95) - 1], "ms")
    emit("contacts_list_vs_static", statistics.median(times["list"]) / statistics.median(times["static"]), "ratio")
    emit("contacts_list_target_ms", TARGET_MS, "ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--no-http", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile the import")
    parser.add_argument("--phases", action="store_true", help="log the seconds of each phase of the import")
    args = parser.parse_args()
    path = Path(settings.VAR_DIR) / f"contacts-{args.rows}-{args.cases}-{today_local()}.csv"
    build(args.cases + args.rows, args.cases, args.rows, path)
    reset()
    user = User.objects.get(username=USER)
    if args.phases:
        import logging

        logging.basicConfig(level=logging.WARNING)
        logging.getLogger("epigrid.epi.importing.contacts").setLevel(logging.DEBUG)
    start = time.perf_counter()
    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        outcome = profiler.runcall(contacts_import, actor=user, path=path, file_name=path.name)
        pstats.Stats(profiler).sort_stats("cumtime").print_stats(45)
    else:
        outcome = contacts_import(actor=user, path=path, file_name=path.name)
    seconds = time.perf_counter() - start
    if not outcome.written or outcome.created != args.rows:
        raise SystemExit(f"import incomplete: {outcome.created} written, first problems "
                         f"{[e.as_dict() for e in outcome.errors[:5]]}")
    emit("contacts_import_rows", outcome.created, "rows")
    emit("contacts_import_observations", outcome.counts["observations"], "rows")
    emit("contacts_import_tasks", outcome.counts["tasks"], "rows")
    emit("contacts_import_s", seconds, "s")
    emit("contacts_import_rows_per_s", args.rows / seconds, "rows/s")
    emit("contacts_import_target_s", TARGET_S, "s")
    floor_s, written = floor()
    emit("contacts_floor_rows_written", written, "rows")
    emit("contacts_floor_raw_write_s", floor_s, "s")
    emit("contacts_import_ratio_to_floor", floor_s / seconds, "fraction")
    emit("load_average_1min", os.getloadavg()[0], "load")
    if not args.no_http:
        _, token = token_create(actor=SYSTEM, username=USER, name="bench", days=1)
        http_list(token)


if __name__ == "__main__":
    main()
