"""A district admin imports residents in a real browser: bad rows listed, good file imported, and the job
page following a running import through htmx polling."""

import pytest

from epigrid.accounts.services import user_add
from epigrid.core.models import Job
from epigrid.core.principals import SYSTEM
from epigrid.core.tasks import job_finish, job_progress
from epigrid.regions.models import Grid
from epigrid.residents.models import Resident
from tests.conftest import PASSWORD
from tests.residents.test_import import csv_bytes, person

from .test_browser import log_in

pytestmark = pytest.mark.e2e


def upload(page, base, data: bytes, name="居民.csv", skip_invalid=False):
    page.goto(f"{base}/residents/import/")
    page.set_input_files("#id_file", files=[{"name": name, "mimeType": "text/csv", "buffer": data}])
    if skip_invalid:
        page.check("#id_skip_invalid")
    page.click("button[type=submit].primary")
    page.wait_for_url("**/residents/import/*/")


def test_upload_shows_the_bad_rows_then_imports_the_good_file(live_city, page, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    user_add(actor=SYSTEM, username="alice", role="district_admin", node_code="110101000000", password=PASSWORD)
    grid = Grid.objects.filter(code__startswith="110101").order_by("code").first().code
    rows = [person(i, grid) for i in range(4)]
    rows[2]["证件号码"] = "110101199001011230"
    log_in(page, live_city.url, "alice")
    upload(page, live_city.url, csv_bytes(rows, encoding="gb18030"))
    table = page.locator("#import-progress table")
    assert "110101********1230" in table.inner_text() and "4" in table.inner_text()
    assert "证件号码" in table.inner_text()
    assert Resident.objects.count() == 0
    upload(page, live_city.url, csv_bytes(rows, encoding="gb18030"), skip_invalid=True)
    page.wait_for_selector("#import-progress dl.facts >> nth=1")
    assert Resident.objects.count() == 3


def test_the_job_page_follows_a_running_import(live_city, page):
    alice, _ = user_add(actor=SYSTEM, username="alice", role="district_admin", node_code="110101000000",
                        password=PASSWORD)
    job = Job.objects.create(kind="residents.import", status=Job.Status.RUNNING, jurisdiction_code="110101000000",
                             params={"file_name": "big.csv"}, created_by=alice)
    job_progress(job, done=500, total=1000)
    log_in(page, live_city.url, "alice")
    page.goto(f"{live_city.url}/residents/import/{job.pk}/")
    assert "500 / 1000" in page.locator("#import-progress").inner_text()
    job_progress(job, done=800, total=1000)
    page.wait_for_selector("#import-progress >> text=800 / 1000")
    job_finish(job, ok=True, result={"rows": 1000, "created": 1000, "written": True, "errors": []},
               message="Imported: 1000 new")
    page.wait_for_selector("#import-progress >> text=Imported: 1000 new")
    assert page.locator("#import-progress[hx-trigger]").count() == 0


def test_the_template_downloads_from_the_import_page(live_city, page, tmp_path):
    import openpyxl

    from epigrid.residents.importing import COLUMNS

    user_add(actor=SYSTEM, username="alice", role="district_admin", node_code="110101000000", password=PASSWORD)
    log_in(page, live_city.url, "alice")
    page.goto(f"{live_city.url}/residents/import/")
    with page.expect_download() as info:
        page.click("#import-template")
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    path = tmp_path / "template.xlsx"
    download.save_as(path)
    residents, notes = openpyxl.load_workbook(path).worksheets
    header, example = list(residents.iter_rows(values_only=True))
    assert list(header) == [h[0] for h in COLUMNS.values()]
    assert dict(zip(header, example, strict=True))["网格编码"].startswith("110101")
    assert notes.max_row > len(COLUMNS)
