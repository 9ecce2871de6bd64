"""No ID number or phone in the access log after people search for them (security review, point 5):
`epigrid serve` (gunicorn) as deployed, its access log written to a file and read back."""

import http.cookiejar
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.residents.conftest import id_number

pytestmark = pytest.mark.e2e

ID_NUMBER = id_number(birth="19800505", seq=55)
PHONE = "13912345555"
SETUP = f"""
from epigrid.accounts.services import token_create, user_add
from epigrid.core.principals import SYSTEM
from epigrid.demo.services import demo_city_build
from epigrid.regions.models import Grid
from epigrid.residents.services import resident_create
demo_city_build(seed=1, scale="small")
user_add(actor=SYSTEM, username="alice", role="district_admin", node_code="110101000000",
         password="correct horse battery staple")
grid = Grid.objects.filter(code__startswith="110101").order_by("code").first()
resident_create(actor=SYSTEM, data={{"name": "张三", "id_number": "{ID_NUMBER}", "phone": "{PHONE}",
                                     "grid_code": grid.code}})
print(token_create(actor=SYSTEM, username="alice")[1])
"""


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(tmp_path):
    """A fresh install on its own SQLite file, served by `epigrid serve`; yields (url, token, log)."""
    epigrid = str(Path(sys.executable).with_name("epigrid"))
    env = {**os.environ, "EPIGRID_VAR_DIR": str(tmp_path),
           "EPIGRID_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "EPIGRID_DEBUG": "0"}
    subprocess.run([epigrid, "migrate", "--no-input", "-v", "0"], env=env, check=True)
    token = subprocess.run([epigrid, "shell", "-c", SETUP], env=env, check=True, capture_output=True,
                           text=True).stdout.strip().splitlines()[-1]
    port, log = _free_port(), tmp_path / "access.log"
    proc = subprocess.Popen([epigrid, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1",
                             "--access-log", str(log)], env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{url}/login/", timeout=2)
                break
            except OSError:  # refused, reset or timed out while the server starts
                time.sleep(0.2)
        yield url, token, log
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(30)


def test_searching_by_id_number_and_phone_leaves_neither_in_the_access_log(served):
    url, token, log = served
    # The API: the look-up in a POST body; a client that puts a phone in a query string anyway.
    for body in ({"id_number": ID_NUMBER}, {"phone": PHONE}):
        request = urllib.request.Request(f"{url}/api/v1/residents/lookup", data=json.dumps(body).encode(),
                                         method="POST", headers={"Authorization": f"Bearer {token}",
                                                                 "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert [r["name"] for r in json.loads(response.read())] == ["张三"]
    try:
        urllib.request.urlopen(urllib.request.Request(f"{url}/api/v1/residents?q={PHONE}",
                                                      headers={"Authorization": f"Bearer {token}"}), timeout=10)
    except urllib.error.HTTPError as exc:
        assert exc.code == 400
    # The page: log in, search with the form, follow where it leads.
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    browser.open(f"{url}/login/", timeout=10)
    csrf = next(c.value for c in jar if c.name == "csrftoken")
    form = {"username": "alice", "password": "correct horse battery staple", "csrfmiddlewaretoken": csrf}
    browser.open(urllib.request.Request(f"{url}/login/", data=urllib.parse.urlencode(form).encode(),
                                        headers={"Referer": f"{url}/login/"}), timeout=10)
    csrf = next(c.value for c in jar if c.name == "csrftoken")
    for q in (ID_NUMBER, PHONE):
        page = browser.open(urllib.request.Request(
            f"{url}/residents/", data=urllib.parse.urlencode({"q": q, "csrfmiddlewaretoken": csrf}).encode(),
            headers={"Referer": f"{url}/residents/"}), timeout=10)
        assert "张三" in page.read().decode() and "s=" in page.url and q not in page.url
    time.sleep(0.5)  # gunicorn writes the access log as each response goes out
    written = log.read_text()
    assert "/residents/lookup" in written and "/residents/" in written
    for value in (ID_NUMBER, PHONE, ID_NUMBER[-8:], PHONE[-8:]):
        assert value not in written
