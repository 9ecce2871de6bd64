"""Rosters as communities keep them: other names for the columns (联系电话, 身份证号码, full-width spaces and
brackets, a "（必填）"), columns the import does not know (序号, 性别) ignored with a warning, the template to
fill in, and the error report that gives the bad rows back as they were, to the importer and to those who
may reveal personal data only."""

import io
import os
import time

import openpyxl
import pytest
from django.test import Client
from stdnum.cn import ric

from epigrid.accounts.roles import PII_REVEAL, ROLE_ACTIONS, Role
from epigrid.accounts.services import user_add
from epigrid.core.models import AuditEvent, Job
from epigrid.core.principals import SYSTEM
from epigrid.core.tasks import job_files_purge
from epigrid.residents.importing import COLUMNS, header_key
from epigrid.residents.models import Resident
from tests.conftest import DONGCHENG, PASSWORD

from .test_import import HEAD, csv_bytes, file_error, person, xlsx_bytes
from .test_import_web import upload

# A roster as a community keeps it: a running number, gender, other names, a full-width space and brackets.
ROSTER = ["序号", "姓　名", "性别", "身份证号码", "联系电话", "现住址（必填）", "网格编码 *", "民族", "备注"]
FROM = {"姓　名": "姓名", "身份证号码": "证件号码", "联系电话": "手机号", "现住址（必填）": "住址", "网格编码 *": "网格编码",
        "备注": "备注"}
IGNORED = ["序号", "性别", "民族"]


def roster_rows(grid, n=6):
    rows = []
    for i in range(n):
        p = person(i, grid, 备注=f"楼长{i}" if i % 2 else "")
        rows.append({"序号": str(i + 1), "性别": "男", "民族": "汉", **{h: p[f] for h, f in FROM.items()}})
    return rows


def login(user):
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    return client


def sheets(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data)).worksheets


@pytest.mark.parametrize("maker", [csv_bytes, xlsx_bytes])
def test_a_community_roster_imports_and_its_unknown_columns_are_a_warning(run, first_grid, maker):
    rows = roster_rows(first_grid.code)
    outcome = run(maker(rows, ROSTER), name="roster.xlsx" if maker is xlsx_bytes else "roster.csv")
    assert (outcome.written, outcome.rows, outcome.created, outcome.invalid) == (True, 6, 6, 0)
    assert outcome.ignored_columns == IGNORED
    one = Resident.objects.get(name=rows[1]["姓　名"])
    assert (one.phone_masked, one.address, one.notes) == ("138****0001", rows[1]["现住址（必填）"], "楼长1")
    assert one.id_number_masked.endswith(rows[1]["身份证号码"][-4:])


def test_the_roster_through_the_api_and_the_job_page_warns_of_the_ignored_columns(api, alice, first_grid, settings,
                                                                                 tmp_path):
    settings.MEDIA_ROOT = tmp_path
    response = upload(api.as_user(alice), csv_bytes(roster_rows(first_grid.code), ROSTER))
    body = api.get(f"/imports/{response.json()['id']}").json()
    assert (body["status"], body["rows"], body["created"]) == ("done", 6, 6)
    assert body["ignored_columns"] == IGNORED
    assert body["warnings"] == ["Columns the import does not know were ignored: 序号、性别、民族."]
    html = login(alice).get(f"/residents/import/{body['id']}/").content.decode()
    assert 'class="warning"' in html and "序号、性别、民族" in html


@pytest.mark.parametrize(("header", "field"), [
    ("联系电话", "phone"), ("手机号码", "phone"), ("手机号", "phone"), ("电话", "phone"), ("联系方式", "phone"),
    ("身份证号", "id_number"), ("身份证号码", "id_number"), ("公民身份号码", "id_number"), ("证件号码", "id_number"),
    ("姓名", "name"), ("名字", "name"), ("现住址", "address"), ("居住地址", "address"), ("住址", "address"),
    ("家庭住址", "address"), ("ID Number", "id_number"), ("id_number", "id_number"), ("GRID_CODE", "grid_code"),
    ("Phone", "phone"), (" 姓 名 ", "name"), ("姓\u3000名", "name"), ("联系电话（必填）", "phone"), ("手机号*", "phone"),
    ("*姓名", "name"), ("手机号 (必填)", "phone"), ("ｐｈｏｎｅ", "phone"), ("经度", "lon"), ("网格编码", "grid_code"),
])
def test_header_synonyms(header, field):
    from epigrid.residents.importing.common import _HEADER_FIELD

    assert _HEADER_FIELD.get(header_key(header)) == field


def test_every_field_keeps_its_english_name_and_the_table_has_no_clash():
    from epigrid.residents.importing.common import _HEADER_FIELD
    from epigrid.residents.validation import FIELDS

    assert set(COLUMNS) == set(FIELDS)
    for fld in FIELDS:
        assert _HEADER_FIELD[header_key(fld)] == fld
    assert len(_HEADER_FIELD) == sum(len(h) for h in COLUMNS.values())


def test_two_columns_for_one_field_are_an_error_naming_both(run, grid):
    head = ["姓名", "证件号码", "联系电话", "手机号码", "网格编码"]
    exc = file_error(run, csv_bytes([person(0, grid)], head))
    assert [(e.row, e.column) for e in exc.rows] == [(1, "手机号码")]
    assert "“联系电话” and “手机号码”" in exc.rows[0].reason


def test_a_missing_required_column_is_still_an_error_naming_it(run, grid):
    head = ["序号", "姓名", "联系电话", "网格编码"]
    exc = file_error(run, csv_bytes([person(0, grid)], head))
    assert {(e.column, e.reason) for e in exc.rows} == {("证件号码", "required column missing"),
                                                         ("序号", "unknown column (ignored)")}


# --- The template -----------------------------------------------------------------------------------------

def test_the_template_round_trips_through_the_page_and_the_api(api, alice, first_grid, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    page = login(alice).get("/residents/import/")
    assert 'href="/residents/import/template.xlsx"' in page.content.decode()
    response = login(alice).get("/residents/import/template.xlsx")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
    data = response.content
    residents, notes = sheets(data)
    header, example = list(residents.iter_rows(values_only=True))
    assert list(header) == [h[0] for h in COLUMNS.values()]
    row = dict(zip(header, example, strict=True))
    assert ric.is_valid(row["证件号码"]) and row["手机号"].startswith("1") and len(row["手机号"]) == 11
    assert row["网格编码"] == first_grid.code
    described = {r[0]: r for r in notes.iter_rows(values_only=True) if r and r[0] in header}
    assert described["姓名"][1] == "required" and "联系电话" in described["手机号"][3]
    assert "身份证号码" in described["证件号码"][3]

    body = upload(api.as_user(alice), data, name="template.xlsx").json()
    body = api.get(f"/imports/{body['id']}").json()
    assert (body["status"], body["rows"], body["created"], body["ignored_columns"]) == ("done", 1, 1, [])
    assert Resident.objects.get().name == "张三"
    api_copy = api.client.get("/api/v1/imports/residents/template.xlsx", headers=api.headers)
    assert api_copy.status_code == 200
    assert list(next(sheets(api_copy.content)[0].iter_rows(values_only=True))) == list(header)


def test_the_template_is_for_importers_only(api, charlie, gridworker, auditor):
    for user in (charlie, gridworker, auditor):
        assert login(user).get("/residents/import/template.xlsx").status_code == 404
        api.headers.pop("Authorization", None)
        assert api.as_user(user).client.get("/api/v1/imports/residents/template.xlsx",
                                            headers=api.headers).status_code == 403


# --- The error report -----------------------------------------------------------------------------------

@pytest.fixture
def failed_roster(api, alice, first_grid, settings, tmp_path):
    """Alice's roster with two bad rows: the job, and the rows as uploaded."""
    settings.MEDIA_ROOT = tmp_path
    rows = roster_rows(first_grid.code)
    rows[1]["联系电话"] = "123"
    rows[4]["身份证号码"] = "110101199001011230"
    rows[4]["民族"] = "=HYPERLINK(\"http://evil\")"
    body = upload(api.as_user(alice), csv_bytes(rows, ROSTER), name="roster.csv").json()
    return Job.objects.get(pk=body["id"]), rows


def report_of(client, job) -> tuple[int, bytes]:
    response = client.get(f"/residents/import/{job.pk}/errors.xlsx")
    return response.status_code, b"".join(response.streaming_content) if response.status_code == 200 else b""


def test_the_report_gives_the_bad_rows_back_as_they_were_and_they_upload_again(api, alice, failed_roster):
    job, rows = failed_roster
    assert (job.status, job.result["invalid"]) == ("failed", 2)
    status, data = report_of(login(alice), job)
    assert status == 200
    bad, problems = sheets(data)
    lines = list(bad.iter_rows(values_only=True))
    assert list(lines[0]) == ["Row", *ROSTER, "Problems"]
    assert [line[0] for line in lines[1:]] == [3, 6]
    assert list(lines[1][1:-1]) == [rows[1][h] or None for h in ROSTER]  # every original cell, 序号 and 性别 too
    assert "联系电话" in lines[1][-1] and "身份证号码" in lines[2][-1]
    assert lines[2][ROSTER.index("民族") + 1] == "'=HYPERLINK(\"http://evil\")"  # neutralised
    assert [(r[0], r[1]) for r in problems.iter_rows(min_row=2, values_only=True)] == [(3, "联系电话"), (6, "身份证号码")]

    # Corrected in the report itself and uploaded again: its two added columns are ignored like 序号.
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    sheet.cell(2, ROSTER.index("联系电话") + 2).value = "13912345678"
    sheet.cell(3, ROSTER.index("身份证号码") + 2).value = rows[4]["身份证号码"][:-1] + ric.calc_check_digit(
        rows[4]["身份证号码"])
    out = io.BytesIO()
    book.save(out)
    again = upload(api.as_user(alice), out.getvalue(), name="corrected.xlsx").json()
    again = api.get(f"/imports/{again['id']}").json()
    assert (again["status"], again["created"]) == ("done", 2), again
    assert again["ignored_columns"] == ["Row", "序号", "性别", "民族", "Problems"]


def test_the_report_is_the_importers_and_pii_reveals_only_and_audited(api, alice, commander, auditor, gridworker,
                                                                     bob, xicheng_admin, failed_roster, monkeypatch):
    job, rows = failed_roster
    assert report_of(login(commander), job)[0] == 200  # may reveal personal data over Beijing
    for user in (auditor, gridworker, xicheng_admin, bob):  # same district but no reveal; elsewhere
        assert report_of(login(user), job)[0] == 404, user
        api.headers.pop("Authorization", None)
        assert api.as_user(user).client.get(f"/api/v1/imports/{job.pk}/report.xlsx",
                                            headers=api.headers).status_code == 404
    # A colleague who may see the job but not reveal personal data: no link, no file. The importer keeps it.
    colleague, _ = user_add(actor=SYSTEM, username="colleague", role=Role.DISTRICT_ADMIN, node_code=DONGCHENG,
                            password=PASSWORD)
    monkeypatch.setitem(ROLE_ACTIONS, Role.DISTRICT_ADMIN, ROLE_ACTIONS[Role.DISTRICT_ADMIN] - {PII_REVEAL})
    assert report_of(login(colleague), job)[0] == 404
    html = login(colleague).get(f"/residents/import/{job.pk}/").content.decode()
    assert "errors.xlsx" not in html and "110101********1230" in html  # the masked list stays
    api.headers.pop("Authorization", None)
    assert api.as_user(colleague).get(f"/imports/{job.pk}").json()["report_url"] is None
    assert report_of(login(alice), job)[0] == 200
    api.headers.pop("Authorization", None)
    body = api.as_user(alice).get(f"/imports/{job.pk}").json()
    assert api.client.get(body["report_url"], headers=api.headers).status_code == 200

    downloads = AuditEvent.objects.filter(action="resident_import.report_download", object_id=str(job.pk))
    assert sorted(downloads.values_list("actor_name", flat=True)) == ["alice", "alice", "commander"]
    assert all(e.jurisdiction_code == DONGCHENG for e in downloads)
    assert not any(rows[4]["身份证号码"] in repr(e.changes) + e.object_repr for e in downloads)


def test_the_purge_removes_the_report(api, alice, failed_roster, settings):
    job, _rows = failed_roster
    path = settings.MEDIA_ROOT / job.report_file
    assert path.is_file() and report_of(login(alice), job)[0] == 200
    assert job_files_purge(older_than_days=settings.RETENTION_DAYS) == 0  # still within the retention
    old = time.time() - (settings.RETENTION_DAYS + 1) * 86400
    os.utime(path, (old, old))
    assert job_files_purge(older_than_days=settings.RETENTION_DAYS) == 1
    assert not path.exists() and not path.parent.exists()
    job.refresh_from_db()
    assert job.report_file == ""
    assert report_of(login(alice), job)[0] == 404
    assert api.as_user(alice).get(f"/imports/{job.pk}").json()["report_url"] is None
    assert "errors.xlsx" not in login(alice).get(f"/residents/import/{job.pk}/").content.decode()


def test_the_old_template_headers_still_work(run, grid):
    outcome = run(csv_bytes([person(i, grid) for i in range(3)], HEAD))
    assert (outcome.created, outcome.ignored_columns) == (3, [])


def test_a_header_problem_gives_a_report_of_problems_only(run, grid, tmp_path):
    file_error(run, csv_bytes([person(0, grid)], ["序号", "姓名", "联系电话", "网格编码"]))
    book = openpyxl.load_workbook(tmp_path / "errors.xlsx", read_only=True)  # where the run fixture puts it
    assert book.sheetnames == ["Problems"]
    assert [r[:2] for r in book.worksheets[0].iter_rows(min_row=2, values_only=True)] == [(1, "证件号码"), (1, "序号")]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_columns_the_report_adds_are_ignored_when_it_is_uploaded_again(language):
    from django.utils import translation
    from django.utils.translation import gettext

    from epigrid.residents.importing.common import _HEADER_FIELD

    with translation.override(language):
        for label in (gettext("Row"), gettext("Problems")):
            assert header_key(label) not in _HEADER_FIELD, label
