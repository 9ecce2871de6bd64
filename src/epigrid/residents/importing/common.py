"""The import's shared vocabulary: the accepted columns and their other names (the one table of them),
limits, the row error, the outcome, and how a cell is shown: masked on the screen, as uploaded (made
safe for a spreadsheet) in the error report."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from epigrid.core import pii
from epigrid.core.errors import FieldError, ServiceError
from epigrid.core.exports import safe_cell

from ..models import Source

# Field -> accepted headers: the one table of synonyms. The import, the template and its notes sheet, the
# upload page and the API's documentation all read it. The first header is the one the template uses and
# messages name when the file has no such column. Headers match after `header_key`: case, spaces (also
# full-width ones), "_" and "-", a "*" or "(必填)" marking a required column do not matter.
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "名字", "居民姓名", "name", "full name"),
    "id_type": ("证件类型", "证件种类", "id_type"),
    "id_number": ("证件号码", "身份证号", "身份证号码", "公民身份号码", "身份证", "证件号", "id_number"),
    "phone": ("手机号", "手机号码", "联系电话", "电话", "联系方式", "手机", "电话号码", "phone", "mobile"),
    "address": ("住址", "现住址", "居住地址", "家庭住址", "现居住地址", "地址", "address"),
    "lon": ("经度", "lon", "lng", "longitude"),
    "lat": ("纬度", "lat", "latitude"),
    "grid_code": ("网格编码", "网格代码", "网格编号", "grid_code"),
    "tags": ("标签", "人员标签", "tags"),
    "notes": ("备注", "备注信息", "notes", "remarks"),
}
SOURCE = str(Source.IMPORT.value)  # a plain str: rows cross a process boundary and go to executemany
# Marks around a header that say the column is required or optional; they do not change its meaning.
_HEADER_MARKS = ("(必填)", "(必填项)", "(选填)", "(可选)", "[必填]", "【必填】", "【选填】", "*", ":")


def header_key(value) -> str:
    """What a header is compared by: NFKC (full-width letters, spaces and brackets become plain ones),
    without spaces, "_" or "-", case-folded, without the marks above at either end."""
    text = unicodedata.normalize("NFKC", "" if value is None else str(value)).replace("\ufeff", "")
    key = "".join(text.split()).replace("_", "").replace("-", "").casefold()
    trimmed = None
    while trimmed != key:
        trimmed = key
        for mark in _HEADER_MARKS:
            key = key.removeprefix(mark).removesuffix(mark)
    return key


def _header_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for fld, headers in COLUMNS.items():
        for header in headers:
            key = header_key(header)
            if table.setdefault(key, fld) != fld:
                raise ImproperlyConfigured(f"the header {header!r} means both {table[key]} and {fld}")
    return table


_HEADER_FIELD = _header_table()
REQUIRED = ("name", "id_number")  # and grid_code, or lon and lat
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
# A file this large (about 80,000 rows) into an empty resident table builds these indexes after the load
# (run._indexes_built_after). Not uid's (time-ordered uids append to it) nor duplicate_of's (partial:
# an import into an empty table adds nothing to it).
DEFER_MIN_BYTES = 8 << 20
DEFERRED = ("resident_grid", "resident_phone", "resident_unique_id_per_city")

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
    ignored_columns: list[str] = field(default_factory=list)  # headers the import does not know, as written

    def as_dict(self) -> dict:
        return {"file_name": self.file_name, "format": self.format, "encoding": self.encoding, "rows": self.rows,
                "created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "invalid": self.invalid, "error_count": self.error_count, "written": self.written,
                "errors": [e.as_dict() for e in self.errors], "ignored_columns": self.ignored_columns}



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


def report_cell(value):
    """A cell of the uploaded file as the error report holds it: text without the characters an XLSX cannot
    hold, cut to what a cell holds, formulas neutralised; numbers and dates as they were."""
    if isinstance(value, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        return safe_cell(ILLEGAL_CHARACTERS_RE.sub("", value[:32_000]))
    return value

