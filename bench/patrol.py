"""Track points from many patrols at once, over real HTTP against `epigrid serve` (2 gunicorn workers).

Each simulated grid worker (WORKERS of them, each on its own patrol, its own token) sends batches of 10
points to POST /api/v1/patrols/{id}/points, a new connection per request as a phone behind a carrier
NAT would. The load runs in separate processes (PROCESSES x threads), never in the server's.

Two phases, each with the floor beside it (the same load on GET /api/v1/me, a bare authenticated
endpoint):
  saturate  every worker sends its next batch as soon as the last is answered: the most points/s the
            server stores; its latency is mostly time queued behind the other 199 (Little's law).
  paced     the workers together send TARGET_POINTS points/s (the city's 20,000 grid workers at one
            point every 10 s is 2,000): latency at that load, which is what a phone sees.
Targets: >= 3,000 points/s stored, p99 < 150 ms at the target rate, no errors.

Data: its own directory, var/bench/<script> (BENCH_VAR_DIR moves var/bench); EPIGRID_DATABASE_URL is honoured.
Run: .venv/bin/python bench/patrol.py   (BENCH_SECONDS, BENCH_WORKERS, BENCH_THREADS, BENCH_TARGET_POINTS)
"""

import json
import math
import multiprocessing as mp
import os
import threading
import time
import uuid
from pathlib import Path

from _server import bench_var_dir, emit, free_port, request, serve, stop  # bench/_server.py

ROOT = Path(__file__).resolve().parent.parent
os.environ["EPIGRID_VAR_DIR"] = bench_var_dir("patrol")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "epigrid.settings")

WORKERS = int(os.environ.get("BENCH_WORKERS", "200"))
PROCESSES = int(os.environ.get("BENCH_PROCESSES", "2"))
# Senders (threads, over all processes): one per patrol by default, as independent phones are; fewer
# (each cycling over its patrols) measures the server rather than 200 client threads on a small machine.
THREADS = int(os.environ.get("BENCH_THREADS", str(WORKERS)))
SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))
TARGET_POINTS = int(os.environ.get("BENCH_TARGET_POINTS", "3000"))
BATCH = 10
TARGET_P99_MS = 150


def prepare() -> list[tuple[str, float, float]]:
    """Grid workers on the first WORKERS grids of the demo city: (token, lon, lat) each."""
    import django

    django.setup()
    from django.core.management import call_command

    from epigrid.accounts.models import User
    from epigrid.accounts.roles import Role
    from epigrid.accounts.services import token_create, user_add
    from epigrid.core.principals import SYSTEM
    from epigrid.demo.services import demo_city_build
    from epigrid.patrol.models import Patrol
    from epigrid.patrol.services import patrol_end
    from epigrid.regions.models import Grid

    call_command("migrate", verbosity=0)
    if not Grid.objects.exists():
        demo_city_build(scale="small")
    grids = list(Grid.objects.order_by("code").values_list("code", "centroid_lon", "centroid_lat"))
    out = []
    for i in range(WORKERS):
        code, lon, lat = grids[i % len(grids)]
        username = f"bench_gw_{i:04d}"
        if not User.objects.filter(username=username).exists():
            user_add(actor=SYSTEM, username=username, role=Role.GRID_WORKER, node_code=code)
        user = User.objects.get(username=username)
        for p in Patrol.objects.filter(worker=user, status=Patrol.Status.ACTIVE):
            patrol_end(actor=user, patrol_id=p.pk)  # left running by an interrupted run
        _, token = token_create(actor=SYSTEM, username=username, name="bench", days=1)
        out.append((token, lon, lat))
    if not User.objects.filter(username="bench_gw_0000").exists():
        raise RuntimeError("bench users were not created")
    return out


def _worker(port, users, mode, interval, deadline, results, lock):
    """A sender: starts a patrol for each of its grid workers, then sends their batches in turn until the
    deadline (one grid worker per sender by default; fewer senders than patrols with BENCH_THREADS)."""
    patrols = []
    for token, lon, lat in users:
        if mode != "points":
            patrols.append((token, None, lon, lat))
            continue
        _, status, data = request(port, "POST", "/api/v1/patrols", token,
                                  json.dumps({"client_id": uuid.uuid4().hex}).encode())
        if status != 200:
            with lock:
                results.append((0.0, status, 0, time.time(), time.time()))
            continue
        patrols.append((token, json.loads(data)["id"], lon, lat))
    step = 0
    next_at = time.monotonic()
    local = []
    while patrols and time.monotonic() < deadline:
        if interval:
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            next_at += interval
        token, patrol_id, lon, lat = patrols[step % len(patrols)]
        sent_at = time.time()
        if mode == "points":
            now = time.time()
            points = [{"lon": round(lon + (step * BATCH + j) * 1e-6, 7), "lat": lat,
                       "t": _iso(now - (BATCH - 1 - j) * 1e-3), "accuracy": 8} for j in range(BATCH)]
            elapsed, status, data = request(port, "POST", f"/api/v1/patrols/{patrol_id}/points", token,
                                            json.dumps({"points": points}).encode())
            stored = json.loads(data)["stored"] if status == 200 else 0
        else:
            elapsed, status, _ = request(port, "GET", "/api/v1/me", token)
            stored = 0
        local.append((elapsed, status, stored, sent_at, time.time()))
        step += 1
    for token, patrol_id, _lon, _lat in patrols:
        if patrol_id is not None:
            request(port, "POST", f"/api/v1/patrols/{patrol_id}/end", token, b"{}")
    with lock:
        results.extend(local)


def _iso(ts: float) -> str:
    whole = int(ts)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{int((ts - whole) * 1e6):06d}+00:00"


def _process(args):
    port, users, senders, mode, interval, deadline = args
    results, lock = [], threading.Lock()
    threads = [threading.Thread(target=_worker, args=(port, users[i::senders], mode, interval, deadline, results, lock))
               for i in range(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def run(port: int, users, mode: str, rate_per_s: float | None) -> dict:
    """All workers for SECONDS; `rate_per_s` total requests a second (None: as fast as answered)."""
    senders = max(PROCESSES, min(THREADS, len(users)))
    interval = senders / rate_per_s if rate_per_s else 0.0
    deadline = time.monotonic() + SECONDS
    chunks = [users[i::PROCESSES] for i in range(PROCESSES)]
    start = time.monotonic()
    with mp.get_context("fork").Pool(PROCESSES) as pool:
        parts = pool.map(_process, [(port, chunk, senders // PROCESSES, mode, interval, deadline)
                                    for chunk in chunks])
    results = [r for part in parts for r in part]
    # Rates over the sending window only: starting and ending the 200 patrols is not part of it.
    wall = (max(r[4] for r in results) - min(r[3] for r in results)) if results else time.monotonic() - start
    ok = [r for r in results if r[1] == 200]
    latencies = sorted(r[0] * 1000 for r in ok)
    pct = lambda q: latencies[max(0, math.ceil(q * len(latencies)) - 1)] if latencies else float("nan")  # noqa: E731
    return {"requests": len(results), "errors": len(results) - len(ok), "req_s": len(ok) / wall,
            "points_s": sum(r[2] for r in ok) / wall, "p50": pct(0.5), "p99": pct(0.99)}


def main() -> None:
    users = prepare()
    from epigrid.patrol.models import TrackPoint

    before = TrackPoint.objects.count()
    port = free_port()
    proc = serve(port, users[0][0], log_name="bench-patrol-serve.log")
    try:
        floor_sat = run(port, users, "floor", None)
        sat = run(port, users, "points", None)
        floor_paced = run(port, users, "floor", TARGET_POINTS / BATCH)
        paced = run(port, users, "points", TARGET_POINTS / BATCH)
    finally:
        stop(proc)
    stored = TrackPoint.objects.count() - before
    emit("patrol_workers", len(users), "concurrent patrols")
    emit("patrol_senders", max(PROCESSES, min(THREADS, len(users))), "client threads")
    emit("patrol_batch_points", BATCH, "points")
    emit("patrol_saturate_points_per_s", sat["points_s"], "points/s")
    emit("patrol_saturate_p50_ms", sat["p50"], "ms")
    emit("patrol_saturate_p99_ms", sat["p99"], "ms")
    emit("patrol_saturate_errors", sat["errors"], "requests")
    emit("floor_me_saturate_req_per_s", floor_sat["req_s"], "req/s")
    emit("floor_me_saturate_p99_ms", floor_sat["p99"], "ms")
    emit("patrol_saturate_vs_floor", sat["req_s"] / floor_sat["req_s"], "ratio")
    emit("patrol_paced_target_points_per_s", TARGET_POINTS, "points/s")
    emit("patrol_paced_points_per_s", paced["points_s"], "points/s")
    emit("patrol_paced_p50_ms", paced["p50"], "ms")
    emit("patrol_paced_p99_ms", paced["p99"], "ms")
    emit("patrol_paced_errors", paced["errors"], "requests")
    emit("floor_me_paced_p99_ms", floor_paced["p99"], "ms")
    emit("patrol_points_stored", stored, "points")
    emit("patrol_target_points_per_s", 3000, "points/s")
    emit("patrol_target_p99_ms", TARGET_P99_MS, "ms")


if __name__ == "__main__":
    main()
