"""What both imports share: the file read into rows through the resident import's reader (CSV or XLSX,
UTF-8 or GB18030, header synonyms), the problems of each row under the column the file wrote, the
outcome, and the error report (the resident import's: each bad row as uploaded, with its reasons)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from epigrid.residents.importing import ImportFileError, ImportOutcome, RowError, mask_value, open_table
from epigrid.residents.importing.writing import _Report

from .columns import header_of, map_columns

# The whole file is held in memory (all or nothing, and contacts are matched across rows): at most this
# many data rows, and the request's own size limit (REQUEST_MAX_BYTES) for the upload.
MAX_ROWS = 500_000


class Rollback(Exception):
    pass


@dataclass
class EpiOutcome(ImportOutcome):
    counts: dict = field(default_factory=dict)  # what was written, by kind (contacts, observations, tasks...)

    def as_dict(self) -> dict:
        return {**super().as_dict(), "counts": self.counts}


@dataclass
class Sheet:
    format: str
    encoding: str
    headers: list
    written: dict  # field -> header as written
    ignored: list
    columns: dict  # the import's column table
    rows: list  # (row number, {field: cell})
    cells: dict  # row number -> the cells as read (for the error report)


def read_sheet(path: Path, columns: dict, required: tuple, one_of: tuple = ()) -> Sheet:
    table = open_table(Path(path))
    try:
        found, written, ignored = map_columns(table.headers, columns, required, one_of)
        rows, cells = [], {}
        width = len(table.headers)
        for number, row in table.rows:
            if all(c is None or (isinstance(c, str) and not c.strip()) for c in row):
                continue
            if len(rows) >= MAX_ROWS:
                raise ImportFileError(_("The file has more than %(n)d rows; split it.") % {"n": MAX_ROWS},
                                      row=number)
            n = len(row)
            rows.append((number, {fld: row[i] if i < n else None for i, fld in found}))
            cells[number] = row[:width]
    finally:
        table.close()
    if not rows:
        raise ImportFileError(_("The file has a header row but no data rows."), row=2)
    return Sheet(table.format, table.encoding, table.headers, written, ignored, columns, rows, cells)


class Problems:
    """Every problem of every row, under the column the file wrote; values of personal columns masked."""

    def __init__(self, sheet: Sheet):
        self.sheet = sheet
        self.by_row: dict[int, list[RowError]] = {}

    def add(self, number: int, fld: str, reason: str, value="") -> None:
        column = header_of(self.sheet.written, self.sheet.columns, fld)
        key = fld.removeprefix("person.")
        shown = mask_value({"source_id_number": "id_number"}.get(key, key), value)
        self.by_row.setdefault(number, []).append(RowError(number, column, str(reason), shown))

    def add_errors(self, number: int, errors, raw: dict) -> None:
        for e in errors:
            self.add(number, e.field, e.message, raw.get(e.field.removeprefix("person."), ""))

    def __contains__(self, number: int) -> bool:
        return number in self.by_row

    def __bool__(self) -> bool:
        return bool(self.by_row)

    def finish(self, outcome: EpiOutcome, report_path: Path | None) -> None:
        """The outcome's counts and first errors, and the XLSX report of every bad row."""
        report = _Report(report_path, self.sheet.headers)
        for number in sorted(self.by_row):
            report.add_row(number, self.sheet.cells.get(number, ()), self.by_row[number])
            for e in self.by_row[number]:
                report.add(e)
        outcome.invalid = len(self.by_row)
        outcome.errors, outcome.error_count = report.first, report.count
        outcome.report_file = report.save()


def file_error_report(exc: ImportFileError, report_path: Path | None) -> None:
    report = _Report(report_path)
    for e in exc.rows:
        report.add(e)
    exc.report_file = report.save()


def max_upload_bytes() -> int:
    return settings.REQUEST_MAX_BYTES
