"""The shape every app shares (docs/development.md), checked on the source so that a new module copies
it: core imports no app, no file passes 500 lines, every app with pages has its parts in the usual
files, and the API is put together from the apps' own routers."""

import re
from pathlib import Path

import epigrid

SRC = Path(epigrid.__file__).parent
APPS = ("accounts", "regions", "residents", "health", "patrol")


def _python_files(root: Path):
    return [p for p in root.rglob("*.py") if "migrations" not in p.parts]


def test_core_imports_no_app():
    pattern = re.compile(r"^\s*(from|import)\s+epigrid\.(?!core\b)\w+", re.M)
    offenders = [f"{p.relative_to(SRC)}: {m.group(0).strip()}"
                 for p in _python_files(SRC / "core") for m in pattern.finditer(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_no_source_file_passes_500_lines():
    long = {str(p.relative_to(SRC)): n for p in _python_files(SRC)
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 500}
    assert long == {}


def test_each_app_has_the_usual_parts():
    missing = []
    for app in APPS:
        root = SRC / app
        for part in ("models", "services", "api", "urls", "admin"):
            if not (root / f"{part}.py").exists() and not (root / part / "__init__.py").exists():
                missing.append(f"{app}/{part}")
    assert missing == []


def test_every_app_router_is_in_the_api_without_a_list_in_core(client):
    spec = client.get("/api/v1/openapi.json").json()
    tags = {tag for op in spec["paths"].values() for o in op.values() for tag in o.get("tags", [])}
    # one tag per router: regions, accounts (me), residents, imports, health, patrol, audit (core)
    assert {"audit", "imports"} <= tags and len(tags) >= 7
    assert "accounts.api" not in (SRC / "core" / "api.py").read_text(encoding="utf-8")


def test_url_names_follow_one_convention():
    """Every page of an app is named `<app>:<snake_case>`; only Django's own (login, logout, the language
    switch, the admin) keep theirs."""
    from django.urls import URLPattern, URLResolver, get_resolver

    def names(resolver, namespace=""):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                if entry.namespace in ("admin",) or str(entry.pattern).startswith(("api/", "i18n/")):
                    continue
                yield from names(entry, entry.namespace or namespace)
            elif isinstance(entry, URLPattern) and entry.name:
                yield namespace, entry.name

    found = list(names(get_resolver()))
    assert len(found) > 40
    bad = [f"{ns}:{name}" for ns, name in found
           if (not ns and name not in ("login", "logout")) or not re.fullmatch(r"[a-z][a-z0-9_]*", name)]
    assert bad == []
