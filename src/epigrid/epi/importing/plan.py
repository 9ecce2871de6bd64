"""What the contact import will write, worked out in memory row by row with the rules of
services.contacts (_contact_for, _observe) and tracing.tasks_create_for, over the state read in bulk
before: managed contacts, running observations, running cases, exposures already recorded and each
grid's first grid worker. Nothing here writes; write.py stores the plan."""

from __future__ import annotations

from collections import Counter

from django.utils.translation import gettext as _

from epigrid.health.models import Observation
from epigrid.health.models import Status as ObservationStatus
from epigrid.regions.models import Grid
from epigrid.residents.models import Resident

from ..models import Contact, ContactStatus, Exposure
from ..rules import contact_rule, management_period
from ..services import cases_running, observation_length, place_key, task_deadlines
from .bulk import as_date, select_in


class PlannedContact:
    __slots__ = ("id", "stored", "resident_id", "grid_code", "degree", "status", "last_exposure", "management_end",
                 "rule", "observation", "changed", "ended")

    def __init__(self, *, resident_id, grid_code, degree, status, last_exposure, management_end, rule, id=None,
                 stored=False, observation=None):
        self.id, self.stored, self.resident_id, self.grid_code, self.degree = id, stored, resident_id, grid_code, degree
        self.status, self.last_exposure, self.management_end, self.rule = status, last_exposure, management_end, rule
        self.observation, self.changed, self.ended = observation, False, False


class PlannedObservation:
    __slots__ = ("id", "stored", "resident_id", "grid_code", "kind", "planned_end", "worker_id", "changed")

    def __init__(self, *, resident_id, grid_code, kind, planned_end, id=None, stored=False, worker_id=None):
        self.id, self.stored, self.resident_id, self.grid_code, self.kind = id, stored, resident_id, grid_code, kind
        self.planned_end, self.worker_id, self.changed = planned_end, worker_id, False


class Plan:
    def __init__(self, *, actor, today, now, health: tuple, problems):
        self.actor, self.today, self.now, self.health, self.problems = actor, today, now, health, problems
        self.rule = contact_rule()
        self.deadlines = task_deadlines(now)
        self.managed: dict[int, PlannedContact] = {}  # resident id -> contact under management
        self.running: dict[int, PlannedObservation] = {}  # resident id -> active observation
        self.contacts: list[PlannedContact] = []  # new ones
        self.observations: list[PlannedObservation] = []  # new ones
        self.exposures: list[tuple] = []  # (row, contact, source contact)
        self.tasks: list[PlannedContact] = []  # new managed contacts: three tasks each
        self.households: dict[int, int | None] = {}
        self.workers: dict[str, int | None] = {}
        self.cases: set[int] = set()
        self.known: dict[tuple, int] = {}  # exposure key -> 0 (recorded before) or the row that records it
        self.grids: Counter = Counter()  # grid -> rows written there (the audit's summary rows)
        self._keys, self._periods = {}, {}
        self.counts = Counter(contacts=0, contacts_extended=0, contacts_released=0, exposures=0, observations=0,
                              observations_extended=0, tasks=0)

    # -- the state before the import -------------------------------------------------------------------

    def source_households(self, resident_ids) -> None:
        self.households.update(select_in(f"SELECT id, household_id FROM {Resident._meta.db_table} "
                                         "WHERE id IN ({in})", resident_ids))

    def load(self, persons: list) -> None:
        """What the people of this file already have: a managed contact, a running observation, a running
        case, exposures recorded."""
        ids = {p.id for p in persons}
        self.households.update((p.id, p.household_id) for p in persons)
        for pk, rid, grid, degree, last, end, rule, obs in select_in(
                "SELECT id, resident_id, grid_code, degree, last_exposure, management_end, rule, observation_id "
                f"FROM {Contact._meta.db_table} WHERE status = %s AND resident_id IN ({{in}})", ids,
                (ContactStatus.MANAGED.value,)):
            self.managed[rid] = PlannedContact(id=pk, stored=True, status=ContactStatus.MANAGED, resident_id=rid,
                                               grid_code=grid, degree=degree, last_exposure=as_date(last),
                                               management_end=as_date(end), rule=rule, observation=obs)
        for pk, rid, grid, kind, end, worker in select_in(
                "SELECT id, resident_id, grid_code, kind, planned_end, worker_id "
                f"FROM {Observation._meta.db_table} WHERE status = %s AND resident_id IN ({{in}})", ids,
                (ObservationStatus.ACTIVE.value,)):
            self.running[rid] = PlannedObservation(id=pk, stored=True, resident_id=rid, grid_code=grid, kind=kind,
                                                   planned_end=as_date(end), worker_id=worker)
        # Running cases (services.cases_running) of the people's cities: far fewer than the people.
        cities = {p.grid_code[:4] for p in persons}
        self.cases = ids & set(cases_running().filter(city_code__in=cities).values_list("resident_id", flat=True))
        self.known = {(source, person, setting, as_date(first)): 0 for source, person, setting, first in select_in(
            f"SELECT source_id, person_id, setting, first_date FROM {Exposure._meta.db_table} "
            "WHERE person_id IN ({in})", ids)}

    def workers_load(self, grid_codes) -> None:
        """Each grid's first active grid worker (regions.selectors.grid_workers' rule: in the order named)."""
        through = Grid.workers.through
        rows = (through.objects.filter(user__is_active=True).order_by("id")
                .values_list("grid__code", "user_id"))
        wanted = set(grid_codes)
        for code, user in rows.iterator(chunk_size=10_000):
            if code in wanted:
                self.workers.setdefault(code, user)

    # -- one row ---------------------------------------------------------------------------------------

    def add(self, row) -> None:
        person = row.person
        if person.id in self.cases:
            self.problems.add(row.number, "id_number", _("already a case: link the two cases instead"))
            return
        key = (row.source_person, person.id, row.setting, row.first)
        seen = self.known.get(key)
        if seen is not None:
            self.problems.add(row.number, "first_date", _("duplicate of row %(n)d") % {"n": seen} if seen
                              else _("already recorded"))
            return
        self.known[key] = row.number
        source_contact = row.source_contact
        if isinstance(source_contact, tuple):  # a close contact made by this file (its row may have failed)
            source_contact = self.managed.get(source_contact[1]) or next(
                (c for c in reversed(self.contacts) if c.resident_id == source_contact[1]), None)
            if source_contact is None:
                self.problems.add(row.number, "source_id_number", _("not found in your jurisdiction"))
                return
        contact = self._contact_for(row, person)
        if contact is None:
            return
        self.exposures.append((row, contact, source_contact))
        self.counts["exposures"] += 1
        self.grids[person.grid_code] += 1

    def place_key(self, row) -> str:
        source, target = self.households.get(row.source_person), self.households.get(row.person.id)
        key = (row.setting, row.place, source if source and source == target else None)
        got = self._keys.get(key)
        if got is None:
            got = self._keys[key] = place_key(row.setting, row.place, household_id=key[2])
        return got

    def period(self, last):
        """management_period, once per last exposure date (a file holds few)."""
        got = self._periods.get(last)
        if got is None:
            got = self._periods[last] = management_period(last, self.today, self.rule)
        return got

    def _contact_for(self, row, person) -> PlannedContact | None:
        period = self.period(row.last)
        contact = self.managed.get(person.id)
        if contact is not None:
            extended = row.last > contact.last_exposure
            changed = extended or row.degree < contact.degree
            if extended:
                contact.last_exposure, contact.management_end = row.last, period.end
            contact.degree = min(contact.degree, row.degree)
            if changed and contact.stored and not contact.changed:
                self.counts["contacts_extended"] += 1
                contact.changed = True
            if extended and period.end >= self.today and not self._observe(row, contact, period):
                return None
            return contact
        ended = period.end < self.today
        contact = PlannedContact(resident_id=person.id, grid_code=person.grid_code, degree=row.degree,
                                 status=ContactStatus.RELEASED if ended else ContactStatus.MANAGED,
                                 last_exposure=row.last, management_end=period.end, rule=period.rule)
        contact.ended = ended
        if not ended:
            if not self._observe(row, contact, period):
                return None
            self.managed[person.id] = contact
            self.tasks.append(contact)
            self.counts["tasks"] += 3
        self.contacts.append(contact)
        self.counts["contacts_released" if ended else "contacts"] += 1
        return contact

    def _observe(self, row, contact: PlannedContact, period) -> bool:
        obs = self.running.get(contact.resident_id)
        if obs is not None:
            if obs.planned_end < period.end:
                obs.planned_end = period.end
                if obs.stored and not obs.changed:
                    self.counts["observations_extended"] += 1
                obs.changed = True
        else:
            if not contact.grid_code.startswith(self.health):  # observation_start's own scope
                self.problems.add(row.number, "id_number", _("no such resident in your jurisdiction"))
                return False
            obs = PlannedObservation(resident_id=contact.resident_id, grid_code=contact.grid_code, kind=period.kind,
                                     planned_end=self.today + _days(period.end, self.today))
            self.running[contact.resident_id] = obs
            self.observations.append(obs)
            self.counts["observations"] += 1
        current = contact.observation
        if not (current is obs or (obs.stored and current == obs.id)):
            contact.observation = obs
            if contact.stored:
                contact.changed = True
        return True


def _days(end, today):
    from datetime import timedelta

    return timedelta(days=observation_length(end, today))
