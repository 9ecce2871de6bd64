"""The Content-Security-Policy: every page sends it, with no 'unsafe-inline' or 'unsafe-eval' for scripts
or styles, and no template or script of ours relies on what it forbids (inline scripts, on*= handlers,
style attributes, HTML built from strings in JavaScript)."""

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

import epigrid
from epigrid.regions.links import community_token
from epigrid.regions.models import Grid
from tests.conftest import PASSWORD

SRC = Path(epigrid.__file__).parent
TEMPLATES = sorted(SRC.glob("*/templates/**/*.html"))
SCRIPTS = sorted(SRC.glob("*/static/**/*.js"))

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I)
STYLE_ATTR = re.compile(r"<[^>]*\sstyle\s*=", re.I)
STYLE_ELEMENT = re.compile(r"<style\b", re.I)


def directives(header: str) -> dict[str, list[str]]:
    out = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def assert_strict_policy(response, where):
    header = response.get("Content-Security-Policy")
    assert header, f"{where}: no Content-Security-Policy"
    policy = directives(header)
    for name in ("script-src", "style-src"):
        sources = policy.get(name, policy.get("default-src"))
        assert sources and "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources, (where, header)
        assert "*" not in sources and "data:" not in sources, (where, header)
    assert policy.get("object-src") == ["'none'"] and policy.get("frame-ancestors") == ["'none'"]


def test_there_are_templates_and_scripts_to_check():
    assert len(TEMPLATES) > 30 and len(SCRIPTS) >= 5


@pytest.mark.parametrize("pattern", [INLINE_SCRIPT, HANDLER, STYLE_ATTR, STYLE_ELEMENT],
                         ids=["inline-script", "on-handler", "style-attribute", "style-element"])
def test_no_template_holds_what_the_policy_refuses(pattern):
    offenders = [f"{p.relative_to(SRC)}: {m.group(0)[:60]}" for p in TEMPLATES
                 for m in pattern.finditer(p.read_text())]
    assert offenders == []


def test_no_script_of_ours_turns_strings_into_html():
    """Names come from imported files and forms: JavaScript puts them in with textContent, and gives
    Leaflet nodes, not strings (a string given to bindTooltip or bindPopup is parsed as HTML)."""
    risky = re.compile(r"innerHTML|outerHTML\s*=|insertAdjacentHTML|document\.write|"
                       r"bind(?:Tooltip|Popup)\(\s*[\"'`]|bind(?:Tooltip|Popup)\([^)]*\+|setContent\(|eval\(")
    # Libraries are not ours: js_lib_* from PyPI packages, vendor/ fetched from npm (core/assets_fetch.py).
    offenders = [f"{p.relative_to(SRC)}:{n}" for p in SCRIPTS if not any(d in str(p) for d in ("/js_lib_", "/vendor/"))
                 for n, line in enumerate(p.read_text().splitlines(), 1) if risky.search(line)]
    assert offenders == []


def _plain_routes(resolver=None, prefix=""):
    """Every page route without parameters (the API, the admin and the language switch aside)."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if route.startswith(("api/", "admin/", "i18n/")):
            continue
        if isinstance(entry, URLResolver):
            yield from _plain_routes(entry, route)
        elif isinstance(entry, URLPattern) and "<" not in route and route not in ("logout/",):
            yield "/" + route


def test_every_page_sends_the_policy(commander, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    client = Client()
    assert client.post("/login/", {"username": "commander", "password": PASSWORD}).status_code == 302
    grid = Grid.objects.filter(code__startswith="110101").order_by("code").first()
    community = grid.community.code
    pages = sorted(set(_plain_routes())) + [
        "/patrol/kpis/?within=110000000000", "/map/?within=110101000000",
        f"/divisions/{community}/", f"/grids/{grid.code}/", f"/patrol/plans/{grid.code}/",
        "/api/v1/docs", "/no-such-page/",
    ]
    assert len(pages) > 15
    # A commander sees no person of the tracing pages (403): an epidemiologist opens those.
    from epigrid.accounts.services import user_add
    from epigrid.core.principals import SYSTEM

    user_add(actor=SYSTEM, username="epi-csp", role="epidemiologist", node_code="110101000000", password=PASSWORD)
    tracer = Client()
    assert tracer.post("/login/", {"username": "epi-csp", "password": PASSWORD}).status_code == 302
    seen = 0
    for path in pages:
        response = client.get(path)
        if response.status_code == 403:
            response = tracer.get(path)
        assert response.status_code in (200, 302, 404, 405), (path, response.status_code)  # 405: a POST-only action
        assert_strict_policy(response, path)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            html = response.content.decode()
            assert not INLINE_SCRIPT.search(html) and not HANDLER.search(html), path
            seen += 1
    assert seen > 12
    # The public pages, opened by anyone with the community's signed link.
    anonymous = Client()
    for path in (f"/a/{community_token(community, 'arrival')}/", f"/r/{community_token(community, 'report')}/",
                 "/login/"):
        response = anonymous.get(path)
        assert response.status_code == 200, path
        assert_strict_policy(response, path)
        assert not INLINE_SCRIPT.search(response.content.decode()), path
    # JSON answers carry it too (a browser told to open one as a page still runs nothing).
    assert_strict_policy(client.get("/api/v1/me"), "/api/v1/me")


@pytest.mark.parametrize(("url", "source"), [
    ("http://tiles.internal/{z}/{x}/{y}.png", ["http://tiles.internal"]),
    ("https://{s}.tiles.city.gov.cn:8443/wmts/{z}/{x}/{y}", ["https://*.tiles.city.gov.cn:8443"]),
    ("", []),
])
def test_the_configured_tile_server_may_serve_map_images(url, source):
    """An intranet tile server must still draw under the policy: its origin joins img-src, nothing else."""
    from epigrid.settings import _tile_source

    assert _tile_source(url) == source
