"""Every index on the resident table, and the query of the app that needs it: the real query (captured as
the app sends it) is shown to the database's planner, whose plan must name the index. An index that no
query needs costs every insert (a million-row import pays for each one), so none is kept without a test
here, and `test_no_index_without_a_query` fails when one is added without one.

PostgreSQL plans with sequential scans off (a test table is small enough to read whole), over a table
filled by the real import and analysed; SQLite plans without statistics, as a new database does."""

import re

import pytest
from django.db import connection
from django.test import Client

from epigrid.core.principals import SYSTEM
from epigrid.residents.importing import residents_import
from epigrid.residents.models import Resident
from epigrid.residents.selectors import resident_get
from epigrid.residents.services import resident_create, residents_lookup

from .conftest import id_number
from .test_import import csv_bytes, person

TABLE = Resident._meta.db_table
UID_INDEX = {"postgresql": f"{TABLE}_uid_key", "sqlite": f"sqlite_autoindex_{TABLE}_1"}  # uid's unique=True
# Index -> the test below that shows its query using it.
SHOWN = {
    "resident_grid": "test_the_list_and_every_scoped_read_use_the_grid_index",
    "resident_unique_id_per_city": "test_id_number_look_ups_use_the_unique_constraint_s_index",
    "resident_phone": "test_the_phone_look_up_uses_the_phone_index",
    "resident_duplicate_of": "test_id_number_look_ups_use_the_unique_constraint_s_index",
    "uid": "test_a_record_is_opened_through_the_uid_index",
}


@pytest.fixture
def filled(tmp_path, first_grid):
    """3,000 residents in the first grid, through the import, and the statistics PostgreSQL plans with."""
    path = tmp_path / "r.csv"
    path.write_bytes(csv_bytes([person(i, first_grid.code) for i in range(3000)]))
    assert residents_import(actor=SYSTEM, path=path).created == 3000
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {TABLE}")


def captured(call) -> list[tuple[str, list]]:
    """The SELECTs on the resident table that `call` sends, with their parameters."""
    seen = []

    def record(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("SELECT") and (f'FROM "{TABLE}"' in sql or f"FROM {TABLE} " in sql):
            seen.append((sql, list(params or ())))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        call()
    return seen


def plan(sql: str, params: list) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


def plans_of(queries, where: str) -> list[str]:
    """The plans of the captured queries whose text contains `where` (at least one)."""
    plans = [plan(sql, params) for sql, params in queries if where in sql]
    assert plans, [sql for sql, _params in queries]
    return plans


def uses(index: str, plans: list[str]) -> bool:
    """Whether every plan names the index."""
    return all(re.search(rf"\b{re.escape(index)}\b", text) for text in plans)


def test_the_list_and_every_scoped_read_use_the_grid_index(filled, alice):
    """The residents page of a district (restrict's range of grid codes) in its default order: the index
    both finds the rows and gives their order, so SQLite sorts nothing."""
    client = Client()
    client.force_login(alice)
    queries = captured(lambda: client.get("/residents/"))
    page = plans_of(queries, "ORDER BY")
    assert uses("resident_grid", page)
    if connection.vendor == "sqlite":
        assert "TEMP B-TREE" not in "".join(page)
    assert uses("resident_grid", plans_of(queries, "COUNT("))


def test_id_number_look_ups_use_the_unique_constraint_s_index(filled, alice, xicheng_admin, xicheng_grid,
                                                               first_grid, tmp_path):
    number = id_number(region="110102", seq=77)
    holder = resident_create(actor=xicheng_admin, data={"name": "赵一", "id_number": number,
                                                        "grid_code": xicheng_grid.code})
    # Registration's duplicate check (services._holder) finds the holder in 西城; alice's record of the
    # same person is stored beside it.
    queries = captured(lambda: resident_create(actor=alice, data={"name": "赵一", "id_number": number,
                                                                  "grid_code": first_grid.code}))
    assert uses("resident_unique_id_per_city", plans_of(queries, '"id_number_index" = %s'))
    mine = Resident.objects.get(duplicate_of=holder)

    # The look-up by ID number: the holder through the unique index (anywhere), then the records beside
    # it through duplicate_of's; alice finds her own record, never 西城's.
    found = []
    queries = captured(lambda: found.extend(residents_lookup(actor=alice, value=number)))
    assert found == [mine]
    assert uses("resident_unique_id_per_city", plans_of(queries, "duplicate_of_id\" IS NULL"))
    assert uses("resident_duplicate_of", plans_of(queries, "duplicate_of_id\" IN"))

    # The import's look-up of the numbers a file brings, into a city that has residents.
    path = tmp_path / "again.csv"
    path.write_bytes(csv_bytes([person(5, first_grid.code)]))
    queries = captured(lambda: residents_import(actor=alice, path=path))
    assert uses("resident_unique_id_per_city", plans_of(queries, "id_number_index IN"))
    assert uses("resident_grid", plans_of(queries, "LIMIT 1"))  # does the city have residents at all?


def test_the_phone_look_up_uses_the_phone_index(filled, alice):
    queries = captured(lambda: list(residents_lookup(actor=alice, value="13812340042")))
    assert uses("resident_phone", plans_of(queries, '"phone_index" = %s'))


def test_a_record_is_opened_through_the_uid_index(filled, alice):
    uid = Resident.objects.order_by("id").values_list("uid", flat=True)[1500]
    queries = captured(lambda: resident_get(user=alice, uid=uid))
    assert uses(UID_INDEX[connection.vendor], plans_of(queries, '"uid" = %s'))


def test_no_index_without_a_query(db):
    """The resident table's indexes are the primary key's and those above: a new one needs its test."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexname <> %s",
                           [TABLE, f"{TABLE}_pkey"])
            names = {row[0] for row in cursor.fetchall()}
        else:
            names = {row[1] for row in cursor.execute(f"PRAGMA index_list({TABLE})").fetchall()}
    assert names == {name for name in SHOWN if name != "uid"} | {UID_INDEX[connection.vendor]}


def index_names() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", [TABLE])
            return {row[0] for row in cursor.fetchall()}
        return {row[1] for row in cursor.execute(f"PRAGMA index_list({TABLE})").fetchall()}


def test_a_first_load_builds_the_indexes_after_and_stays_all_or_nothing(monkeypatch, run, first_grid):
    """A large file into an empty table drops three indexes and builds them after the rows are in, in
    the import's transaction: a refused file leaves the table empty with every index, a good one ends
    with every index (and the duplicate rule still holds)."""
    from epigrid.residents.importing import run as importing_run

    monkeypatch.setattr(importing_run, "DEFER_MIN_BYTES", 0)  # every file counts as large
    before = index_names()
    rows = [person(i, first_grid.code) for i in range(30)]
    refused = run(csv_bytes(rows + [person(3, first_grid.code, 姓名="王五")]))  # row 32 repeats row 5's number
    assert not refused.written and refused.errors[0].row == 32
    assert Resident.objects.count() == 0 and index_names() == before

    assert run(csv_bytes(rows)).created == 30
    assert index_names() == before
    again = run(csv_bytes(rows))  # not empty now: the usual path, which finds every number through the index
    assert (again.created, again.unchanged) == (0, 30)
