"""The import itself: `residents_import` reads, prepares and writes a file in one transaction."""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from epigrid.accounts.roles import RESIDENTS_EDIT
from epigrid.core import pii
from epigrid.core.audit import audit_record
from epigrid.core.errors import FieldError, PermissionDenied, ServiceError
from epigrid.core.geo import CRS_CHOICES
from epigrid.core.principals import Actor, is_user, service
from epigrid.core.scoping import user_prefixes
from epigrid.regions.locate import grid_index

from ..models import Resident, ResidentMatch, Source
from . import rows as _rows
from .common import (
    _I,
    BULK_CACHE_KIB,
    CHUNK_ROWS,
    COLUMNS,
    DEFER_MIN_BYTES,
    DEFERRED,
    POOL_MIN_BYTES,
    POOL_WORKERS,
    UPDATED,
    ImportFileError,
    ImportOutcome,
    RowError,
)
from .reading import _Table, map_headers, open_table
from .rows import _Context, _Preparer
from .writing import _Report, _same, _Writer


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


@contextlib.contextmanager
def _gc_paused():
    """No cyclic garbage collection during the import: every collection walks the young objects, and a
    million rows are millions of them (measured: a fifth of the preparing time), while the import makes
    no reference cycles of its own (reference counting frees its rows as before)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextlib.contextmanager
def _indexes_built_after(load: bool):
    """With `load`, the resident table's secondary indexes are dropped before the rows go in and built
    again after (sorting a million keys once instead of inserting each into three B-trees), all inside
    the import's transaction: DDL is transactional on SQLite and PostgreSQL, so an import that fails or
    is rolled back leaves them as they were. On PostgreSQL the dropped indexes lock the table until the
    commit (readers wait): what a first load into an empty table can afford."""
    if not load:
        yield
        return
    table = Resident._meta.db_table
    with connection.cursor() as cursor:
        # Each index as the database has it (what the migrations made), to build it again the same way.
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexname = ANY(%s)",
                           [table, list(DEFERRED)])
        else:
            cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                           f"AND name IN ({', '.join(['%s'] * len(DEFERRED))})", [table, *DEFERRED])
        definitions = [row[0] for row in cursor.fetchall()]
        for name in DEFERRED:
            cursor.execute(f'DROP INDEX "{name}"')
    yield
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # PostgreSQL builds no index on a table with checks still queued (the deferred foreign keys of
            # the rows just written): run them now, as the commit would have.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for sql in definitions:
            cursor.execute(sql)


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
    report = _Report(report_path, table.headers)
    try:
        mapped = map_headers(table.headers)  # once per file: the rows below only follow its column list
        outcome.ignored_columns = mapped.ignored
        index = grid_index()
        # In the rows module, where prepare_chunk reads it (and a forked pool inherits it).
        _rows._ctx = _Context(
            columns=mapped.columns, width=len(table.headers), text_only=table.format == "csv",
            today=timezone.localdate(), crs=crs, prefixes=tuple(prefixes), grid_codes=frozenset(index.codes),
            index=index, ring=pii.keyring(), vendor=connection.vendor,
            now=timezone.now() if connection.vendor == "postgresql"
            else connection.ops.adapt_datetimefield_value(timezone.now()))
        if workers is None:
            workers = POOL_WORKERS if path.stat().st_size >= POOL_MIN_BYTES else 0
        if workers and (multiprocessing.current_process().daemon or os.name != "posix"):
            workers = 0  # a daemonic task worker may not fork children: prepare inline
        try:
            with transaction.atomic(), _bulk_cache(), _gc_paused():
                # A large first load into an empty table builds its indexes after the rows are in.
                first_load = path.stat().st_size >= DEFER_MIN_BYTES and not Resident.objects.exists()
                with _indexes_built_after(first_load):
                    _run(actor, table, outcome, report, mapped.written, skip_invalid, workers, progress,
                         first_load)
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
        _rows._ctx = None
    outcome.errors, outcome.error_count = report.first, report.count
    outcome.report_file = report.save()
    return outcome


def _compare(old: tuple, row: tuple, outcome: ImportOutcome, updates: list) -> None:
    """A record the importer may edit: unchanged, or queued for an update."""
    if _same(old, row):
        outcome.unchanged += 1
    else:
        updates.append(tuple(row[_I[c]] for c in UPDATED) + (old[0],))


def _claim_all(actor: Actor, beside: list[tuple[tuple, tuple]]) -> None:
    """File a match with each holder's jurisdiction for the records just stored beside them, as
    services._claim does for one registration (audited there, under the holder's grid)."""
    uids = {uuid.UUID(str(row[_I["uid"]])): (row, old) for row, old in beside}  # a UUID on PostgreSQL
    ids = dict(Resident.objects.filter(uid__in=list(uids)).values_list("uid", "id"))
    matches = [ResidentMatch(record_id=ids[u], existing_id=old[0], grid_code=old[2], to_grid_code=row[_I["grid_code"]],
                             source=Source.IMPORT) for u, (row, old) in uids.items()]
    ResidentMatch.objects.bulk_create(matches)
    for match in matches:
        audit_record(actor=actor, action="resident_match.request", object_type="resident_match",
                     object_id=match.uid, jurisdiction_code=match.grid_code,
                     changes={"registered_in": match.to_grid_code, "source": str(Source.IMPORT.value)})


def _run(actor: Actor, table: _Table, outcome: ImportOutcome, report: _Report, written: dict, skip_invalid: bool,
         workers: int, progress, empty: bool) -> None:
    def header(fld: str) -> str:
        return written.get(fld) or (COLUMNS[fld][0] if fld in COLUMNS else fld)

    writer = _Writer(connection.cursor(), connection.vendor, empty=empty)
    seen: dict[bytes, int] = {}  # city + blind index -> row number, for duplicates inside the file
    writing = True
    preparer = _Preparer(workers)
    iid, icity = _I["id_number_index"], _I["city_code"]
    prefixes = _rows._ctx.prefixes
    try:
        for chunk, (good, errors, _blank) in preparer.feed(_chunks(table.rows, CHUNK_ROWS)):
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
            beside = []  # (insert row, holder row): held out of the importer's reach
            for city, items in by_city.items():
                found = writer.existing(city, [r[iid] for _n, r in items])
                foreign = []
                for _number, row in items:
                    old = found.get(row[iid])
                    if old is None:
                        inserts.append(row)
                    elif not old[2].startswith(prefixes):
                        foreign.append((row, old))
                    else:
                        _compare(old, row, outcome, updates)
                # A number held in another jurisdiction: answered exactly as a new person (no error, no
                # "already registered": that would tell the importer the person exists elsewhere). Stored
                # beside that record, or, when this importer already did so, that record of theirs updated.
                mine = writer.own_duplicates([old[0] for _r, old in foreign], prefixes) if foreign else {}
                for row, old in foreign:
                    own = mine.get(old[0])
                    if own is None:
                        beside.append((row, old))
                    else:
                        _compare(own, row, outcome, updates)
            outcome.rows += len(good) + len({e[0] for e in errors})
            if bad:
                outcome.invalid += len(bad)
                cells = {number: row for number, row in chunk if number in bad}
                for number in sorted(bad):
                    report.add_row(number, cells.get(number, ()), bad[number])
                    for e in bad[number]:
                        report.add(e)
                if not skip_invalid:
                    writing = False
            if writing:
                writer.insert(inserts)
                writer.update(updates)
                if beside:
                    writer.insert_beside([(row, old[0]) for row, old in beside])
                    _claim_all(actor, beside)
                outcome.created += len(inserts) + len(beside)
                outcome.updated += len(updates)
            if progress is not None:
                share = table.position()
                progress(outcome.rows, max(outcome.rows, int(outcome.rows / share)) if share > 0 else outcome.rows)
    finally:
        preparer.close()
    if outcome.rows == 0 and not outcome.invalid:
        raise ImportFileError(_("The file has a header row but no data rows."), row=2)


