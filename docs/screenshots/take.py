"""Take the screenshots in docs/screenshots/ from the real platform, so anyone can retake them after a change:

    .venv/bin/python docs/screenshots/take.py

A fresh data directory with the demo (`epigrid demo --no-serve`), the platform served by `epigrid serve`,
Debian's chromium driven by Playwright, in Chinese (a CJK font is needed: apt-get install fonts-wqy-microhei): the commander's home page and map, the grid worker's
home page on a phone, the residents list on a phone and the import page with its template.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
PASSWORD = "epigrid-demo-2020"  # the demo's printed password (demo/services.py)
DESKTOP = {"viewport": {"width": 1440, "height": 900}, "locale": "zh-CN"}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True, "locale": "zh-CN"}
# (file, user, browser, path, what to wait for)
SHOTS = [
    ("commander-home.png", "commander", DESKTOP, "/", "main"),
    ("commander-map.png", "commander", DESKTOP, "/map/?within=110000000000&figure=observed", "#map[data-ready='1']"),
    ("gridworker-home.png", "gridworker", PHONE, "/", "main"),
    ("residents-phone.png", "community", PHONE, "/residents/", "main"),
    ("import-page.png", "community", DESKTOP, "/residents/import/", "main"),
]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("chromium is not installed (apt-get install chromium)", file=sys.stderr)
        return 1
    var = tempfile.mkdtemp(prefix="epigrid-shots-")
    env = {**os.environ, "EPIGRID_VAR_DIR": var}
    env.pop("EPIGRID_DATABASE_URL", None)
    subprocess.run([str(BIN / "epigrid"), "demo", "--no-serve"], env=env, check=True, stdout=subprocess.DEVNULL)
    port = _port()
    server = subprocess.Popen([str(BIN / "epigrid"), "serve", f"--bind=127.0.0.1:{port}", "--workers=2",
                               "--access-log=/dev/null"], env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/login/", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
            for name, user, options, path, ready in SHOTS:
                context = browser.new_context(**options)
                page = context.new_page()
                page.goto(f"{base}/login/")
                page.fill("input[name=username]", user)
                page.fill("input[name=password]", PASSWORD)
                page.click("main button[type=submit]")
                page.wait_for_url(lambda url: "/login/" not in url)
                page.goto(f"{base}{path}")
                page.wait_for_selector(ready, state="attached", timeout=30_000)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(HERE / name))  # the first screen, as a user sees it
                print(f"{name}: {user} {path}")
                context.close()
            browser.close()
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
        shutil.rmtree(var, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
