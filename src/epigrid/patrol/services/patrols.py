"""Writes for patrols: plans and checkpoints, start, track points (the hot path: a city's grid workers
send thousands a second), end.

Track points are stored with one multi-row `INSERT ... ON CONFLICT DO NOTHING` on (patrol, recorded_at):
a retried or overlapping batch stores each point once, and the row count says how many were new.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from epigrid.accounts.roles import INCIDENT_MANAGE, PATROL
from epigrid.core.audit import audit_record
from epigrid.core.errors import Conflict, FieldError, NotFound, ServiceError
from epigrid.core.geo import CRS_CHOICES, in_china, to_wgs84
from epigrid.core.principals import Actor, require_user, service
from epigrid.core.scoping import in_scope, user_prefixes
from epigrid.regions.models import Grid

from .. import rollups
from ..checks import CLOCK_SKEW, check_position, check_time, clean_text, raise_if
from ..models import Checkpoint, CheckpointVisit, Patrol, PatrolPlan, TrackPoint

MAX_POINTS = 500
MAX_CHECKPOINTS = 200
EARTH_M = 6_371_008.8
# Points recorded this long before the patrol started are refused (a phone's queue from another walk).
BEFORE_START = timedelta(minutes=10)


def _metres(lon1, lat1, lon2, lat2):
    """Haversine distance in metres, vectorised."""
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_M * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


# ---------------------------------------------------------------- plans

@service
def patrol_plan_set(*, actor: Actor, grid_code: str, times_per_day: int, checkpoints: list[dict],
                    crs: str = "wgs84") -> PatrolPlan:
    """Set a grid's patrol frequency and replace its checkpoints (name, kind, lon, lat, radius_m)."""
    if not isinstance(grid_code, str) or not Grid.objects.restrict(actor, INCIDENT_MANAGE).filter(code=grid_code).exists():
        raise NotFound(_("No such grid."))
    errors: list[FieldError] = []
    if not isinstance(times_per_day, int) or not 0 <= times_per_day <= 24:
        errors.append(FieldError("times_per_day", _("from 0 to 24")))
    if len(checkpoints) > MAX_CHECKPOINTS:
        errors.append(FieldError("checkpoints", _("at most %(n)d") % {"n": MAX_CHECKPOINTS}))
    rows = []
    for i, cp in enumerate(checkpoints[:MAX_CHECKPOINTS]):
        where = f"checkpoints[{i}]."
        name = clean_text(cp.get("name"), f"{where}name", errors, max_length=100)
        kind = cp.get("kind") or Checkpoint.Kind.OTHER
        if kind not in Checkpoint.Kind.values:
            errors.append(FieldError(f"{where}kind", _("must be one of %(k)s") % {"k": ", ".join(Checkpoint.Kind.values)}))
        radius = cp.get("radius_m", 30)
        if not isinstance(radius, int) or isinstance(radius, bool) or not 5 <= radius <= 500:
            errors.append(FieldError(f"{where}radius_m", _("from 5 to 500 metres")))
        position = check_position(cp.get("lon"), cp.get("lat"), crs, errors, prefix=where)
        if position:
            rows.append(dict(name=name, kind=kind, lon=position[0], lat=position[1], radius_m=radius))
    raise_if(errors, _("The patrol plan cannot be saved."))
    with transaction.atomic():
        plan, _created = PatrolPlan.objects.update_or_create(
            grid_code=grid_code, defaults={"times_per_day": times_per_day, "updated_at": timezone.now()})
        plan.checkpoints.all().delete()
        Checkpoint.objects.bulk_create([Checkpoint(plan=plan, grid_code=grid_code, **r) for r in rows])
        audit_record(actor=actor, action="patrol_plan.set", object_type="patrol_plan", object_id=grid_code,
                     jurisdiction_code=grid_code,
                     changes={"times_per_day": times_per_day, "checkpoints": len(rows)})
    return plan


# ---------------------------------------------------------------- patrols

def _worker_grid(actor) -> str | None:
    grids = [p for p in user_prefixes(actor, PATROL) if len(p) == 15]
    return grids[0] if len(grids) == 1 else None


@service
def patrol_start(*, actor: Actor, grid_code: str | None = None, client_id: str | None = None,
                 started_at: datetime | None = None) -> Patrol:
    """Start a patrol of a grid (by default the worker's only grid). A retried start with the same
    client_id returns the same patrol; a second patrol while one is running is refused (409)."""
    require_user(actor)
    if client_id:
        existing = Patrol.objects.filter(client_id=client_id).first()
        if existing is not None:
            if existing.worker_id != actor.pk:
                raise Conflict(_("This client id is already used."), [FieldError("client_id", _("already used"))])
            return existing
    errors: list[FieldError] = []
    if client_id is not None and (not isinstance(client_id, str) or not 8 <= len(client_id) <= 64
                                  or not client_id.isascii()):
        errors.append(FieldError("client_id", _("8 to 64 ASCII characters")))
    check_time(started_at, "started_at", errors, not_before=timezone.now() - timedelta(days=1))
    grid_code = grid_code or _worker_grid(actor)
    if not grid_code:
        errors.append(FieldError("grid_code", _("required: you patrol more than one grid")))
    raise_if(errors, _("The patrol cannot be started."))
    if not in_scope(actor, PATROL, grid_code) or not Grid.objects.filter(code=grid_code).exists():
        raise NotFound(_("No such grid."))
    running = Patrol.objects.filter(worker=actor, status=Patrol.Status.ACTIVE).first()
    if running is not None:
        raise Conflict(_("You are already on a patrol; end it first."), [FieldError("patrol", str(running.pk))])
    planned = Checkpoint.objects.filter(grid_code=grid_code).count()
    with transaction.atomic():
        patrol = Patrol.objects.create(client_id=client_id or None, grid_code=grid_code, worker=actor,
                                       started_at=started_at or timezone.now(), checkpoints_planned=planned)
        audit_record(actor=actor, action="patrol.start", object_type="patrol", object_id=patrol.pk,
                     jurisdiction_code=grid_code)
    return patrol


def _own_patrol(actor, patrol_id: int) -> Patrol:
    """The actor's own patrol, still in their patrol scope (a membership may have been withdrawn).
    Written without restrict()'s query building: this runs for every batch of track points."""
    require_user(actor)
    rows = (list(Patrol.objects.filter(pk=patrol_id, worker_id=actor.pk).order_by()[:1])
            if isinstance(patrol_id, int) else [])
    patrol = rows[0] if rows else None
    if patrol is None or not in_scope(actor, PATROL, patrol.grid_code):
        raise NotFound(_("No such patrol."))
    return patrol


def _parse_points(points, crs: str, started_at: datetime) -> tuple[list[FieldError], list[tuple]]:
    errors: list[FieldError] = []
    if crs not in CRS_CHOICES:
        return [FieldError("crs", _("must be one of %(c)s") % {"c": ", ".join(CRS_CHOICES)})], []
    if not isinstance(points, list) or not 1 <= len(points) <= MAX_POINTS:
        return [FieldError("points", _("send 1 to %(n)d points") % {"n": MAX_POINTS})], []
    now = timezone.now()
    lons = np.array([p["lon"] for p in points], dtype=float)
    lats = np.array([p["lat"] for p in points], dtype=float)
    ok = np.isfinite(lons) & np.isfinite(lats)
    ok[ok] = in_china(lons[ok], lats[ok])
    for i in np.flatnonzero(~ok):
        errors.append(FieldError(f"points[{i}].lon", _("position outside China (expected longitude, latitude in degrees)")))
    for i, p in enumerate(points):
        t = p["t"]
        if timezone.is_naive(t):
            errors.append(FieldError(f"points[{i}].t", _("must include a time zone")))
        elif t > now + CLOCK_SKEW:
            errors.append(FieldError(f"points[{i}].t", _("is in the future")))
        elif t < started_at - BEFORE_START:
            errors.append(FieldError(f"points[{i}].t", _("is before the patrol started")))
        acc = p.get("accuracy")
        if acc is not None and not (0 <= acc <= 10_000):
            errors.append(FieldError(f"points[{i}].accuracy", _("from 0 to 10000 metres")))
    if errors:
        return errors, []
    wlon, wlat = to_wgs84(lons, lats, crs)
    rows = [(p["t"], round(float(x), 7), round(float(y), 7), p.get("accuracy"))
            for p, x, y in zip(points, wlon, wlat, strict=True)]
    return [], rows


@service
def patrol_add_points(*, actor: Actor, patrol_id: int, points: list[dict], crs: str = "wgs84") -> dict:
    """Store a batch of track points {lon, lat, t, accuracy}; all or nothing. Returns how many were new,
    how many the server already had, and the checkpoints visited so far."""
    patrol = _own_patrol(actor, patrol_id)
    if patrol.status != Patrol.Status.ACTIVE:
        raise Conflict(_("This patrol has ended."))
    errors, rows = _parse_points(points, crs, patrol.started_at)
    if errors:
        raise ServiceError(_("Some track points are not valid; none were stored."), errors)
    table = TrackPoint._meta.db_table
    stored = 0
    with transaction.atomic():
        with connection.cursor() as cursor:
            for i in range(0, len(rows), 100):
                chunk = rows[i:i + 100]
                values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(chunk))
                params = [v for t, x, y, a in chunk for v in (patrol.pk, patrol.grid_code, t, x, y, a)]
                cursor.execute(f"INSERT INTO {table} (patrol_id, grid_code, recorded_at, lon, lat, accuracy_m) "
                               f"VALUES {values} ON CONFLICT (patrol_id, recorded_at) DO NOTHING", params)
                stored += cursor.rowcount
        visited = patrol.checkpoints_visited
        if stored:
            Patrol.objects.filter(pk=patrol.pk).update(point_count=F("point_count") + stored)
            if patrol.checkpoints_planned:
                visited = _visit_checkpoints(patrol, rows)
            audit_record(actor=actor, action="patrol.points", object_type="patrol", object_id=patrol.pk,
                         jurisdiction_code=patrol.grid_code, changes={"points": stored})
    return {"stored": stored, "duplicates": len(rows) - stored, "checkpoints_visited": visited}


def _visit_checkpoints(patrol: Patrol, rows: list[tuple]) -> int:
    """Record the checkpoints that any of these points falls within; the patrol's visited count."""
    checkpoints = list(Checkpoint.objects.filter(grid_code=patrol.grid_code).values_list("id", "lon", "lat", "radius_m"))
    if not checkpoints:
        return patrol.checkpoints_visited
    cp = np.array([c[1:] for c in checkpoints], dtype=float)
    lon = np.array([r[1] for r in rows])
    lat = np.array([r[2] for r in rows])
    dist = _metres(lon[:, None], lat[:, None], cp[None, :, 0], cp[None, :, 1])  # points x checkpoints
    inside = dist <= cp[None, :, 2]
    visits = []
    for j in np.flatnonzero(inside.any(axis=0)):
        first = min(rows[i][0] for i in np.flatnonzero(inside[:, j]))
        visits.append(CheckpointVisit(patrol_id=patrol.pk, checkpoint_id=checkpoints[j][0],
                                      grid_code=patrol.grid_code, visited_at=first))
    if visits:
        CheckpointVisit.objects.bulk_create(visits, ignore_conflicts=True)
        count = CheckpointVisit.objects.filter(patrol_id=patrol.pk).count()
        Patrol.objects.filter(pk=patrol.pk).update(checkpoints_visited=count)
        return count
    return patrol.checkpoints_visited


def track_distance(patrol: Patrol) -> float:
    """Metres walked, over the points in time order; jumps a walker cannot make (GPS noise, over 15 m/s)
    are left out."""
    pts = list(TrackPoint.objects.filter(patrol=patrol).order_by("recorded_at").values_list("recorded_at", "lon", "lat"))
    if len(pts) < 2:
        return 0.0
    lon = np.array([p[1] for p in pts])
    lat = np.array([p[2] for p in pts])
    secs = np.array([(b[0] - a[0]).total_seconds() for a, b in zip(pts, pts[1:], strict=False)])
    step = _metres(lon[:-1], lat[:-1], lon[1:], lat[1:])
    plausible = step <= np.maximum(secs, 1) * 15
    return round(float(step[plausible].sum()), 1)


@service
def patrol_end(*, actor: Actor, patrol_id: int, ended_at: datetime | None = None) -> Patrol:
    """End a patrol: its distance and checkpoints are final and count in the KPIs. Ending an ended
    patrol again (a retried request) returns it unchanged."""
    patrol = _own_patrol(actor, patrol_id)
    if patrol.status == Patrol.Status.ENDED:
        return patrol
    errors: list[FieldError] = []
    check_time(ended_at, "ended_at", errors, not_before=patrol.started_at)
    raise_if(errors, _("The patrol cannot be ended."))
    now = ended_at or timezone.now()
    with transaction.atomic():
        distance = track_distance(patrol)
        visited = CheckpointVisit.objects.filter(patrol=patrol).count()
        moved = Patrol.objects.filter(pk=patrol.pk, status=Patrol.Status.ACTIVE).update(
            status=Patrol.Status.ENDED, ended_at=now, distance_m=distance, checkpoints_visited=visited)
        if not moved:
            return Patrol.objects.get(pk=patrol.pk)
        patrol.refresh_from_db()
        audit_record(actor=actor, action="patrol.end", object_type="patrol", object_id=patrol.pk,
                     jurisdiction_code=patrol.grid_code,
                     changes={"points": patrol.point_count, "distance_m": distance, "checkpoints": visited})
        rollups.bump(grid_code=patrol.grid_code, at=patrol.started_at, user_id=actor.pk, patrols=1,
                     patrol_seconds=patrol.duration_s, patrol_meters=distance, checkpoints_visited=visited,
                     checkpoints_planned=patrol.checkpoints_planned)
    return patrol
