"""HSTS when the platform is served over HTTPS (EPIGRID_HTTPS=1), read from the settings as a deployment
sets them: a browser that saw the site once over HTTPS never again talks plain HTTP to it."""

import json
import os
import subprocess
import sys

SCRIPT = """
import json, django
django.setup()
from django.test import Client
out = {}
for name, headers in (("https", {"X-Forwarded-Proto": "https"}), ("http", {})):
    response = Client().get("/login/", headers=headers)
    out[name] = [response.status_code, response.get("Strict-Transport-Security")]
print(json.dumps(out))
"""


def run(tmp_path, **env):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "epigrid.settings", "EPIGRID_VAR_DIR": str(tmp_path), "EPIGRID_ALLOWED_HOSTS": "testserver",
           **{f"EPIGRID_{k}": v for k, v in env.items()}}
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_https_behind_a_proxy_sends_hsts_for_a_year_with_subdomains(tmp_path):
    got = run(tmp_path, HTTPS="1", PROXY_COUNT="1")
    assert got["https"] == [200, "max-age=31536000; includeSubDomains"]
    # Not on a plain-HTTP answer (browsers ignore it there; it would only mislead).
    assert got["http"] == [200, None]


def test_subdomains_can_be_left_out_and_plain_http_installs_send_no_hsts(tmp_path):
    got = run(tmp_path, HTTPS="1", PROXY_COUNT="1", HSTS_SUBDOMAINS="0")
    assert got["https"] == [200, "max-age=31536000"]
    assert run(tmp_path)["https"] == [200, None]
