"""Clusters (聚集性疫情): 2 or more infected cases within 14 days in one small setting, proposed from the
data and then confirmed or dismissed, and named, by staff.

Proposals group infected cases (models.INFECTED) by what they share: the same household, the same
exposure place (`place_key`: setting + normalised place), or infector links whose exposure names a
setting. Within each group, cases whose dates (onset, else diagnosis, else report) follow each other by
at most CLUSTER_WINDOW_DAYS make one proposal. A proposal is kept by its `key` (what it groups by, and
the day it began): proposing again updates the cluster that overlaps the same window (its dates and
count, new members added), never makes a second one, and leaves a dismissed cluster dismissed.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from epigrid.accounts.roles import EPI_EDIT, EPI_VIEW
from epigrid.core.audit import audit_event, audit_record, audit_record_many
from epigrid.core.errors import Conflict, FieldError, NotFound, ServiceError
from epigrid.core.ids import uuid7
from epigrid.core.principals import actor_user, service
from epigrid.core.scoping import in_scope, narrow_within, prefix_upper, user_prefixes

from .bulk import insert_rows, update_rows
from .models import (
    INFECTED,
    Case,
    Classification,
    Cluster,
    ClusterCase,
    ClusterStatus,
    Degree,
    Exposure,
    Link,
    Setting,
)

CLUSTER_WINDOW_DAYS = 14
NAME_MAX = 100

_SPACES = re.compile(r"[\s\u3000·・,，.。、;；:：()（）\[\]【】\"'“”‘’\-_/]+")


def place_key(setting: str, place: str) -> str:
    """The setting and the place in one normalised form, so that "北京南站 G101" and "北京南站g101 " are
    one place: full-width folded to half-width (NFKC), lower case, spaces and punctuation dropped.
    Empty when there is no place to share."""
    text = _SPACES.sub("", unicodedata.normalize("NFKC", place or "")).lower()
    if not text:
        return ""
    return f"{setting}:{text}"[:120]


def _windows(members: list[tuple[date, int, str]]) -> list[list[tuple[date, int, str]]]:
    """Split (day, case id, grid) by gaps of more than the window; runs of 2+ distinct cases."""
    runs, run, seen = [], [], set()
    for item in sorted(set(members)):
        if run and (item[0] - run[-1][0]).days > CLUSTER_WINDOW_DAYS:
            runs.append(run)
            run, seen = [], set()
        if item[1] not in seen:
            seen.add(item[1])
            run.append(item)
    runs.append(run)
    return [r for r in runs if len(r) >= 2]


def _day(value) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


_EXPOSURE, _CASE, _LINK = Exposure._meta.db_table, Case._meta.db_table, Link._meta.db_table
# Exposures at a place, read bare (tens of thousands of rows: the ORM's row objects cost seconds).
_PLACES_SQL = (f"SELECT source_id, person_id, setting, place, place_key FROM {_EXPOSURE} "
               f"WHERE place_key <> '' AND setting <> 'household' AND grid_code >= %s AND grid_code < %s")
# Links with the setting of the infector's exposure of the infectee (where one was recorded).
_LINKS_SQL = (f"SELECT a.resident_id, b.resident_id, e.setting, e.place_key FROM {_LINK} l "
              f"JOIN {_CASE} a ON a.id = l.infector_id JOIN {_CASE} b ON b.id = l.infectee_id "
              f"JOIN {_EXPOSURE} e ON e.source_id = a.resident_id AND e.person_id = b.resident_id "
              f"WHERE l.grid_code >= %s AND l.grid_code < %s")


def _groups(city_code: str) -> dict[str, tuple[str, str, list]]:
    """base key -> (setting, place shown in the name, [(day, case id, grid)]) for the city's infected
    cases: by household, by exposure place, by links whose exposure names a setting."""
    cases = (Case.objects.filter(city_code=city_code, classification__in=INFECTED)
             .annotate(day=Coalesce("onset_date", "diagnosis_date", "report_date"))
             .values_list("id", "resident_id", "resident__household_id", "grid_code", "day"))
    sql, params = cases.query.sql_with_params()
    with connection.cursor() as cursor:  # the ORM's statement, its rows read bare (dates as the database gives them)
        cursor.execute(sql, params)
        cases = [(pk, person, household, grid, _day(day)) for pk, person, household, grid, day in cursor.fetchall()]
    by_person: dict[int, list] = defaultdict(list)
    household_of: dict[int, int] = {}
    groups: dict[str, tuple[str, str, list]] = {}
    for case_id, person, household, grid, day in cases:
        by_person[person].append((day, case_id, grid))
        if household:
            household_of[person] = household
        if household:
            groups.setdefault(f"household:{household}", (Setting.HOUSEHOLD, "", []))[2].append((day, case_id, grid))
    bounds = [city_code, prefix_upper(city_code) or ":"]  # ":" sorts after every digit
    with connection.cursor() as cursor:
        cursor.execute(_PLACES_SQL, bounds)
        for source, person, setting, place, key in cursor.fetchall():
            if source in by_person or person in by_person:
                group = groups.setdefault(f"place:{key}", (setting, place, []))[2]
                group.extend(by_person.get(source, ()))
                group.extend(by_person.get(person, ()))
        cursor.execute(_LINKS_SQL, bounds)
        links = cursor.fetchall()
    # Links within a setting that no place names (or within a household the registry does not hold, which
    # the household groups above cannot see): their components, one group per setting.
    parent: dict[int, int] = {}

    def root(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    linked = defaultdict(set)
    for a, b, setting, key in links:
        one_household = household_of.get(a) is not None and household_of.get(a) == household_of.get(b)
        unseen_household = setting == Setting.HOUSEHOLD and not one_household and not key.removeprefix(
            "household:").isdigit()
        if (unseen_household or (setting != Setting.HOUSEHOLD and not key)) and a in by_person and b in by_person:
            parent[root(a)] = root(b)
            linked[setting].update((a, b))
    for setting, people in linked.items():
        components = defaultdict(list)
        for p in people:
            components[root(p)].extend(by_person[p])
        for members in components.values():
            first = min(m[1] for m in members)
            groups[f"link:{setting}:{first}"] = (setting, "", members)
    return groups


class _Namer:
    """Proposal names in the actor's language, the templates and labels translated once per run."""

    def __init__(self):
        self.labels = {value: str(label) for value, label in Setting.choices}
        self.at = _("%(setting)s cluster at %(place)s from %(date)s")
        self.plain = _("%(setting)s cluster from %(date)s")

    def __call__(self, setting: str, place: str, day: date) -> str:
        values = {"setting": self.labels.get(setting, self.labels[Setting.OTHER]), "place": place,
                  "date": day.isoformat()}
        return ((self.at if place else self.plain) % values)[:NAME_MAX]


def _city_in_reach(actor, city_code: str) -> None:
    if not (len(city_code) == 4 and city_code.isascii() and city_code.isdigit()):
        raise ServiceError(_("Please correct the marked fields."), [FieldError("city_code", _("a 4-digit city code"))])
    if not any(p.startswith(city_code) or city_code.startswith(p) for p in user_prefixes(actor, EPI_EDIT)):
        raise NotFound(_("No such city in your jurisdiction."))


class _Proposal:
    __slots__ = ("pk", "uid", "key", "status", "first", "last", "grid", "count", "name", "setting", "members")

    def __init__(self, pk, uid, key, status, first, last, grid, count, name, setting):
        self.pk, self.uid, self.key, self.status, self.first, self.last = pk, uid, key, status, first, last
        self.grid, self.count, self.name, self.setting, self.members = grid, count, name, setting, set()


_CLUSTER_COLUMNS = [("uid", "uuid"), ("city_code", "text"), ("grid_code", "text"), ("name", "text"),
                   ("setting", "text"), ("key", "text"), ("status", "text"), ("first_date", "date"),
                   ("last_date", "date"), ("case_count", "integer"), ("created_at", "timestamptz")]


@service
def clusters_propose(*, actor, city_code: str) -> dict:
    """Propose the city's clusters (see the module): creates new proposals, updates the open or confirmed
    cluster of the same key and window, never touches a dismissed one. Only clusters whose first case
    lies in the actor's jurisdiction (EPI_EDIT) are written. Each new or grown cluster is audited.
    Bare statements (tens of thousands of rows: the ORM's objects would cost seconds). Returns counts."""
    _city_in_reach(actor, city_code)
    window = timedelta(days=CLUSTER_WINDOW_DAYS)
    name = _Namer()
    ops = connection.ops
    with transaction.atomic():
        existing, by_pk = defaultdict(list), {}
        for row in (Cluster.objects.filter(city_code=city_code).select_for_update()
                    .values_list("id", "uid", "key", "status", "first_date", "last_date", "grid_code", "case_count",
                                 "name", "setting")):
            proposal = by_pk[row[0]] = _Proposal(*row)
            existing[proposal.key.rsplit("@", 1)[0]].append(proposal)
        for cluster_id, case_id in ClusterCase.objects.filter(cluster__city_code=city_code).values_list(
                "cluster_id", "case_id"):
            by_pk[cluster_id].members.add(case_id)
        new, changed, fresh_members = [], {}, []
        for base, (setting, place, group) in _groups(city_code).items():
            for run in _windows(group):
                first, last = run[0][0], run[-1][0]
                match = next((c for c in existing[base] if c.first - window <= last and c.last + window >= first),
                             None)
                if match is not None and match.status == ClusterStatus.DISMISSED:
                    continue
                if not in_scope(actor, EPI_EDIT, (match.grid if match else run[0][2])):
                    continue
                if match is None:
                    match = _Proposal(None, uuid7(), f"{base}@{first:%Y%m%d}"[:160], ClusterStatus.PROPOSED, first,
                                      last, run[0][2], 0, name(setting, place, first),
                                      setting if setting in name.labels else Setting.OTHER)
                    existing[base].append(match)
                    new.append(match)
                fresh = [(case_id, grid) for _day, case_id, grid in run if case_id not in match.members]
                if not fresh and match.first <= first and match.last >= last:
                    continue
                match.members.update(case_id for case_id, _grid in fresh)
                fresh_members += [(match, case_id, grid) for case_id, grid in fresh]
                match.first, match.last = min(match.first, first), max(match.last, last)
                if match.pk:
                    changed.setdefault(match.pk, (match, match.count))
        now = ops.adapt_datetimefield_value(timezone.now())
        uid_field = Cluster._meta.get_field("uid")
        insert_rows(Cluster._meta.db_table, _CLUSTER_COLUMNS, [
            (uid_field.get_db_prep_value(c.uid, connection), city_code, c.grid, c.name, c.setting, c.key,
             ClusterStatus.PROPOSED.value, ops.adapt_datefield_value(c.first), ops.adapt_datefield_value(c.last),
             len(c.members), now) for c in new])
        if new:
            ids = dict(Cluster.objects.filter(city_code=city_code).values_list("key", "id"))
            for c in new:
                c.pk = ids[c.key]
        update_rows(Cluster._meta.db_table, [("first_date", "date"), ("last_date", "date"), ("case_count", "integer")],
                    [(ops.adapt_datefield_value(c.first), ops.adapt_datefield_value(c.last), len(c.members), c.pk)
                     for c, _previous in changed.values()])
        insert_rows(ClusterCase._meta.db_table, [("cluster_id", "bigint"), ("case_id", "bigint"), ("grid_code", "text")],
                    [(c.pk, case_id, grid) for c, case_id, grid in fresh_members], conflict_nothing=True)
        events = [(c, {"cases": len(c.members)}) for c in new]
        events += [(c, {"cases": [previous, len(c.members)]}) for c, previous in changed.values()]
        audit_record_many(audit_event(actor=actor, action="cluster.propose", object_type="cluster", object_id=c.uid,
                                      object_repr=c.name, jurisdiction_code=c.grid, changes=changes)
                          for c, changes in events)
    return {"created": len(new), "updated": len(changed), "members_added": len(fresh_members)}


def _cluster_for_edit(actor, uid) -> Cluster:
    cluster = Cluster.objects.restrict(actor, EPI_EDIT).select_for_update().filter(uid=uid).first()
    if cluster is None:
        raise NotFound(_("No such cluster."))
    return cluster


def _clean_name(name) -> str:
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("Please correct the marked fields."), [FieldError("name", _("a name is required"))])
    if len(name) > NAME_MAX:
        raise ServiceError(_("Please correct the marked fields."),
                           [FieldError("name", _("at most %(n)s characters") % {"n": NAME_MAX})])
    return name


@service
def cluster_confirm(*, actor, uid, name: str) -> Cluster:
    """A proposed cluster confirmed by staff, under the name they give it."""
    name = _clean_name(name)
    with transaction.atomic():
        cluster = _cluster_for_edit(actor, uid)
        if cluster.status != ClusterStatus.PROPOSED:
            raise Conflict(_("Only a proposed cluster can be confirmed; this one is %(s)s.")
                           % {"s": cluster.get_status_display()})
        previous = cluster.name
        cluster.status, cluster.name = ClusterStatus.CONFIRMED, name
        cluster.decided_at, cluster.decided_by = timezone.now(), actor_user(actor)
        cluster.save(update_fields=["status", "name", "decided_at", "decided_by"])
        audit_record(actor=actor, action="cluster.confirm", object_type="cluster", object_id=cluster.uid,
                     object_repr=name, jurisdiction_code=cluster.grid_code,
                     changes={"status": ["proposed", "confirmed"], "name": [previous, name]})
    return cluster


@service
def cluster_dismiss(*, actor, uid, reason: str) -> Cluster:
    """A proposed (or confirmed) cluster dismissed, with the reason: later proposals leave it dismissed."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Please correct the marked fields."), [FieldError("reason", _("a reason is required"))])
    with transaction.atomic():
        cluster = _cluster_for_edit(actor, uid)
        if cluster.status == ClusterStatus.DISMISSED:
            raise Conflict(_("This cluster is already dismissed."))
        previous = cluster.status
        cluster.status, cluster.decided_at, cluster.decided_by = ClusterStatus.DISMISSED, timezone.now(), actor_user(actor)
        cluster.save(update_fields=["status", "decided_at", "decided_by"])
        audit_record(actor=actor, action="cluster.dismiss", object_type="cluster", object_id=cluster.uid,
                     object_repr=cluster.name, jurisdiction_code=cluster.grid_code,
                     changes={"status": [previous, "dismissed"]}, reason=reason)
    return cluster


@service
def cluster_rename(*, actor, uid, name: str) -> Cluster:
    name = _clean_name(name)
    with transaction.atomic():
        cluster = _cluster_for_edit(actor, uid)
        previous, cluster.name = cluster.name, name
        cluster.save(update_fields=["name"])
        audit_record(actor=actor, action="cluster.rename", object_type="cluster", object_id=cluster.uid,
                     object_repr=name, jurisdiction_code=cluster.grid_code, changes={"name": [previous, name]})
    return cluster


# ------------------------------------------------------------------ reads

def clusters_list(*, user, status: str = "", within: str = ""):
    qs = narrow_within(Cluster.objects.restrict(user, EPI_VIEW), within)
    if status:
        qs = qs.filter(status=status)
    return qs


def cluster_get(*, user, uid) -> Cluster:
    cluster = Cluster.objects.restrict(user, EPI_VIEW).filter(uid=uid).first()
    if cluster is None:
        raise NotFound(_("No such cluster."))
    return cluster


CONTACTS_SHOWN = 200


def cluster_detail(*, user, cluster: Cluster, today: date | None = None) -> dict:
    """A cluster's cases (masked outside the user's jurisdiction), the contacts its cases exposed (the
    first CONTACTS_SHOWN, and how many), its timeline (cases per day) and growth (new cases reported in
    the last 7 days against the 7 before). A fixed number of statements."""
    today = today or timezone.localdate()
    rows = (Case.objects.filter(cluster_memberships__cluster=cluster)
            .annotate(day=Coalesce("onset_date", "diagnosis_date", "report_date"))
            .order_by("day", "id")
            .values_list("uid", "number", "classification", "grid_code", "reporting_code", "day", "report_date",
                         "resident_id", "resident__uid", "resident__name", "generation"))
    cases, persons, per_day = [], set(), defaultdict(int)
    labels = dict(Classification.choices)
    last7 = prev7 = 0
    for uid, number, cls, grid, reporting, day, reported, person, person_uid, name, generation in rows:
        persons.add(person)
        per_day[day] += 1
        age = (today - reported).days
        last7 += 0 <= age < 7
        prev7 += 7 <= age < 14
        readable = in_scope(user, EPI_VIEW, grid) or in_scope(user, EPI_VIEW, reporting)
        cases.append({"case": uid if readable else None, "number": number if readable else None,
                      "person": person_uid if readable else None, "name": name if readable else None,
                      "masked": not readable, "classification": cls, "date": day, "generation": generation,
                      "classification_label": labels.get(cls, cls)})
    exposures = Exposure.objects.filter(source_id__in=persons).exclude(person_id__in=persons)
    count = exposures.values("person_id").distinct().count()
    contacts, previous, degrees = [], None, dict(Degree.choices)
    for person_uid, name, grid, degree, status, last in (
            exposures.order_by("person_id", "-last_date")
            .values_list("person__uid", "person__name", "contact__grid_code", "contact__degree",
                         "contact__status", "contact__last_exposure")[:CONTACTS_SHOWN * 4]):
        if person_uid == previous or len(contacts) >= CONTACTS_SHOWN:
            continue
        previous = person_uid
        readable = in_scope(user, EPI_VIEW, grid)
        contacts.append({"person": person_uid if readable else None, "name": name if readable else None,
                         "masked": not readable, "degree": degree, "status": status, "last_exposure": last,
                         "degree_label": degrees.get(degree, "")})
    return {"cluster": cluster, "cases": cases, "contacts": contacts, "contacts_count": count,
            "timeline": [{"date": d, "cases": n} for d, n in sorted(per_day.items())],
            "growth": {"last_7_days": last7, "previous_7_days": prev7, "as_of": today}}

