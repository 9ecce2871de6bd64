"""The home page's content for each role: a commander's figures of their jurisdiction (today, yesterday,
the difference), a grid worker's work for today. Both come from the registry (figures.py), so regions
names no other app's models."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from . import rollups
from .figures import figures, work_for
from .maps import as_of_text
from .models import Division, Grid
from .selectors import home_nodes


def home_overview(*, user, now=None) -> dict:
    now = now or timezone.now()
    nodes = home_nodes(user=user)
    divisions = [n for n in nodes if isinstance(n, Division)]
    grids = [n for n in nodes if isinstance(n, Grid)]
    out = {"divisions": [], "grids": grids, "work": [], "as_of": "", "yesterday_as_of": ""}
    if divisions:
        rollups.figures_fresh(now=now)
        today = timezone.localdate(now)
        yesterday = today - timedelta(days=1)
        shown = figures()
        values = rollups.values_table(figures=[f.key for f in shown], days=[today, yesterday],
                                      codes=[d.code for d in divisions])
        for d in divisions:
            rows = []
            for f in shown:
                t, y = values[f.key, today][d.code], values[f.key, yesterday][d.code]
                rows.append({"key": f.key, "label": f.label, "today": t, "yesterday": y, "diff": t - y,
                             "worse": (t - y > 0) == f.worse_when_higher if t != y else None})
            out["divisions"].append({"node": d, "figures": rows})
        moments = rollups.computed_times([today, yesterday])
        for day, key in ((today, "as_of"), (yesterday, "yesterday_as_of")):
            out[key] = as_of_text(moments[day]) if day in moments else ""
    if grids or user.grids.exists():
        out["work"] = work_for(user=user, now=now)
    return out
