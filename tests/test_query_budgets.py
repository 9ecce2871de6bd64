"""Every GET route of the API and every named page has a query budget (tests/<app>/test_query_budget.py),
or a reason here why not: a route added later without one fails this test."""

from importlib import import_module
from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver

APPS = ("core", "accounts", "regions", "residents", "health", "patrol", "epi")

EXEMPT = {
    # Files: one record (or none) written out, no rows behind them that could grow.
    "GET /api/v1/imports/residents/template.xlsx": "a file: the import template, no records",
    "GET /api/v1/imports/{job_id}/report.xlsx": "a file: an import's bad rows, read from disk, not the database",
    "GET /api/v1/incident-photos/{photo_id}": "a file: one photo",
    "GET /api/v1/kpis/xlsx": "a file: the same kpi_table as GET /api/v1/kpis, whose budget covers it",
    "residents:import_template": "a file: the import template",
    "residents:import_errors": "a file: an import's bad rows, read from disk",
    "residents:arrival_qr": "a file: a QR code",
    "health:resident_checkin_qr": "a file: a QR code",
    "patrol:public_report_qr": "a file: a QR code",
    # Forms and printouts that show no records.
    "login": "a form", "logout": "a form",
    "set_language": "POST only (Django's language switch)",
    "residents:resident_new": "an empty form",
    "residents:arrival_public": "the public's empty form",
    "patrol:report": "an empty form (its category list is the catalogue of GET /api/v1/incident-categories)",
    "patrol:public_report": "the public's empty form (the same catalogue)",
    "regions:community_poster": "a printout of one community's link: no rows",
    "GET /api/v1/locate": "one grid found by a point in the in-memory index: no rows behind it",
    **{name: "a form of one case: the case and nothing that grows" for name in (
        "epi:case_edit", "epi:case_reclassify", "epi:link_new", "epi:trajectory_new")},
    # Steps that only take a POST (each answers with a redirect or a partial of one record).
    **{name: "POST only" for name in (
        "residents:resident_reveal", "residents:match_decide", "residents:arrival_review",
        "health:today_checkin", "health:today_call", "health:release_ended", "health:assign", "health:release",
        "health:hospital", "health:link", "health:alert_handle", "patrol:act",
        "epi:case_from_alert", "epi:case_from_arrival", "epi:link_delete", "epi:task_done")},
}


def api_routes() -> set[str]:
    from epigrid.urls import api

    return {f"{method.upper()} {path}" for path, ops in api.get_openapi_schema()["paths"].items()
            for method in ops if method == "get"}


def page_names(patterns=None, namespace="") -> set[str]:
    """Every named page, "app:name" (the admin and the API's own names left out: the API is listed by
    its routes)."""
    names = set()
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            if p.namespace not in ("admin", "api"):
                names |= page_names(p.url_patterns, p.namespace or namespace)
        elif isinstance(p, URLPattern) and p.name:
            names.add(f"{namespace}:{p.name}" if namespace else p.name)
    return names


def _modules():
    for app in APPS:  # every tests/<app>/test_*query_budget.py (an app may split its table)
        for module in sorted((Path(__file__).parent / app).glob("test_*query_budget.py")):
            yield import_module(f"tests.{app}.{module.stem}")


def budgets() -> dict:
    found = {}
    for module in _modules():
        found.update(module.BUDGETS)
    return found


def exempt() -> dict:
    """EXEMPT above and each app module's own EXEMPT (routes with a reason instead of a budget)."""
    found = dict(EXEMPT)
    for module in _modules():
        found.update(getattr(module, "EXEMPT", {}))
    return found


def test_every_list_and_detail_has_a_query_budget():
    routes = api_routes() | page_names()
    covered = {key.split("?")[0] for key in budgets()}  # a list's export is a variant of its page
    missing = routes - covered - set(exempt())
    assert not missing, f"give these a budget in tests/<app>/test_query_budget.py, or a reason in EXEMPT: {missing}"
    stale = (covered | set(exempt())) - routes
    assert not stale, f"no such routes any more: {stale}"
    assert not covered & set(exempt()), "a route with a budget needs no exemption"
