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
