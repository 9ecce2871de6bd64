"""The case import: each row is a case of a registered person (found by ID number) or of a new person,
reported through the service itself (case_create: clean_case, numbers per city, history, audit, a
contact who becomes a case). A case file is small (tens to thousands of rows), so each row is one
service call in a savepoint of the import's one transaction: any refusal is that row's error, and any
error means nothing is kept."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from epigrid.accounts.roles import EPI_EDIT
from epigrid.core import pii
from epigrid.core.audit import audit_record
from epigrid.core.errors import PermissionDenied, ServiceError
from epigrid.core.principals import Actor, service
from epigrid.core.scoping import user_prefixes
from epigrid.regions.models import Grid

from ..services import case_create, clean_case
from ..services.common import today_local
from .columns import CASE_COLUMNS, CASE_REQUIRED, PERSON_FIELDS, Bad, coded, day, text, yes_no
from .common import EpiOutcome, Problems, Rollback, file_error_report, read_sheet
from .people import blind, people_find, person_cells, pick

DATES = ("onset_date", "sampling_date", "diagnosis_date", "report_date", "outcome_date")
CODED = ("classification", "severity", "found_by", "outcome")
CASE_KIND = "epi.cases.import"


def case_values(raw: dict) -> tuple[dict, list[Bad]]:
    """The case fields of a row, as case_create takes them (a cell left empty is not given)."""
    data, bad = {}, []
    for fld in CODED:
        if fld in raw:
            try:
                value = coded(fld, raw[fld])
            except Bad as exc:
                bad.append(exc)
                continue
            if value is not None:
                data[fld] = value
    for fld in DATES:
        if fld in raw:
            try:
                value = day(fld, raw[fld])
            except Bad as exc:
                bad.append(exc)
                continue
            if value is not None:
                data[fld] = value
    if "imported" in raw:
        try:
            value = yes_no("imported", raw["imported"])
        except Bad as exc:
            bad.append(exc)
        else:
            if value is not None:
                data["imported"] = value
    if "place" in raw and text(raw["place"]):
        data["place"] = text(raw["place"])
    return data, bad


@service
def importer_prefixes(*, actor: Actor) -> tuple[str, ...]:
    prefixes = user_prefixes(actor, EPI_EDIT)
    if not prefixes:
        raise PermissionDenied(_("You may not import tracing data."))
    return prefixes


@service
def cases_import(*, actor: Actor, path, file_name: str = "", report_path: Path | None = None, job_id: str = "",
                 progress: Callable[[int, int], None] | None = None) -> EpiOutcome:
    """Import cases from a CSV or XLSX file (all or nothing). Returns the outcome; `written` says whether
    anything was stored. A file that cannot be read at all raises ImportFileError."""
    prefixes = importer_prefixes(actor=actor)
    path = Path(path)
    try:
        sheet = read_sheet(path, CASE_COLUMNS, CASE_REQUIRED)
    except ServiceError as exc:
        if hasattr(exc, "rows"):
            file_error_report(exc, report_path)
        raise
    outcome = EpiOutcome(file_name=file_name or path.name, format=sheet.format, encoding=sheet.encoding,
                         rows=len(sheet.rows), ignored_columns=sheet.ignored)
    problems = Problems(sheet)
    today, ring = today_local(), pii.keyring()
    prepared = []  # (row number, raw, case data, person cells, blind index)
    seen: dict[str, int] = {}
    for number, raw in sheet.rows:
        data, bad = case_values(raw)
        for b in bad:
            problems.add(number, b.field, b.reason, raw.get(b.field))
        if not bad:
            _values, errors = clean_case(data, today=today)
            problems.add_errors(number, errors, raw)
        given, person, errors = person_cells(raw)
        problems.add_errors(number, errors, raw)
        if "id_number" in person:
            index = blind(person["id_number"], ring)
            if index in seen:
                problems.add(number, "id_number", _("duplicate of row %(n)d") % {"n": seen[index]})
            else:
                seen[index] = number
            prepared.append((number, raw, data, given, index))
    found = people_find([p[4] for p in prepared], prefixes)
    grids = set(Grid.objects.filter(code__in={g["grid_code"] for _n, _r, _d, g, _i in prepared
                                              if g.get("grid_code")}).values_list("code", flat=True))
    try:
        with transaction.atomic():
            for done, (number, raw, data, given, index) in enumerate(prepared, start=1):
                if number in problems:
                    continue
                _one(actor, number, raw, data, given, pick(found.get(index), given.get("grid_code", "")), prefixes,
                     grids, problems, outcome)
                if progress is not None and done % 100 == 0:
                    progress(done, len(prepared))
            if problems:
                raise Rollback
            outcome.written = True
            audit_record(actor=actor, action="epi.import", object_type="job", object_id=job_id,
                         object_repr=outcome.file_name[:200], jurisdiction_code=prefixes[0].ljust(12, "0")
                         if prefixes[0] else "", changes={"what": "cases", "rows": outcome.rows, "created": outcome.created})
    except Rollback:
        outcome.created = 0
        outcome.counts = {}
    problems.finish(outcome, report_path)
    return outcome


def _one(actor, number, raw, data, given, person, prefixes, grids, problems: Problems, outcome: EpiOutcome) -> None:
    grid = given.get("grid_code", "")
    if person is None:
        # A new person: the registry's columns, in a grid of the importer's jurisdiction.
        missing = [f for f in ("name", "grid_code") if not given.get(f)]
        if missing:
            for f in missing:
                problems.add(number, f, _("no such person in your jurisdiction: give %(f)s to register them") % {
                    "f": problems.sheet.columns[f][0]})
            return
        if grid not in grids or not grid.startswith(prefixes):
            problems.add(number, "grid_code", _("no grid %(c)s in your jurisdiction") % {"c": grid}, grid)
            return
        who = {"person": {f: given[f] for f in PERSON_FIELDS if given.get(f)}}
    else:
        who = {"resident": person.uid}
    try:
        with transaction.atomic():
            case_create(actor=actor, data=data, **who)
    except ServiceError as exc:
        problems.add_errors(number, exc.errors or [_Whole(exc.detail)], raw)
        return
    outcome.created += 1
    outcome.counts["cases"] = outcome.created


class _Whole:
    def __init__(self, message):
        self.field, self.message = "id_number", message
