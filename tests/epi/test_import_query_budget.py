"""Query budgets of the tracing imports' pages and endpoints (see tests/query_budget.py). Its BUDGETS
and EXEMPT (the files, which read no rows that could grow) join tests/test_query_budgets.py's tables."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.query_budget import Budget, World, assert_flat_queries, count_of, mark


def _grow_jobs(world: World, n: int):
    """Case imports, each named for its row (the page lists the recent ones)."""
    from epigrid.epi.importing import epi_import_start

    for i in world.more("jobs", n):
        upload = SimpleUploadedFile(f"{mark(i)}.csv", "证件号码,病例分类\n123,确诊\n".encode(), "text/csv")
        world.add("jobs", epi_import_start(actor=world.epi, what="cases", upload=upload))


def _grow_bad_rows(what: str):
    def grow(world: World, n: int):
        """An import of `what` with n bad rows: its page and its job list each with the reason."""
        from epigrid.epi.importing import epi_import_start

        if what == "cases":
            text = "证件号码,病例分类\n" + "".join(f"{100 + i},确诊\n" for i in range(n))
        else:
            text = "传染源病例编号,证件号码,接触方式,首次接触日期,末次接触日期\n" + "".join(
                f"1101-2026-00001,{100 + i},家庭,2026-01-01,2026-01-02\n" for i in range(n))
        upload = SimpleUploadedFile("bad.csv", text.encode(), "text/csv")
        world.add("jobs", epi_import_start(actor=world.epi, what=what, upload=upload))
    return grow


def _job(world: World):
    return world.made["jobs"][-1].pk


def _errors(response) -> int:
    return len(response.json()["errors"])


BUDGETS = {
    "GET /api/v1/cases/import/{job_id}": Budget(_grow_bad_rows("cases"), lambda w: f"/api/v1/cases/import/{_job(w)}",
                                                _errors, user="epi"),
    "GET /api/v1/contacts/import/{job_id}": Budget(_grow_bad_rows("contacts"),
                                                   lambda w: f"/api/v1/contacts/import/{_job(w)}", _errors, user="epi"),
    "epi:import_page": Budget(_grow_jobs, lambda w: "/epi/import/", user="epi"),
    "epi:import_job": Budget(_grow_bad_rows("cases"), lambda w: f"/epi/import/{_job(w)}/",
                             count_of('<td data-label="Row">'), user="epi"),
    "epi:import_progress": Budget(_grow_bad_rows("contacts"), lambda w: f"/epi/import/{_job(w)}/progress/",
                                  count_of('<td data-label="Row">'), user="epi"),
}
EXEMPT = {
    "GET /api/v1/cases/import/template.xlsx": "a file: the import template, one example row",
    "GET /api/v1/contacts/import/template.xlsx": "a file: the import template, one example row",
    "GET /api/v1/cases/import/{job_id}/report.xlsx": "a file: an import's bad rows, read from disk",
    "GET /api/v1/contacts/import/{job_id}/report.xlsx": "a file: an import's bad rows, read from disk",
    "epi:import_template": "a file: the import template",
    "epi:import_errors": "a file: an import's bad rows, read from disk",
}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.parametrize("route", BUDGETS)
def test_query_count_does_not_grow_with_the_rows(route, request, city):
    assert_flat_queries(route, BUDGETS[route], World(request))
