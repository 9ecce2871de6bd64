"""Browser and real-HTTP tests against a live server, in Debian's chromium driven by Playwright."""

import contextlib
import os
import shutil

import pytest
from django.db import connection
from pytest_django.plugin import blocking_manager_key

from epigrid.core.dbtriggers import install_audit_triggers, remove_audit_triggers
from epigrid.demo.services import demo_city_build

# Playwright's sync API runs an event loop in this thread; the live server's data is set up from it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """A live-server test ends by emptying every table, which the audit log's triggers forbid: lift them
    for that flush only, and put them back for the tests that follow."""
    live = "live_server" in getattr(item, "fixturenames", ())
    blocker = item.config.stash[blocking_manager_key]
    if live:
        with blocker.unblock():
            remove_audit_triggers(connection)
    yield
    if live and nextitem is not None:  # after the last test the test database is already gone
        with blocker.unblock():
            install_audit_triggers(connection)


@pytest.fixture
def live_city(live_server):
    demo_city_build(seed=1, scale="small")
    return live_server


@pytest.fixture(scope="session")
def browser():
    if CHROMIUM is None:
        if os.environ.get("EPIGRID_REQUIRE_BROWSER"):
            pytest.fail("chromium is not installed (apt-get install chromium)")
        pytest.skip("chromium is not installed; the browser tests need Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True}


def _refused_by_the_policy(context) -> list[str]:
    """Every page in these tests runs under the Content-Security-Policy: collect what it refused (chromium
    says so on the console), so that a page that needs an inline script or style fails its test."""
    refused = []
    context.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    return refused


@contextlib.contextmanager
def browser_page(browser, **options):
    """A page in a context of its own, checked for CSP refusals when it closes."""
    context = browser.new_context(**options)
    refused = _refused_by_the_policy(context)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
    assert refused == []


@pytest.fixture
def page(browser):
    with browser_page(browser, viewport={"width": 1280, "height": 800}, locale="zh-CN") as page:
        yield page


@pytest.fixture
def phone(browser):
    with browser_page(browser, locale="zh-CN", **PHONE) as page:
        yield page
