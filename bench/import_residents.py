"""Import a million residents: `epigrid.residents.importing.residents_import`, the function the upload
task and `epigrid import residents` call, over a generated CSV.

Data (seeded, cached under var/bench): valid resident ID numbers with correct check digits from real
region codes (Beijing's districts and other provinces' capitals), valid mainland mobiles, Chinese names,
addresses, some vulnerability tags, and WGS-84 coordinates inside the `city` demo's Beijing grids (random
points kept only where locate_many finds a grid). Located by coordinates, not by a grid column, so the
figure includes location. The resident table is emptied first; the import is all or nothing, in one
transaction, with validation (clean_resident), encryption and blind index (resident_protect), location,
the duplicate check and the raw writes.

Figures: rows/s of the import; peak memory (ru_maxrss) of this process and of the largest pool worker;
and the floor: the same prepared rows (read back from the table, not timed) written again with a plain
executemany (SQLite) or binary COPY (PostgreSQL) into an empty copy of the table with the same indexes,
and the ratio import/floor. The import, a first load into an empty table, builds three of those indexes
after its rows are in (residents/importing/run.py), which the floor does not. Target (issue 10): at
least 50,000 rows/s on this 2-core machine when it is quiet, peak memory under 600 MiB.

Data: EPIGRID_VAR_DIR is BENCH_VAR_DIR (default var/bench/import-residents, a SQLite database of its own,
since the resident table is emptied before each run); EPIGRID_DATABASE_URL is honoured: give it a
database of its own too, e.g. postgres://postgres@127.0.0.1:5432/epigrid_bench_import.
Run: .venv/bin/python bench/import_residents.py [--rows N] [--workers N] [--profile]
"""

import argparse
import csv
import os
import re
import resource
import time
from pathlib import Path

from _server import bench_var_dir, emit  # bench/_server.py

ROOT = Path(__file__).resolve().parent.parent
# A database of its own (the resident table is emptied before each run): not the other benches' one.
os.environ["EPIGRID_VAR_DIR"] = bench_var_dir("import-residents")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "epigrid.settings")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from stdnum.cn import ric  # noqa: E402

from epigrid.core.principals import SYSTEM  # noqa: E402
from epigrid.demo.services import demo_city_build  # noqa: E402
from epigrid.regions.locate import grid_index, locate_many  # noqa: E402
from epigrid.regions.models import Grid  # noqa: E402
from epigrid.residents.importing import INSERT_COLUMNS, _bulk_cache, residents_import  # noqa: E402
from epigrid.residents.importing.writing import COPY_TYPES  # noqa: E402
from epigrid.residents.models import Resident  # noqa: E402

TARGET = 50_000  # rows/s
TABLE = Resident._meta.db_table
FLOOR_TABLE = "bench_floor_resident"
# Real county-level codes; only those that stdnum's data has for every birth year used (1985-2004) are kept.
CANDIDATE_REGIONS = ["110101", "110102", "110105", "110106", "110107", "110108", "110109", "110111", "110112",
                     "110113", "310101", "310104", "310105", "440103", "440104", "440106", "330102", "330106",
                     "320102", "320106", "420102", "420106", "510104", "510107", "610102", "610113", "210102",
                     "370102", "120101", "500103"]
YEARS = range(1985, 2005)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建国志海波宁慧"
MOBILE = ["138", "139", "135", "136", "137", "150", "151", "158", "186", "187", "188", "177", "199", "130", "133"]


def ensure_city() -> None:
    call_command("migrate", verbosity=0)
    if Grid.objects.filter(code__startswith="11").count() < 10_000:
        demo_city_build(scale="city")


def generate(path: Path, n: int, seed: int = 20200123) -> None:
    """The CSV, written in blocks so generation stays in bounded memory."""
    rng = np.random.default_rng(seed)
    index = grid_index()
    beijing = np.array([c.startswith("11") for c in index.codes])
    import shapely

    west, south, east, north = shapely.total_bounds(index.geoms[beijing])
    from epigrid.core.validators import _ric_place_ok

    regions = [r for r in CANDIDATE_REGIONS if all(_ric_place_ok(r, y) for y in YEARS)]
    days0 = np.datetime64(f"{YEARS[0]}-01-01", "D")
    span = int((np.datetime64(f"{YEARS[-1]}-12-31", "D") - days0).astype(int))
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["姓名", "证件类型", "证件号码", "手机号", "住址", "经度", "纬度", "标签", "备注"])
        block = 100_000
        for start in range(0, n, block):
            m = min(block, n - start)
            lon, lat = np.empty(0), np.empty(0)
            while len(lon) < m:  # points inside a Beijing grid
                # rounded as the CSV writes them before locating: a point 5 cm inside the city's edge must
                # not move out of it on the way to the file
                x, y = np.round(rng.uniform(west, east, 2 * m), 6), np.round(rng.uniform(south, north, 2 * m), 6)
                codes = locate_many(x, y, index=index)
                hit = np.array([c is not None and c.startswith("11") for c in codes])
                lon, lat = np.concatenate([lon, x[hit]]), np.concatenate([lat, y[hit]])
            phones = rng.integers(0, 10**8, m)
            mobile = rng.integers(0, len(MOBILE), m)
            s1, g1, g2 = rng.integers(0, len(SURNAMES), m), rng.integers(0, len(GIVEN), m), rng.integers(0, len(GIVEN), m)
            two = rng.random(m) < 0.3
            tagged = rng.random(m) < 0.05
            for k in range(m):
                i = start + k
                # Unique by construction: region x day x sequence.
                region = regions[i % len(regions)]
                day = days0 + (i // len(regions)) % span
                seq = i // (len(regions) * span) + 1
                body = f"{region}{str(day).replace('-', '')}{seq:03d}"
                number = body + ric.calc_check_digit(body + "0")
                name = SURNAMES[s1[k]] + GIVEN[g1[k]] + (GIVEN[g2[k]] if two[k] else "")
                out.writerow([name, "身份证", number, f"{MOBILE[mobile[k]]}{phones[k]:08d}",
                              f"北京市某区某街道{i % 997}号院{i % 31}号楼", f"{lon[k]:.6f}", f"{lat[k]:.6f}",
                              "独居老人" if tagged[k] else "", ""])
    tmp.replace(path)


def empty_residents() -> None:
    # DELETE, not TRUNCATE ... CASCADE: rows elsewhere that point at residents stop it instead of vanishing.
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE}")


def floor_table() -> None:
    """An empty copy of the resident table with the same indexes and constraints."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {FLOOR_TABLE}")
        if connection.vendor == "postgresql":
            cursor.execute(f"CREATE TABLE {FLOOR_TABLE} (LIKE {TABLE} INCLUDING ALL)")
            return
        cursor.execute("SELECT sql FROM sqlite_master WHERE tbl_name = %s AND sql IS NOT NULL ORDER BY type DESC",
                       [TABLE])
        for (sql,) in cursor.fetchall():
            # Index names are per database in SQLite: the copy's get a prefix.
            sql = re.sub(r'INDEX "([^"]+)"', r'INDEX "bench_floor_\1"', sql.replace(TABLE, FLOOR_TABLE))
            cursor.execute(sql)


def floor(n: int) -> float:
    """Seconds to write the already-prepared rows again, timing only the writes."""
    floor_table()
    cols = ", ".join(INSERT_COLUMNS)
    spent = 0.0
    with transaction.atomic(), _bulk_cache():  # the importer's SQLite page cache, for a like-for-like floor
        read = connection.connection.cursor() if connection.vendor == "sqlite" else None
        with connection.cursor() as cursor:
            last_id, batch = 0, 50_000
            while True:
                if read is not None:
                    rows = read.execute(f"SELECT id, {cols} FROM {TABLE} WHERE id > ? ORDER BY id LIMIT ?",
                                        (last_id, batch)).fetchall()
                else:
                    cursor.execute(f"SELECT id, {cols} FROM {TABLE} WHERE id > %s ORDER BY id LIMIT %s",
                                   [last_id, batch])
                    rows = cursor.fetchall()
                if not rows:
                    break
                last_id = rows[-1][0]
                rows = [r[1:] for r in rows]
                start = time.perf_counter()
                if connection.vendor == "postgresql":  # binary, as the importer writes
                    with cursor.cursor.copy(f"COPY {FLOOR_TABLE} ({cols}) FROM STDIN (FORMAT BINARY)") as copy:
                        copy.set_types(COPY_TYPES)
                        for row in rows:
                            copy.write_row(row)
                else:
                    cursor.executemany(f"INSERT INTO {FLOOR_TABLE} ({cols}) VALUES "
                                       f"({', '.join(['%s'] * len(INSERT_COLUMNS))})", rows)
                spent += time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {FLOOR_TABLE}")
    return spent


def _cpu() -> float:
    """User + system CPU seconds of this process and of its finished children (the pool)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=None,
                        help="preparing processes, 0: inline (default: the importer's choice)")
    parser.add_argument("--profile", action="store_true", help="cProfile the import (use --workers 0)")
    args = parser.parse_args()
    ensure_city()
    path = Path(settings.VAR_DIR) / f"residents-{args.rows}.csv"
    if not path.exists():
        start = time.perf_counter()
        generate(path, args.rows)
        emit("import_generate_s", time.perf_counter() - start, "s")
    emit("import_file_mib", path.stat().st_size / 2**20, "MiB")
    empty_residents()
    grid_index()  # built once per process, as in a worker that has imported before; its build is not counted

    cpu_before = _cpu()
    start = time.perf_counter()
    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        outcome = profiler.runcall(residents_import, actor=SYSTEM, path=path, file_name=path.name,
                                   workers=args.workers)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    else:
        outcome = residents_import(actor=SYSTEM, path=path, file_name=path.name, workers=args.workers)
    seconds = time.perf_counter() - start
    cpu = _cpu() - cpu_before
    if not outcome.written or outcome.created != args.rows:
        raise SystemExit(f"import incomplete: created {outcome.created}, invalid {outcome.invalid}, first "
                         f"problems {[e.as_dict() for e in outcome.errors[:5]]}")
    self_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    emit("import_rows", outcome.created, "rows")
    emit("import_s", seconds, "s")
    emit("import_rows_per_s", args.rows / seconds, "rows/s")
    emit("import_peak_rss_mib", self_peak, "MiB")
    emit("import_peak_rss_worker_mib", child_peak, "MiB")
    # Load-independent: CPU time of this process and its pool workers (not the database server's), and the
    # rate that would give on two otherwise idle cores.
    emit("import_cpu_us_per_row", cpu / args.rows * 1e6, "us")
    emit("import_rows_per_s_two_idle_cores_estimate", 2 * args.rows / cpu, "rows/s")
    emit("load_average_1min", os.getloadavg()[0], "load")

    floor_s = floor(args.rows)
    emit("import_floor_raw_write_rows_per_s", args.rows / floor_s, "rows/s")
    emit("import_ratio_to_floor", floor_s / seconds, "fraction")
    emit("import_target_rows_per_s", TARGET, "rows/s")


if __name__ == "__main__":
    main()
