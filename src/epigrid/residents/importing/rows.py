"""Preparing rows, in this process or in a pool worker: validate, protect (encrypt, blind index) and
locate a chunk of rows into insert tuples, or errors."""

from __future__ import annotations

import math
import multiprocessing
import os
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from django.utils.translation import gettext as _

from epigrid.core import pii
from epigrid.core.geo import to_wgs84
from epigrid.core.ids import uuid7, uuid7_hex
from epigrid.regions.locate import locate_many

from ..services import resident_protect
from ..validation import clean_resident
from .common import SOURCE, WORKER_NICE, mask_value


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
    now = ctx.now
    # PostgreSQL's binary COPY (writing.COPY_TYPES) takes a UUID and a date; SQLite stores their text.
    binary = ctx.vendor == "postgresql"
    new_uid = uuid7 if binary else uuid7_hex
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
            new_uid(), code, code[:4], v["name"], v["name_pinyin"], v["name_initials"], v.get("gender", ""),
            birth if binary or birth is None else birth.isoformat(), v["id_type"], v["id_number_enc"], v["id_number_index"],
            v["phone_enc"], v["phone_index"], v["address"], float(lon[i]) if point else None,
            float(lat[i]) if point else None, v["tags"], v["notes"], SOURCE, now, now)))
    return good, errors, blank


def _pool_worker_init() -> None:
    # Forked from the importer: Django is set up, and _ctx (keys, grid index) is inherited. A worker never
    # touches the database connection it inherited, and ends by SIGTERM (Pool.terminate), so no finaliser
    # of its copy can close the parent's connection either.
    import gc
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # It only prepares rows, which make no reference cycles: a cyclic collection would only walk the rows
    # on their way out (a fifth of the preparing time), and the worker ends with the import.
    gc.disable()
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
        """(the chunk's rows as read, prepare_chunk's answer) for each chunk, in order: the rows stay at
        hand for the error report, which holds the original cells of a bad row."""
        if self.pool is None:
            for start, rows in chunks:
                yield rows, prepare_chunk(start, rows)
            return
        for start, rows in chunks:
            self.window.append((rows, self.pool.apply_async(prepare_chunk, (start, rows))))
            if len(self.window) >= self.limit:
                rows, answer = self.window.popleft()
                yield rows, answer.get()
        while self.window:
            rows, answer = self.window.popleft()
            yield rows, answer.get()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
            self.pool = None


