"""XLSX bombs (security review, issue 7 point 8): files built as an attacker would, small on disk, that
unpack or pad to gigabytes. Each is refused before openpyxl reads it, with a message naming the problem,
nothing is written, and through the upload the job fails cleanly with its upload deleted."""

import io
import resource
import time
import zipfile

import openpyxl
import pytest

from epigrid.core.models import Job
from epigrid.residents.importing import ImportFileError, residents_import
from epigrid.residents.models import Resident

from .test_import import person, xlsx_bytes


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def good_xlsx(grid, rows=3) -> bytes:
    return xlsx_bytes([person(i, grid) for i in range(rows)])


def rezip(data: bytes, change) -> bytes:
    """The same workbook with some parts rewritten: change(name, bytes) -> bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, change(info.filename, src.read(info.filename)))
    return out.getvalue()


def with_dimension(ref: str):
    def change(name, body):
        if name == "xl/worksheets/sheet1.xml":
            start = body.index(b"<dimension")
            end = body.index(b"/>", start) + 2
            body = body[:start] + f'<dimension ref="{ref}"/>'.encode() + body[end:]
        return body
    return change


def with_shared_strings(xml: bytes):
    def change(name, body):
        if name == "[Content_Types].xml" and b"sharedStrings" not in body:
            body = body.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                                b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
        return xml if name == "xl/sharedStrings.xml" else body
    return change


def add_strings(data: bytes, xml: bytes) -> bytes:
    body = rezip(data, with_shared_strings(xml))
    if b"xl/sharedStrings.xml" in body:
        return body
    out = io.BytesIO(body)
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/sharedStrings.xml", xml)
    return out.getvalue()


SST = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">'


def refused(run, data) -> str:
    started = time.monotonic()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ImportFileError) as info:
        run(data, "bomb.xlsx")
    assert time.monotonic() - started < 5
    # Refused without inflating it: this process grew by less than 100 MB (ru_maxrss is in KiB).
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100 * 1024
    assert Resident.objects.count() == 0
    return info.value.detail


@pytest.fixture
def run(tmp_path, alice):
    def run(data: bytes, name="r.xlsx", **kwargs):
        path = tmp_path / name
        path.write_bytes(data)
        return residents_import(actor=alice, path=path, file_name=name, **kwargs)
    return run


def test_a_declared_dimension_of_16384_columns_is_refused(run, first_grid):
    data = rezip(good_xlsx(first_grid.code), with_dimension("A1:XFD1048576"))
    assert len(data) < 20_000
    assert "declares 16384 columns (up to XFD)" in refused(run, data)


def test_a_declared_dimension_past_excels_last_row_is_refused(run, first_grid):
    data = rezip(good_xlsx(first_grid.code), with_dimension("A1:H9999999"))
    assert "declares 9999999 rows" in refused(run, data)


def test_a_sheet_that_unpacks_to_gigabytes_is_refused(run, first_grid):
    def pad(name, body):
        return body.replace(b"</worksheet>", b" " * 80_000_000 + b"</worksheet>") if name.endswith("sheet1.xml") \
            else body
    data = rezip(good_xlsx(first_grid.code), pad)
    assert len(data) < 200_000
    assert "unpacks to 76 MB, more than 50 times its size" in refused(run, data)


def test_one_huge_shared_string_is_refused(run, first_grid):
    xml = SST % (1, 1) + b"<si><t>" + b"a" * 1_000_000 + b"</t></si></sst>"
    data = add_strings(good_xlsx(first_grid.code), xml)
    assert "a shared string is longer than 32767 characters" in refused(run, data)


def test_millions_of_shared_strings_are_refused(run, first_grid):
    declared = SST % (5_000_000, 5_000_000) + b"<si><t>a</t></si></sst>"
    data = add_strings(good_xlsx(first_grid.code), declared)
    assert "declares 5000000 shared strings" in refused(run, data)
    # The count is not trusted: a file that declares few but holds many is measured.
    many = SST % (1, 1) + b"<si><t>a</t></si>" * 400_000 + b"</sst>"
    data = add_strings(good_xlsx(first_grid.code), many)
    assert "more than 200000 shared strings" in refused(run, data)


def test_a_value_far_right_without_a_dimension_names_its_row(run, first_grid):
    book = openpyxl.Workbook()
    sheet = book.active
    for r, row in enumerate(openpyxl.load_workbook(io.BytesIO(good_xlsx(first_grid.code))).active.iter_rows(
            values_only=True), start=1):
        for c, value in enumerate(row, start=1):
            sheet.cell(r, c, value)
    sheet.cell(3, 16384, "x")
    out = io.BytesIO()
    book.save(out)

    def no_dimension(name, body):
        if name == "xl/worksheets/sheet1.xml" and b"<dimension" in body:
            start = body.index(b"<dimension")
            body = body[:start] + body[body.index(b"/>", start) + 2:]
        return body
    with pytest.raises(ImportFileError) as info:
        run(rezip(out.getvalue(), no_dimension))
    assert "row 3 has a value in column 16384" in info.value.detail and info.value.rows[0].row == 3
    assert Resident.objects.count() == 0


def test_an_ordinary_workbook_still_imports(run, first_grid):
    outcome = run(good_xlsx(first_grid.code, rows=20))
    assert (outcome.written, outcome.created) == (True, 20)


def test_through_the_upload_the_job_fails_cleanly(api, alice, first_grid, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = rezip(good_xlsx(first_grid.code), with_dimension("A1:XFD1048576"))
    client = api.as_user(alice)
    r = client.client.post("/api/v1/imports/residents", {"file": SimpleUploadedFile("bomb.xlsx", data)},
                           headers=client.headers)
    assert r.status_code == 202
    job = client.get(f"/imports/{r.json()['id']}").json()
    assert job["status"] == "failed" and "declares 16384 columns" in job["message"] and not job["written"]
    assert Job.objects.get().status == "failed"
    assert not list((settings.MEDIA_ROOT / "jobs").glob("*/upload*"))
    assert Resident.objects.count() == 0
