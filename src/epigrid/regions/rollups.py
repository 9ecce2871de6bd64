"""The registered figures (figures.py) kept per node and day in FigureDaily, so that maps and home pages
read a few rows instead of scanning observations, alerts, arrivals or incidents.

- `figures_rebuild(day=...)` computes a day from scratch: every figure over every grid, summed into the
  divisions above each grid (the `epigrid figures_rebuild` command).
- `figures_update()` (a task every minute; also run by a page that finds the figures older than
  FIGURES_MAX_AGE seconds) recomputes only the grids that the audit log shows were written to since the
  last run, and adds the difference to the rows of the divisions above them. The first run of a day
  rebuilds it whole (windows such as "arrivals in the last 14 days" move at midnight).

Both give the same rows (tests/regions/test_figures.py compares them).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from epigrid.core.models import AuditEvent
from epigrid.core.scoping import prefix_q

from .figures import compute, figures
from .models import FigureDaily, FigureRun

# Levels of a node above a grid and the significant digits of its code (the rest zero-padded).
NODE_LEVELS = (("community", 12), ("street", 9), ("district", 6), ("city", 4), ("province", 2))
# Audit rows are looked at from this long before the last run: a transaction may commit after its
# audit row's time. Recomputing a grid twice changes nothing.
OVERLAP = timedelta(minutes=5)
# More changed grids than this in one run: a whole rebuild is cheaper.
MAX_INCREMENTAL_GRIDS = 1000


def nodes_of(grid_code: str) -> list[tuple[str, str]]:
    """(level, code) of the grid and of every division a grid's figure counts in."""
    return [("grid", grid_code)] + [(level, grid_code[:n].ljust(12, "0")) for level, n in NODE_LEVELS]


def _roll_up(per_grid: dict[str, int]) -> dict[str, tuple[str, int]]:
    out: dict[str, list] = {}
    for grid, value in per_grid.items():
        for level, code in nodes_of(grid):
            out.setdefault(code, [level, 0])[1] += value
    return {code: (level, value) for code, (level, value) in out.items()}


def _as_of(day: date, now: datetime) -> datetime:
    """The moment a day's figures describe: now for today, the end of the day for a past day."""
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min)) - timedelta(microseconds=1)
    return min(now, end)


def _table() -> str:
    return connection.ops.quote_name(FigureDaily._meta.db_table)


def _write(rows: list[tuple], *, add: bool) -> None:
    """Upsert (figure, node_code, level, day, value) rows; `add`: add to the stored value."""
    if not rows:
        return
    t = _table()
    value = f"{t}.value + excluded.value" if add else "excluded.value"
    sql = (f"INSERT INTO {t} (figure, node_code, level, day, value) VALUES (%s, %s, %s, %s, %s) "
           f"ON CONFLICT (figure, day, node_code) DO UPDATE SET value = {value}")
    with connection.cursor() as cursor:
        for i in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[i:i + 5000])


def _mark(day: date, now: datetime, full: bool) -> None:
    defaults = {"computed_at": now, **({"full_at": now} if full else {})}
    run, created = FigureRun.objects.get_or_create(day=day, defaults={"computed_at": now, "full_at": now})
    if not created:
        FigureRun.objects.filter(pk=run.pk).update(**defaults)


def figures_rebuild(*, day: date | None = None, now: datetime | None = None) -> int:
    """Compute a day's figures from scratch (today: as of now). Returns the number of rows written."""
    now = now or timezone.now()
    day = day or timezone.localdate(now)
    as_of = _as_of(day, now)
    rows = []
    for f in figures():
        for code, (level, value) in _roll_up(compute(f, as_of=as_of, day=day)).items():
            rows.append((f.key, code, level, day, value))
    with transaction.atomic():
        FigureDaily.objects.filter(day=day).delete()
        _write(rows, add=False)
        _mark(day, as_of, full=True)
    return len(rows)


def _changed_grids(since: datetime) -> set[str] | None:
    """Grids written to since `since`, by the audit log; None when too many to go one by one. Every
    row a figure counts carries its grid's code, and every write of one is audited with that code
    (a division-level row, such as a policy or a user, changes no figure by itself)."""
    codes = (AuditEvent.objects.filter(at__gte=since, jurisdiction_code__regex=r"^[0-9]{15}$")
             .values_list("jurisdiction_code", flat=True).distinct())
    grids = set(codes[:MAX_INCREMENTAL_GRIDS + 1])
    return grids if len(grids) <= MAX_INCREMENTAL_GRIDS else None


def figures_update(*, now: datetime | None = None) -> str:
    """Bring today's figures up to `now`: whole on the day's first run, else only the grids changed.
    Returns "full" or "incremental" (for the task's log)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    run = FigureRun.objects.filter(day=today).first()
    if run is None:
        yesterday = today - timedelta(days=1)
        if not FigureRun.objects.filter(day=yesterday).exists():
            figures_rebuild(day=yesterday, now=now)
        figures_rebuild(day=today, now=now)
        return "full"
    grids = _changed_grids(run.computed_at - OVERLAP)
    if grids is None:
        figures_rebuild(day=today, now=now)
        return "full"
    grids = sorted(grids)
    with transaction.atomic():
        for f in figures():
            new = compute(f, as_of=now, day=today, grids=grids)
            old = dict(FigureDaily.objects.filter(figure=f.key, day=today, level="grid", node_code__in=grids)
                       .values_list("node_code", "value"))
            deltas: dict[str, list] = defaultdict(lambda: ["", 0])
            for grid in grids:
                diff = new.get(grid, 0) - old.get(grid, 0)
                if diff:
                    for level, code in nodes_of(grid):
                        deltas[code][0] = level
                        deltas[code][1] += diff
            _write([(f.key, code, level, today, d) for code, (level, d) in deltas.items() if d], add=True)
            touched = list(deltas)
            FigureDaily.objects.filter(figure=f.key, day=today, node_code__in=touched, value=0).delete()
        _mark(today, now, full=False)
    return "incremental"


def figures_fresh(*, now: datetime | None = None) -> None:
    """Update today's figures if they are older than FIGURES_MAX_AGE seconds (0: never from a page,
    the task alone keeps them)."""
    if not settings.FIGURES_MAX_AGE:
        return
    now = now or timezone.now()
    run = FigureRun.objects.filter(day=timezone.localdate(now)).first()
    if run is None or (now - run.computed_at).total_seconds() > settings.FIGURES_MAX_AGE:
        figures_update(now=now)


def computed_at(day: date) -> datetime | None:
    return computed_times([day]).get(day)


def computed_times(days) -> dict[date, datetime]:
    """When each of these days' figures were last computed (days never computed left out), in one query."""
    return dict(FigureRun.objects.filter(day__in=list(days)).values_list("day", "computed_at"))


def values_at(*, figure: str, day: date, codes) -> dict[str, int]:
    """Stored values of a figure for these node codes on a day (missing: 0)."""
    return values_table(figures=[figure], days=[day], codes=codes)[figure, day]


def values_table(*, figures, days, codes) -> dict[tuple[str, date], dict[str, int]]:
    """Stored values of several figures on several days for these node codes, in one query (a page of
    figures reads them at once, not a query per figure and day): {(figure, day): {code: value}}, missing 0."""
    codes, figures, days = list(codes), list(figures), list(days)
    out = {(f, d): dict.fromkeys(codes, 0) for f in figures for d in days}
    rows = FigureDaily.objects.filter(figure__in=figures, day__in=days, node_code__in=codes)
    for figure, day, code, value in rows.values_list("figure", "day", "node_code", "value"):
        out[figure, day][code] = value
    return out


def values_under(*, figure: str, day: date, level: str, prefix: str) -> dict[str, int]:
    """Stored values of every node of `level` whose code starts with `prefix` (grids of a community)."""
    return dict(FigureDaily.objects.filter(prefix_q("node_code", prefix), figure=figure, day=day, level=level)
                .values_list("node_code", "value"))
