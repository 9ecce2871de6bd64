"""Query budgets (issue 10): every list and detail, page or API, answers with the same number of queries
whatever the number of rows behind it.

Each app's tests/<app>/test_query_budget.py holds a table BUDGETS: the route ("GET /api/v1/...", as the
OpenAPI schema names it, or a page's URL name "app:name", with "?export=xlsx" for a list's export) -> a
`Budget`: how to grow the rows behind it (through the services, varied in the ways that matter: grids,
households, check-ins, alerts, photos, assignees...), its address, who asks, and how many rows the answer
shows. `assert_flat_queries` brings the rows to 2, counts the queries of a request (the second: the first
pays a token's first use and fills caches), brings the rows to 12 and counts again: the two counts must be
equal, and the answer must show more rows the second time (else the test would prove nothing).

tests/test_query_budgets.py lists every GET route of the API and every named page and fails for one that
has neither a budget nor a reason in EXEMPT, so a new endpoint cannot go without one.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from epigrid.accounts.services import token_create
from epigrid.core.principals import SYSTEM

SIZES = (2, 12)

# Names that mark the rows a test made, so that an answer shows how many of them it holds: 试甲子,
# 试乙子, ... (valid Chinese names, none a part of another).
_STEMS, _BRANCHES = "甲乙丙丁戊己庚辛壬癸", "子丑寅卯辰巳午未申酉戌亥"


def mark(i: int) -> str:
    return f"试{_STEMS[i % 10]}{_BRANCHES[i // 10]}"


def marks_shown(response) -> int:
    """How many distinct row marks the answer holds."""
    body = response.content.decode()
    return sum(1 for i in range(len(_STEMS) * len(_BRANCHES)) if mark(i) in body)


def api_count(response) -> int:
    """A paginated API list: its total count."""
    return response.json()["count"]


def count_of(text: str) -> Callable:
    """How often a piece of the answer appears (a row's test id, a JSON key)."""
    return lambda response: response.content.decode().count(text)


def xlsx_rows(response) -> int:
    """A list's XLSX export: its rows under the header."""
    from io import BytesIO

    from openpyxl import load_workbook

    book = load_workbook(BytesIO(b"".join(response.streaming_content)), read_only=True)
    return sum(1 for _row in book.active.iter_rows()) - 1


@dataclass(frozen=True)
class Budget:
    grow: Callable  # (world, n) -> None: bring the rows behind the address to n
    url: Callable  # (world) -> the address, once the rows are there
    # (response) -> how many rows the answer shows, which must follow n; None for a record's own answer
    # that lists none of the rows grown behind it (its check-ins, its photos).
    shown: Callable | None = marks_shown
    # Who asks: a fixture's name, or (world) -> a user; None: nobody logged in (a public link).
    user: str | Callable | None = "alice"


class World:
    """The test's fixtures, fetched when a budget first asks for them (world.alice, world.first_grid),
    and what its grow functions made, by name (world.made["residents"])."""

    def __init__(self, request):
        self._request = request
        self.made: dict[str, list] = {}

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return self._request.getfixturevalue(name)

    def more(self, kind: str, n: int) -> range:
        """The indexes still to make so that `kind` has n rows (a second call to n makes none)."""
        have = len(self.made.setdefault(kind, []))
        return range(have, max(have, n))

    def add(self, kind: str, row):
        self.made.setdefault(kind, []).append(row)
        return row


def _client(world: World) -> Client:
    return world.__dict__.setdefault("_client", Client())


def _headers(world: World, budget: Budget, url: str) -> dict:
    headers = {"Accept-Language": "en"}
    if budget.user is None:
        return headers
    user = budget.user(world) if callable(budget.user) else getattr(world, budget.user)
    if url.startswith("/api/"):
        _, raw = token_create(actor=SYSTEM, username=user.username, name="budget")
        headers["Authorization"] = f"Bearer {raw}"
    else:
        _client(world).force_login(user)
    return headers


def _shape(sql: str) -> str:
    """A statement without its columns and values, to tell which one was repeated."""
    sql = re.sub(r"^SELECT .*? FROM", "SELECT ... FROM", sql, flags=re.S)
    sql = re.sub(r"'[^']*'|\b\d+\b", "?", sql)
    return re.sub(r"IN \([?, ]*\)", "IN (...)", sql)[:160]


def _grown(small: list[str], large: list[str]) -> list[str]:
    """The statements run more often with more rows."""
    a, b = Counter(map(_shape, small)), Counter(map(_shape, large))
    return [f"{b[s] - a[s]}x {s}" for s in b if b[s] > a[s]]


def assert_flat_queries(route: str, budget: Budget, world: World) -> int:
    """The route's query count with 2 rows and with 12 is the same; returns it."""
    seen = []
    headers = None
    for n in SIZES:
        budget.grow(world, n)
        url = budget.url(world)
        headers = headers or _headers(world, budget, url)
        _client(world).get(url, headers=headers)  # not counted: a token's first use, caches filled
        with CaptureQueriesContext(connection) as ctx:
            response = _client(world).get(url, headers=headers)
        assert response.status_code == 200, f"{route}: {url} answered {response.status_code}"
        seen.append((budget.shown(response) if budget.shown else n, [q["sql"] for q in ctx.captured_queries]))
    (few, small), (many, large) = seen
    assert many > few, f"{route}: the answer shows {few} rows, then {many}: the rows did not grow"
    assert len(large) == len(small), (f"{route}: {len(small)} queries with {SIZES[0]} rows, {len(large)} with "
                                      f"{SIZES[1]}; more often: {_grown(small, large)[:3]}")
    print(f"query-budget {route} {len(small)}")  # shown with -s: the figures of docs/performance.md
    return len(small)


# ---------------------------------------------------------------- builders, through the services
# Rows are spread over the first grids of 东城区 (and so over communities and grid workers), and vary in
# what a page or endpoint reads beside them: households, tags, check-ins, alerts, assignees, photos.

def dongcheng_grids(count: int = 3) -> list:
    from epigrid.regions.models import Grid

    return list(Grid.objects.filter(code__startswith="110101").order_by("code")[:count])


def point_in(grid) -> tuple[float, float]:
    import shapely

    point = shapely.from_geojson(grid.geometry).representative_point()
    return round(point.x, 6), round(point.y, 6)


def id_number(seq: int, region: str = "110101") -> str:
    from stdnum.cn import ric

    body = f"{region}19800101{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def grid_worker(world: World, grid, k: int = 0):
    """The k-th grid worker named for a grid (made once)."""
    from epigrid.accounts.models import User
    from epigrid.accounts.roles import Role
    from epigrid.regions.services import grid_set_workers
    from tests.conftest import _user

    name = f"w{grid.code[-6:]}{k}"
    workers = world.made.setdefault(f"workers-{grid.code}", [])
    if name in workers:
        return User.objects.get(username=name)
    user = _user(name, Role.GRID_WORKER, grid.code)
    workers.append(name)
    grid_set_workers(actor=SYSTEM, grid_code=grid.code, usernames=workers)
    return user


TAGS = ["", "elderly_alone", "chronic,disabled", "low_income"]


def grow_residents(world: World, n: int, *, grid=None) -> list:
    """Residents named mark(i), in three grids (or `grid`), two to a household, some tagged."""
    from epigrid.residents.services import resident_create

    grids = [grid] if grid else dongcheng_grids()
    for i in world.more("residents", n):
        g = grids[i % len(grids)]
        world.add("residents", resident_create(actor=SYSTEM, data={
            "name": mark(i), "id_number": id_number(i), "phone": f"1381234{i:04d}", "grid_code": g.code,
            "address": f"{i // 2 + 1}号楼", "household": f"{g.code} {i // 2 + 1}号楼",
            "tags": [t for t in TAGS[i % len(TAGS)].split(",") if t]}))
    return world.made["residents"]


def grow_observations(world: World, n: int) -> list:
    """Observations of residents in three grids, each grid with its own grid worker; every other one with
    a fever check-in (an alert, a yellow or red health status), some with a symptom."""
    from epigrid.health.services import checkin_record, observation_start

    grow_residents(world, n)
    for i in world.more("observations", n):
        resident = world.made["residents"][i]
        from epigrid.regions.models import Grid

        worker = grid_worker(world, Grid.objects.get(code=resident.grid_code))
        obs = world.add("observations", observation_start(
            actor=SYSTEM, resident=resident, kind=("home", "centralised")[i % 2],
            reason=("arrival", "close_contact", "other")[i % 3], worker=worker))
        if i % 2:
            checkin_record(actor=SYSTEM, observation=obs, slot="am", temperature="38.2",
                           symptoms=["cough"] if i % 4 == 1 else [], client_id=f"budget-obs-{i:04d}")
    return world.made["observations"]
