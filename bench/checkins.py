"""Check-ins over real HTTP: `POST /api/v1/checkins` against `epigrid serve` (gunicorn sync workers, as
many as it starts by default: 2 per core + 1; BENCH_WORKERS to change).

Builds (or reuses) its data under var/bench/checkins (BENCH_VAR_DIR moves var/bench): the small demo city and
BENCH_RESIDENTS (12,000: more slots than a run sends check-ins, so none replaces another) residents of 东城 under home observation, all created through the services, and a
district admin's bearer token. Then, from this process as the separate load process, BENCH_CONCURRENCY (8)
asyncio clients each keep a connection (re-opened whenever gunicorn's sync worker closes it) and send
requests one after another. The first three phases take turns, BENCH_ROUNDS (10) times, for BENCH_SECONDS
(20) in all each (static half that), so that other load on the machine falls on all of them alike:
  static     GET /static/epigrid/app.css: gunicorn and whitenoise alone, no view, no database (the ceiling)
  floor      GET /api/v1/me: a bare authenticated endpoint, same concurrency, same run
  checkins   POST /api/v1/checkins with a unique client_id each, ~1% fevers (raising alerts)
  retries    then the same POSTs again with client_ids already stored: 200 with the stored check-in
Prints JSON lines: requests/s, p50/p99 latency (sending to last byte read) and errors per phase, and checks
that the database holds exactly one check-in per acknowledged client_id.
Targets, as shares of the static-file ceiling of the same run: on PostgreSQL GET /me >= 0.6 and check-ins
>= 0.35, on SQLite check-ins >= 0.5; p99 < 100 ms, no errors, one stored row per acknowledged check-in.

PostgreSQL: EPIGRID_DATABASE_URL=postgres://postgres@127.0.0.1:5432/epigrid_bench_checkins
EPIGRID_DB_CONN_MAX_AGE=0 serves with a new SQLite connection per request, for comparison (default 60).
Run: .venv/bin/python bench/checkins.py
"""

import os
import random
import sys
import uuid
from pathlib import Path

from _load import Phase, observations_prepare, report  # bench/_load.py
from _server import bench_var_dir, emit, free_port, serve, stop  # bench/_server.py

ROOT = Path(__file__).resolve().parent.parent
os.environ["EPIGRID_VAR_DIR"] = bench_var_dir("checkins")
# Check-ins in time, whatever the hour the benchmark runs at: the common case (a check-in after its slot's
# deadline also closes the slot's overdue alert, one more statement), the same every time.
os.environ.setdefault("EPIGRID_CHECKIN_AM_DEADLINE", "23:59")
os.environ.setdefault("EPIGRID_CHECKIN_PM_DEADLINE", "23:59")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "epigrid.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from epigrid.health.models import CheckIn  # noqa: E402

RESIDENTS = int(os.environ.get("BENCH_RESIDENTS", "12000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "8"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "10"))
# As `epigrid serve` runs by default: 2 per core + 1, so that a worker waiting on the database (a
# PostgreSQL commit waits about 1 ms for its WAL flush here) leaves the cores to the others.
WORKERS = int(os.environ.get("BENCH_WORKERS", "0")) or 2 * (os.cpu_count() or 1) + 1
TARGET_P99_MS = 100
# GET /api/v1/me and POST /api/v1/checkins as shares of the static-file ceiling (the speed issue's goals).
TARGETS = {"postgresql": (0.6, 0.35), "sqlite": (0.6, 0.5)}


def main() -> None:
    uids, token = observations_prepare(RESIDENTS)
    emit("observations_active", len(uids), "observations")
    emit("load_concurrency", CONCURRENCY, "connections")
    emit("server_workers", WORKERS, "workers")
    run = uuid.uuid4().hex[:10]
    rng = random.Random(1)
    temps = [f"{36 + rng.random():.1f}" if rng.random() > 0.01 else "38.2" for _ in range(997)]

    def slot_of(t: int, i: int) -> tuple[str, str]:
        # Each request its own (observation, slot) until every slot of the day is used: a second check-in
        # for a slot replaces the first (one per slot), which would leave an acknowledged client_id unstored.
        k = t + CONCURRENCY * i
        return uids[k % len(uids)], ("am", "pm")[(k // len(uids)) % 2]

    def checkin(t: int, i: int):
        client_id = f"{run}-{t}-{i}"
        observation, slot = slot_of(t, i)
        body = (f'{{"observation":"{observation}","slot":"{slot}",'
                f'"temperature":{temps[(t + i) % len(temps)]},"symptoms":[],"client_id":"{client_id}"}}')
        return "POST", "/api/v1/checkins", body, client_id

    def me(t: int, i: int):
        return "GET", "/api/v1/me", None, None

    emit("cpu_cores", os.cpu_count() or 0, "cores")
    emit("load_average_before", os.getloadavg()[0], "runnable")
    before = CheckIn.objects.count()
    # Hold no connection of our own while the server runs: on SQLite an extra open connection would spare
    # the server's the WAL checkpoint that closing the last connection does.
    connection.close()
    port = free_port()
    proc = serve(port, token, workers=WORKERS)
    try:
        Phase([port], token, me, (200,), CONCURRENCY).run(1.0)  # warm the workers up
        static_phase = Phase([port], token, lambda t, i: ("GET", "/static/epigrid/app.css", None, None), (200,),
                             CONCURRENCY)
        floor_phase = Phase([port], token, me, (200,), CONCURRENCY)
        checkin_phase = Phase([port], token, checkin, (201,), CONCURRENCY)
        # Interleaved in short turns, so that other load on the machine falls on all three alike and the
        # ratios between them hold.
        for _ in range(ROUNDS):
            static_phase.run(SECONDS / ROUNDS / 2)
            floor_phase.run(SECONDS / ROUNDS)
            checkin_phase.run(SECONDS / ROUNDS)
        static, floor, checkins = static_phase.result(), floor_phase.result(), checkin_phase.result()
        stored = checkins["keys"]
        # Retry only check-ins still stored: when the run used a slot twice, the later one replaced the
        # earlier (the larger request number k = t + CONCURRENCY * i, sent later), whose retry would
        # rightly be a new check-in.
        latest: dict[tuple[str, str], tuple[int, str]] = {}
        for key in stored:
            t, i = map(int, key.split("-")[1:])
            k = t + CONCURRENCY * i
            if latest.get(slot_of(t, i), (-1, ""))[0] < k:
                latest[slot_of(t, i)] = (k, key)
        retry_keys = [key for _k, key in latest.values()][:20_000]

        def retry(t: int, i: int):
            client_id = retry_keys[(t * 104729 + i) % len(retry_keys)]
            _run, th, n = client_id.split("-")
            observation, slot = slot_of(int(th), int(n))
            body = (f'{{"observation":"{observation}","slot":"{slot}",'
                    f'"temperature":36.5,"symptoms":[],"client_id":"{client_id}"}}')
            return "POST", "/api/v1/checkins", body, None

        retries = Phase([port], token, retry, (200,), CONCURRENCY).run(min(SECONDS, 5)).result()
    finally:
        stop(proc)

    report("static_file", static, "requests/s")
    report("floor_me", floor, "requests/s")
    report("checkins", checkins, "checkins/s")
    report("checkin_retries", retries, "requests/s")
    after = CheckIn.objects.count()
    emit("checkins_stored", after - before, "rows")
    emit("checkins_acknowledged_201", len(stored), "requests")
    emit("checkins_vs_floor", checkins["rate"] / floor["rate"], "ratio")
    # The goals, as ratios to the static-file ceiling measured in the same run (a noisy machine moves
    # both sides alike): docs/performance.md.
    emit("me_vs_static", floor["rate"] / static["rate"], "ratio")
    emit("checkins_vs_static", checkins["rate"] / static["rate"], "ratio")
    targets = TARGETS[connection.vendor]
    emit("target_me_vs_static", targets[0], "ratio")
    emit("target_checkins_vs_static", targets[1], "ratio")
    emit("target_p99_ms", TARGET_P99_MS, "ms")
    emit("load_average_after", os.getloadavg()[0], "runnable")
    emit("database", 0, connection.vendor)
    if connection.vendor == "sqlite":
        emit("sqlite_conn_max_age", int(connection.settings_dict["CONN_MAX_AGE"] or 0), "s")
    # Beyond two slots per observation a check-in replaces one of this run: count distinct slots then.
    slots = len({slot_of(*map(int, key.split("-")[1:])) for key in stored})
    if after - before != slots or checkins["errors"] or retries["errors"]:
        print("FAILED: stored rows differ from acknowledged check-ins, or errors", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
