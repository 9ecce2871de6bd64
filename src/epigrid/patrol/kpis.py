"""KPIs for a period, per child node of a jurisdiction (district, street, community, grid or grid worker),
summed from the daily rollups: the query reads (children x days) rows whatever the number of incidents."""

from __future__ import annotations

import io
from datetime import date, timedelta

from django.db.models import Sum
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from epigrid.accounts.models import User
from epigrid.accounts.roles import KPI_VIEW
from epigrid.core.errors import FieldError, NotFound, ServiceError
from epigrid.core.exports import safe_cell
from epigrid.core.scoping import LEVELS, PREFIX_DIGITS, code_level, code_prefix, in_scope, prefix_q
from epigrid.core.validators import DATE_MIN, date_problem
from epigrid.regions.models import Division, Grid

from .models import CLOSE_COLUMNS, KpiDaily, PatrolPlan
from .rollups import COUNTERS, median_hours

BY_LEVELS = ("city", "district", "street", "community", "grid", "worker")
DEFAULT_BY = {"province": "district", "city": "district", "district": "street", "street": "community",
              "community": "grid", "grid": "worker"}
MAX_DAYS = 3 * 366
# Columns of the table, the page and the XLSX, in order: key, heading.
COLUMNS = [
    ("reported", gettext_lazy("Reported")),
    ("registered", gettext_lazy("Registered")),
    ("rejected", gettext_lazy("Rejected")),
    ("closed", gettext_lazy("Closed")),
    ("closure_rate", gettext_lazy("Closure rate")),
    ("on_time_rate", gettext_lazy("On-time closure rate")),
    ("median_close_hours", gettext_lazy("Median time to close (h)")),
    ("escalated", gettext_lazy("Escalated")),
    ("reported_patrol", gettext_lazy("From patrols")),
    ("reported_staff", gettext_lazy("From staff")),
    ("reported_public", gettext_lazy("From the public")),
    ("patrols", gettext_lazy("Patrols done")),
    ("patrols_planned", gettext_lazy("Patrols planned")),
    ("coverage", gettext_lazy("Patrol coverage")),
    ("checkpoint_rate", gettext_lazy("Checkpoints visited")),
    ("patrol_km", gettext_lazy("Distance (km)")),
]
RATES = {"closure_rate", "on_time_rate", "coverage", "checkpoint_rate"}


def _ratio(a, b):
    return round(a / b, 4) if b else None


def _figures(sums: dict, planned: int | None) -> dict:
    out = {k: sums.get(k) or 0 for k in COUNTERS if k not in CLOSE_COLUMNS}
    hist = {i: sums.get(k) or 0 for i, k in enumerate(CLOSE_COLUMNS)}
    out["closure_rate"] = _ratio(out["closed"], out["reported"])
    out["on_time_rate"] = _ratio(out["closed_on_time"], out["closed"])
    out["median_close_hours"] = median_hours(hist)
    out["patrols_planned"] = planned
    out["coverage"] = _ratio(out["patrols"], planned) if planned is not None else None
    out["checkpoint_rate"] = _ratio(out["checkpoints_visited"], out["checkpoints_planned"])
    out["patrol_km"] = round(out["patrol_meters"] / 1000, 2)
    return out


def kpi_period(date_from: date | None, date_to: date | None) -> tuple[date, date]:
    errors = [FieldError(name, problem) for name, value in (("date_from", date_from), ("date_to", date_to))
              if (problem := date_problem(value))]
    if errors:
        raise ServiceError(_("Invalid period."), errors)
    date_to = date_to or timezone.localdate()
    date_from = date_from or max(date_to - timedelta(days=29), DATE_MIN)
    if date_from > date_to:
        errors.append(FieldError("date_to", _("must not be before the start date")))
    elif (date_to - date_from).days >= MAX_DAYS:
        errors.append(FieldError("date_from", _("at most %(n)d days") % {"n": MAX_DAYS}))
    if errors:
        raise ServiceError(_("Invalid period."), errors)
    return date_from, date_to


def kpi_table(*, user, within: str, by: str | None = None, date_from: date | None = None,
              date_to: date | None = None) -> dict:
    """Rows of figures per child node of `within` (a division or grid code in the user's scope)."""
    level = code_level(within) if isinstance(within, str) else None
    if level is None or not in_scope(user, KPI_VIEW, within):
        raise NotFound(_("No such division."))
    by = by or DEFAULT_BY[level]
    if by not in BY_LEVELS or (by != "worker" and LEVELS.index(by) <= LEVELS.index(level)):
        raise ServiceError(_("Invalid grouping."), [FieldError("by", _("must be a level below %(l)s") % {"l": level})])
    date_from, date_to = kpi_period(date_from, date_to)
    days = (date_to - date_from).days + 1
    prefix = code_prefix(within)
    where = {"level": by, "day__gte": date_from, "day__lte": date_to}
    scope = prefix_q("node_code", prefix)
    sums = (KpiDaily.objects.restrict(user, KPI_VIEW).filter(scope, **where).values("node_code", "user_id")
            .annotate(**{k: Sum(k) for k in COUNTERS}))
    rows = {(r["node_code"], r["user_id"]): r for r in sums}
    planned = _planned(user, prefix, by, days)
    keys = set(rows) | ({(code, 0) for code in planned} if by != "worker" else set())
    names = _names(by, keys)
    out_rows = []
    total_sums = dict.fromkeys(COUNTERS, 0)
    for key in sorted(keys):
        sums_row = rows.get(key, {})
        for k in COUNTERS:
            total_sums[k] += sums_row.get(k) or 0
        figures = _figures(sums_row, planned.get(key[0]) if by != "worker" else None)
        out_rows.append({"code": key[0], "user_id": key[1] or None, "name": names.get(key, key[0]), **figures})
    total_planned = sum(planned.values()) if by != "worker" else None
    return {"within": within, "level": level, "by": by, "date_from": date_from, "date_to": date_to,
            "rows": out_rows, "total": _figures(total_sums, total_planned)}


def _planned(user, prefix: str, by: str, days: int) -> dict[str, int]:
    """Patrols planned in the period per child node (node code as the rollups spell it)."""
    if by == "worker":
        return {}
    digits = PREFIX_DIGITS[by]
    plans = (PatrolPlan.objects.restrict(user, KPI_VIEW).filter(prefix_q("grid_code", prefix))
             .annotate(p=Substr("grid_code", 1, digits)).values("p").annotate(n=Sum("times_per_day")))
    pad = 15 if by == "grid" else 12
    return {r["p"].ljust(pad, "0"): r["n"] * days for r in plans if r["n"]}


def _names(by: str, keys) -> dict:
    codes = [code for code, _uid in keys]
    if by == "worker":
        users = {u.pk: str(u) for u in User.objects.filter(pk__in=[uid for _c, uid in keys])}
        return {(code, uid): users.get(uid, str(uid)) for code, uid in keys}
    model = Grid if by == "grid" else Division
    names = dict(model.objects.filter(code__in=codes).values_list("code", "name"))
    return {(code, uid): names.get(code, code) for code, uid in keys}


# ---------------------------------------------------------------- XLSX



def kpi_xlsx(table: dict) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "KPI"
    ws.append([safe_cell(str(_("Jurisdiction"))), table["within"], str(_("Period")),
               f"{table['date_from']} – {table['date_to']}"])
    ws.append([str(_("Code")), str(_("Name")), *[str(h) for _k, h in COLUMNS]])
    for row in [*table["rows"], {"code": "", "name": str(_("Total")), **table["total"]}]:
        ws.append([safe_cell(row["code"]), safe_cell(row["name"]), *[row.get(k) for k, _h in COLUMNS]])
    for col, (key, _h) in enumerate(COLUMNS, start=3):
        if key in RATES:
            for cells in ws.iter_rows(min_row=3, min_col=col, max_col=col):
                cells[0].number_format = "0.0%"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
