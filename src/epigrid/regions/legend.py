"""Legend classes for a choropleth: real ranges over the values shown (quantiles of the distinct
values), never an empty or reversed class. Zero, when present, is a class of its own."""

from __future__ import annotations

import math

MAX_CLASSES = 5


def _fmt(x: float, whole: bool) -> str:
    if whole:
        return str(int(x))
    return f"{x:.2f}".rstrip("0").rstrip(".") if abs(x) < 100 else f"{x:.0f}"


def classes(values, k: int = MAX_CLASSES) -> list[dict]:
    """[{"min", "max", "label"}] in ascending order; a value v falls in the first class with v <= max."""
    shown = sorted(float(v) for v in values if v is not None)
    if not shown:
        return []
    whole = all(v.is_integer() for v in shown)
    out = []
    if 0.0 in shown:
        out.append({"min": 0, "max": 0, "label": "0"})
    rest = [v for v in shown if v != 0.0]
    n = min(k - len(out), len(set(rest)))
    lo = rest[0] if rest else None
    for i in range(1, n + 1):
        hi = rest[max(0, math.ceil(i * len(rest) / n) - 1)]
        if out and out[-1]["max"] >= hi:
            continue
        a, b = _fmt(lo, whole), _fmt(hi, whole)
        out.append({"min": lo, "max": hi, "label": a if a == b else f"{a}–{b}"})
        lo = hi + 1 if whole else hi
    if out and rest:
        out[-1]["max"] = rest[-1]
    return out
