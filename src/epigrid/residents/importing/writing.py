"""The error report (an XLSX streamed as errors come) and the raw writer (executemany / COPY)."""

from __future__ import annotations

from pathlib import Path

from django.utils.translation import gettext as _

from epigrid.core.scoping import prefix_upper

from ..models import Resident
from .common import (
    _I,
    COMPARED,
    INSERT_COLUMNS,
    REPORT_MAX_ROWS,
    SCREEN_ERRORS,
    UPDATED,
    RowError,
    _cell_safe,
    report_cell,
)


class _Report:
    """Keeps the first errors for the screen and streams every one into an XLSX (openpyxl write-only
    mode writes rows to a temporary file as they come, so a million errors do not stay in memory).

    Its first sheet holds each bad row as the file had it (the row number, the original headers and cells,
    then the problems), so that it can be corrected and uploaded again: the two added columns are unknown
    to the import, which ignores them. The second lists every problem, one a line, file-level ones too.
    The original cells are personal data in clear: the file is the importer's and the reveal permission's
    only (jobs.import_report_open), and goes with the job's files (tasks.job_files_purge)."""

    def __init__(self, path: Path | None, headers: list | None = None):
        self.path = path
        self.headers = list(headers or [])
        self.first: list[RowError] = []
        self.count = 0
        self.bad_rows = 0
        self._book = self._rows = self._problems = None

    def _open(self) -> None:
        from openpyxl import Workbook

        self._book = Workbook(write_only=True)
        self._problems = self._book.create_sheet(_("Problems"))
        self._problems.append([_("Row"), _("Column"), _("Reason")])

    def add(self, error: RowError) -> None:
        """A problem: on the screen (the first ones) and on the problems sheet."""
        self.count += 1
        if len(self.first) < SCREEN_ERRORS:
            self.first.append(error)
        if self.path is None or self.count > REPORT_MAX_ROWS:
            return
        if self._book is None:
            self._open()
        self._problems.append([error.row, _cell_safe(error.column), _cell_safe(error.reason)])

    def add_row(self, number: int, cells, errors: list[RowError]) -> None:
        """A bad row with its original cells (as many as there are headers) and its problems in one cell."""
        self.bad_rows += 1
        if self.path is None or not self.headers or self.bad_rows > REPORT_MAX_ROWS:
            return
        if self._book is None:
            self._open()
        if self._rows is None:  # first in the workbook, so that it is the sheet an upload reads
            self._rows = self._book.create_sheet(_("Rows to correct"), 0)
            self._rows.append([_("Row"), *(report_cell(h) for h in self.headers), _("Problems")])
        width = len(self.headers)
        values = [report_cell(c) for c in list(cells)[:width]]
        values += [None] * (width - len(values))
        reasons = "; ".join(f"{e.column}: {e.reason}" if e.column else e.reason for e in errors)
        self._rows.append([number, *values, report_cell(reasons)])

    def save(self) -> str:
        if self._book is None:
            return ""
        if self.count > REPORT_MAX_ROWS:
            self._problems.append(["", "", _("… and %(n)d more") % {"n": self.count - REPORT_MAX_ROWS}])
        if self._rows is not None and self.bad_rows > REPORT_MAX_ROWS:
            self._rows.append(["", _("… and %(n)d more rows") % {"n": self.bad_rows - REPORT_MAX_ROWS}])
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._book.save(self.path)
        return str(self.path)


# --- Writing ----------------------------------------------------------------------------------------

# The insert columns' types for PostgreSQL's binary COPY, which the server reads without parsing text (half
# the time of text COPY for these rows: bytea in hex, floats and timestamps in words). Text for the rest.
_BINARY = {"uid": "uuid", "birth_date": "date", "id_number_enc": "bytea", "phone_enc": "bytea", "lon": "float8",
           "lat": "float8", "tags": "int2", "created_at": "timestamptz", "updated_at": "timestamptz"}
COPY_TYPES = [_BINARY.get(c, "text") for c in INSERT_COLUMNS]


class _Writer:
    TABLE = Resident._meta.db_table

    def __init__(self, cursor, vendor: str, *, empty: bool = False):
        self.cursor, self.vendor = cursor, vendor
        self.empty = empty  # the table was empty when the import began: no city has residents
        cols = ", ".join(INSERT_COLUMNS)
        self.copy_sql = f"COPY {self.TABLE} ({cols}) FROM STDIN (FORMAT BINARY)"
        self.insert_sql = f"INSERT INTO {self.TABLE} ({cols}) VALUES ({', '.join(['%s'] * len(INSERT_COLUMNS))})"
        sets = ", ".join(f"{c} = %s" for c in UPDATED)
        self.update_sql = f"UPDATE {self.TABLE} SET {sets} WHERE id = %s"
        self.has_rows: dict[str, bool] = {}

    def city_has_rows(self, city: str) -> bool:
        # Asked once per city, before this import writes there: a city with no residents yet (the usual
        # first import) needs no lookups at all. Rows this import adds are caught by its own duplicate
        # check; a concurrent import into the same city fails on the unique constraint instead.
        if self.empty:
            return False
        if city not in self.has_rows:
            # A range of grid codes (a city's grids start with its code): the grid index answers it.
            self.cursor.execute(f"SELECT 1 FROM {self.TABLE} WHERE grid_code >= %s AND grid_code < %s LIMIT 1",
                                [city, prefix_upper(city) or "~"])  # "~" sorts after every digit
            self.has_rows[city] = self.cursor.fetchone() is not None
        return self.has_rows[city]

    def existing(self, city: str, indexes: list[str]) -> dict[str, tuple]:
        """Blind index -> (id, index, *COMPARED) of the record holding it: never one of the newer records
        stored beside it (duplicate_of), which hold the number only until their match is decided."""
        out = {}
        cols = "id, id_number_index, " + ", ".join(COMPARED)
        for i in range(0, len(indexes), 500):
            part = indexes[i:i + 500]
            # The unique constraint's condition (models.HOLDS_NUMBER) as its index has it, so SQLite uses it.
            self.cursor.execute(f"SELECT {cols} FROM {self.TABLE} WHERE id_number_index IN "
                                f"({', '.join(['%s'] * len(part))}) AND city_code = %s "
                                f"AND NOT (id_number_index = '') AND duplicate_of_id IS NULL", [*part, city])
            for row in self.cursor.fetchall():
                out[row[1]] = row
        return out

    def own_duplicates(self, holders: list[int], prefixes: tuple[str, ...]) -> dict[int, tuple]:
        """Holder id -> (id, index, *COMPARED) of the oldest record stored beside it inside `prefixes`: what
        an earlier import (or registration) of this importer made of the same person, so that importing
        the same file again updates it, as it would a record of a person unknown elsewhere."""
        out = {}
        cols = "id, id_number_index, " + ", ".join(COMPARED) + ", duplicate_of_id"
        for i in range(0, len(holders), 500):
            part = holders[i:i + 500]
            self.cursor.execute(f"SELECT {cols} FROM {self.TABLE} WHERE duplicate_of_id IN "
                                f"({', '.join(['%s'] * len(part))}) AND anonymised_at IS NULL ORDER BY id", part)
            for row in self.cursor.fetchall():
                if row[2].startswith(prefixes):
                    out.setdefault(row[-1], row[:-1])
        return out

    def insert(self, rows: list[tuple]) -> None:
        if not rows:
            return
        if self.vendor == "postgresql":
            with self.cursor.cursor.copy(self.copy_sql) as copy:
                copy.set_types(COPY_TYPES)
                for row in rows:
                    copy.write_row(row)
        else:
            self.cursor.executemany(self.insert_sql, rows)

    def update(self, rows: list[tuple]) -> None:
        if rows:
            self.cursor.executemany(self.update_sql, rows)

    def insert_beside(self, rows: list[tuple[tuple, int]]) -> None:
        """Insert rows as newer records beside the ones holding their ID numbers: (insert row, holder id).
        Few in a normal import (people registered by another jurisdiction), so a plain executemany."""
        if rows:
            cols = ", ".join(INSERT_COLUMNS) + ", duplicate_of_id"
            sql = f"INSERT INTO {self.TABLE} ({cols}) VALUES ({', '.join(['%s'] * (len(INSERT_COLUMNS) + 1))})"
            self.cursor.executemany(sql, [(*row, holder) for row, holder in rows])


def _same(old: tuple, new: tuple) -> bool:
    for k, name in enumerate(COMPARED, start=2):
        a, b = old[k], new[_I[name]]
        if isinstance(a, float) or isinstance(b, float):
            if a is None or b is None or abs(a - b) > 1e-9:
                return False
        elif a != b:
            return False
    return True


