"""Lists people work with, written once (DESIGN.md, "Pages people work with"; issue 9 point 3).

A list view describes itself with a `ListSpec` (its sortable columns, its export columns) and hands its
scoped, filtered queryset and its filter parameters to `list_view`, which answers:
- the page: sorted by a whitelisted column (`?sort=name`, `?sort=-arrival_date`, ties broken on id),
  page numbers (first, last and a window around the current one) and the total count; every link keeps
  the filters, because links are built from the filter parameters the view hands over, never from the
  raw request (an htmx POST of a search form has no query string);
- `?print=1`: the same list without navigation, more rows to a sheet;
- `?export=xlsx`: the filtered, sorted list as XLSX (every row up to `EXPORT_MAX_ROWS`), for a role with
  `LIST_EXPORT` in scope, personal values masked unless the request gives a reason and the role may reveal
  that row, one audit row per export naming the filter and the row count, formulas neutralised.
Grid and community names are put beside codes with one look-up per page (`place_names`), registered by
the regions app at start-up so that core imports no app.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .audit import audit_record
from .errors import ServiceError
from .exports import safe_cell
from .reveal import Purpose, reveal_reason
from .scoping import LIST_EXPORT, user_prefixes

PER_PAGE = 50
PRINT_ROWS = 1000
EXPORT_MAX_ROWS = 50_000  # measured 1,600-3,600 rows/s for residents on a busy 2-core machine: under 30 s
EXPORT_CHUNK = 2000


@dataclass(frozen=True)
class Column:
    """One column of the export: its header (translated when written) and its value. `value(row, full)`
    gets `full=True` only for a row whose personal values the user may see in full."""

    header: str
    value: Callable


@dataclass(frozen=True)
class ListSpec:
    name: str  # file name and audit object type: "residents", "arrivals", ...
    sorts: dict[str, tuple[str, ...]]  # ?sort=key -> the fields to order by (ascending)
    default_sort: str  # a key of `sorts`, with "-" for descending
    columns: tuple[Column, ...] = ()
    code_field: str = "grid_code"  # the code that gets its place names beside it
    may_reveal: Callable | None = None  # (user, row) -> whether the user may see the row in full
    personal: bool = True  # personal values in the export: needs a reason for full values
    related: tuple[str, ...] = field(default=())  # select_related for the export's rows
    prepare: Callable | None = None  # (rows) -> None: per-page (and per export batch) additions, one query


# The place-name look-up: codes -> {code: {"grid": name, "community": name}}; set by the regions app.
_place_lookup: Callable[[set[str]], dict[str, dict]] | None = None


def place_names_register(lookup: Callable[[set[str]], dict[str, dict]]) -> None:
    global _place_lookup
    _place_lookup = lookup


def place_names(codes: Iterable[str]) -> dict[str, dict]:
    codes = {c for c in codes if c}
    if not codes or _place_lookup is None:
        return {}
    return _place_lookup(codes)


def place_text(place: dict | None, code: str) -> str:
    """"东华门社区 / 第3网格" for a code whose names are known, else the code itself."""
    if not place:
        return code
    return " / ".join(n for n in (place.get("community"), place.get("grid")) if n) or code


def sort_key(spec: ListSpec, requested: str | None) -> str:
    """The requested sort if the list allows it, else the list's default."""
    if requested and requested.removeprefix("-") in spec.sorts:
        return requested
    return spec.default_sort


def sort_order(spec: ListSpec, key: str) -> list[str]:
    desc = key.startswith("-")
    fields = spec.sorts[key.removeprefix("-")]
    order = [f"-{f}" if desc else f for f in fields]
    return [*order, "-id" if desc else "id"]  # a stable tie-break: page 2 never repeats a row of page 1


@dataclass
class ListState:
    """What a list template needs: the page, the sort, and links that keep the filters."""

    path: str
    params: dict  # the filters, as they stand in the address
    sort: str
    spec: ListSpec
    page: object = None
    printing: bool = False
    may_export: bool = False
    may_export_full: bool = False

    def url(self, **changes) -> str:
        params = {k: v for k, v in self.params.items() if v not in ("", None)}
        if self.sort != self.spec.default_sort:
            params["sort"] = self.sort
        params.update({k: v for k, v in changes.items()})
        params = {k: v for k, v in params.items() if v not in ("", None)}
        return f"{self.path}?{urlencode(params)}" if params else self.path

    def page_url(self, number) -> str:
        return self.url(page=number if number != 1 else None)

    @property
    def headers(self) -> dict[str, dict]:
        """{key: {"url": toggled sort link, "dir": "asc"|"desc"|""}} for each sortable column."""
        out = {}
        current, desc = self.sort.removeprefix("-"), self.sort.startswith("-")
        for key in self.spec.sorts:
            on = key == current
            toggled = (key if desc else f"-{key}") if on else key
            out[key] = {"url": self.url(sort=toggled if toggled != self.spec.default_sort else None, page=None),
                        "dir": ("desc" if desc else "asc") if on else ""}
        return out

    @property
    def page_links(self) -> list[dict]:
        """First, last and a window around the current page; {"gap": True} where pages are left out."""
        if self.page is None or self.page.paginator.num_pages <= 1:
            return []
        out = []
        for n in self.page.paginator.get_elided_page_range(self.page.number, on_each_side=2, on_ends=1):
            if n == self.page.paginator.ELLIPSIS:
                out.append({"gap": True})
            else:
                out.append({"number": n, "url": self.page_url(n), "current": n == self.page.number})
        return out

    @property
    def prev_url(self) -> str:
        return self.page_url(self.page.previous_page_number()) if self.page.has_previous() else ""

    @property
    def next_url(self) -> str:
        return self.page_url(self.page.next_page_number()) if self.page.has_next() else ""

    @property
    def purposes(self):
        return Purpose.choices

    @property
    def export_url(self) -> str:
        return self.url(export="xlsx", page=None)

    @property
    def print_url(self) -> str:
        return self.url(print="1", page=None)

    @property
    def hidden_params(self) -> dict:
        """What a filter form must carry besides its own fields: the sort."""
        return {"sort": self.sort} if self.sort != self.spec.default_sort else {}


def list_view(request, spec: ListSpec, qs, *, params: dict, path: str, template: str, context: dict,
              partial: str | None = None, prepare: Callable | None = None):
    """The page (or its htmx partial), its print layout or its XLSX export, from one scoped queryset.
    `params` are the list's filters as they stand in the address (never a personal value)."""
    params = dict(params)
    number = params.pop("page", None) or request.GET.get("page")
    state = ListState(path=path, params=params, sort=sort_key(spec, params.pop("sort", None)
                                                              or request.GET.get("sort")), spec=spec)
    state.may_export = bool(user_prefixes(request.user, LIST_EXPORT))
    state.may_export_full = state.may_export and spec.personal and spec.may_reveal is not None
    qs = qs.order_by(*sort_order(spec, state.sort))
    if request.GET.get("export") == "xlsx":
        return export_response(request, spec, qs, state)
    state.printing = request.GET.get("print") == "1"
    per_page = PRINT_ROWS if state.printing else PER_PAGE
    state.page = Paginator(qs, per_page).get_page(number)
    rows = list(state.page.object_list)
    names = place_names(getattr(r, spec.code_field, "") for r in rows)
    for r in rows:
        r.place = names.get(getattr(r, spec.code_field, ""))
    for hook in (spec.prepare, prepare):
        if hook is not None:
            hook(rows)  # per-page additions (the view's own, the list's), one query for the page
    state.page.object_list = rows
    ctx = {**context, "page": state.page, "list": state}
    return render(request, partial if partial and request.headers.get("HX-Request") else template, ctx)


def _audit_code(user) -> str:
    """The jurisdiction an export is filed under: the user's (first) node for exports."""
    prefixes = user_prefixes(user, LIST_EXPORT)
    p = prefixes[0] if prefixes else ""
    return p.ljust(12, "0") if len(p) < 12 else p


def export_response(request, spec: ListSpec, qs, state: ListState):
    from .views import refused

    if not state.may_export:
        return refused(request)
    reason = ""
    full = False
    if request.method == "POST" and request.POST.get("full") == "1" and state.may_export_full:
        try:
            reason = reveal_reason(request.POST.get("purpose"), request.POST.get("reason"))
        except ServiceError as exc:
            return render(request, "core/export_refused.html", {"error": exc, "list": state}, status=400)
        full = True
    # Only rows also inside the user's export jurisdiction (a user may read more than they may export).
    qs = qs.restrict(request.user, LIST_EXPORT) if hasattr(qs, "restrict") else qs.none()
    if spec.related:
        qs = qs.select_related(*spec.related)
    total = qs.count()
    if total > EXPORT_MAX_ROWS:
        return render(request, "core/export_refused.html", {"list": state, "total": total,
                                                            "limit": EXPORT_MAX_ROWS}, status=413)
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=spec.name[:31])
    sheet.append([safe_cell(str(c.header)) for c in spec.columns])
    written = full_rows = 0
    batch: list = []

    def flush():
        nonlocal written, full_rows
        names = place_names(getattr(r, spec.code_field, "") for r in batch)
        if spec.prepare is not None:
            spec.prepare(batch)
        for r in batch:
            r.place = names.get(getattr(r, spec.code_field, ""))
            row_full = full and spec.may_reveal(request.user, r)
            full_rows += row_full
            sheet.append([safe_cell(_plain(c.value(r, row_full))) for c in spec.columns])
        written += len(batch)
        batch.clear()

    for row in qs.iterator(chunk_size=EXPORT_CHUNK):
        batch.append(row)
        if len(batch) >= EXPORT_CHUNK:
            flush()
    flush()
    audit_record(actor=request.user, action="list.export", object_type=spec.name, object_repr=spec.name,
                 jurisdiction_code=_audit_code(request.user), reason=reason,
                 changes={"filter": state.params, "sort": state.sort, "rows": written, "full_rows": full_rows})
    out = tempfile.TemporaryFile()
    book.save(out)
    out.seek(0)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return FileResponse(out, as_attachment=True, filename=f"{spec.name}-{stamp}.xlsx",
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _plain(value):
    """What openpyxl can write: lazy translations as text."""
    return str(value) if isinstance(value, Promise) else value


def mark(value: bool) -> str:
    """A yes/no column: "yes" or empty."""
    return _("yes") if value else ""


def local(value):
    """A datetime as the local wall time without its zone (XLSX holds no time zones); dates as they are."""
    if value is None:
        return None
    if hasattr(value, "tzinfo") and value.tzinfo is not None:
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def _describe(events) -> None:
    from .audit_words import audit_describe

    audit_describe(events)


AUDIT = ListSpec(
    name="audit",
    sorts={"at": ("at",), "user": ("actor_name",), "action": ("action",), "object": ("object_type", "object_id")},
    default_sort="-at",
    personal=False,  # the log holds names of personal fields, never their values
    code_field="jurisdiction_code",
    prepare=_describe,
    columns=(
        Column(gettext_lazy("Time"), lambda e, full: local(e.at)),
        Column(gettext_lazy("User"), lambda e, full: e.actor_display),
        Column(gettext_lazy("Action"), lambda e, full: e.action_label),
        Column(gettext_lazy("Object type"), lambda e, full: e.object_type),
        Column(gettext_lazy("Object"), lambda e, full: e.object_id),
        Column(gettext_lazy("Object name"), lambda e, full: e.object_repr),
        Column(gettext_lazy("Jurisdiction"), lambda e, full: e.jurisdiction_code),
        Column(gettext_lazy("Community / grid"), lambda e, full: place_text(e.place, e.jurisdiction_code)
               if e.place else ""),
        Column(gettext_lazy("Changes"), lambda e, full: "\n".join(e.change_lines)),
        Column(gettext_lazy("Reason"), lambda e, full: e.reason),
        Column(gettext_lazy("Client address"), lambda e, full: e.ip or ""),
    ),
)
