"""KPI rollups: counters per node (grid and every division above it, and reporter within a grid) and day,
bumped inside the services' transactions by an atomic upsert, so concurrent writers never lose a count.

`INSERT ... ON CONFLICT (...) DO UPDATE SET x = x + excluded.x` has the same syntax on SQLite (3.24+)
and PostgreSQL, and needs no read first.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import connection
from django.utils import timezone

from .models import CLOSE_BUCKETS_H, CLOSE_COLUMNS, KpiDaily

# Levels of a rollup node above a grid, and the significant digits of each (the rest zero-padded).
NODE_LEVELS = (("community", 12), ("street", 9), ("district", 6), ("city", 4), ("province", 2))

COUNTERS = ("reported", "reported_patrol", "reported_staff", "reported_public", "registered", "rejected",
            "closed", "closed_on_time", "escalated", "patrols", "patrol_seconds", "patrol_meters",
            "checkpoints_visited", "checkpoints_planned", *CLOSE_COLUMNS)


def nodes_of(grid_code: str, user_id: int | None = None) -> list[tuple[str, str, int]]:
    """(level, node_code, user_id) of every rollup row a grid's event counts in."""
    nodes = [("grid", grid_code, 0)]
    nodes += [(level, grid_code[:n].ljust(12, "0"), 0) for level, n in NODE_LEVELS]
    if user_id:
        nodes.append(("worker", grid_code, int(user_id)))
    return nodes


def day_of(at: datetime | None = None) -> date:
    return timezone.localdate(at or timezone.now())


def close_bucket(seconds: float) -> int:
    hours = seconds / 3600
    for i, edge in enumerate(CLOSE_BUCKETS_H):
        if hours < edge:
            return i
    return len(CLOSE_BUCKETS_H)


def bump(*, grid_code: str, at: datetime | None = None, user_id: int | None = None, **counts) -> None:
    """Add `counts` (names from COUNTERS) to the rows of the grid, its divisions and the reporter."""
    unknown = set(counts) - set(COUNTERS)
    if unknown:
        raise ValueError(f"unknown counters {unknown}")
    names = list(counts)
    table = KpiDaily._meta.db_table
    cols = ", ".join(["level", "node_code", "user_id", "day", *names])
    marks = ", ".join(["%s"] * (4 + len(names)))
    updates = ", ".join(f"{n} = {table}.{n} + excluded.{n}" for n in names)
    # Columns the statement does not name take their database default: there is none (Django keeps
    # defaults in Python), so every counter is listed with 0 unless given.
    rest = [n for n in COUNTERS if n not in counts]
    if rest:
        cols += ", " + ", ".join(rest)
        marks += ", " + ", ".join(["0"] * len(rest))
    sql = (f"INSERT INTO {table} ({cols}) VALUES ({marks}) "
           f"ON CONFLICT (level, node_code, user_id, day) DO UPDATE SET {updates}")
    day = day_of(at)
    rows = [[level, code, uid, day, *counts.values()] for level, code, uid in nodes_of(grid_code, user_id)]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def close_column(seconds: float) -> str:
    """The histogram counter an incident closed after `seconds` adds to."""
    return CLOSE_COLUMNS[close_bucket(seconds)]


def median_hours(histogram: dict[int, int]) -> float | None:
    """The median of a bucket histogram, interpolated linearly inside the bucket that holds it."""
    total = sum(histogram.values())
    if not total:
        return None
    half, seen = total / 2, 0
    for bucket in sorted(histogram):
        n = histogram[bucket]
        if seen + n >= half:
            low = CLOSE_BUCKETS_H[bucket - 1] if bucket > 0 else 0.0
            if bucket >= len(CLOSE_BUCKETS_H):
                return float(low)
            high = CLOSE_BUCKETS_H[bucket]
            return round(low + (high - low) * (half - seen) / n, 2)
        seen += n
    return None
