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

import json
import math
import os
import random
import sys
import time
import uuid
from pathlib import Path

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

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from epigrid.accounts.models import User  # noqa: E402
from epigrid.accounts.roles import Role  # noqa: E402
from epigrid.accounts.services import token_create, user_add  # noqa: E402
from epigrid.core.principals import SYSTEM  # noqa: E402
from epigrid.demo.services import demo_city_build  # noqa: E402
from epigrid.health.models import CheckIn, Observation, Status  # noqa: E402
from epigrid.health.services import observation_start  # noqa: E402
from epigrid.regions.models import Grid  # noqa: E402
from epigrid.residents.models import Resident  # noqa: E402
from epigrid.residents.services import resident_create  # noqa: E402

RESIDENTS = int(os.environ.get("BENCH_RESIDENTS", "12000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "8"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "10"))
# As `epigrid serve` runs by default: 2 per core + 1, so that a worker waiting on the database (a
# PostgreSQL commit waits about 1 ms for its WAL flush here) leaves the cores to the others.
WORKERS = int(os.environ.get("BENCH_WORKERS", "0")) or 2 * (os.cpu_count() or 1) + 1
DISTRICT = "110101000000"
TARGET_P99_MS = 100
# GET /api/v1/me and POST /api/v1/checkins as shares of the static-file ceiling (the speed issue's goals).
TARGETS = {"postgresql": (0.6, 0.35), "sqlite": (0.6, 0.5)}


def prepare() -> tuple[list[str], str]:
    """Observation uids and a fresh token; data built through the services the first time."""
    call_command("migrate", verbosity=0)
    if not Grid.objects.filter(code__startswith=DISTRICT[:6]).exists():
        demo_city_build(seed=1, scale="small")
    if not User.objects.filter(username="benchadmin").exists():
        user_add(actor=SYSTEM, username="benchadmin", role=Role.DISTRICT_ADMIN, node_code=DISTRICT)
    admin = User.objects.get(username="benchadmin")
    grids = list(Grid.objects.filter(code__startswith=DISTRICT[:6]).values_list("code", flat=True))
    have = Observation.objects.filter(status=Status.ACTIVE, grid_code__startswith=DISTRICT[:6]).count()
    started = time.perf_counter()
    for i in range(have, RESIDENTS):
        resident = resident_create(actor=admin, data={
            "name": f"测试{i:05d}", "id_type": "passport", "id_number": f"E{i:08d}",
            "grid_code": grids[i % len(grids)]})
        observation_start(actor=admin, resident=resident, kind="home", reason="arrival")
    if have < RESIDENTS:
        emit("setup_observations_per_s", (RESIDENTS - have) / (time.perf_counter() - started), "observations/s")
    uids = [str(u) for u in Observation.objects.filter(status=Status.ACTIVE, grid_code__startswith=DISTRICT[:6])
            .values_list("uid", flat=True)[:RESIDENTS]]
    # A check-in replaces the slot's earlier one: the check-ins of an earlier run on this data would make
    # "one stored row per acknowledged check-in" false. They are this benchmark's own rows: start clean.
    CheckIn.objects.filter(observation__uid__in=uids).delete()
    _, token = token_create(actor=SYSTEM, username="benchadmin", name="bench", days=1)
    assert Resident.objects.count() >= RESIDENTS
    return uids, token


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else float("nan")


class Phase:
    """CONCURRENCY asyncio clients, each sending requests made by `make(client, i)` -> (method, path, body,
    key) one after another until time is up, on a kept-alive connection that is re-opened whenever the
    server closes it (gunicorn's sync workers close after every response). Raw HTTP/1.1 over asyncio
    streams: a light load process, so that more of the two cores go to the server."""

    def __init__(self, port: int, token: str, make, expect: tuple[int, ...]):
        self.port, self.make, self.expect = port, make, expect
        self.auth = f"Authorization: Bearer {token}\r\nAccept-Language: en\r\nHost: 127.0.0.1\r\n"
        self.latencies: list[float] = []
        self.elapsed = self.cpu = 0.0
        self.sent = [0] * CONCURRENCY  # requests each client has made, across runs
        self.errors = 0
        self.keys: list[str] = []  # acknowledged request keys
        self.samples: list[str] = []

    def _request(self, method: str, path: str, body: str | None) -> bytes:
        if body is None:
            return f"{method} {path} HTTP/1.1\r\n{self.auth}\r\n".encode()
        data = body.encode()
        return (f"{method} {path} HTTP/1.1\r\n{self.auth}Content-Type: application/json\r\n"
                f"Content-Length: {len(data)}\r\n\r\n").encode() + data

    async def _client(self, c: int, stop_at: float) -> None:
        import asyncio

        reader = writer = None
        while time.perf_counter() < stop_at:
            method, path, body, key = self.make(c, self.sent[c])
            self.sent[c] += 1
            started = time.perf_counter()
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.write(self._request(method, path, body))
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head[9:12])
                lower = head.lower()
                at = lower.find(b"content-length:")
                length = int(lower[at + 15:lower.find(b"\r\n", at)]) if at >= 0 else None
                data = await (reader.readexactly(length) if length is not None else reader.read())
                self.latencies.append(time.perf_counter() - started)
                if b"connection: close" in lower or length is None:
                    writer.close()
                    reader = writer = None
                if status in self.expect:
                    if key:
                        self.keys.append(key)
                else:
                    self.errors += 1
                    if len(self.samples) < 3:
                        self.samples.append(f"{status} {data[:200]!r}")
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                self.errors += 1
                if len(self.samples) < 3:
                    self.samples.append(repr(exc))
                if writer is not None:
                    writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    def run(self, seconds: float) -> "Phase":
        """Sends for `seconds` more; a phase may run several times, interleaved with others."""
        import asyncio

        async def main():
            stop_at = time.perf_counter() + seconds
            await asyncio.gather(*(self._client(c, stop_at) for c in range(CONCURRENCY)))

        cpu, started = time.process_time(), time.perf_counter()
        asyncio.run(main())
        self.elapsed += time.perf_counter() - started
        self.cpu += time.process_time() - cpu
        return self

    def result(self) -> dict:
        lat = [x * 1000 for x in self.latencies]
        return {"n": len(lat), "rate": len(lat) / self.elapsed, "p50": percentile(lat, 0.5),
                "p99": percentile(lat, 0.99), "errors": self.errors, "samples": self.samples, "keys": self.keys,
                "client_cpu_ms": self.cpu * 1000 / max(1, len(lat))}


def report(name: str, result: dict, unit: str) -> None:
    emit(f"{name}_per_s", result["rate"], unit)
    emit(f"{name}_p50_ms", result["p50"], "ms")
    emit(f"{name}_p99_ms", result["p99"], "ms")
    emit(f"{name}_errors", result["errors"], "requests")
    emit(f"{name}_load_process_cpu_ms", result["client_cpu_ms"], "ms/request")
    for sample in result["samples"]:
        print(json.dumps({"sample_error": name, "detail": sample}, ensure_ascii=False), file=sys.stderr)


def main() -> None:
    uids, token = prepare()
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
        Phase(port, token, me, (200,)).run(1.0)  # warm the workers up
        static_phase = Phase(port, token, lambda t, i: ("GET", "/static/epigrid/app.css", None, None), (200,))
        floor_phase = Phase(port, token, me, (200,))
        checkin_phase = Phase(port, token, checkin, (201,))
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

        retries = Phase(port, token, retry, (200,)).run(min(SECONDS, 5)).result()
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
