"""What every benchmark shares: the JSON line format, and `epigrid serve` run as a separate process."""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path


def emit(metric: str, value: float, unit: str) -> None:
    print(json.dumps({"metric": metric, "value": round(value, 3), "unit": unit}), flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_var_dir(name: str) -> str:
    """This benchmark's own data directory: BENCH_VAR_DIR (default var/bench) / name. Each script builds
    and reuses only its own data, so `make bench` runs twice in a row (one script's incidents never meet
    another's checks). On PostgreSQL (EPIGRID_DATABASE_URL) give each script a database of its own."""
    root = Path(os.environ.get("BENCH_VAR_DIR") or Path(__file__).resolve().parent.parent / "var" / "bench")
    return str(root / name)


def serve(port: int, token: str, *, workers: int = 2, log_name: str = "bench-serve.log") -> subprocess.Popen:
    """`epigrid serve` in its own session (so it stops with its workers), logging to a file under
    EPIGRID_VAR_DIR; returns once an authenticated GET /api/v1/me answers 200."""
    epigrid = str(Path(sys.executable).with_name("epigrid"))
    log = Path(os.environ["EPIGRID_VAR_DIR"]) / log_name
    with open(log, "wb") as out:
        proc = subprocess.Popen([epigrid, "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
                                 "--access-log", "/dev/null"],
                                env=os.environ.copy(), stdout=out, stderr=out, start_new_session=True)
    deadline = time.monotonic() + 90
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/v1/me", headers={"Authorization": f"Bearer {token}"})
            ok = conn.getresponse().status == 200
            conn.close()
            if ok:
                return proc
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(proc)
            raise RuntimeError(f"epigrid serve did not come up; see {log}")
        time.sleep(0.2)


def request(port: int, method: str, path: str, token: str, body: bytes | None = None) -> tuple[float, int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {token}"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    try:
        start = time.perf_counter()
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        return time.perf_counter() - start, response.status, data
    finally:
        conn.close()


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)  # the gunicorn master and its workers: our own session
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
