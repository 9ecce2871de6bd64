"""Check-ins over real HTTP: `POST /api/v1/checkins` against `epigrid serve` (gunicorn, 2 sync workers).

Builds (or reuses) its data under BENCH_VAR_DIR (default var/bench-checkins): the small demo city and
BENCH_RESIDENTS (3,000) residents of 东城 under home observation, all created through the services, and a
district admin's bearer token. Then, from this process as the separate load process, BENCH_THREADS (8)
threads each keep an http.client connection (re-opened whenever gunicorn's sync worker closes it) and
send requests for BENCH_SECONDS (10) per phase:
  static     GET /static/epigrid/app.css: gunicorn and whitenoise alone, no view, no database (the ceiling)
  floor      GET /api/v1/me: a bare authenticated endpoint, same concurrency, same run
  checkins   POST /api/v1/checkins with a unique client_id each, ~1% fevers (raising alerts)
  retries    the same POSTs again with client_ids already stored: 200 with the stored check-in
Prints JSON lines: requests/s, p50/p99 latency (sending to last byte read) and errors per phase, and checks
that the database holds exactly one check-in per acknowledged client_id.
Target: >= 1,500 check-ins/s on SQLite with p99 < 100 ms and no errors.

PostgreSQL: EPIGRID_DATABASE_URL=postgres://postgres@127.0.0.1:5432/epigrid_bench_checkins
BENCH_SQLITE_CONN_MAX_AGE=60 serves with persistent SQLite connections (settings.py forces 0 today) through
a settings overlay, to measure the proposed settings change; the figures say which was used.
Run: .venv/bin/python bench/checkins.py
"""

import http.client
import json
import math
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ["EPIGRID_VAR_DIR"] = os.environ.get("BENCH_VAR_DIR", str(ROOT / "var" / "bench-checkins"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "epigrid.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from epigrid.accounts.models import User  # noqa: E402
from epigrid.accounts.roles import Role  # noqa: E402
from epigrid.accounts.services import token_create, user_add  # noqa: E402
from epigrid.demo.services import demo_city_build  # noqa: E402
from epigrid.health.models import CheckIn, Observation, Status  # noqa: E402
from epigrid.health.services import observation_start  # noqa: E402
from epigrid.regions.models import Grid  # noqa: E402
from epigrid.residents.models import Resident  # noqa: E402
from epigrid.residents.services import resident_create  # noqa: E402

RESIDENTS = int(os.environ.get("BENCH_RESIDENTS", "3000"))
THREADS = int(os.environ.get("BENCH_THREADS", "8"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
DISTRICT = "110101000000"
TARGET_RATE, TARGET_P99_MS = 1500, 100


def emit(metric: str, value: float, unit: str) -> None:
    print(json.dumps({"metric": metric, "value": round(value, 3), "unit": unit}), flush=True)


def prepare() -> tuple[list[str], str]:
    """Observation uids and a fresh token; data built through the services the first time."""
    call_command("migrate", verbosity=0)
    if not Grid.objects.filter(code__startswith=DISTRICT[:6]).exists():
        demo_city_build(seed=1, scale="small")
    if not User.objects.filter(username="benchadmin").exists():
        user_add(actor=None, username="benchadmin", role=Role.DISTRICT_ADMIN, node_code=DISTRICT)
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
    _, token = token_create(actor=None, username="benchadmin", name="bench", days=1)
    assert Resident.objects.count() >= RESIDENTS
    return uids, token


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CONN_MAX_AGE = os.environ.get("BENCH_SQLITE_CONN_MAX_AGE", "")


def server_env() -> dict:
    """The server's environment; with BENCH_SQLITE_CONN_MAX_AGE, a settings overlay that keeps SQLite
    connections open between requests (closing the last one checkpoints and removes the WAL)."""
    env = os.environ.copy()
    if CONN_MAX_AGE and connection.vendor == "sqlite":
        overlay = Path(os.environ["EPIGRID_VAR_DIR"]) / "overlay"
        overlay.mkdir(exist_ok=True)
        (overlay / "epigrid_bench_settings.py").write_text(
            "from epigrid.settings import *  # noqa: F403\n"
            f"DATABASES['default']['CONN_MAX_AGE'] = {int(CONN_MAX_AGE)}  # noqa: F405\n")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(overlay), env.get("PYTHONPATH", "")]))
        env["DJANGO_SETTINGS_MODULE"] = "epigrid_bench_settings"
    return env


def serve(port: int, token: str) -> subprocess.Popen:
    epigrid = str(Path(sys.executable).with_name("epigrid"))
    log = Path(os.environ["EPIGRID_VAR_DIR"]) / "bench-serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([epigrid, "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS),
                                 "--access-log", "/dev/null"],
                                env=server_env(), stdout=out, stderr=out, start_new_session=True)
    deadline = time.monotonic() + 90
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/v1/me", headers={"Authorization": f"Bearer {token}"})
            if conn.getresponse().status == 200:
                conn.close()
                return proc
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(proc)
            raise RuntimeError(f"epigrid serve did not come up; see {log}")
        time.sleep(0.2)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else float("nan")


class Phase:
    """THREADS threads sending requests made by `make(thread, i)` -> (method, path, body) until time's up."""

    def __init__(self, port: int, token: str, make, expect: tuple[int, ...]):
        self.port, self.make, self.expect = port, make, expect
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                        "Accept-Language": "en"}
        self.latencies: list[list[float]] = [[] for _ in range(THREADS)]
        self.errors = [0] * THREADS
        self.sent: list[list[str]] = [[] for _ in range(THREADS)]  # acknowledged request keys
        self.samples: list[str] = []

    def _run(self, t: int, start_at: float, stop_at: float) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        lat, i = self.latencies[t], 0
        while time.perf_counter() < start_at:
            time.sleep(0.001)
        while True:
            now = time.perf_counter()
            if now >= stop_at:
                break
            method, path, body, key = self.make(t, i)
            i += 1
            try:
                conn.request(method, path, body=body, headers=self.headers)
                response = conn.getresponse()
                data = response.read()
                lat.append(time.perf_counter() - now)
                if response.status in self.expect:
                    if key:
                        self.sent[t].append(key)
                else:
                    self.errors[t] += 1
                    if len(self.samples) < 3:
                        self.samples.append(f"{response.status} {data[:200]!r}")
                if response.will_close:
                    conn.close()
            except (OSError, http.client.HTTPException) as exc:
                self.errors[t] += 1
                if len(self.samples) < 3:
                    self.samples.append(repr(exc))
                conn.close()
        conn.close()

    def run(self, seconds: float) -> dict:
        start_at = time.perf_counter() + 0.2
        stop_at = start_at + seconds
        threads = [threading.Thread(target=self._run, args=(t, start_at, stop_at)) for t in range(THREADS)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        elapsed = time.perf_counter() - start_at
        lat = [x * 1000 for per in self.latencies for x in per]
        return {"n": len(lat), "rate": len(lat) / elapsed, "p50": percentile(lat, 0.5), "p99": percentile(lat, 0.99),
                "errors": sum(self.errors), "samples": self.samples,
                "keys": [k for per in self.sent for k in per]}


def report(name: str, result: dict, unit: str) -> None:
    emit(f"{name}_per_s", result["rate"], unit)
    emit(f"{name}_p50_ms", result["p50"], "ms")
    emit(f"{name}_p99_ms", result["p99"], "ms")
    emit(f"{name}_errors", result["errors"], "requests")
    for sample in result["samples"]:
        print(json.dumps({"sample_error": name, "detail": sample}, ensure_ascii=False), file=sys.stderr)


def main() -> None:
    uids, token = prepare()
    emit("observations_active", len(uids), "observations")
    emit("load_threads", THREADS, "threads")
    emit("server_workers", WORKERS, "workers")
    run = uuid.uuid4().hex[:10]
    rng = random.Random(1)
    temps = [f"{36 + rng.random():.1f}" if rng.random() > 0.01 else "38.2" for _ in range(997)]

    def checkin(t: int, i: int):
        client_id = f"{run}-{t}-{i}"
        body = (f'{{"observation":"{uids[(t * 7919 + i) % len(uids)]}","slot":"am",'
                f'"temperature":{temps[(t + i) % len(temps)]},"symptoms":[],"client_id":"{client_id}"}}')
        return "POST", "/api/v1/checkins", body, client_id

    def me(t: int, i: int):
        return "GET", "/api/v1/me", None, None

    emit("cpu_cores", os.cpu_count() or 0, "cores")
    emit("load_average_before", os.getloadavg()[0], "runnable")
    before = CheckIn.objects.count()
    port = free_port()
    proc = serve(port, token)
    try:
        Phase(port, token, me, (200,)).run(1.0)  # warm both workers up
        static = Phase(port, token, lambda t, i: ("GET", "/static/epigrid/app.css", None, None), (200,)).run(
            min(SECONDS, 5))
        floor = Phase(port, token, me, (200,)).run(SECONDS)
        checkins = Phase(port, token, checkin, (201,)).run(SECONDS)
        stored = checkins["keys"]
        retry_keys = stored[: min(len(stored), 20_000)]

        def retry(t: int, i: int):
            client_id = retry_keys[(t * 104729 + i) % len(retry_keys)]
            _run, th, n = client_id.split("-")
            body = (f'{{"observation":"{uids[(int(th) * 7919 + int(n)) % len(uids)]}","slot":"am",'
                    f'"temperature":36.5,"symptoms":[],"client_id":"{client_id}"}}')
            return "POST", "/api/v1/checkins", body, None

        retries = Phase(port, token, retry, (200,)).run(min(SECONDS, 5))
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
    emit("target_checkins_per_s", TARGET_RATE, "checkins/s")
    emit("target_p99_ms", TARGET_P99_MS, "ms")
    emit("load_average_after", os.getloadavg()[0], "runnable")
    emit("database", 0, connection.vendor)
    if connection.vendor == "sqlite":
        emit("sqlite_conn_max_age", int(CONN_MAX_AGE or 0), "s")
    if after - before != len(stored) or checkins["errors"] or retries["errors"]:
        print("FAILED: stored rows differ from acknowledged check-ins, or errors", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
