"""Scale-out (issue 10, docs/scaling.md): two `epigrid serve` instances on two ports, one PostgreSQL database,
one Redis database, one shared media directory and one `epigrid worker`, driven over real HTTP, behave as
one server: a login made on A is a login on B, a logout on B ends it on A; failed logins spread over A
and B lock the account; the look-up limit counts both; an import uploaded on A is seen queued on B, run
by the worker and its outcome and error report read on B; a photo uploaded on A is served by B; a server
or worker without the shared key file refuses to start.

Each server and the worker have their own EPIGRID_VAR_DIR, so nothing they share can hide in it; they share
only what docs/scaling.md says they must: EPIGRID_DATABASE_URL, EPIGRID_REDIS_URL, EPIGRID_MEDIA_DIR,
EPIGRID_SECRET_KEY and EPIGRID_PII_KEY_FILE.

Runs with the PostgreSQL suite (EPIGRID_DATABASE_URL=postgres://...): on that server it creates a database
of its own, and it claims an empty Redis database (EPIGRID_SCALEOUT_REDIS_URL, default
redis://127.0.0.1:6379). Without them it skips, saying why; EPIGRID_REQUIRE_SCALEOUT=1 (.ci/run) makes
that a failure instead.
"""

import http.client
import io
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import dj_database_url
import pytest

from tests.residents.test_import import csv_bytes, person

EPIGRID = str(Path(sys.executable).with_name("epigrid"))
PASSWORD = "correct horse battery staple"
DONGCHENG = "110101000000"
LOOKUP_LIMIT = 4  # look-ups a minute per user, lowered so that the test reaches it quickly
CLAIM_KEY = "epigrid-scaleout-claim"

SETUP = """
import json, shapely
from epigrid.accounts.roles import Role
from epigrid.accounts.services import token_create, user_add
from epigrid.core.principals import SYSTEM
from epigrid.demo.services import demo_city_build
from epigrid.regions.models import Grid
from epigrid.residents.services import resident_create

demo_city_build(seed=1, scale="small")
for name in ("alice", "dora"):
    user_add(actor=SYSTEM, username=name, role=Role.DISTRICT_ADMIN, node_code="__NODE__", password="__PASSWORD__")
_, token = token_create(actor=SYSTEM, username="alice", name="scaleout", days=1)
grid = Grid.objects.filter(code__startswith="__NODE__"[:6]).order_by("code").first()
point = shapely.from_geojson(grid.geometry).representative_point()
resident_create(actor=SYSTEM, data={"name": "张三", "id_type": "passport", "id_number": "E00000001",
                                    "phone": "13812345678", "grid_code": grid.code})
print("SETUP " + json.dumps({"token": token, "grid": grid.code, "lon": round(point.x, 6), "lat": round(point.y, 6)}))
""".replace("__NODE__", DONGCHENG).replace("__PASSWORD__", PASSWORD)


def _unavailable(reason: str):
    if os.environ.get("EPIGRID_REQUIRE_SCALEOUT", "").lower() in ("1", "true", "yes", "on"):
        pytest.fail(f"{reason} (EPIGRID_REQUIRE_SCALEOUT is set)")
    pytest.skip(reason)


def _postgres() -> dict:
    url = os.environ.get("EPIGRID_DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        _unavailable("the scale-out test runs with the PostgreSQL suite: set EPIGRID_DATABASE_URL=postgres://...")
    import psycopg

    db = dj_database_url.parse(url)
    try:
        psycopg.connect(host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], password=db["PASSWORD"],
                        dbname="postgres", connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        _unavailable(f"PostgreSQL at {db['HOST']}:{db['PORT']} is unreachable: {exc}")
    return db


def _claim_redis(base: str) -> tuple[str, object]:
    """An empty Redis database of our own: the first of 15..1 that is empty and whose claim key we set
    first (two runs side by side never share one: a worker would take the other run's tasks)."""
    import redis

    try:
        redis.Redis.from_url(base, socket_timeout=5).ping()
    except redis.RedisError as exc:
        _unavailable(f"Redis at {base} is unreachable: {exc}")
    for number in range(15, 0, -1):
        client = redis.Redis.from_url(f"{base}/{number}", socket_timeout=5)
        try:
            if client.dbsize() == 0 and client.set(CLAIM_KEY, os.getpid(), nx=True, ex=3600):
                return f"{base}/{number}", client
        except redis.ResponseError:  # fewer databases configured
            continue
    _unavailable(f"no empty Redis database at {base} to claim")


def _wait_until(check, what: str, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class Server:
    """One `epigrid serve` (a gunicorn master and one sync worker) on a port of its own."""

    def __init__(self, name: str, env: dict, root: Path):
        self.name, self.port = name, _free_port()
        log = root / f"{name}.log"
        self.env = {**env, "EPIGRID_VAR_DIR": str(root / name)}
        with open(log, "wb") as out:
            self.proc = subprocess.Popen([EPIGRID, "serve", "--bind", f"127.0.0.1:{self.port}", "--workers", "1",
                                          "--access-log", "/dev/null"],
                                         env=self.env, stdout=out, stderr=out, start_new_session=True)
        self.log = log

    def up(self) -> None:
        def answers():
            if self.proc.poll() is not None:
                raise AssertionError(f"server {self.name} exited:\n{self.log.read_text()[-3000:]}")
            try:
                return self.request("GET", "/login/")[0] == 200
            except OSError:
                return False
        _wait_until(answers, f"server {self.name}", 90)

    def request(self, method: str, path: str, *, body: bytes | None = None, headers: dict | None = None,
                cookies: dict | None = None) -> tuple[int, http.client.HTTPResponse, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Accept-Language": "en", **(headers or {})}
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response, response.read()
        finally:
            conn.close()

    def api(self, method: str, path: str, token: str, payload=None, files: dict | None = None,
            fields: dict | None = None) -> tuple[int, dict | bytes]:
        headers = {"Authorization": f"Bearer {token}"}
        body = None
        if files is not None:
            body, headers["Content-Type"] = _multipart(fields or {}, files)
        elif payload is not None:
            body, headers["Content-Type"] = json.dumps(payload).encode(), "application/json"
        status, response, data = self.request(method, f"/api/v1{path}", body=body, headers=headers)
        if response.getheader("Content-Type", "").startswith("application/json"):
            return status, json.loads(data)
        return status, data

    def login(self, username: str, password: str) -> tuple[int, dict]:
        """The login page as a browser uses it: GET for the CSRF cookie and field, POST the form."""
        _, response, page = self.request("GET", "/login/")
        cookies = _cookies(response)
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        form = urlencode({"csrfmiddlewaretoken": token, "username": username, "password": password}).encode()
        status, response, _ = self.request("POST", "/login/", body=form, cookies=cookies,
                                           headers={"Content-Type": "application/x-www-form-urlencoded"})
        return status, {**cookies, **_cookies(response)}

    def stop(self) -> None:
        _stop(self.proc)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cookies(response) -> dict:
    jar = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def _multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, data, content_type) in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f"Content-Type: {content_type}\r\n\r\n".encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)  # our own session: the gunicorn master and its worker
        try:
            proc.wait(40)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="module")
def cluster():
    db = _postgres()
    redis_url, redis_client = _claim_redis(os.environ.get("EPIGRID_SCALEOUT_REDIS_URL", "redis://127.0.0.1:6379"))
    import psycopg

    name = f"epigrid_scaleout_{os.getpid()}_{secrets.token_hex(3)}"
    admin = psycopg.connect(host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], password=db["PASSWORD"],
                            dbname="postgres", autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    servers: list[Server] = []
    with tempfile.TemporaryDirectory(prefix="epigrid-scaleout-") as tmp:
        root = Path(tmp)
        url = f"postgres://{db['USER']}{':' + db['PASSWORD'] if db['PASSWORD'] else ''}@{db['HOST']}:{db['PORT'] or 5432}/{name}"
        # What every app server and worker shares (docs/scaling.md); nothing of this run's own environment.
        env = {key: value for key, value in os.environ.items() if not key.startswith("EPIGRID_")} | {
            "EPIGRID_DATABASE_URL": url, "EPIGRID_REDIS_URL": redis_url,
            "EPIGRID_MEDIA_DIR": str(root / "shared-media"), "EPIGRID_SECRET_KEY": secrets.token_urlsafe(50),
            "EPIGRID_PII_KEY_FILE": str(root / "shared-keys" / "pii.key"),
            "EPIGRID_DEBUG": "0", "EPIGRID_TASKS_SYNC": "0", "EPIGRID_LOOKUP_RATE_PER_MINUTE": str(LOOKUP_LIMIT)}
        try:
            setup_env = {**env, "EPIGRID_VAR_DIR": str(root / "setup")}
            subprocess.run([EPIGRID, "migrate", "--no-input", "-v", "0"], env=setup_env, check=True)
            out = subprocess.run([EPIGRID, "shell", "-v", "0", "-c", SETUP], env=setup_env, check=True,
                                 capture_output=True, text=True).stdout
            data = json.loads(next(line for line in out.splitlines() if line.startswith("SETUP "))[6:])
            servers = [Server("a", env, root), Server("b", env, root)]
            for server in servers:
                server.up()
            yield {"a": servers[0], "b": servers[1], "env": env, "root": root, **data}
        finally:
            for server in servers:
                server.stop()
            redis_client.flushdb()
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.close()


def test_a_login_on_one_server_is_a_login_on_the_other(cluster):
    a, b = cluster["a"], cluster["b"]
    status, cookies = a.login("alice", PASSWORD)
    assert status == 302 and "sessionid" in cookies
    session = {"sessionid": cookies["sessionid"]}
    status, _, body = b.request("GET", "/api/v1/me", cookies=session)
    assert status == 200 and json.loads(body)["username"] == "alice"
    assert b.request("GET", "/api/v1/me", cookies={"sessionid": "not-a-session"})[0] == 401
    # A logout on B ends the session on A too.
    _, response, page = b.request("GET", "/", cookies=session)
    csrf = _cookies(response).get("csrftoken") or cookies["csrftoken"]
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
    status, _, _ = b.request("POST", "/logout/", body=urlencode({"csrfmiddlewaretoken": token}).encode(),
                             cookies={**session, "csrftoken": csrf},
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 302
    assert a.request("GET", "/api/v1/me", cookies=session)[0] == 401


def test_failed_logins_spread_over_both_servers_lock_the_account(cluster):
    a, b = cluster["a"], cluster["b"]
    # Five failures (EPIGRID_LOGIN_FAILURE_LIMIT's default), three on A and two on B: neither server saw
    # five, but the attempts live in the shared database.
    for server in (a, b, a, b):
        assert server.login("dora", "wrong password")[0] == 200  # the form again, with an error
    assert a.login("dora", "wrong password")[0] == 429
    # Now the right password is refused on either server.
    assert b.login("dora", PASSWORD)[0] == 429
    assert a.login("dora", PASSWORD)[0] == 429


def test_the_lookup_limit_counts_requests_on_both_servers(cluster):
    a, b, token = cluster["a"], cluster["b"], cluster["token"]
    for server in (a, b) * (LOOKUP_LIMIT // 2):
        status, found = server.api("POST", "/residents/lookup", token, {"phone": "13812345678"})
        # Found on either server: both use the one PII key file (blind index) and the one database.
        assert status == 200 and [r["name"] for r in found] == ["张三"], found
    # One more on either server is over the limit: each server alone has seen only half.
    for server in (a, b):
        status, body = server.api("POST", "/residents/lookup", token, {"phone": "13812345678"})
        assert status == 429, body


def test_an_import_uploaded_on_one_server_is_run_by_the_worker_and_read_on_the_other(cluster):
    a, b, token, grid = cluster["a"], cluster["b"], cluster["token"], cluster["grid"]
    rows = [person(i, grid) for i in range(20)]
    rows[7]["手机号"] = "123"  # one bad row: skipped, and listed in the error report
    status, job = a.api("POST", "/imports/residents", token, files={"file": ("roster.csv", csv_bytes(rows), "text/csv")},
                        fields={"skip_invalid": "true"})
    assert status == 202, job
    # No worker runs yet: B sees the job A filed, queued.
    status, seen = b.api("GET", f"/imports/{job['id']}", token)
    assert (status, seen["status"], seen["file_name"]) == (200, "queued", "roster.csv")
    root = cluster["root"]

    def finished():
        body = b.api("GET", f"/imports/{job['id']}", token)[1]
        return body if body["status"] in ("done", "failed") else None

    with open(root / "worker.log", "wb") as log:
        worker = subprocess.Popen([EPIGRID, "worker"], env={**cluster["env"], "EPIGRID_VAR_DIR": str(root / "worker")},
                                  stdout=log, stderr=log, start_new_session=True)
        try:
            outcome = _wait_until(finished, "the import to finish", 60)
        finally:
            _stop(worker)
    assert (outcome["status"], outcome["created"], outcome["invalid"], outcome["written"]) == ("done", 19, 1, True), \
        outcome
    # The error report the worker wrote into the shared media directory, downloaded from A and from B.
    reports = [server.request("GET", outcome["report_url"], headers={"Authorization": f"Bearer {token}"})
               for server in (a, b)]
    assert [r[0] for r in reports] == [200, 200] and reports[0][2] == reports[1][2] and reports[0][2][:2] == b"PK"


def test_a_photo_uploaded_on_one_server_is_served_by_the_other(cluster):
    from PIL import Image

    a, b, token = cluster["a"], cluster["b"], cluster["token"]
    status, incident = a.api("POST", "/incidents", token, {
        "category": "no_mask", "description": "卡口有人未戴口罩", "lon": cluster["lon"], "lat": cluster["lat"],
        "client_id": uuid.uuid4().hex})
    assert status == 200, incident
    picture = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 30, 30)).save(picture, "JPEG")
    status, photo = a.api("POST", f"/incidents/{incident['id']}/photos", token,
                          files={"photo": ("p.jpg", picture.getvalue(), "image/jpeg")})
    assert status == 200, photo
    auth = {"Authorization": f"Bearer {token}"}
    on_a, on_b = (server.request("GET", photo["url"], headers=auth) for server in (a, b))
    assert on_b[0] == 200 and on_b[1].getheader("Content-Type") == "image/jpeg"
    assert on_b[2] == on_a[2] and Image.open(io.BytesIO(on_b[2])).size == (640, 480)
    assert b.request("GET", photo["thumb_url"], headers=auth)[0] == 200
    # It is in the shared directory, not in either server's own var directory.
    media = Path(cluster["env"]["EPIGRID_MEDIA_DIR"])
    assert len([p for p in media.rglob("*") if p.is_file()]) >= 2
    assert not list((cluster["root"] / "a").rglob("*.jpg")) and not list((cluster["root"] / "b").rglob("*.jpg"))


def test_a_server_or_worker_without_the_shared_key_file_does_not_start(cluster):
    """A server whose key file was not copied would generate its own, then neither read nor find what the
    others stored, and write what they cannot read (core/shared_keys.py)."""
    env = {**cluster["env"], "EPIGRID_VAR_DIR": str(cluster["root"] / "c"),
           "EPIGRID_PII_KEY_FILE": str(cluster["root"] / "c" / "pii.key")}
    for command in (["serve", "--bind", f"127.0.0.1:{_free_port()}", "--workers", "1"], ["worker"]):
        done = subprocess.run([EPIGRID, *command], env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode != 0 and "does not decrypt" in done.stderr, (command, done.stderr[-2000:])
