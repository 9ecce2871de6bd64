"""Many rows in one statement: on PostgreSQL one INSERT or UPDATE over unnest()ed arrays (executemany
still sends one statement per row: 20,000 rows took seconds), elsewhere executemany (SQLite runs it
in-process, where that is already fast). Columns are given with their PostgreSQL types."""

from django.db import connection


def _arrays(rows: list[tuple], count: int) -> list[list]:
    return [[row[i] for row in rows] for i in range(count)]


def _unnest(columns: list[tuple[str, str]]) -> str:
    arrays = ", ".join(f"%s::{kind}[]" for _name, kind in columns)
    names = ", ".join(name for name, _kind in columns)
    return f"unnest({arrays}) AS v({names})"


def insert_rows(table: str, columns: list[tuple[str, str]], rows: list[tuple], *, conflict_nothing=False) -> None:
    if not rows:
        return
    q = connection.ops.quote_name
    names = ", ".join(q(name) for name, _kind in columns)
    tail = " ON CONFLICT DO NOTHING" if conflict_nothing else ""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"INSERT INTO {q(table)} ({names}) SELECT * FROM {_unnest(columns)}{tail}",
                           _arrays(rows, len(columns)))
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {q(table)} ({names}) VALUES ({marks}){tail}", rows)


def update_rows(table: str, columns: list[tuple[str, str]], rows: list[tuple]) -> None:
    """Rows of (values..., id): SET each column WHERE id matches."""
    if not rows:
        return
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sets = ", ".join(f"{q(name)} = v.{name}" for name, _kind in columns)
            cursor.execute(f"UPDATE {q(table)} AS t SET {sets} FROM {_unnest([*columns, ('id', 'bigint')])} "
                           f"WHERE t.id = v.id", _arrays(rows, len(columns) + 1))
        else:
            sets = ", ".join(f"{q(name)} = %s" for name, _kind in columns)
            cursor.executemany(f"UPDATE {q(table)} SET {sets} WHERE id = %s", rows)
