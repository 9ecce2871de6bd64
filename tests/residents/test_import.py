"""Bulk import of residents: good files in every encoding and format, bad files refused whole with the row
and column named, re-imports that update instead of duplicating, and nothing personal left in clear."""

import csv
import io
import zipfile

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from epigrid.core.models import AuditEvent
from epigrid.regions.models import Grid
from epigrid.residents.importing import ImportFileError
from epigrid.residents.models import Resident

from .conftest import id_number

HEAD = ["姓名", "证件类型", "证件号码", "手机号", "住址", "网格编码", "标签", "备注"]
XICHENG = "110102"


def person(i, grid, **over):
    row = {"姓名": f"张{'三四五六七八九十'[i % 8]}{i}", "证件类型": "身份证",
           "证件号码": id_number(birth=f"19{50 + i // 900:02d}0{1 + i % 9}1{i % 9}", seq=i % 900 + 1),
           "手机号": f"1381234{i:04d}", "住址": f"东城区某街{i}号", "网格编码": grid, "标签": "", "备注": ""}
    row.update(over)
    return row


def table(rows, head=HEAD):
    return [head] + [[r.get(h, "") for h in head] for r in rows]


def csv_bytes(rows, head=HEAD, encoding="utf-8", bom=False):
    out = io.StringIO()
    csv.writer(out).writerows(table(rows, head))
    data = out.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(rows, head=HEAD):
    book = openpyxl.Workbook()
    sheet = book.active
    for line in table(rows, head):
        sheet.append(line)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def file_error(run, data, name="residents.csv", **kwargs) -> ImportFileError:
    with pytest.raises(ImportFileError) as info:
        run(data, name, **kwargs)
    assert Resident.objects.count() == 0
    return info.value


def test_a_good_csv_creates_every_resident(run, grid):
    rows = [person(i, grid) for i in range(30)]
    outcome = run(csv_bytes(rows))
    assert (outcome.written, outcome.rows, outcome.created, outcome.invalid) == (True, 30, 30, 0)
    assert outcome.encoding == "UTF-8"
    r = Resident.objects.get(name=rows[7]["姓名"])
    assert (r.grid_code, r.city_code, r.source, r.id_type) == (grid, grid[:4], "import", "ric")
    assert r.id_number_masked == rows[7]["证件号码"][:6] + "********" + rows[7]["证件号码"][-4:]
    assert r.phone_masked == "138****0007"
    assert r.birth_date is not None and r.gender in ("M", "F")
    assert r.name_pinyin.startswith("zhang")


@pytest.mark.parametrize(("encoding", "bom", "shown"), [
    ("utf-8", False, "UTF-8"), ("utf-8", True, "UTF-8"), ("gb18030", False, "GB18030"), ("gbk", False, "GB18030"),
])
def test_csv_encodings_are_detected(run, grid, encoding, bom, shown):
    rows = [person(i, grid, 住址="北京市东城区和平里街道") for i in range(5)]
    outcome = run(csv_bytes(rows, encoding=encoding, bom=bom))
    assert (outcome.created, outcome.encoding) == (5, shown)
    assert Resident.objects.filter(address="北京市东城区和平里街道").count() == 5
    assert Resident.objects.filter(name=rows[0]["姓名"]).exists()


def test_english_headers_and_xlsx(run, grid):
    head = ["name", "id_type", "id_number", "phone", "address", "grid_code", "tags", "notes"]
    rows = [dict(zip(head, [person(i, grid)[h] for h in HEAD], strict=True)) for i in range(4)]
    rows[0]["tags"] = "独居老人、低保"
    outcome = run(xlsx_bytes(rows, head), name="residents.xlsx")
    assert (outcome.format, outcome.created) == ("xlsx", 4)
    assert Resident.objects.get(name=rows[0]["name"]).tags == 1 | 16


def test_xlsx_numbers_become_text_and_id_numbers_as_numbers_are_refused(run, grid):
    rows = [person(0, grid, 手机号=13812340000, 网格编码=int(grid)), person(1, grid)]
    rows[1]["证件号码"] = float(rows[1]["证件号码"][:17] + "0")
    outcome = run(xlsx_bytes(rows), name="r.xlsx", skip_invalid=True)
    assert (outcome.created, outcome.invalid) == (1, 1)
    assert (outcome.errors[0].row, outcome.errors[0].column) == (3, "证件号码")
    assert "15 digits" in outcome.errors[0].reason


def test_coordinates_are_located_to_their_grid(run, first_grid):
    head = ["姓名", "证件号码", "经度", "纬度"]
    rows = [{"姓名": "李四", "证件号码": id_number(seq=5), "经度": first_grid.centroid_lon,
             "纬度": first_grid.centroid_lat}]
    from epigrid.regions.locate import locate

    assert run(csv_bytes(rows, head)).created == 1
    r = Resident.objects.get()
    assert r.grid_code == locate(first_grid.centroid_lon, first_grid.centroid_lat)
    assert (r.lon, r.lat) == (pytest.approx(first_grid.centroid_lon), pytest.approx(first_grid.centroid_lat))


def test_gcj02_coordinates_are_stored_as_wgs84(run, first_grid):
    from epigrid.core.geo import wgs84_to_gcj02

    glon, glat = wgs84_to_gcj02([first_grid.centroid_lon], [first_grid.centroid_lat])
    rows = [{"姓名": "李四", "证件号码": id_number(seq=5), "经度": float(glon[0]), "纬度": float(glat[0])}]
    assert run(csv_bytes(rows, ["姓名", "证件号码", "经度", "纬度"]), crs="gcj02").created == 1
    r = Resident.objects.get()
    assert (r.lon, r.lat) == (pytest.approx(first_grid.centroid_lon, abs=1e-6),
                              pytest.approx(first_grid.centroid_lat, abs=1e-6))


def test_importing_the_same_file_twice_creates_no_duplicates(run, grid):
    rows = [person(i, grid) for i in range(10)]
    run(csv_bytes(rows))
    outcome = run(csv_bytes(rows))
    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 0, 10)
    assert Resident.objects.count() == 10
    rows[3]["手机号"] = "13999990000"
    rows[4]["住址"] = "新地址"
    outcome = run(csv_bytes(rows))
    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 2, 8)
    assert Resident.objects.get(name=rows[3]["姓名"]).phone_masked == "139****0000"
    assert Resident.objects.count() == 10


def test_the_same_id_twice_in_one_file_is_an_error_on_the_later_row(run, grid):
    rows = [person(0, grid), person(1, grid), person(0, grid, 姓名="王五")]
    outcome = run(csv_bytes(rows))
    assert not outcome.written and Resident.objects.count() == 0
    assert [(e.row, e.column, e.reason) for e in outcome.errors] == [(4, "证件号码", "duplicate of row 2")]


def test_one_bad_row_and_nothing_is_written_unless_skip_invalid(run, grid):
    rows = [person(i, grid) for i in range(5)]
    rows[2]["证件号码"] = rows[2]["证件号码"][:-1] + ("0" if rows[2]["证件号码"][-1] != "0" else "1")
    outcome = run(csv_bytes(rows))
    assert (outcome.written, outcome.created, outcome.invalid) == (False, 0, 1)
    assert Resident.objects.count() == 0
    assert not AuditEvent.objects.filter(action="resident.import").exists()
    outcome = run(csv_bytes(rows), skip_invalid=True)
    assert (outcome.written, outcome.created, outcome.invalid) == (True, 4, 1)
    assert Resident.objects.count() == 4


@pytest.mark.parametrize(("change", "column", "reason"), [
    ({"姓名": "张" * 51}, "姓名", "at most 50 characters"),
    ({"住址": "东" * 201}, "住址", "at most 200 characters"),
    ({"证件号码": "110101199001011230"}, "证件号码", "check digit"),
    ({"证件号码": id_number(birth="19900230")}, "证件号码", "impossible birth date"),
    ({"证件号码": id_number(birth="20990101")}, "证件号码", "future"),
    ({"手机号": "12345"}, "手机号", "phone"),
    ({"网格编码": "abc"}, "网格编码", "15-digit"),
    ({"标签": "=HYPERLINK(\"http://x\")"}, "标签", "unknown tag"),
    ({"姓名": ""}, "姓名", "required"),
])
def test_bad_rows_name_row_and_column_and_nothing_is_written(run, grid, change, column, reason):
    rows = [person(i, grid) for i in range(3)]
    rows[1].update(change)
    outcome = run(csv_bytes(rows))
    assert Resident.objects.count() == 0 and not outcome.written
    assert [(e.row, e.column) for e in outcome.errors] == [(3, column)]
    assert reason in outcome.errors[0].reason


def test_a_bad_byte_after_the_first_megabyte_names_its_row(run, grid):
    rows = [person(i, grid) for i in range(12_000)]
    data = csv_bytes(rows)
    assert len(data) > 1 << 20
    exc = file_error(run, data + "北京".encode()[:-1])
    assert "not valid UTF-8 text near row 12002" in exc.detail
    assert exc.rows[0].row == 12_002


def test_coordinates_outside_every_grid_name_the_column(run, city):
    head = ["name", "id_number", "lon", "lat"]
    rows = [{"name": "李四", "id_number": id_number(seq=5), "lon": 87.6, "lat": 43.8}]  # Urumqi: no grid there
    outcome = run(csv_bytes(rows, head))
    assert [(e.row, e.column) for e in outcome.errors] == [(2, "lon")]
    assert "outside every grid" in outcome.errors[0].reason


def test_personal_values_are_masked_on_screen_and_whole_only_in_the_bad_rows_sheet(run, grid):
    bad_id = "110101199001011230"
    rows = [person(0, grid, 证件号码=bad_id, 手机号="10012345678", 姓名="张" * 60)]
    outcome = run(csv_bytes(rows))
    values = {e.column: e.value for e in outcome.errors}
    assert values == {"姓名": "张**", "证件号码": "110101********1230", "手机号": "100****5678"}
    assert bad_id not in str(outcome.as_dict()) and "10012345678" not in str(outcome.as_dict())
    book = openpyxl.load_workbook(outcome.report_file, read_only=True)
    bad_rows, problems = book.worksheets
    # The row as uploaded, to correct and upload again (the report is the importer's and PII_REVEAL's only).
    assert list(bad_rows.iter_rows(values_only=True))[1][1:6] == (rows[0]["姓名"], "身份证", bad_id, "10012345678",
                                                                 rows[0]["住址"])
    cells = [str(c) for row in problems.iter_rows(values_only=True) for c in row if c is not None]
    assert bad_id not in cells and "10012345678" not in cells and not any("张张" in c for c in cells)


def test_formula_cells_are_neutralised_in_the_error_report(run, grid):
    rows = [person(0, grid, 标签="=HYPERLINK(\"http://evil\")"), person(1, grid, 标签="+1"),
            person(2, grid, 标签="@SUM(A1)"), person(3, grid, 标签="-2")]
    outcome = run(csv_bytes(rows))
    assert outcome.error_count == 4
    book = openpyxl.load_workbook(outcome.report_file)
    cells = [c for row in book.active.iter_rows(min_row=2, values_only=True) for c in row if isinstance(c, str)]
    assert {c for c in cells if c.startswith("'")} == {"'=HYPERLINK(\"http://evil\")", "'+1", "'@SUM(A1)", "'-2"}
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)


def _truncated_xlsx(rows):
    data = xlsx_bytes(rows)
    return data[: len(data) * 2 // 3]


def _xlsx_with_broken_sheet(rows):
    data = io.BytesIO(xlsx_bytes(rows))
    out = io.BytesIO()
    with zipfile.ZipFile(data) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            body = src.read(item)
            dst.writestr(item, body[: len(body) // 2] if item.filename.startswith("xl/worksheets/") else body)
    return out.getvalue()


@pytest.mark.parametrize(("make", "name", "words", "row"), [
    (lambda rows: b"", "r.csv", "empty (0 bytes)", 0),
    (lambda rows: b"\n\n", "r.csv", "empty (blank lines only)", 0),
    (lambda rows: b"\n" + csv_bytes(rows), "r.csv", "Row 1 is empty", 1),
    (lambda rows: ",".join(HEAD).encode(), "r.csv", "no data rows", 2),
    (lambda rows: bytes(range(256)) * 40, "r.csv", "binary", 0),
    (lambda rows: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "r.csv", "binary", 0),
    (_truncated_xlsx, "r.xlsx", "damaged or incomplete", 0),
    (_xlsx_with_broken_sheet, "r.xlsx", "damaged or incomplete", 2),
    (lambda rows: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"x" * 100, "r.xls", ".xls", 0),
    (lambda rows: csv_bytes(rows).decode().encode("utf-16"), "r.csv", "UTF-16", 0),
    (lambda rows: csv_bytes(rows).decode().encode("big5", "replace") + b"\xff\xfe\xff", "r.csv", "neither UTF-8", 0),
    (lambda rows: csv_bytes(rows) + "北京".encode()[:-1], "r.csv", "neither UTF-8 nor GB18030", 0),
    (lambda rows: csv_bytes(rows)[:-2] + b',"unterminated', "r.csv", "not valid CSV at row 3", 3),
])
def test_unreadable_files_are_refused_whole(run, grid, make, name, words, row):
    exc = file_error(run, make([person(0, grid, 姓名="张三"), person(1, grid, 姓名="李四")]), name)
    assert words in exc.detail
    assert exc.rows[0].row == row


def test_missing_and_unknown_headers_are_named(run, grid):
    head = ["姓名", "手机号", "身高", "住址"]
    exc = file_error(run, csv_bytes([person(0, grid)], head))
    problems = {(e.row, e.column, e.reason) for e in exc.rows}
    # Missing columns stop the file; the unknown one is named beside them (often the same under another name).
    assert problems == {(1, "身高", "unknown column (ignored)"), (1, "证件号码", "required column missing"),
                        (1, "网格编码, or 经度 and 纬度", "required column missing")}
    assert "2 problems" in exc.detail and "姓名、证件类型、证件号码" in exc.detail


def test_only_longitude_is_not_enough(run, grid):
    exc = file_error(run, csv_bytes([person(0, grid)], ["姓名", "证件号码", "经度"]))
    assert {e.column for e in exc.rows} == {"网格编码, or 经度 and 纬度"}


def test_encryption_at_rest_no_plaintext_in_the_table(run, grid):
    rows = [person(i, grid) for i in range(5)]
    run(csv_bytes(rows))
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM residents_resident")
        dump = repr(cursor.fetchall())
        raw = b"".join(bytes(v) for row in cursor.execute("SELECT * FROM residents_resident").fetchall()
                       for v in row if isinstance(v, (bytes, memoryview))) if connection.vendor == "sqlite" else b""
    for r in rows:
        assert r["证件号码"] not in dump and r["手机号"] not in dump
        assert r["证件号码"].encode() not in raw and r["手机号"].encode() not in raw


def test_alice_cannot_import_into_xicheng(run, alice):
    xicheng = Grid.objects.filter(code__startswith=XICHENG).order_by("code").first()
    rows = [person(0, xicheng.code)]
    outcome = run(csv_bytes(rows), actor=alice)
    assert not outcome.written and Resident.objects.count() == 0
    assert [(e.row, e.column) for e in outcome.errors] == [(2, "网格编码")]
    assert "in your jurisdiction" in outcome.errors[0].reason
    head = ["姓名", "证件号码", "经度", "纬度"]
    point = [{"姓名": "李四", "证件号码": id_number(seq=5), "经度": xicheng.centroid_lon, "纬度": xicheng.centroid_lat}]
    outcome = run(csv_bytes(point, head), actor=alice)
    assert [(e.row, e.column) for e in outcome.errors] == [(2, "经度")]
    assert Resident.objects.count() == 0


def test_users_without_the_role_may_not_import(run, charlie, gridworker, grid):
    from epigrid.core.errors import PermissionDenied

    for user in (charlie, gridworker):
        with pytest.raises(PermissionDenied):
            run(csv_bytes([person(0, grid)]), actor=user)


def test_one_audit_row_without_personal_values(run, alice, grid):
    rows = [person(i, grid) for i in range(3)]
    run(csv_bytes(rows), actor=alice, job_id="job-1")
    event = AuditEvent.objects.get(action="resident.import")
    assert (event.actor_name, event.object_id, event.object_repr, event.jurisdiction_code) == \
        ("alice", "job-1", "residents.csv", "110101000000")
    assert event.changes["created"] == 3
    text = repr(event.changes) + event.object_repr
    assert not any(r["证件号码"] in text or r["姓名"] in text for r in rows)
    assert AuditEvent.objects.filter(object_type="resident").count() == 0


def test_a_pool_of_workers_gives_the_same_result(run, grid):
    rows = [person(i, grid) for i in range(40)]
    rows[25]["证件号码"] = "110101199001011230"
    rows.append(person(3, grid, 姓名="重复"))
    outcome = run(csv_bytes(rows), workers=2, skip_invalid=True)
    assert (outcome.created, outcome.invalid) == (39, 2)
    assert [(e.row, e.column) for e in outcome.errors] == [(27, "证件号码"), (42, "证件号码")]
    # The report's bad rows come whole from the chunks the pool prepared (and from the duplicate check here).
    bad_rows = openpyxl.load_workbook(outcome.report_file, read_only=True).worksheets[0]
    assert [(r[0], r[1], r[3]) for r in bad_rows.iter_rows(min_row=2, values_only=True)] == [
        (27, rows[25]["姓名"], "110101199001011230"), (42, "重复", rows[3]["证件号码"])]


def test_command_line(tmp_path, grid, capsys):
    path = tmp_path / "r.csv"
    path.write_bytes(csv_bytes([person(i, grid) for i in range(3)]))
    call_command("import_data", "residents", str(path))
    assert "created 3" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([person(5, grid), person(6, grid, 手机号="123")]))
    report = tmp_path / "report.xlsx"
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_data", "residents", str(bad), "--report", str(report))
    assert "row 3, 手机号" in capsys.readouterr().err
    assert report.exists() and Resident.objects.count() == 3
    call_command("import_data", "residents", str(bad), "--skip-invalid")
    assert Resident.objects.count() == 4
    with pytest.raises(CommandError, match="empty"):
        (tmp_path / "zero.csv").write_bytes(b"")
        call_command("import_data", "residents", str(tmp_path / "zero.csv"))


def test_uids_are_time_ordered_version_7_and_unique(run, grid):
    run(csv_bytes([person(i, grid) for i in range(50)]))
    uids = list(Resident.objects.order_by("id").values_list("uid", flat=True))
    assert len(set(uids)) == 50 and {u.version for u in uids} == {7}
    assert uids == sorted(uids)


def test_progress_is_reported(run, grid):
    seen = []
    run(csv_bytes([person(i, grid) for i in range(20)]), progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1] == (20, 20)


def test_a_cell_beyond_the_csv_field_limit_is_a_file_error_naming_the_row(run, grid):
    rows = [person(0, grid), person(1, grid, 备注="x" * 200_000)]
    exc = file_error(run, csv_bytes(rows))
    assert exc.rows[0].row == 3 and "field larger than field limit" in exc.detail


def test_values_beyond_the_last_header_and_blank_rows(run, grid):
    data = csv_bytes([person(0, grid)]) + b"\r\n,,,\r\n" + csv_bytes([person(1, grid)]).split(b"\r\n", 1)[1]
    data += ",".join(["李四", "", id_number(seq=9), "", "", grid, "", "", "extra"]).encode() + b"\r\n"
    outcome = run(data, skip_invalid=True)
    assert (outcome.created, outcome.rows, outcome.invalid) == (2, 3, 1)
    assert [(e.row, e.column) for e in outcome.errors] == [(6, "#9")]


def test_command_line_as_a_user_is_scoped(tmp_path, alice):
    xicheng = Grid.objects.filter(code__startswith=XICHENG).order_by("code").first()
    path = tmp_path / "r.csv"
    path.write_bytes(csv_bytes([person(0, xicheng.code)]))
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_data", "residents", str(path), "--user", "alice", "--no-progress")
    call_command("import_data", "residents", str(path), "--no-progress")
    assert Resident.objects.count() == 1
