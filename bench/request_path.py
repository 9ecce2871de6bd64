"""Where one API request's time goes: GET /api/v1/me and POST /api/v1/checkins, through the WSGI
application in this process, as a gunicorn worker calls it (no HTTP: bench/checkins.py measures that, with
the static-file ceiling). For the profile behind docs/performance.md ("The request path").

Builds (or reuses) its data under var/bench/request-path (BENCH_VAR_DIR moves var/bench): the small demo
city, BENCH_OBSERVATIONS (2,000) residents of 东城 under home observation, a district admin's token. Then
per endpoint: BENCH_REQUESTS (2,000) requests timed (CPU time of this process, which is less moved by
other load than wall time; and wall time, which adds the waits: the database server, the commit's flush), and as many again under cProfile, whose cumulative times give the shares of:
  handler     Django's WSGI handler and what middleware the request passes, before and after the view
  auth        the bearer token, its user and memberships (token_authenticate)
  ninja       ninja's parsing and validation of the input and rendering of the output
  service     the endpoint's own work in Python, without its statements
  queries     the statements sent to the database (execute/executemany), commits excluded
  audit       building and sending the audit row (its statement included)
  commit      the transaction's commit
Every check-in is a new one (a fresh client_id, a slot not used before): the common case.

PostgreSQL: EPIGRID_DATABASE_URL=postgres://postgres@127.0.0.1:5432/epigrid_bench_request_path
Run: .venv/bin/python bench/request_path.py
"""

import cProfile
import io
import json
import os
import pstats
import time
import uuid

from _load import observations_prepare  # bench/_load.py
from _server import bench_var_dir, emit  # bench/_server.py

os.environ["EPIGRID_VAR_DIR"] = bench_var_dir("request-path")
# Check-ins in time whatever the hour (as bench/checkins.py): the common path, the same every run.
os.environ.setdefault("EPIGRID_CHECKIN_AM_DEADLINE", "23:59")
os.environ.setdefault("EPIGRID_CHECKIN_PM_DEADLINE", "23:59")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "epigrid.settings")

import django  # noqa: E402

django.setup()

from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.db import connection  # noqa: E402

OBSERVATIONS = int(os.environ.get("BENCH_OBSERVATIONS", "2000"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "2000"))

# Profile entries (file suffix, function name) whose cumulative time is one part of the request.
PARTS = {
    "total": ("django/core/handlers/wsgi.py", "__call__"),
    "view": ("ninja/operation.py", "run"),
    "auth": ("epigrid/accounts/services.py", "token_authenticate"),
    "audit": ("epigrid/core/audit.py", "audit_record_many"),
    "commit": ("django/db/backends/base/base.py", "commit"),
    "endpoint_me": ("epigrid/accounts/api.py", "me"),
    "endpoint_checkin": ("epigrid/health/api.py", "checkin_create"),
}
# Where statements are sent (Django's cursor wrapper), split by who sent them.
STATEMENTS = ("django/db/backends/utils.py", ("execute", "executemany"))
OWN_STATEMENTS = {"token_authenticate": "auth", "insert_many": "audit"}


def main() -> None:
    uids, token = observations_prepare(OBSERVATIONS)
    app = WSGIHandler()
    run = uuid.uuid4().hex[:8]

    def environ(method: str, path: str, body: bytes = b"") -> dict:
        return {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
                "SERVER_PORT": "8000", "HTTP_HOST": "127.0.0.1", "HTTP_AUTHORIZATION": f"Bearer {token}",
                "HTTP_ACCEPT_LANGUAGE": "zh-CN", "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http",
                "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)), "CONTENT_TYPE": "application/json"}

    def me(i: int) -> dict:
        return environ("GET", "/api/v1/me")

    def checkin(i: int) -> dict:
        # A new (observation, slot) each: the first 2 x OBSERVATIONS requests never replace a check-in.
        body = {"observation": uids[i % len(uids)], "slot": ("am", "pm")[(i // len(uids)) % 2],
                "temperature": 36.6, "symptoms": [], "client_id": f"{run}-{i}"}
        return environ("POST", "/api/v1/checkins", json.dumps(body).encode())

    def start_response(status, headers):
        if status[:3] not in ("200", "201"):
            raise SystemExit(f"unexpected {status}")

    emit("database", 0, connection.vendor)
    n = min(REQUESTS, OBSERVATIONS)  # both passes together use each (observation, slot) once
    for name, make in (("me", me), ("checkin", checkin)):
        for i in range(20):  # warm up (with /me: a check-in would use up a slot): imports and caches
            b"".join(app(me(i), start_response))
        started, wall = time.process_time(), time.perf_counter()
        for i in range(n):
            b"".join(app(make(i), start_response))
        emit(f"{name}_cpu_ms", (time.process_time() - started) * 1000 / n, "ms/request")
        emit(f"{name}_wall_ms", (time.perf_counter() - wall) * 1000 / n, "ms/request")
        profile = cProfile.Profile()
        profile.enable()
        for i in range(n, 2 * n):
            b"".join(app(make(i), start_response))
        profile.disable()
        parts = cumulative(pstats.Stats(profile))
        total, endpoint = parts["total"], parts[f"endpoint_{name}"]
        shares = {
            "handler": total - parts["view"],
            "auth": parts["auth"],
            "ninja": parts["view"] - parts["auth"] - endpoint,
            "service": endpoint - parts["statements"] - parts["audit"] - parts["commit"],
            "queries": parts["statements"],
            "audit": parts["audit"],
            "commit": parts["commit"],
        }
        for part, seconds in shares.items():
            emit(f"{name}_share_{part}", 100 * seconds / total, "%")


def cumulative(stats: pstats.Stats) -> dict:
    """Each part's cumulative seconds; "statements": those the endpoint sent itself (the token's and
    the audit row's statements are counted in auth and audit)."""
    found = dict.fromkeys(PARTS, 0.0)
    found["statements"] = 0.0
    for (filename, _line, function), (_cc, _nc, _tt, ct, callers) in stats.stats.items():
        for part, (suffix, name) in PARTS.items():
            if function == name and filename.endswith(suffix):
                found[part] += ct
        if filename.endswith(STATEMENTS[0]) and function in STATEMENTS[1]:
            found["statements"] += sum(c[3] for (_f, _l, caller), c in callers.items()
                                       if caller not in OWN_STATEMENTS)
    return found


if __name__ == "__main__":
    main()
