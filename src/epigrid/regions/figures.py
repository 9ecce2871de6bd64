"""The figures a map and a home page show per node (grid and every division above it), and the small
registry through which each app supplies its own: regions never names another app's models.

An app registers its figures in its AppConfig.ready::

    from epigrid.regions.figures import Figure, register
    register(Figure("alerts", _("Open alerts"), compute=health_figures.open_alerts, order=20))

`compute(as_of=..., day=..., grids=...)` returns {grid code: value} for the grids given (None: every
grid), the state at `as_of` (a moment of `day`, the city's local date). It holds the figure's rule,
written once in its app; the rollup (regions/rollups.py) sums grids into divisions and keeps the result
per node and day, so pages never scan the apps' rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

Compute = Callable[..., dict[str, int]]


@dataclass(frozen=True)
class Figure:
    key: str
    label: object  # a lazy translation
    compute: Compute
    order: int = 100
    # Higher is worse (alerts, missed check-ins): the home page marks a rise.
    worse_when_higher: bool = True


_REGISTRY: dict[str, Figure] = {}


def register(figure: Figure) -> None:
    """Add (or replace, on a second ready()) a figure provider."""
    if not figure.key.isidentifier():
        raise ValueError(f"figure key {figure.key!r}")
    _REGISTRY[figure.key] = figure


def figures() -> list[Figure]:
    """The registered figures, in display order."""
    return sorted(_REGISTRY.values(), key=lambda f: (f.order, f.key))


def figure(key: str) -> Figure | None:
    return _REGISTRY.get(key)


def compute(f: Figure, *, as_of: datetime, day: date, grids: Sequence[str] | None = None) -> dict[str, int]:
    values = f.compute(as_of=as_of, day=day, grids=None if grids is None else list(grids))
    return {code: int(v) for code, v in values.items() if v}


# -- a grid worker's work for today, on the home page --------------------------------------------------

@dataclass(frozen=True)
class Work:
    """One kind of task on a grid worker's home page, supplied by the app that owns it.
    `compute(user=..., now=...)` returns None (nothing of this kind for this user) or
    {"label", "count", "url", "items": [{"text", "url", "note"}]}."""

    key: str
    compute: Callable[..., dict | None]
    order: int = 100


_WORK: dict[str, Work] = {}


def register_work(work: Work) -> None:
    _WORK[work.key] = work


def work_for(*, user, now: datetime) -> list[dict]:
    out = []
    for work in sorted(_WORK.values(), key=lambda w: (w.order, w.key)):
        found = work.compute(user=user, now=now)
        if found is not None:
            out.append({"key": work.key, **found})
    return out
