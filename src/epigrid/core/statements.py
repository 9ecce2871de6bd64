"""INSERT statements for the hot write paths (a check-in and its audit row), built once per model from
its metadata and sent as written SQL. Compiling the same ORM insert on every request cost more CPU than
the database spent running it (docs/performance.md has the profile); the values still go through each
field's own pre_save and get_db_prep_save, as the ORM would send them."""

from collections.abc import Iterable
from functools import cache

from django.db import connection
from django.db.models import Model


@cache
def _insert_sql(model: type[Model], vendor: str, conflict_nothing: bool) -> tuple[str, tuple]:
    meta = model._meta
    fields = tuple(f for f in meta.concrete_fields if not f.primary_key)
    q = connection.ops.quote_name
    sql = (f"INSERT INTO {q(meta.db_table)} ({', '.join(q(f.column) for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    if conflict_nothing:
        # SQLite 3.35+ and PostgreSQL: one statement both stores a new row and detects a clash.
        sql += f" ON CONFLICT DO NOTHING RETURNING {q(meta.pk.column)}"
    return sql, fields


def _values(fields: tuple, obj: Model) -> list:
    return [f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields]


def insert_or_nothing(obj: Model) -> int | None:
    """INSERT ... ON CONFLICT DO NOTHING: the new row's id, or None when a unique constraint held."""
    sql, fields = _insert_sql(type(obj), connection.vendor, True)
    with connection.cursor() as cursor:
        cursor.execute(sql, _values(fields, obj))
        row = cursor.fetchone()
    return row[0] if row else None


def insert_many(objs: Iterable[Model]) -> None:
    """Rows of one model in one executemany, for callers that need no ids back (the audit log)."""
    objs = list(objs)
    if not objs:
        return
    sql, fields = _insert_sql(type(objs[0]), connection.vendor, False)
    with connection.cursor() as cursor:
        if len(objs) == 1:  # psycopg's executemany enters pipeline mode: two more round trips for one row
            cursor.execute(sql, _values(fields, objs[0]))
        else:
            cursor.executemany(sql, [_values(fields, obj) for obj in objs])


@cache
def _insert_with_audit_sql(model: type[Model]) -> tuple[str, tuple, tuple]:
    from .models import AuditEvent

    row_sql, row_fields = _insert_sql(model, "postgresql", True)
    audit_sql, audit_fields = _insert_sql(AuditEvent, "postgresql", False)
    q = connection.ops.quote_name
    select = ", ".join("CAST(c.id AS varchar)" if f.name == "object_id" else "%s" for f in audit_fields)
    sql = (f"WITH c AS ({row_sql}) INSERT INTO {q(AuditEvent._meta.db_table)} "
           f"({', '.join(q(f.column) for f in audit_fields)}) SELECT {select} FROM c RETURNING {q('object_id')}")
    return sql, row_fields, tuple(f for f in audit_fields if f.name != "object_id")


def insert_with_audit(obj: Model, event) -> int | None:
    """PostgreSQL only: the row (INSERT ... ON CONFLICT DO NOTHING) and its audit `event`, whose object_id
    becomes the new row's id, in one statement (a data-modifying WITH, which SQLite lacks). One statement
    is atomic by itself: no BEGIN and COMMIT round trips, one statement for the server to run instead of
    two (measured in-process: a check-in's wall time 2.8-3.1 -> 1.6-1.9 ms). The new id, or None when a
    unique constraint held: then nothing was written, the audit row neither."""
    sql, row_fields, audit_fields = _insert_with_audit_sql(type(obj))
    with connection.cursor() as cursor:
        cursor.execute(sql, _values(row_fields, obj) + _values(audit_fields, event))
        row = cursor.fetchone()
    return int(row[0]) if row else None
