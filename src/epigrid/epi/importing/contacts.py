"""The contact import: rows of exposures (a source case by its number, or a close contact by their ID
number for a secondary contact; the person exposed; setting, place, seat, dates) make or extend
contacts, start or extend their observations and give their grid worker tasks, exactly as
services.exposure_record does one at a time, but in bulk: 100,000 rows in seconds.

The rules are the services' own functions (clean_exposure, source_refusal, place_key, cases_running,
management_period, observation_length, task_deadlines, colours_for for the health status); only the
reads are batched and the writes raw (plan.py simulates _contact_for and _observe row by row in memory,
write.py stores the result). Close contacts go first, then the secondary contacts, whose source may be
a close contact made earlier in the same file. All or nothing; every bad row is reported."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from epigrid.accounts.roles import EPI_EDIT, HEALTH_RECORD
from epigrid.core import pii
from epigrid.core.errors import ServiceError
from epigrid.core.principals import Actor, service
from epigrid.core.scoping import user_prefixes
from epigrid.core.validators import compact_id_number
from epigrid.regions.models import Grid
from epigrid.residents.importing import _bulk_cache
from epigrid.residents.services import resident_create

from ..models import Case, Contact, Degree
from ..services import clean_exposure, source_refusal
from ..services.common import today_local
from .cases import importer_prefixes
from .columns import CONTACT_COLUMNS, CONTACT_REQUIRED, PERSON_FIELDS, Bad, coded, day, text
from .common import EpiOutcome, Problems, Rollback, file_error_report, read_sheet
from .people import Person, as_person, blind, people_find, person_cells, pick
from .plan import Plan
from .write import plan_write

CHUNK = 500
log = logging.getLogger(__name__)
SOURCES = ("source_case", "source_id_number")


@dataclass
class Row:
    number: int
    raw: dict
    given: dict
    index: str
    setting: str
    place: str
    seat: str
    notes: str
    first: object
    last: object
    case_number: str
    source_index: str
    person: Person | None = None
    source_person: int = 0  # the source's resident id
    source_case: int | None = None
    source_contact: object = None  # a contact id, or the planned contact of a close contact in this file
    degree: int = Degree.CLOSE


def _parse(number: int, raw: dict, today, ring, problems: Problems) -> Row | None:
    given, person, errors = person_cells(raw)
    problems.add_errors(number, errors, raw)
    values = {}
    for fld, read in (("setting", coded), ("first_date", day), ("last_date", day)):
        try:
            values[fld] = read(fld, raw.get(fld))
        except Bad as exc:
            problems.add(number, exc.field, exc.reason, raw.get(fld))
            values[fld] = False
    if values["setting"] is None:
        problems.add(number, "setting", _("required"))
    place, seat, notes = text(raw.get("place")), text(raw.get("seat")), text(raw.get("notes"))
    if all(v is not False for v in values.values()):
        errors = clean_exposure(values["setting"], place, seat, notes, values["first_date"], values["last_date"], today)
        problems.add_errors(number, [e for e in errors if e.field != "setting" or values["setting"]], raw)
    case_number, source_number = text(raw.get("source_case")), compact_id_number(text(raw.get("source_id_number")))
    if bool(case_number) == bool(source_number):
        problems.add(number, "source_case" if "source_case" in raw else "source_id_number",
                     _("give a case number or the ID number of a close contact"))
    if number in problems or "id_number" not in person:
        return None
    return Row(number, raw, given, blind(person["id_number"], ring), values["setting"], place, seat, notes,
               values["first_date"], values["last_date"], case_number,
               blind(source_number, ring) if source_number else "")


class _Clock:
    """Seconds per phase, logged (DEBUG) for the benchmark's profile."""

    def __init__(self):
        self.last = time.perf_counter()

    def __call__(self, phase: str) -> None:
        now = time.perf_counter()
        log.debug("contacts_import %s %.2f s", phase, now - self.last)
        self.last = now


def _chunks(items: list):
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


@service
def contacts_import(*, actor: Actor, path, file_name: str = "", report_path: Path | None = None, job_id: str = "",
                    progress: Callable[[int, int], None] | None = None) -> EpiOutcome:
    """Import contacts with their exposures from a CSV or XLSX file (all or nothing). Returns the outcome;
    `written` says whether anything was stored. An unreadable file raises ImportFileError."""
    prefixes = importer_prefixes(actor=actor)
    path = Path(path)
    try:
        sheet = read_sheet(path, CONTACT_COLUMNS, CONTACT_REQUIRED, one_of=SOURCES)
    except ServiceError as exc:
        if hasattr(exc, "rows"):
            file_error_report(exc, report_path)
        raise
    total = len(sheet.rows)
    outcome = EpiOutcome(file_name=file_name or path.name, format=sheet.format, encoding=sheet.encoding,
                         rows=total, ignored_columns=sheet.ignored)
    problems = Problems(sheet)
    today, now, ring = today_local(), timezone.now(), pii.keyring()
    clock = _Clock()
    rows = [r for r in (_parse(n, raw, today, ring, problems) for n, raw in sheet.rows) if r is not None]
    clock("parse")
    if progress:
        progress(total // 4, total)
    try:
        with transaction.atomic(), _bulk_cache():
            _people(actor, rows, prefixes, problems)
            clock("people")
            if progress:
                progress(total // 2, total)
            plan = Plan(actor=actor, today=today, now=now, health=user_prefixes(actor, HEALTH_RECORD),
                        problems=problems)
            rows = [r for r in rows if r.number not in problems]
            _sources(actor, rows, problems, plan)
            clock("sources")
            plan.load([r.person for r in rows if r.number not in problems])
            clock("load")
            for row in sorted(rows, key=lambda r: (r.degree, r.number)):
                if row.number not in problems:
                    plan.add(row)
            clock("plan")
            if problems:
                raise Rollback
            if progress:
                progress(total * 3 // 4, total)
            plan_write(plan, actor=actor, job_id=job_id, file_name=outcome.file_name, prefixes=prefixes, clock=clock)
            outcome.written = True
            outcome.created, outcome.updated = len(plan.exposures), plan.counts["contacts_extended"]
            outcome.counts = dict(plan.counts)
    except Rollback:
        outcome.created = outcome.updated = 0
        outcome.counts = {}
    problems.finish(outcome, report_path)
    return outcome


def _people(actor, rows: list[Row], prefixes, problems: Problems) -> None:
    """Each row's person: found by ID number in reach, or registered through the registry's service."""
    found = people_find([r.index for r in rows] + [r.source_index for r in rows], prefixes)
    registered: dict[str, Person] = {}
    new = [r for r in rows if pick(found.get(r.index), r.given.get("grid_code", "")) is None]
    grids = set()
    for part in _chunks(sorted({r.given["grid_code"] for r in new if r.given.get("grid_code")})):
        grids |= set(Grid.objects.filter(code__in=part).values_list("code", flat=True))
    for row in rows:
        row.person = pick(found.get(row.index), row.given.get("grid_code", "")) or registered.get(row.index)
        if row.person is not None:
            continue
        grid = row.given.get("grid_code", "")
        missing = [f for f in ("name", "grid_code") if not row.given.get(f)]
        if missing:
            for f in missing:
                problems.add(row.number, f, _("no such person in your jurisdiction: give %(f)s to register them")
                             % {"f": CONTACT_COLUMNS[f][0]})
            continue
        if grid not in grids or not grid.startswith(prefixes):
            problems.add(row.number, "grid_code", _("no grid %(c)s in your jurisdiction") % {"c": grid}, grid)
            continue
        try:
            with transaction.atomic():
                resident = resident_create(actor=actor, data={f: row.given[f] for f in PERSON_FIELDS
                                                                if row.given.get(f)})
        except ServiceError as exc:
            problems.add_errors(row.number, [type(e)(f"person.{e.field}", e.message) for e in exc.errors], row.raw)
            continue
        row.person = registered[row.index] = as_person(resident)
    # The source's person for a secondary contact (found the same way: in reach, by ID number).
    for row in rows:
        if row.source_index:
            source = pick(found.get(row.source_index)) or registered.get(row.source_index)
            row.source_person = source.id if source else 0
            row.degree = Degree.SECONDARY


def _sources(actor, rows: list[Row], problems: Problems, plan: Plan) -> None:
    """Source cases by number, source contacts by their person; refusals by the services' rule."""
    numbers = {r.case_number for r in rows if r.case_number}
    cases = {}
    # The cases of the cities named by the numbers (1101-2026-00042), in reach: one read, not a long list.
    for pk, number, resident, classification in Case.objects.restrict(actor, EPI_EDIT).filter(
            city_code__in={n[:4] for n in numbers}).values_list("id", "number", "resident_id", "classification"):
        if number in numbers:
            cases[number] = Case(pk=pk, number=number, resident_id=resident, classification=classification)
    persons = sorted({r.source_person for r in rows if r.source_person})
    contacts: dict[int, Contact] = {}
    for part in _chunks(persons):
        for contact in Contact.objects.restrict(actor, EPI_EDIT).filter(resident_id__in=part).only(
                "id", "resident_id", "degree", "status").order_by("id"):
            held = contacts.get(contact.resident_id)
            if held is None or held.status != "managed":  # the managed one, else the latest
                contacts[contact.resident_id] = contact
    close_in_file = {r.person.id for r in rows if not r.source_index}
    plan.source_households(set(persons) | {c.resident_id for c in cases.values()})
    for row in rows:
        if row.case_number:
            case = cases.get(row.case_number)
            if case is None:
                problems.add(row.number, "source_case", _("not found in your jurisdiction"), row.case_number)
                continue
            refusal = source_refusal(case)
            row.source_case, row.source_person = case.pk, case.resident_id
        else:
            contact = contacts.get(row.source_person)
            if contact is None and row.source_person in close_in_file:
                row.source_contact = ("planned", row.source_person)
                refusal = None
            elif contact is None:
                problems.add(row.number, "source_id_number", _("not found in your jurisdiction"))
                continue
            else:
                row.source_contact = contact.pk
                refusal = source_refusal(contact)
        if refusal is not None:
            problems.add(row.number, refusal.field, refusal.message)
        elif row.source_person == row.person.id:
            problems.add(row.number, "id_number", _("a person cannot be their own contact"))
