"""Reading an uploaded file: sniff the format and encoding, open CSV or XLSX as a stream of rows, map
the header row to fields."""

from __future__ import annotations

import codecs
import csv
import io
import logging
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .common import (
    _HEADER_FIELD,
    COLUMNS,
    MAX_BYTES,
    REQUIRED,
    SNIFF_BYTES,
    ImportFileError,
    RowError,
    _cell_safe,
    header_key,
)
from .xlsx_guard import check_width, check_xlsx

log = logging.getLogger(__name__)


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
    check_xlsx(path)  # bombs: refused before openpyxl inflates or pads anything
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        sheet = book.worksheets[0]
        it = sheet.iter_rows(values_only=True)
        headers = next(it, None)
        if headers is not None:
            check_width(headers, 1)
    except ImportFileError:
        book.close()
        raise
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
                check_width(cells, number)
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


@dataclass
class HeaderMap:
    columns: list[tuple[int, str]]  # (column index, field), in file order
    written: dict[str, str]  # field -> header as written
    ignored: list[str]  # headers the import does not know, as written (made safe for a spreadsheet)


def map_headers(headers: list) -> HeaderMap:
    """Which column holds which field, decided once per file from the header row (through the one table
    of synonyms, common.COLUMNS). A column the import does not know is ignored (and listed); a missing
    required column, or two columns for one field, raise ImportFileError (row 1) naming them."""
    columns, written, ignored, problems = [], {}, [], []
    if not any(_header_text(h) for h in headers):
        raise ImportFileError(_("Row 1 is empty: it must hold the column headers (%(c)s).")
                              % {"c": "、".join(h[0] for h in COLUMNS.values())}, row=1)
    for i, raw in enumerate(headers):
        text = _header_text(raw)
        if not text:
            continue  # an unnamed column (Excel's trailing empty columns)
        fld = _HEADER_FIELD.get(header_key(text))
        if fld is None:
            ignored.append(_cell_safe(text)[:100])
        elif fld in written:
            problems.append(RowError(1, _cell_safe(text)[:100], _(
                "“%(a)s” and “%(b)s” are the same column (%(c)s): keep one of them") % {
                    "a": _cell_safe(written[fld])[:100], "b": _cell_safe(text)[:100], "c": COLUMNS[fld][0]}))
        else:
            columns.append((i, fld))
            written[fld] = text
    missing = [COLUMNS[f][0] for f in REQUIRED if f not in written]
    if "grid_code" not in written and not ("lon" in written and "lat" in written):
        missing.append(_("%(grid)s, or %(lon)s and %(lat)s") % {"grid": COLUMNS["grid_code"][0],
                                                               "lon": COLUMNS["lon"][0], "lat": COLUMNS["lat"][0]})
    for m in missing:
        problems.append(RowError(1, m, _("required column missing")))
    if problems:
        # The columns it did not know are often the missing ones under another name: say so.
        problems += [RowError(1, h, _("unknown column (ignored)")) for h in ignored]
        accepted = "、".join(h[0] for h in COLUMNS.values())
        exc = ImportFileError(ngettext("%(n)d problem with the header row; the columns are: %(c)s.",
                                       "%(n)d problems with the header row; the columns are: %(c)s.",
                                       len(problems) - len(ignored)) % {"n": len(problems) - len(ignored),
                                                                        "c": accepted}, row=1)
        exc.rows = problems
        raise exc
    return HeaderMap(columns, written, ignored)
