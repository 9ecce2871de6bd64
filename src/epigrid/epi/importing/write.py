"""Storing a contact import's plan with raw writes: observations, contacts, exposures, tasks, the health
status of the people now observed (health.rules.colours_for, as health_status_refresh does), and the
audit: one summary row per grid written to (so the figures of that grid are recounted, as after any
audited write there) and one for the import. Per-record audit rows are deliberately not written for a
bulk import, as for the resident import: the rows carry their created_at and the summary names the job."""

from __future__ import annotations

from django.db import connection

from epigrid.core.audit import audit_event, audit_record_many
from epigrid.core.ids import uuid7
from epigrid.core.principals import actor_user
from epigrid.health.models import HealthStatus, HealthStatusChange, Observation, Reason
from epigrid.health.models import Status as ObservationStatus
from epigrid.health.rules import colours_for

from ..models import Contact, Exposure, TaskStatus, TracingTask
from .bulk import Table, allocate_ids, update_many
from .plan import Plan

OBSERVATION = ("id", "uid", "resident_id", "grid_code", "kind", "reason", "start", "planned_end", "worker_id",
               "status", "created_at")
CONTACT = ("id", "uid", "resident_id", "grid_code", "city_code", "degree", "status", "last_exposure",
           "management_end", "rule", "observation_id", "created_at", "ended_at")
EXPOSURE = ("uid", "source_id", "source_case_id", "source_contact_id", "person_id", "contact_id", "grid_code",
            "setting", "place", "seat", "place_key", "first_date", "last_date", "notes", "created_at",
            "created_by_id")
TASK = ("uid", "contact_id", "grid_code", "kind", "assignee_id", "deadline", "status", "result", "escalation_level",
        "escalate_at", "overdue", "created_at")
STATUS = ("resident_id", "grid_code", "colour", "rule", "updated_at")
CHANGE = ("resident_id", "grid_code", "colour", "previous", "rule", "at")
CHUNK = 5000


def _obs_id(obs) -> int | None:
    return obs if obs is None or isinstance(obs, int) else obs.id


def plan_write(plan: Plan, *, actor, job_id: str, file_name: str, prefixes: tuple) -> None:
    now, today = plan.now, plan.today
    plan.workers_load({o.grid_code for o in plan.observations if not o.stored} | {c.grid_code for c in plan.tasks})
    for obs, pk in zip(plan.observations, allocate_ids(Observation, len(plan.observations)), strict=True):
        obs.id = pk
    for contact, pk in zip(plan.contacts, allocate_ids(Contact, len(plan.contacts)), strict=True):
        contact.id = pk
    Table(Observation, OBSERVATION).insert([
        (o.id, uuid7(), o.resident_id, o.grid_code, o.kind, Reason.CLOSE_CONTACT.value, today, o.planned_end,
         plan.workers.get(o.grid_code), ObservationStatus.ACTIVE.value, now) for o in plan.observations])
    update_many(Observation, ("planned_end",), [(o.planned_end, o.id) for o in plan.running.values()
                                                if o.stored and o.changed])
    Table(Contact, CONTACT).insert([
        (c.id, uuid7(), c.resident_id, c.grid_code, c.grid_code[:4], c.degree, str(c.status), c.last_exposure,
         c.management_end, c.rule, _obs_id(c.observation), now, now if c.ended else None) for c in plan.contacts])
    update_many(Contact, ("last_exposure", "management_end", "degree", "observation_id"), [
        (c.last_exposure, c.management_end, c.degree, _obs_id(c.observation), c.id)
        for c in plan.managed.values() if c.stored and c.changed])
    by = getattr(actor_user(actor), "pk", None)
    Table(Exposure, EXPOSURE).insert([
        (uuid7(), row.source_person, row.source_case, source.id if source is not None and not isinstance(source, int)
         else source, row.person.id, contact.id, row.person.grid_code, row.setting, row.place, row.seat,
         plan.place_key(row), row.first, row.last, row.notes, now, by)
        for row, contact, source in plan.exposures])
    Table(TracingTask, TASK).insert([
        (uuid7(), c.id, c.grid_code, kind, plan.workers.get(c.grid_code), deadline, TaskStatus.OPEN.value, "", 0,
         deadline, False, now) for c in plan.tasks for kind, deadline in plan.deadlines.items()])
    statuses_refresh([o.resident_id for o in plan.observations], {o.resident_id: o.grid_code for o in plan.observations},
                     now)
    events = [audit_event(actor=actor, action="contact.import", object_type="job", object_id=job_id,
                          object_repr=file_name[:200], jurisdiction_code=grid, changes={"exposures": n})
              for grid, n in sorted(plan.grids.items())]
    events.append(audit_event(actor=actor, action="contact.import", object_type="job", object_id=job_id,
                              object_repr=file_name[:200],
                              jurisdiction_code=prefixes[0].ljust(12, "0") if prefixes[0] else "",
                              changes=dict(plan.counts)))
    audit_record_many(events)


def statuses_refresh(resident_ids: list[int], grids: dict[int, str], now) -> None:
    """health_status_refresh for many residents: their colour by the one rule (colours_for), a status row
    inserted or updated, and a history row for each change."""
    for start in range(0, len(resident_ids), CHUNK):
        part = resident_ids[start:start + CHUNK]
        colours = colours_for(part, now)
        current = dict(HealthStatus.objects.filter(resident_id__in=part).values_list("resident_id", "colour"))
        rules = dict(HealthStatus.objects.filter(resident_id__in=part).values_list("resident_id", "rule"))
        inserts, updates, changes = [], [], []
        for rid, (colour, rule) in colours.items():
            previous = current.get(rid)
            if previous is None:
                inserts.append((rid, grids[rid], colour, rule, now))
            elif previous != colour or rules.get(rid) != rule:
                updates.append((colour, rule, grids[rid], now, rid))
            if (previous or "") != colour:
                changes.append((rid, grids[rid], colour, previous or "", rule, now))
        Table(HealthStatus, STATUS).insert(inserts)
        if updates:
            _status_update(updates)
        Table(HealthStatusChange, CHANGE).insert(changes)


def _status_update(rows: list[tuple]) -> None:
    table = connection.ops.quote_name(HealthStatus._meta.db_table)
    if connection.vendor == "sqlite":
        rows = [(c, r, g, connection.ops.adapt_datetimefield_value(t), rid) for c, r, g, t, rid in rows]
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET colour = %s, rule = %s, grid_code = %s, updated_at = %s "
                           "WHERE resident_id = %s", rows)
