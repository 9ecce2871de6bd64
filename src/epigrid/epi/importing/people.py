"""Who a row is about: the person columns checked by the registry's rule (clean_resident), then the
person found by ID number through the blind index, many at once, as residents.services._holder and
selectors.with_id_number find one: the record holding the number in a city, or, when that record is
out of the importer's reach, the importer's own record stored beside it (duplicate_of). A person the
importer cannot reach is answered like an unknown one; a new person is registered through the
registry's own service (resident_create: validation, protection, matches)."""

from __future__ import annotations

from typing import NamedTuple

from epigrid.core import pii
from epigrid.residents.models import Resident
from epigrid.residents.validation import clean_resident

from .bulk import select_in
from .columns import PERSON_FIELDS, text


class Person(NamedTuple):
    id: int
    uid: object
    grid_code: str
    household_id: int | None
    city_code: str


def person_cells(raw: dict) -> tuple[dict, list]:
    """The person columns a row fills in, checked by the registry's rule (only those given: an existing
    person needs just the ID number). Returns (cells as given, cleaned values, errors)."""
    given = {f: text(raw[f]) for f in PERSON_FIELDS if f in raw and text(raw[f])}
    given.setdefault("id_number", "")
    if "id_type" in raw:
        given.setdefault("id_type", "")
    values, errors = clean_resident(given, partial=True)
    return given, values, errors
    return given, values, errors


def blind(number: str, ring: pii.Keyring) -> str:
    return pii.blind_index(number, "id_number", ring)


_COLUMNS = "id, uid, grid_code, household_id, city_code, id_number_index"


def people_find(indexes, prefixes: tuple[str, ...]) -> dict[str, list[Person]]:
    """Blind index -> the records the importer may reach with that ID number (one per city at most):
    the holder when in `prefixes`, else the importer's oldest record stored beside it."""
    table = Resident._meta.db_table
    found: dict[str, list[Person]] = {}
    # The unique constraint's condition (models.HOLDS_NUMBER) as its index has it, so SQLite uses it.
    holders = select_in(f"SELECT {_COLUMNS} FROM {table} WHERE id_number_index IN ({{in}}) "
                        "AND NOT (id_number_index = '') AND duplicate_of_id IS NULL AND anonymised_at IS NULL",
                        {i for i in indexes if i})
    away = {}
    for row in holders:
        if row[2].startswith(prefixes):
            found.setdefault(row[5], []).append(Person(*row[:5]))
        else:
            away[row[0]] = row
    if away:
        taken = set()
        beside = select_in(f"SELECT {_COLUMNS}, duplicate_of_id FROM {table} WHERE duplicate_of_id IN ({{in}}) "
                           "AND anonymised_at IS NULL", away)
        for row in sorted(beside):
            if row[6] not in taken and row[2].startswith(prefixes):
                taken.add(row[6])
                found.setdefault(row[5], []).append(Person(*row[:5]))
    return found


def pick(candidates: list[Person] | None, grid_code: str = "") -> Person | None:
    """The record of the row's city when it gives a grid, else the only (or oldest) one."""
    if not candidates:
        return None
    if grid_code:
        for person in candidates:
            if person.city_code == grid_code[:4]:
                return person
        return None
    return min(candidates, key=lambda p: p.id)


def as_person(resident: Resident) -> Person:
    return Person(resident.pk, resident.uid, resident.grid_code, resident.household_id, resident.city_code)
