"""Bulk import of the resident registry from CSV or XLSX: `residents_import`, called by the
`epigrid import residents` command, by the background task behind the upload page and the API, and by
bench/import_residents.py.

The rules are the registry's own: every row goes through `clean_resident` (validation.py) and
`resident_protect` (services.py); this module adds only what a file brings: headers, encodings, row
numbers, duplicates inside the file, and a fast path for the writes.

- Streaming: CSV through the csv module over a decoded text stream, XLSX through openpyxl's read-only
  mode; rows go through in chunks, so memory stays bounded (the one thing that grows with the file is
  the set of ID numbers already seen, ~60 bytes a row, needed to report duplicates inside the file).
- Encodings: UTF-8 with or without BOM, else GB18030, a superset of GBK and GB2312 (what Excel writes
  in China). Detected here by decoding the first MiB, not by a guessing library: those are the only
  encodings we accept, and a clear error is better than a wrong guess.
- All or nothing: everything happens in one transaction. By default a single bad row means nothing
  is written (the rows keep being checked, so the report lists every problem); with `skip_invalid`
  the good rows are written and the bad ones reported.
- Same person = same ID number in the same city: an existing resident is updated (when in the
  importer's jurisdiction), never inserted twice; the same ID twice in one file is an error on the
  later row.
- Writes bypass the ORM (DESIGN.md): executemany on SQLite, COPY on PostgreSQL; updates in batches.
- Large files are prepared (validate, encrypt, locate) by a pool of processes over chunks, in order;
  the database writes stay in this process and its one transaction.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import logging
import math
import multiprocessing
import os
import time
import zipfile
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from epigrid.accounts.roles import RESIDENTS_EDIT
from epigrid.core import pii
from epigrid.core.audit import audit_record
from epigrid.core.errors import FieldError, PermissionDenied, ServiceError
from epigrid.core.exports import safe_cell
from epigrid.core.geo import CRS_CHOICES, to_wgs84
from epigrid.core.models import Job
from epigrid.core.principals import Actor, is_user, service
from epigrid.core.scoping import user_prefixes
from epigrid.regions.locate import grid_index, locate_many

from .models import Resident, Source
from .services import resident_protect
from .validation import clean_resident

log = logging.getLogger(__name__)

# Field -> accepted headers. The first is the one the template uses and messages name when the file has
# no such column; English aliases match case-insensitively.
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "name"),
    "id_type": ("证件类型", "id_type"),
    "id_number": ("证件号码", "id_number", "身份证号", "身份证号码"),
    "phone": ("手机号", "phone", "手机号码"),
    "address": ("住址", "address", "地址"),
    "lon": ("经度", "lon", "longitude"),
    "lat": ("纬度", "lat", "latitude"),
    "grid_code": ("网格编码", "grid_code"),
    "tags": ("标签", "tags"),
    "notes": ("备注", "notes"),
}
SOURCE = str(Source.IMPORT.value)  # a plain str: rows cross a process boundary and go to executemany
_HEADER_FIELD = {h.casefold(): f for f, headers in COLUMNS.items() for h in headers}
PERSONAL = ("name", "id_number", "phone", "address", "notes")

CHUNK_ROWS = 5_000
SCREEN_ERRORS = 200  # errors kept for the page, the API and the job row; the XLSX has them all
REPORT_MAX_ROWS = 1_000_000  # an XLSX sheet holds 1,048,576 rows
SNIFF_BYTES = 1 << 20
POOL_MIN_BYTES = 8 << 20  # below this (about 80,000 rows) a pool costs more than it saves
POOL_WORKERS = 2  # processes that prepare rows while this one reads the file and writes (0: inline)
WORKER_NICE = 3
MAX_BYTES = settings.RESIDENTS_IMPORT_MAX_BYTES
BULK_CACHE_KIB = 128 * 1024  # SQLite page cache during an import

INSERT_COLUMNS = ("uid", "grid_code", "city_code", "name", "name_pinyin", "name_initials", "gender", "birth_date",
                  "id_type", "id_number_enc", "id_number_index", "phone_enc", "phone_index", "address", "lon", "lat",
                  "tags", "notes", "source", "created_at", "updated_at")
# Positions in an insert row, and the columns an existing resident is compared on and updated with.
_I = {c: i for i, c in enumerate(INSERT_COLUMNS)}
COMPARED = ("grid_code", "name", "id_type", "phone_index", "address", "lon", "lat", "tags", "notes")
UPDATED = ("grid_code", "name", "name_pinyin", "name_initials", "gender", "birth_date", "id_type", "id_number_enc",
           "phone_enc", "phone_index", "address", "lon", "lat", "tags", "notes", "updated_at")


@dataclass
class RowError:
    row: int  # as Excel shows it: the header is row 1; 0 for the file as a whole
    column: str  # the header as written in the file
    reason: str
    value: str = ""  # masked if personal

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "reason": self.reason, "value": self.value}


class ImportFileError(ServiceError):
    """The file as a whole cannot be read: nothing is imported. `rows` says where, like row errors."""

    def __init__(self, reason: str, *, row: int = 0, column: str = ""):
        super().__init__(reason, [FieldError("file", reason)])
        self.rows = [RowError(row, column, reason)]


@dataclass
class ImportOutcome:
    file_name: str = ""
    format: str = ""
    encoding: str = ""
    rows: int = 0  # data rows read (blank rows not counted)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: int = 0  # rows with at least one problem
    error_count: int = 0  # problems (a row may have several)
    errors: list[RowError] = field(default_factory=list)  # the first SCREEN_ERRORS
    written: bool = False
    report_file: str = ""

    def as_dict(self) -> dict:
        return {"file_name": self.file_name, "format": self.format, "encoding": self.encoding, "rows": self.rows,
                "created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "invalid": self.invalid, "error_count": self.error_count, "written": self.written,
                "errors": [e.as_dict() for e in self.errors]}


# --- Reading files --------------------------------------------------------------------------------

@dataclass
class _Table:
    format: str  # "csv" | "xlsx"
    encoding: str
    headers: list  # as written
    rows: Iterator  # (row number, cells)
    position: Callable[[], float]  # fraction of the file read so far (for progress)
    close: Callable[[], None]


def _sniff(head: bytes, size: int) -> tuple[str, str]:
    """(format, encoding) from the first bytes, or an ImportFileError saying why the file is unusable."""
    if size == 0:
        raise ImportFileError(_("The file is empty (0 bytes)."))
    if head.startswith(b"PK\x03\x04"):
        return "xlsx", ""
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(_("This is an old Excel .xls workbook: save it as .xlsx or as CSV and upload that."))
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ImportFileError(_("The file is in UTF-16: save it as “CSV UTF-8” and upload that."))
    sample = head[:65536]
    controls = sum(sample.count(bytes([b])) for b in range(32) if b not in (9, 10, 13))
    if b"\x00" in head or controls > len(sample) // 100:
        raise ImportFileError(_("This is not a CSV or XLSX file (it contains binary data)."))
    if not head.removeprefix(codecs.BOM_UTF8).strip() and len(head) == size:
        raise ImportFileError(_("The file is empty (blank lines only)."))
    if head.startswith(codecs.BOM_UTF8):
        return "csv", "utf-8-sig"
    final = len(head) == size
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=final)
        except UnicodeDecodeError:
            continue
        return "csv", encoding
    raise ImportFileError(_("The file's text is neither UTF-8 nor GB18030/GBK: save it as “CSV UTF-8” and "
                            "upload that."))


def _open_csv(path: Path, encoding: str, size: int) -> _Table:
    raw = open(path, "rb")  # noqa: SIM115 (closed by _Table.close)
    text = io.TextIOWrapper(raw, encoding=encoding, newline="")
    reader = csv.reader(text, strict=True)
    shown = "GB18030" if encoding == "gb18030" else "UTF-8"
    record = 1

    def read_one():
        nonlocal record
        try:
            return next(reader, None)
        except UnicodeDecodeError:
            raise ImportFileError(_("The file is not valid %(e)s text near row %(r)d (cut short, or mixed "
                                    "encodings?): save it as “CSV UTF-8” and upload it again.")
                                  % {"e": shown, "r": record}, row=record) from None
        except csv.Error as exc:
            raise ImportFileError(_("The file is not valid CSV at row %(r)d: %(m)s (cut short?).")
                                  % {"r": record, "m": exc}, row=record) from None

    headers = read_one()
    if headers is None:
        text.close()
        raise ImportFileError(_("The file is empty."))

    def rows():
        nonlocal record
        while True:
            record += 1
            cells = read_one()
            if cells is None:
                return
            yield record, cells

    # text.close (not raw.close): the table must keep the wrapper alive, or its finaliser closes raw.
    return _Table("csv", shown, headers, rows(), lambda: raw.tell() / size if size else 1.0, text.close)


def _open_xlsx(path: Path) -> _Table:
    import openpyxl

    damaged = _("The XLSX file is damaged or incomplete (was the upload cut short?); save it again and upload "
                "it again.")
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        sheet = book.worksheets[0]
        it = sheet.iter_rows(values_only=True)
        headers = next(it, None)
    except (zipfile.BadZipFile, zlib.error, EOFError, KeyError, OSError, IndexError, ValueError, TypeError):
        raise ImportFileError(damaged) from None
    except Exception as exc:  # openpyxl's InvalidFileException and XML parse errors of a broken part
        log.info("unreadable XLSX: %r", exc)
        raise ImportFileError(damaged) from None
    if headers is None:
        book.close()
        raise ImportFileError(_("The file is empty."))
    try:
        total = max(1, (sheet.max_row or 1) - 1)
    except Exception:  # no dimension record
        total = 0
    state = {"row": 2}  # the row being read

    def rows():
        try:
            for number, cells in enumerate(it, start=2):
                yield number, cells
                state["row"] = number + 1
        except ImportFileError:
            raise
        except Exception as exc:
            log.info("XLSX broken at row %d: %r", state["row"], exc)
            raise ImportFileError(damaged + " " + _("(row %(r)d)") % {"r": state["row"]}, row=state["row"]) from None

    return _Table("xlsx", "", list(headers), rows(), lambda: min(1.0, state["row"] / total) if total else 0.0,
                  book.close)


def open_table(path: Path) -> _Table:
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise ImportFileError(_("The file is larger than %(n)d MB; split it.") % {"n": MAX_BYTES >> 20})
    with open(path, "rb") as f:
        head = f.read(SNIFF_BYTES)
    kind, encoding = _sniff(head, size)
    return _open_xlsx(path) if kind == "xlsx" else _open_csv(path, encoding, size)


def _header_text(value) -> str:
    return "" if value is None else str(value).replace("\ufeff", "").strip()


def map_headers(headers: list) -> tuple[list[tuple[int, str]], dict[str, str]]:
    """[(column index, field)] and {field: header as written}; problems raise ImportFileError (row 1)."""
    columns, written, problems = [], {}, []
    if not any(_header_text(h) for h in headers):
        raise ImportFileError(_("Row 1 is empty: it must hold the column headers (%(c)s).")
                              % {"c": "、".join(h[0] for h in COLUMNS.values())}, row=1)
    for i, raw in enumerate(headers):
        text = _header_text(raw)
        if not text:
            continue  # an unnamed column (Excel's trailing empty columns); its values are checked per row
        fld = _HEADER_FIELD.get(text.casefold())
        if fld is None:
            problems.append(RowError(1, _cell_safe(text)[:100], _("unknown column")))
        elif fld in written:
            problems.append(RowError(1, text, _("the same column twice (also “%(h)s”)") % {"h": written[fld]}))
        else:
            columns.append((i, fld))
            written[fld] = text
    missing = [COLUMNS[f][0] for f in ("name", "id_number") if f not in written]
    if "grid_code" not in written and not ("lon" in written and "lat" in written):
        missing.append(_("%(grid)s, or %(lon)s and %(lat)s") % {"grid": COLUMNS["grid_code"][0],
                                                               "lon": COLUMNS["lon"][0], "lat": COLUMNS["lat"][0]})
    for m in missing:
        problems.append(RowError(1, m, _("required column missing")))
    if problems:
        accepted = "、".join(h[0] for h in COLUMNS.values())
        exc = ImportFileError(ngettext("%(n)d problem with the header row; the columns are: %(c)s.",
                                       "%(n)d problems with the header row; the columns are: %(c)s.",
                                       len(problems)) % {"n": len(problems), "c": accepted}, row=1)
        exc.rows = problems
        raise exc
    return columns, written


# --- Preparing rows (in this process or in a pool worker) -----------------------------------------

def mask_value(fld: str, value) -> str:
    """What a report may show of a cell: personal values masked, the rest cut to 100 characters."""
    if value is None:
        return ""
    text = str(value).strip()[:100]
    if not text:
        return ""
    if fld == "name":
        return pii.mask_name(text)
    if fld == "id_number":
        return pii.mask_id_number("".join(text.split())[:40])
    if fld == "phone":
        return pii.mask_phone(text.replace(" ", "").replace("-", "")[:40])
    if fld in ("address", "notes"):
        return text[:4] + "…" if len(text) > 4 else text[:1] + "*"
    return text


def _cell_safe(value) -> str:
    return safe_cell("" if value is None else str(value))


@dataclass
class _Context:
    columns: list[tuple[int, str]]
    width: int  # number of header cells
    text_only: bool  # CSV: every cell is already a str
    today: object
    crs: str
    prefixes: tuple[str, ...]
    grid_codes: frozenset
    index: object  # regions.locate.GridIndex
    ring: pii.Keyring
    now: object  # created_at / updated_at, adapted for the database
    vendor: str
    uid_stamp: str  # 12 hex digits of the import's start in ms, for the UUIDs


_ctx: _Context | None = None  # set before a pool forks, so workers inherit it (keys, grid index) as is


def _cell(fld: str, value):
    """An XLSX cell as the text a CSV would have given (Excel stores digits as numbers)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if fld == "id_number":
            return math.nan  # flagged by the caller: Excel kept 15 significant digits of it
        if value.is_integer() and fld in ("phone", "grid_code", "id_type", "tags", "name", "address", "notes"):
            return str(int(value))
        return value
    if isinstance(value, int):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _uids(stamp: str, numbers: list[int]) -> list[str]:
    """Version-7 UUIDs as 32 hex digits (what Django stores): the import's start time in ms (`stamp`, 12 hex
    digits), then the row number as a 42-bit counter, then 32 random bits. Time-ordered, so a million new
    keys append to the unique index instead of landing all over it; unique across imports by the time and
    the random bits (and the unique constraint would refuse a repeat)."""
    tail = os.urandom(4 * len(numbers)).hex()
    out = []
    for k, n in enumerate(numbers):
        out.append(f"{stamp}7{(n >> 30) & 0xFFF:03x}{8 | ((n >> 28) & 3):x}{n & 0xFFFFFFF:07x}{tail[8 * k:8 * k + 8]}")
    return out


def prepare_chunk(start: int, rows: list) -> tuple[list, list, int]:
    """Validate, protect and locate a chunk of rows. Returns (good, errors, blank):
    good: (row number, insert tuple) in file order; errors: (row number, field or header, reason, value)."""
    ctx = _ctx
    good, errors = [], []
    pending = []  # (row number, stored values)
    blank = 0
    columns, width, text_only, today, ring = ctx.columns, ctx.width, ctx.text_only, ctx.today, ctx.ring
    for number, cells in rows:
        n = len(cells)
        if text_only:
            if not any(cells) or not "".join(cells).strip():
                blank += 1
                continue
            raw = {fld: cells[i] if i < n else "" for i, fld in columns}
        else:
            if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
                blank += 1
                continue
            raw = {fld: _cell(fld, cells[i]) if i < n else "" for i, fld in columns}
            if raw.get("id_number") is not None and isinstance(raw["id_number"], float):
                errors.append((number, "id_number", _("stored by Excel as a number, which keeps only 15 digits: "
                                                      "format the column as text and enter it again"), ""))
                continue
        problem = False
        if n > width:
            for i in range(width, n):
                if cells[i] not in (None, "") and str(cells[i]).strip():
                    errors.append((number, f"#{i + 1}", _("a value in a column without a header"), ""))
                    problem = True
                    break
        values, field_errors = clean_resident(raw, today=today)
        if field_errors:
            for e in field_errors:
                errors.append((number, e.field, str(e.message), mask_value(e.field, raw.get(e.field))))
            continue
        if problem:
            continue
        pending.append((number, resident_protect(values, ring)))
    if not pending:
        return good, errors, blank

    # Grids: the one given (must exist and be in the importer's jurisdiction), else located.
    prefixes = ctx.prefixes
    lon = np.array([v.get("lon", np.nan) for _n, v in pending], dtype=float)
    lat = np.array([v.get("lat", np.nan) for _n, v in pending], dtype=float)
    has_point = np.isfinite(lon)
    if ctx.crs != "wgs84" and has_point.any():
        lon[has_point], lat[has_point] = to_wgs84(lon[has_point], lat[has_point], ctx.crs)
    need = [i for i, (_n, v) in enumerate(pending) if not v.get("grid_code") and has_point[i]]
    located = locate_many(lon[need], lat[need], "wgs84", index=ctx.index) if need else []
    found = dict(zip(need, located, strict=True))
    uids = _uids(ctx.uid_stamp, [n for n, _v in pending])
    now = ctx.now
    for i, (number, v) in enumerate(pending):
        code = v.get("grid_code")
        if code:
            if code not in ctx.grid_codes or not code.startswith(prefixes):
                errors.append((number, "grid_code", _("no grid %(c)s in your jurisdiction") % {"c": code}, code))
                continue
        elif has_point[i]:
            code = found[i]
            if code is None or not code.startswith(prefixes):
                errors.append((number, "lon", _("outside every grid of your jurisdiction"),
                               f"{v['lon']}, {v['lat']}"))
                continue
        else:
            errors.append((number, "grid_code", _("give a grid or coordinates"), ""))
            continue
        birth = v.get("birth_date")
        point = has_point[i]
        good.append((number, (
            uids[i], code, code[:4], v["name"], v["name_pinyin"], v["name_initials"], v.get("gender", ""),
            birth.isoformat() if birth else None, v["id_type"], v["id_number_enc"], v["id_number_index"],
            v["phone_enc"], v["phone_index"], v["address"], float(lon[i]) if point else None,
            float(lat[i]) if point else None, v["tags"], v["notes"], SOURCE, now, now)))
    return good, errors, blank


def _pool_worker_init() -> None:
    # Forked from the importer: Django is set up, and _ctx (keys, grid index) is inherited. A worker never
    # touches the database connection it inherited, and ends by SIGTERM (Pool.terminate), so no finaliser
    # of its copy can close the parent's connection either.
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The writer (this pool's parent) is the serial part: when the cores are busy, it must not wait for its
    # own helpers. Measured on 2 busy cores: equal priority made the writes 4x slower.
    os.nice(WORKER_NICE)


class _Preparer:
    """Chunks in, prepared chunks out, in order: inline, or over a pool with a bounded window (so a
    large file is never read ahead into memory)."""

    def __init__(self, workers: int):
        self.pool = None
        if workers > 0:
            self.pool = multiprocessing.get_context("fork").Pool(workers, initializer=_pool_worker_init)
        self.window = deque()
        self.limit = 2 * workers + 2

    def feed(self, chunks: Iterator) -> Iterator:
        if self.pool is None:
            for start, rows in chunks:
                yield prepare_chunk(start, rows)
            return
        for start, rows in chunks:
            self.window.append(self.pool.apply_async(prepare_chunk, (start, rows)))
            if len(self.window) >= self.limit:
                yield self.window.popleft().get()
        while self.window:
            yield self.window.popleft().get()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
            self.pool = None


# --- The error report -------------------------------------------------------------------------------

class _Report:
    """Keeps the first errors for the screen and streams every one into an XLSX (openpyxl write-only
    mode writes rows to a temporary file as they come, so a million errors do not stay in memory)."""

    def __init__(self, path: Path | None):
        self.path = path
        self.first: list[RowError] = []
        self.count = 0
        self.bad_rows = 0
        self._book = self._sheet = None

    def add(self, error: RowError) -> None:
        self.count += 1
        if len(self.first) < SCREEN_ERRORS:
            self.first.append(error)
        if self.path is None or self.count > REPORT_MAX_ROWS:
            return
        if self._book is None:
            from openpyxl import Workbook

            self._book = Workbook(write_only=True)
            self._sheet = self._book.create_sheet(_("Errors"))
            self._sheet.append([_("Row"), _("Column"), _("Reason"), _("Value (masked)")])
        self._sheet.append([error.row, _cell_safe(error.column), _cell_safe(error.reason), _cell_safe(error.value)])

    def save(self) -> str:
        if self._book is None:
            return ""
        if self.count > REPORT_MAX_ROWS:
            self._sheet.append(["", "", _("… and %(n)d more") % {"n": self.count - REPORT_MAX_ROWS}, ""])
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._book.save(self.path)
        return str(self.path)


# --- Writing ----------------------------------------------------------------------------------------

class _Writer:
    TABLE = Resident._meta.db_table

    def __init__(self, cursor, vendor: str):
        self.cursor, self.vendor = cursor, vendor
        cols = ", ".join(INSERT_COLUMNS)
        self.copy_sql = f"COPY {self.TABLE} ({cols}) FROM STDIN"
        self.insert_sql = f"INSERT INTO {self.TABLE} ({cols}) VALUES ({', '.join(['%s'] * len(INSERT_COLUMNS))})"
        sets = ", ".join(f"{c} = %s" for c in UPDATED)
        self.update_sql = f"UPDATE {self.TABLE} SET {sets} WHERE id = %s"
        self.has_rows: dict[str, bool] = {}

    def city_has_rows(self, city: str) -> bool:
        # Asked once per city, before this import writes there: a city with no residents yet (the usual
        # first import) needs no lookups at all. Rows this import adds are caught by its own duplicate
        # check; a concurrent import into the same city fails on the unique constraint instead.
        if city not in self.has_rows:
            self.cursor.execute(f"SELECT 1 FROM {self.TABLE} WHERE city_code = %s LIMIT 1", [city])
            self.has_rows[city] = self.cursor.fetchone() is not None
        return self.has_rows[city]

    def existing(self, city: str, indexes: list[str]) -> dict[str, tuple]:
        out = {}
        cols = "id, id_number_index, " + ", ".join(COMPARED)
        for i in range(0, len(indexes), 500):
            part = indexes[i:i + 500]
            self.cursor.execute(f"SELECT {cols} FROM {self.TABLE} WHERE city_code = %s AND id_number_index IN "
                                f"({', '.join(['%s'] * len(part))})", [city, *part])
            for row in self.cursor.fetchall():
                out[row[1]] = row
        return out

    def insert(self, rows: list[tuple]) -> None:
        if not rows:
            return
        if self.vendor == "postgresql":
            with self.cursor.cursor.copy(self.copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            self.cursor.executemany(self.insert_sql, rows)

    def update(self, rows: list[tuple]) -> None:
        if rows:
            self.cursor.executemany(self.update_sql, rows)


def _same(old: tuple, new: tuple) -> bool:
    for k, name in enumerate(COMPARED, start=2):
        a, b = old[k], new[_I[name]]
        if isinstance(a, float) or isinstance(b, float):
            if a is None or b is None or abs(a - b) > 1e-9:
                return False
        elif a != b:
            return False
    return True


# --- The import -------------------------------------------------------------------------------------

class _Rollback(Exception):
    pass


@contextlib.contextmanager
def _bulk_cache():
    """On SQLite, a page cache large enough for the resident table's indexes during the import: with the
    default 2 MB every insert into the random-keyed blind-index indexes reads and writes pages (measured:
    18,000 against 38,000 rows/s for a plain executemany). Restored afterwards."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        old = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA cache_size = {-BULK_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {old}")


def _chunks(rows: Iterator, size: int) -> Iterator[tuple[int, list]]:
    chunk = []
    for item in rows:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk[0][0], chunk
            chunk = []
    if chunk:
        yield chunk[0][0], chunk


def _job_node(actor) -> str:
    """The node a user's import is filed under: their first membership that may edit residents."""
    if not is_user(actor):
        return ""
    from epigrid.accounts.roles import ROLE_ACTIONS

    nodes = sorted(m.node_code for m in actor.memberships.all() if RESIDENTS_EDIT in ROLE_ACTIONS[m.role])
    return nodes[0] if nodes else ""


@service
def residents_import(*, actor: Actor, path, file_name: str = "", skip_invalid: bool = False, crs: str = "wgs84",
                     report_path: Path | None = None, job_id: str = "",
                     progress: Callable[[int, int], None] | None = None, workers: int | None = None) -> ImportOutcome:
    """Import residents from a CSV or XLSX file at `path` (see the module docstring for the rules).

    SYSTEM is the command line (the operator: every grid); a user needs residents.edit, and only
    grids in that jurisdiction are accepted. Returns the outcome; `written` says whether anything was
    stored. A file that cannot be read at all raises ImportFileError. Row problems go to the outcome's
    `errors` (the first 200) and, with `report_path`, to an XLSX of every one.
    """
    path = Path(path)
    if crs not in CRS_CHOICES:
        raise ServiceError(_("Unknown coordinate system."),
                           [FieldError("crs", _("must be one of %(c)s") % {"c": ", ".join(CRS_CHOICES)})])
    prefixes = user_prefixes(actor, RESIDENTS_EDIT)
    if not prefixes:
        raise PermissionDenied(_("You may not import residents."))
    table = open_table(path)
    outcome = ImportOutcome(file_name=file_name or path.name, format=table.format, encoding=table.encoding)
    report = _Report(report_path)
    try:
        columns, written = map_headers(table.headers)
        index = grid_index()
        global _ctx
        _ctx = _Context(
            columns=columns, width=len(table.headers), text_only=table.format == "csv",
            today=timezone.localdate(), crs=crs, prefixes=tuple(prefixes), grid_codes=frozenset(index.codes),
            index=index, ring=pii.keyring(), vendor=connection.vendor,
            uid_stamp=f"{int(time.time() * 1000) & 0xFFFFFFFFFFFF:012x}",
            now=timezone.now() if connection.vendor == "postgresql"
            else connection.ops.adapt_datetimefield_value(timezone.now()))
        if workers is None:
            workers = POOL_WORKERS if path.stat().st_size >= POOL_MIN_BYTES else 0
        if workers and (multiprocessing.current_process().daemon or os.name != "posix"):
            workers = 0  # a daemonic task worker may not fork children: prepare inline
        try:
            with transaction.atomic(), _bulk_cache():
                _run(table, outcome, report, written, skip_invalid, workers, progress)
                if outcome.invalid and not skip_invalid:
                    raise _Rollback
                outcome.written = True
                # One audit row for the whole import: counts, file name and job, never a personal value.
                # Per-resident audit rows are deliberately not written for a bulk import (a million rows
                # would double the write); each row carries source=import and its timestamps instead.
                audit_record(actor=actor, action="resident.import", object_type="job", object_id=job_id,
                             object_repr=outcome.file_name[:200], jurisdiction_code=_job_node(actor),
                             changes={"rows": outcome.rows, "created": outcome.created, "updated": outcome.updated,
                                      "unchanged": outcome.unchanged, "invalid": outcome.invalid,
                                      "skip_invalid": skip_invalid})
        except _Rollback:
            outcome.created = outcome.updated = outcome.unchanged = 0
        except IntegrityError:
            raise ServiceError(_("Another import added some of these residents at the same time; nothing was "
                                 "imported. Try again."), status=409) from None
    except ImportFileError as exc:
        for e in exc.rows:
            report.add(e)
        exc.report_file = report.save()
        raise
    finally:
        table.close()
        _ctx = None
    outcome.errors, outcome.error_count = report.first, report.count
    outcome.report_file = report.save()
    return outcome


def _run(table: _Table, outcome: ImportOutcome, report: _Report, written: dict, skip_invalid: bool, workers: int,
         progress) -> None:
    def header(fld: str) -> str:
        return written.get(fld) or (COLUMNS[fld][0] if fld in COLUMNS else fld)

    writer = _Writer(connection.cursor(), connection.vendor)
    seen: dict[bytes, int] = {}  # city + blind index -> row number, for duplicates inside the file
    writing = True
    preparer = _Preparer(workers)
    iid, icity = _I["id_number_index"], _I["city_code"]
    try:
        for good, errors, _blank in preparer.feed(_chunks(table.rows, CHUNK_ROWS)):
            bad: dict[int, list] = {}
            for number, fld, reason, value in errors:
                bad.setdefault(number, []).append(RowError(number, header(fld), reason, value))
            inserts, updates, by_city = [], [], {}
            for number, row in good:
                key = bytes.fromhex(row[iid]) + row[icity].encode()
                first = seen.get(key)
                if first is not None:
                    bad[number] = [RowError(number, header("id_number"), _("duplicate of row %(n)d") % {"n": first},
                                            "")]
                    continue
                seen[key] = number
                if writer.city_has_rows(row[icity]):
                    by_city.setdefault(row[icity], []).append((number, row))
                else:
                    inserts.append(row)
            for city, items in by_city.items():
                found = writer.existing(city, [r[iid] for _n, r in items])
                for number, row in items:
                    old = found.get(row[iid])
                    if old is None:
                        inserts.append(row)
                    elif not old[2].startswith(_ctx.prefixes):
                        bad[number] = [RowError(number, header("id_number"),
                                                _("already registered in another jurisdiction of this city; ask "
                                                  "them to update the record"), "")]
                    elif _same(old, row):
                        outcome.unchanged += 1
                    else:
                        updates.append(tuple(row[_I[c]] for c in UPDATED) + (old[0],))
            outcome.rows += len(good) + len({e[0] for e in errors})
            if bad:
                outcome.invalid += len(bad)
                for number in sorted(bad):
                    for e in bad[number]:
                        report.add(e)
                if not skip_invalid:
                    writing = False
            if writing:
                writer.insert(inserts)
                writer.update(updates)
                outcome.created += len(inserts)
                outcome.updated += len(updates)
            if progress is not None:
                share = table.position()
                progress(outcome.rows, max(outcome.rows, int(outcome.rows / share)) if share > 0 else outcome.rows)
    finally:
        preparer.close()
    if outcome.rows == 0 and not outcome.invalid:
        raise ImportFileError(_("The file has a header row but no data rows."), row=2)


# --- Jobs: the upload page and the API run the import as a background task -------------------------

JOB_KIND = "residents.import"


def job_dir(job_id) -> Path:
    return Path(settings.MEDIA_ROOT) / "jobs" / str(job_id)


@service
def import_job_start(*, actor: Actor, upload, skip_invalid: bool = False, crs: str = "wgs84") -> Job:
    """Store an uploaded file, file a job under the importer's node and queue the import."""
    if not is_user(actor) or not user_prefixes(actor, RESIDENTS_EDIT):
        raise PermissionDenied(_("You may not import residents."))
    if crs not in CRS_CHOICES:
        raise ServiceError(_("Unknown coordinate system."),
                           [FieldError("crs", _("must be one of %(c)s") % {"c": ", ".join(CRS_CHOICES)})])
    if upload is None:
        raise ServiceError(_("Choose a file."), [FieldError("file", _("required"))])
    if upload.size > MAX_BYTES:
        raise ServiceError(_("The file is too large."),
                           [FieldError("file", _("at most %(n)d MB; split it") % {"n": MAX_BYTES >> 20})], status=413)
    name = Path(str(upload.name or "upload")).name[:200]
    suffix = ".xlsx" if name.lower().endswith(".xlsx") else ".csv"
    job = Job.objects.create(kind=JOB_KIND, created_by=actor, jurisdiction_code=_job_node(actor),
                             params={"file_name": name, "skip_invalid": bool(skip_invalid), "crs": crs})
    folder = job_dir(job.pk)
    folder.mkdir(parents=True, exist_ok=True)
    # The upload holds ID numbers in clear: readable by the owner only, and deleted when the import ends.
    target = folder / f"upload{suffix}"
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        for part in upload.chunks():
            out.write(part)
    job.input_file = str(target.relative_to(settings.MEDIA_ROOT))
    job.save(update_fields=["input_file"])
    from epigrid.core.tasks import enqueue, job_finish

    try:
        enqueue("epigrid.residents.importing.import_job_run", str(job.pk))
    except Exception:  # the queue is unreachable: say so instead of leaving a job queued forever
        log.exception("could not queue resident import %s", job.pk)
        target.unlink(missing_ok=True)
        job_finish(job, ok=False, result={"errors": [], "error_count": 0, "written": False},
                   message=_("The import could not be started; try again later."))
        raise ServiceError(_("The import could not be started; try again later."), status=503) from None
    return job


def import_job_run(job_id: str) -> None:
    """The background task: run the import for a queued job and record its outcome on the job."""
    from epigrid.core.tasks import job_progress

    job = Job.objects.filter(pk=job_id, kind=JOB_KIND).select_related("created_by").first()
    if job is None or job.status != Job.Status.QUEUED:
        return
    job.status, job.started_at = Job.Status.RUNNING, timezone.now()
    job.save(update_fields=["status", "started_at"])
    source = Path(settings.MEDIA_ROOT) / job.input_file
    report = job_dir(job.pk) / "errors.xlsx"
    params = job.params
    result: dict = {"file_name": params.get("file_name", "")}
    try:
        if job.created_by is None or not job.created_by.is_active:
            raise PermissionDenied(_("The user who started this import no longer exists."))
        outcome = residents_import(
            actor=job.created_by, path=source, file_name=params.get("file_name", ""),
            skip_invalid=params.get("skip_invalid", False), crs=params.get("crs", "wgs84"), report_path=report,
            job_id=str(job.pk), progress=lambda done, total: job_progress(job, done=done, total=total))
    except ImportFileError as exc:
        result.update(errors=[e.as_dict() for e in exc.rows], error_count=len(exc.rows), written=False)
        _job_end(job, ok=False, result=result, message=exc.detail, report=getattr(exc, "report_file", ""))
    except ServiceError as exc:
        result.update(errors=[{"row": 0, "column": e.field, "reason": e.message, "value": ""} for e in exc.errors],
                      error_count=len(exc.errors), written=False)
        _job_end(job, ok=False, result=result, message=exc.detail, report="")
    except Exception:
        log.exception("resident import %s failed", job.pk)
        result.update(errors=[], error_count=0, written=False)
        _job_end(job, ok=False, result=result, message=_("The import failed unexpectedly; nothing was imported."),
                 report="")
    else:
        job.total = job.done = outcome.rows
        result.update(outcome.as_dict())
        if outcome.written:
            message = _("Imported: %(c)d new, %(u)d updated, %(s)d unchanged, %(i)d invalid rows skipped.") % {
                "c": outcome.created, "u": outcome.updated, "s": outcome.unchanged, "i": outcome.invalid}
        else:
            message = ngettext("%(n)d invalid row; nothing was imported.",
                               "%(n)d invalid rows; nothing was imported.", outcome.invalid) % {"n": outcome.invalid}
        _job_end(job, ok=outcome.written, result=result, message=message, report=outcome.report_file)
    finally:
        source.unlink(missing_ok=True)


def _job_end(job: Job, *, ok: bool, result: dict, message: str, report: str) -> None:
    from epigrid.core.tasks import job_finish

    job.report_file = str(Path(report).relative_to(settings.MEDIA_ROOT)) if report else ""
    job.save(update_fields=["report_file"])
    job_finish(job, ok=ok, result=result, message=message)


def import_job_get(*, user, job_id) -> Job:
    """A resident import job the user may see (residents.edit over the node it is filed under), with its
    live progress; anything else, including a malformed id, is NotFound."""
    import uuid

    from epigrid.core.errors import NotFound
    from epigrid.core.tasks import job_state

    try:
        pk = uuid.UUID(str(job_id))
    except ValueError:
        raise NotFound(_("No such import.")) from None
    job = Job.objects.restrict(user, RESIDENTS_EDIT).filter(pk=pk, kind=JOB_KIND).first()
    if job is None:
        raise NotFound(_("No such import."))
    return job_state(job)


def import_jobs_recent(*, user, limit: int = 20) -> list[Job]:
    return list(Job.objects.restrict(user, RESIDENTS_EDIT).filter(kind=JOB_KIND).order_by("-created_at")[:limit])


def import_report_path(job: Job) -> Path | None:
    """The error report of a job (already scope-checked by import_job_get), if it has one on disk."""
    if not job.report_file:
        return None
    root = (Path(settings.MEDIA_ROOT) / "jobs").resolve()
    path = (Path(settings.MEDIA_ROOT) / job.report_file).resolve()
    return path if path.is_relative_to(root) and path.is_file() else None
