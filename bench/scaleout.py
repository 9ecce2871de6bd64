"""Scale-out: check-ins/s from one app server, and from two app servers on one PostgreSQL (docs/scaling.md).

The same check-in load as bench/checkins.py (`POST /api/v1/checkins`, unique client_ids, ~1% fevers; the data
built the same way, through the services: the small demo city and BENCH_RESIDENTS (3,000) residents of 东城
under home observation) from this process as the separate load process, BENCH_CONCURRENCY (8) asyncio clients
on kept-alive connections, BENCH_SECONDS (10) per phase, against three servers started at once:
  static        GET /static/epigrid/app.css on one server: the ceiling of gunicorn + whitenoise
  floor_1x2     GET /api/v1/me, one server with BENCH_WORKERS (2) workers
  floor_2x2     GET /api/v1/me, two servers with 2 workers each, the clients alternating between them
  checkins_1x2  check-ins, one server with 2 workers
  checkins_2x2  check-ins, two servers with 2 workers each (what one more app server adds)
  checkins_1x4  check-ins, one server with 4 workers: the control. On one machine a second server adds
                processes, not cores; if 2x2 ~ 1x4, the gain is the extra workers, and a second machine
                would add its own cores on top (the database permitting: see the PostgreSQL figures).
The floor and check-in phases take turns in BENCH_ROUNDS (4) rounds of BENCH_SECONDS / BENCH_ROUNDS each, so
that other work on a shared machine weighs on every configuration alike; each check-in round starts with
empty slots (the bench's own check-ins deleted), so every check-in is a new row, not a replacement.
Then the PostgreSQL server's own limit on this machine, with no Python in the way (pgbench, from BENCH_PG_CLIENTS
(8,32) connections, BENCH_SECONDS each):
  pg_checkin_insert   the check-in INSERT alone, one a transaction (a commit, a WAL flush, each)
  pg_checkin_tx       the statements a new check-in request runs (`queries_per_checkin`, counted
                      in-process on the same code path): two look-ups (the token with its user and
                      memberships, the observation) and one WITH writing the check-in and its audit row
into scratch copies of the check-in and audit tables, dropped afterwards.

PostgreSQL only (the point is one database shared by the servers): EPIGRID_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/epigrid_bench_scaleout (created if missing); Redis for the cache:
EPIGRID_REDIS_URL, default redis://127.0.0.1:6379/0. Needs `pgbench` (Debian: postgresql-contrib or the
postgresql client package) for the last figures; without it they are skipped with a note.
On a 2-core machine the second server, the first one, the load process and PostgreSQL share the same two
cores: the figures say what one more server process adds there, not what a second machine would.
Run: .venv/bin/python bench/scaleout.py
"""

import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import uuid

from _load import Phase, observations_prepare, report  # bench/_load.py
from _server import bench_var_dir, emit, free_port, serve, stop  # bench/_server.py

os.environ["EPIGRID_VAR_DIR"] = bench_var_dir("scaleout")
os.environ.setdefault("EPIGRID_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/epigrid_bench_scaleout")
os.environ.setdefault("EPIGRID_REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "epigrid.settings")

import dj_database_url  # noqa: E402

DB = dj_database_url.parse(os.environ["EPIGRID_DATABASE_URL"])
if DB["ENGINE"] != "django.db.backends.postgresql":
    sys.exit("bench/scaleout.py measures app servers sharing one PostgreSQL: set EPIGRID_DATABASE_URL=postgres://...")


def _create_database() -> None:
    import psycopg

    with psycopg.connect(host=DB["HOST"], port=DB["PORT"] or 5432, user=DB["USER"], password=DB["PASSWORD"],
                         dbname="postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB["NAME"]]).fetchone():
            conn.execute(f'CREATE DATABASE "{DB["NAME"]}"')


_create_database()

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from epigrid.health.models import CheckIn  # noqa: E402

RESIDENTS = int(os.environ.get("BENCH_RESIDENTS", "3000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "8"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "4"))
PG_CLIENTS = [int(n) for n in os.environ.get("BENCH_PG_CLIENTS", "8,32").split(",")]


def queries_per_checkin(token: str, observation: str) -> int:
    """The statements one check-in request runs, counted in-process on the same code path."""
    client = Client(HTTP_HOST="127.0.0.1")
    body = json.dumps({"observation": observation, "slot": "am", "temperature": 36.6, "symptoms": [],
                       "client_id": f"count-{uuid.uuid4().hex}"})
    with CaptureQueriesContext(connection) as captured:
        response = client.post("/api/v1/checkins", body, content_type="application/json",
                               headers={"authorization": f"Bearer {token}"})
    assert response.status_code in (200, 201), response.content
    return len(captured.captured_queries)


def pgbench(script: str, clients: int, seconds: float) -> float:
    """Transactions/s of `script` from `clients` connections."""
    binary = shutil.which("pgbench")
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(script)
    try:
        out = subprocess.run([binary, "-n", "-h", DB["HOST"], "-p", str(DB["PORT"] or 5432), "-U", DB["USER"],
                              "-c", str(clients), "-j", str(min(clients, os.cpu_count() or 1)),
                              "-T", str(max(1, round(seconds))), "-f", f.name, DB["NAME"]],
                             capture_output=True, text=True,
                             env={**os.environ, "PGPASSWORD": DB["PASSWORD"] or ""})
    finally:
        os.unlink(f.name)
    if out.returncode:
        raise RuntimeError(f"pgbench failed: {out.stderr[-2000:]}")
    return float(re.search(r"tps = ([\d.]+)", out.stdout).group(1))


def postgres_limit() -> None:
    """The PostgreSQL server's own limit for check-ins, from each of PG_CLIENTS connections (pgbench), into scratch
    copies of the check-in and audit tables (columns, defaults, unique constraints, indexes; no foreign keys
    and no append-only trigger), dropped afterwards:
      pg_checkin_insert  the check-in INSERT alone, a transaction each (a commit, a WAL flush)
      pg_checkin_tx      what a new check-in request runs, in order: the token with its user and
                         memberships, the observation, then the check-in and its audit row in one WITH
                         (the statements counted in queries_per_checkin)."""
    scratch = {"bench_scaleout_checkin": "health_checkin", "bench_scaleout_audit": "core_auditevent"}
    with connection.cursor() as cursor:
        for table, like in scratch.items():
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.execute(f"CREATE TABLE {table} (LIKE {like} INCLUDING DEFAULTS INCLUDING IDENTITY "
                           f"INCLUDING CONSTRAINTS INCLUDING INDEXES)")
        cursor.execute("DROP SEQUENCE IF EXISTS bench_scaleout_seq; CREATE SEQUENCE bench_scaleout_seq")
        cursor.execute("SELECT min(id), max(id) FROM health_observation")
        low, high = cursor.fetchone()
        cursor.execute("SELECT id, user_id FROM accounts_apitoken ORDER BY id DESC LIMIT 1")
        token_id, user_id = cursor.fetchone()
    insert = ("INSERT INTO bench_scaleout_checkin (observation_id, grid_code, date, slot, temperature, symptoms, "
              "\"by\", recorded_by_id, recorded_at, client_id) VALUES (nextval('bench_scaleout_seq'), "
              "'110101001001001', current_date, 'am', 36.6, 0, 'worker', NULL, now(), gen_random_uuid()::text);\n")
    transaction = (
        f"\\set o random({low}, {high})\n"
        "SELECT u.*, t.id, t.last_used_at < now() - interval '1 minute', m.role, m.node_code "
        "FROM accounts_apitoken t JOIN accounts_user u ON u.id = t.user_id "
        f"LEFT JOIN accounts_membership m ON m.user_id = u.id WHERE t.id = {token_id} AND t.revoked_at IS NULL;\n"
        "SELECT id, uid, resident_id, grid_code, start, status FROM health_observation WHERE id = :o;\n"
        # The check-in and its audit row in one statement, as core/statements.py insert_with_audit sends it.
        f"WITH c AS ({insert.replace(';', ' ON CONFLICT DO NOTHING RETURNING id').strip()}) "
        "INSERT INTO bench_scaleout_audit (at, actor_id, actor_name, action, object_type, object_id, object_repr, "
        f"jurisdiction_code, changes, reason, ip) SELECT now(), {user_id}, 'benchadmin', 'checkin.record', "
        "'checkin', c.id::text, '', '110101001001001', '{\"temperature\": \"36.6\"}', '', '127.0.0.1' "
        "FROM c;\n")
    try:
        if shutil.which("pgbench") is None:
            print("pgbench not found: the PostgreSQL limit is not measured (apt-get install postgresql-contrib)",
                  file=sys.stderr)
            return
        for clients in PG_CLIENTS:
            emit(f"pg_checkin_insert_{clients}_clients_per_s", pgbench(insert, clients, SECONDS), "transactions/s")
            emit(f"pg_checkin_tx_{clients}_clients_per_s", pgbench(transaction, clients, SECONDS), "transactions/s")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_scaleout_checkin, bench_scaleout_audit; "
                           "DROP SEQUENCE IF EXISTS bench_scaleout_seq")


def main() -> None:
    uids, token = observations_prepare(RESIDENTS)
    emit("observations_active", len(uids), "observations")
    emit("load_concurrency", CONCURRENCY, "connections")
    emit("cpu_cores", os.cpu_count() or 0, "cores")
    emit("load_average_before", os.getloadavg()[0], "runnable")
    run = uuid.uuid4().hex[:10]
    rng = random.Random(1)
    temps = [f"{36 + rng.random():.1f}" if rng.random() > 0.01 else "38.2" for _ in range(997)]
    counter = iter(range(10**9))

    def checkin(t: int, i: int):
        # Each check-in its own (observation, slot) within a phase, while 2 x BENCH_RESIDENTS slots last
        # (then they replace earlier ones, as a phone's correction would).
        k = next(counter)
        observation, slot = uids[k % len(uids)], ("am", "pm")[(k // len(uids)) % 2]
        body = (f'{{"observation":"{observation}","slot":"{slot}","temperature":{temps[k % len(temps)]},'
                f'"symptoms":[],"client_id":"{run}-{k}"}}')
        return "POST", "/api/v1/checkins", body, None

    def me(t: int, i: int):
        return "GET", "/api/v1/me", None, None

    def fresh_slots() -> None:
        """Between check-in phases: each phase writes new check-ins into empty slots, not replacements."""
        nonlocal counter
        CheckIn.objects.filter(observation__uid__in=uids).delete()
        connection.close()
        counter = iter(range(10**9))

    connection.close()
    # Three servers up at once (an idle gunicorn costs nothing): A and B with BENCH_WORKERS workers each,
    # C with twice as many. The check-in phases take turns in ROUNDS short rounds, so that the other work on
    # a shared machine weighs on each configuration alike rather than on whichever ran when it peaked.
    port_a, port_b, port_c = free_port(), free_port(), free_port()
    servers = [serve(port_a, token, workers=WORKERS, log_name="serve-a.log")]
    try:
        servers.append(serve(port_b, token, workers=WORKERS, log_name="serve-b.log"))
        servers.append(serve(port_c, token, workers=2 * WORKERS, log_name="serve-c.log"))
        for port in (port_a, port_b, port_c):
            Phase([port], token, me, (200,), CONCURRENCY).run(1.0)  # warm every worker up
        results = {"static": Phase([port_a], token, lambda t, i: ("GET", "/static/epigrid/app.css", None, None),
                                   (200,), CONCURRENCY).run(min(SECONDS, 5)).result()}
        floors = {"floor_1x2": Phase([port_a], token, me, (200,), CONCURRENCY),
                  "floor_2x2": Phase([port_a, port_b], token, me, (200,), CONCURRENCY)}
        checkins = {"checkins_1x2": Phase([port_a], token, checkin, (200, 201), CONCURRENCY),
                    "checkins_2x2": Phase([port_a, port_b], token, checkin, (200, 201), CONCURRENCY),
                    "checkins_1x4": Phase([port_c], token, checkin, (200, 201), CONCURRENCY)}
        for _ in range(ROUNDS):
            for name, phase in floors.items():
                results[name] = phase.run(SECONDS / ROUNDS).result()
            for name, phase in checkins.items():
                fresh_slots()
                results[name] = phase.run(SECONDS / ROUNDS).result()
    finally:
        for proc in servers:
            stop(proc)

    for name, result in results.items():
        report(name, result, "checkins/s" if name.startswith("checkins") else "requests/s")
    emit("server_workers_each", WORKERS, "workers")
    emit("second_server_adds", results["checkins_2x2"]["rate"] - results["checkins_1x2"]["rate"], "checkins/s")
    emit("two_servers_vs_one", results["checkins_2x2"]["rate"] / results["checkins_1x2"]["rate"], "ratio")
    emit("two_servers_vs_one_server_4_workers", results["checkins_2x2"]["rate"] / results["checkins_1x4"]["rate"],
         "ratio")
    emit("checkins_1x2_vs_static", results["checkins_1x2"]["rate"] / results["static"]["rate"], "ratio")
    CheckIn.objects.filter(observation__uid=uids[0]).delete()  # a new check-in, not a replacement
    emit("queries_per_checkin", queries_per_checkin(token, uids[0]), "statements")
    postgres_limit()
    emit("load_average_after", os.getloadavg()[0], "runnable")
    if any(r["errors"] for r in results.values()):
        print("FAILED: errors in a phase", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
