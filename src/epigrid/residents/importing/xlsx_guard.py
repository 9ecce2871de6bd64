"""Refuse XLSX bombs before openpyxl opens them (security review, issue 7 point 8).

An XLSX is a zip of XML. Measured before this check: a 311 KB file took the worker to 940 MB, and one
declaring 16,384 columns to 1.43 GB (openpyxl's read-only mode pads every row to the declared width, and
loads the whole shared-string table into memory). So, from the zip's directory and a streaming look at two
parts, without building anything large:

- the uncompressed size of every member and of the whole (zipfile never inflates a member past the size
  its directory declares, so the declared sizes bound what openpyxl can read);
- the shared strings: how many, and how long each (a cell holds at most 32,767 characters in Excel);
- the first sheet's declared dimension: columns and rows;
- while reading, a row wider than the column cap (a sheet may declare no dimension at all).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree
from xml.parsers import expat

from django.utils.translation import gettext as _

from .common import ImportFileError

MAX_RATIO = 50  # uncompressed / file size: spreadsheets of residents compress 4-10x; bombs 1,000x
MIN_UNCOMPRESSED = 64 << 20  # what a small file may unpack to whatever its ratio
MAX_MEMBER_FLOOR = 16 << 20
MAX_COLUMNS = 200  # the template has 10; room for a sheet's own extra columns
MAX_ROWS = 1_048_576  # Excel's own limit
MAX_STRING = 32_767  # Excel's limit for one cell
MIN_STRINGS = 200_000  # shared strings any file may hold; more only as the file's size allows
BYTES_PER_STRING = 4  # a string a person typed costs at least this much compressed
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]{1,3})(\d+)(?::([A-Z]{1,3})(\d+))?\"")
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"

BOMB = _("This XLSX file is not an ordinary spreadsheet (%(why)s), so it was not read. Save it again from "
         "your spreadsheet program (or as CSV) and upload that.")


def _refuse(why: str) -> ImportFileError:
    return ImportFileError(BOMB % {"why": why})


def column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def check_xlsx(path: Path) -> None:
    """Raise ImportFileError naming the problem if the workbook at `path` would unpack or pad beyond the
    caps above. A zip that cannot be read is left for openpyxl to report as damaged."""
    size = max(1, path.stat().st_size)
    try:
        book = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return
    with book:
        infos = book.infolist()
        total_cap = max(MIN_UNCOMPRESSED, MAX_RATIO * size)
        member_cap = max(MAX_MEMBER_FLOOR, MAX_RATIO * size)
        total = sum(i.file_size for i in infos)
        if total > total_cap:
            raise _refuse(_("it unpacks to %(n)d MB, more than %(r)d times its size") %
                          {"n": total >> 20, "r": MAX_RATIO})
        for info in infos:
            if info.file_size > member_cap:
                raise _refuse(_("its part %(p)s unpacks to %(n)d MB from %(c)d KB") %
                              {"p": info.filename[:80], "n": info.file_size >> 20, "c": info.compress_size >> 10})
        names = {i.filename for i in infos}
        if "xl/sharedStrings.xml" in names:
            _check_strings(book, max(MIN_STRINGS, size // BYTES_PER_STRING))
        sheet = _first_sheet(book, names)
        if sheet:
            _check_dimension(book, sheet)


def _check_strings(book: zipfile.ZipFile, cap: int) -> None:
    """Count the shared strings and measure each, streaming (expat hands text over in pieces, so one huge
    string is never held whole). The declared count is checked first: it costs nothing."""
    state = {"count": 0, "length": 0, "depth": 0}

    def start(name, attrs):
        local = name.rpartition("}")[2].rpartition(":")[2]
        if local == "sst":
            declared = max(_int(attrs.get("uniqueCount")), 0)
            if declared > cap:
                raise _refuse(_("it declares %(n)d shared strings; at most %(m)d for a file this size") %
                              {"n": declared, "m": cap})
        elif local == "si":
            state["count"] += 1
            state["length"] = 0
            if state["count"] > cap:
                raise _refuse(_("it holds more than %(m)d shared strings for a file this size") % {"m": cap})

    def text(data):
        state["length"] += len(data)
        if state["length"] > MAX_STRING:
            raise _refuse(_("a shared string is longer than %(m)d characters, the most a cell holds") %
                          {"m": MAX_STRING})

    parser = expat.ParserCreate()
    parser.buffer_text = False
    parser.StartElementHandler = start
    parser.CharacterDataHandler = text

    def no_doctype(*_args):  # entities are the classic XML bomb; no spreadsheet part declares any
        raise _refuse(_("a part declares a DTD"))

    parser.StartDoctypeDeclHandler = no_doctype
    try:
        with book.open("xl/sharedStrings.xml") as part:
            while chunk := part.read(1 << 16):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except ImportFileError:
        raise
    except (expat.ExpatError, zipfile.BadZipFile, OSError, EOFError, ValueError):
        return  # damaged: openpyxl says so


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _first_sheet(book: zipfile.ZipFile, names: set[str]) -> str:
    """The part of the workbook's first sheet (the one the import reads), from workbook.xml and its rels."""
    try:
        workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
        first = workbook.find(f"{_MAIN}sheets/{_MAIN}sheet")
        rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError, zipfile.BadZipFile, OSError, EOFError, ValueError):
        return ""
    if first is None:
        return ""
    for rel in rels:
        if rel.get("Id") == first.get(_REL):
            target = rel.get("Target", "")
            part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
            return part if part in names else ""
    return ""


def _check_dimension(book: zipfile.ZipFile, part: str) -> None:
    try:
        with book.open(part) as sheet:
            head = sheet.read(1 << 16)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return
    found = _DIMENSION.search(head)
    if not found:
        return
    last_col = (found.group(3) or found.group(1)).decode()
    last_row = int(found.group(4) or found.group(2))
    if column_number(last_col) > MAX_COLUMNS:
        raise _refuse(_("its sheet declares %(n)d columns (up to %(c)s); at most %(m)d are read") %
                      {"n": column_number(last_col), "c": last_col, "m": MAX_COLUMNS})
    if last_row > MAX_ROWS:
        raise _refuse(_("its sheet declares %(n)d rows; a sheet has at most %(m)d") % {"n": last_row, "m": MAX_ROWS})


def check_width(cells, row: int) -> None:
    """A row wider than the column cap (possible without a declared dimension): refused, naming the row."""
    if len(cells) <= MAX_COLUMNS:
        return
    last = max((i for i, c in enumerate(cells) if c is not None and c != ""), default=-1)
    if last >= MAX_COLUMNS:
        exc = _refuse(_("row %(r)d has a value in column %(c)d; at most %(m)d columns are read") %
                      {"r": row, "c": last + 1, "m": MAX_COLUMNS})
        exc.rows[0].row = row
        raise exc
