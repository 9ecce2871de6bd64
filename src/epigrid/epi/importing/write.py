"""Storing a contact import's plan with raw writes: observations, contacts, exposures, tasks, the health
status of the people now observed (health.rules.colours_for, as health_status_refresh does), and the
audit: one summary row per grid written to (so the figures of that grid are recounted, as after any
audited write there) and one for the import. Per-record audit rows are deliberately not written for a
bulk import, as for the resident import: the rows carry their created_at and the summary names the job."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection

from epigrid.core.audit import audit_event, audit_record_many
from epigrid.core.ids import uuid7, uuid7_hex
from epigrid.core.principals import actor_user, service
from epigrid.health.models import Colour, HealthStatus, HealthStatusChange, Observation, Reason
from epigrid.health.models import Status as ObservationStatus
from epigrid.health.rules import CONDITIONS, rules, window_days

from ..models import Contact, Exposure, TaskStatus, TracingTask
from .bulk import Table, adapters, allocate_ids, update_many
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


def _obs_id(obs) -> int | None:
    return obs if obs is None or isinstance(obs, int) else obs.id


@service
def plan_write(plan: Plan, *, actor, job_id: str, file_name: str, prefixes: tuple, clock=lambda phase: None) -> None:
    now, today = plan.now, plan.today
    uid = uuid7 if connection.vendor == "postgresql" else uuid7_hex  # SQLite stores the hex text
    day, _time, _uuid = adapters()
    today, now = day(today), day(now)
    plan.workers_load({o.grid_code for o in plan.observations if not o.stored} | {c.grid_code for c in plan.tasks})
    for obs, pk in zip(plan.observations, allocate_ids(Observation, len(plan.observations)), strict=True):
        obs.id = pk
    for contact, pk in zip(plan.contacts, allocate_ids(Contact, len(plan.contacts)), strict=True):
        contact.id = pk
    Table(Observation, OBSERVATION).insert([
        (o.id, uid(), o.resident_id, o.grid_code, o.kind, Reason.CLOSE_CONTACT.value, today, day(o.planned_end),
         plan.workers.get(o.grid_code), ObservationStatus.ACTIVE.value, now) for o in plan.observations])
    update_many(Observation, ("planned_end",), [(o.planned_end, o.id) for o in plan.running.values()
                                                if o.stored and o.changed])
    clock("write observations")
    Table(Contact, CONTACT).insert([
        (c.id, uid(), c.resident_id, c.grid_code, c.grid_code[:4], c.degree, str(c.status), day(c.last_exposure),
         day(c.management_end), c.rule, _obs_id(c.observation), now, now if c.ended else None) for c in plan.contacts])
    update_many(Contact, ("last_exposure", "management_end", "degree", "observation_id"), [
        (c.last_exposure, c.management_end, c.degree, _obs_id(c.observation), c.id)
        for c in plan.managed.values() if c.stored and c.changed])
    clock("write contacts")
    by = getattr(actor_user(actor), "pk", None)
    Table(Exposure, EXPOSURE).insert([
        (uid(), row.source_person, row.source_case, source.id if source is not None and not isinstance(source, int)
         else source, row.person.id, contact.id, row.person.grid_code, row.setting, row.place, row.seat,
         plan.place_key(row), day(row.first), day(row.last), row.notes, now, by)
        for row, contact, source in plan.exposures])
    clock("write exposures")
    deadlines = [(kind, day(deadline)) for kind, deadline in plan.deadlines.items()]
    Table(TracingTask, TASK).insert([
        (uid(), c.id, c.grid_code, kind, plan.workers.get(c.grid_code), deadline, TaskStatus.OPEN.value, "", 0,
         deadline, False, now) for c in plan.tasks for kind, deadline in deadlines])
    clock("write tasks")
    statuses_refresh(plan.observations, plan.now)
    clock("write statuses")
    events = [audit_event(actor=actor, action="epi.import", object_type="job", object_id=job_id,
                          object_repr=file_name[:200], jurisdiction_code=grid, changes={"what": "contacts", "exposures": n})
              for grid, n in sorted(plan.grids.items())]
    events.append(audit_event(actor=actor, action="epi.import", object_type="job", object_id=job_id,
                              object_repr=file_name[:200],
                              jurisdiction_code=prefixes[0].ljust(12, "0") if prefixes[0] else "",
                              changes={"what": "contacts", **plan.counts}))
    audit_record_many(events)
    clock("write audit")


def colours_observed(resident_ids: set[int], observed, now) -> dict[int, tuple[str, str]]:
    """health.rules.colours_for for residents who have just been put under observation (`observed`: a
    subquery of their ids): the same rule table and conditions, first match wins, except that the
    under_observation condition is known to hold, and the others are asked of the subquery instead of a
    list of ids (a list of 100,000 ids costs seconds to send)."""
    since = now - timedelta(days=window_days())
    out, remaining = {}, set(resident_ids)
    for colour, name in rules():
        if name == "under_observation":
            held = remaining
        else:
            query, path = CONDITIONS[name]
            held = set(query(observed, since).values_list(path, flat=True)) & remaining
        out.update(dict.fromkeys(held, (str(colour), name)))
        remaining = remaining - held
        if not remaining:
            break
    out.update(dict.fromkeys(remaining, (Colour.GREEN.value, "")))
    return out


def statuses_refresh(observations: list, now) -> None:
    """health_status_refresh for the people whose observations this import started: their colour, a
    status row inserted or updated, and a history row for each change."""
    if not observations:
        return
    ids = [o.id for o in observations]
    grids = {o.resident_id: o.grid_code for o in observations}
    observed = Observation.objects.filter(pk__range=(min(ids), max(ids)), status=ObservationStatus.ACTIVE,
                                          reason=Reason.CLOSE_CONTACT).values("resident_id")
    colours = colours_observed(set(grids), observed, now)
    current = {rid: (colour, rule) for rid, colour, rule in HealthStatus.objects.filter(
        resident_id__in=observed).values_list("resident_id", "colour", "rule") if rid in grids}
    at = adapters()[1](now)
    inserts, updates, changes = [], [], []
    for rid, (colour, rule) in colours.items():
        previous = current.get(rid)
        if previous is None:
            inserts.append((rid, grids[rid], colour, rule, at))
        elif previous != (colour, rule):
            updates.append((colour, rule, grids[rid], now, rid))
        if (previous[0] if previous else "") != colour:
            changes.append((rid, grids[rid], colour, previous[0] if previous else "", rule, at))
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
