"""Raw writes for the bulk import (DESIGN.md: executemany on SQLite, binary COPY on PostgreSQL), with
primary keys taken up front so that rows can point at each other before they are written: a block of
the table's sequence on PostgreSQL, the next ids on SQLite (whose IMMEDIATE transaction holds the write
lock from its start, so no one else takes them)."""

from __future__ import annotations

import datetime as dt
import re

from django.db import connection
from django.db.models import Model

_PG_TYPES = {"bigint": "int8", "integer": "int4", "smallint": "int2", "boolean": "bool", "date": "date",
             "uuid": "uuid", "double precision": "float8", "text": "text"}


def _pg_type(field) -> str:
    db_type = field.target_field.db_type(connection) if field.is_relation else field.db_type(connection)
    db_type = db_type.split(" CHECK")[0].strip()
    if db_type.startswith("timestamp with time zone"):
        return "timestamptz"
    if db_type.startswith("varchar"):
        return "text"
    return _PG_TYPES[db_type]


def allocate_ids(model: type[Model], n: int) -> list[int]:
    if n <= 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, n])
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f'SELECT max(id) FROM "{table}"')
        top = cursor.fetchone()[0] or 0
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        top = max(top, row[0] if row else 0)
    return list(range(top + 1, top + 1 + n))


def adapters():
    """(date, datetime, uuid) -> what a raw statement takes: the value itself for PostgreSQL's binary COPY;
    for SQLite the text Django would store, each distinct date and time adapted once (a file holds few)."""
    if connection.vendor == "postgresql":
        same = lambda v: v  # noqa: E731
        return same, same, same
    ops, memo = connection.ops, {}

    def date(value):
        if value is None or isinstance(value, str):
            return value
        got = memo.get(value)
        if got is None:
            got = memo[value] = ops.adapt_datefield_value(value) if type(value) is dt.date \
                else ops.adapt_datetimefield_value(value)
        return got

    return date, date, lambda v: v if v is None or isinstance(v, str) else v.hex


class Table:
    """Insert rows of `model` given as tuples in the order of `columns` (attribute names: "contact_id"),
    their dates, times and uuids already adapted (adapters())."""

    def __init__(self, model: type[Model], columns: tuple[str, ...], *, table: str = ""):
        self.model = model
        fields = {f.attname: f for f in model._meta.concrete_fields}
        self.fields = [fields[c] for c in columns]
        names = ", ".join(connection.ops.quote_name(f.column) for f in self.fields)
        table = connection.ops.quote_name(table or model._meta.db_table)
        self.copy_sql = f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)"
        self.insert_sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(self.fields))})"
        self.pg = connection.vendor == "postgresql"
        if self.pg:
            self.types = [_pg_type(f) for f in self.fields]

    def insert(self, rows: list[tuple]) -> None:
        if not rows:
            return
        with connection.cursor() as cursor:
            if self.pg:
                with cursor.cursor.copy(self.copy_sql) as copy:
                    copy.set_types(self.types)
                    for row in rows:
                        copy.write_row(row)
                return
            cursor.executemany(self.insert_sql, rows)


def update_many(model: type[Model], columns: tuple[str, ...], rows: list[tuple]) -> None:
    """UPDATE ... SET columns WHERE id = the last value of each row."""
    if not rows:
        return
    fields = {f.attname: f for f in model._meta.concrete_fields}
    sets = ", ".join(f"{connection.ops.quote_name(fields[c].column)} = %s" for c in columns)
    sql = f"UPDATE {connection.ops.quote_name(model._meta.db_table)} SET {sets} WHERE id = %s"
    if connection.vendor == "sqlite":
        ops = connection.ops
        adapt = {"DateField": ops.adapt_datefield_value, "DateTimeField": ops.adapt_datetimefield_value}
        kinds = [adapt.get(fields[c].get_internal_type()) for c in columns]
        rows = [tuple(fn(v) if fn and v is not None else v for fn, v in zip(kinds, row[:-1], strict=True)) + (row[-1],)
                for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def select_in(sql: str, values, params: tuple = (), chunk: int = 5000) -> list[tuple]:
    """Rows of `sql` for many values: its `column IN ({in})` holds them (given after `params`). A raw
    statement, since the ORM prepares each value of a long IN list one by one; in chunks on SQLite, one
    array (`column = ANY(%s)`) on PostgreSQL, which would otherwise parse and plan thousands of
    parameters per statement."""
    values = sorted(set(values))
    out = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            query = re.sub(r"(\w+) IN \(\{in\}\)", r"\1 = ANY(%s)", sql)
            for start in range(0, len(values), 100_000):
                cursor.execute(query, [*params, values[start:start + 100_000]])
                out += cursor.fetchall()
            return out
        for start in range(0, len(values), chunk):
            part = values[start:start + chunk]
            cursor.execute(sql.format(**{"in": ", ".join(["%s"] * len(part))}), [*params, *part])
            out += cursor.fetchall()
    return out


def as_date(value):
    """A date read by a raw statement (SQLite gives its text)."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value
