"""Patrols, track points, patrol plans, the category tree, incidents and their workflow, KPIs."""

from datetime import date, datetime
from pathlib import Path
from typing import Literal

from django.conf import settings
from django.http import FileResponse, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, UploadedFile
from ninja.pagination import paginate

from epigrid.core.api import ERRORS, WRITE_ERRORS, Pagination
from epigrid.core.errors import NotFound
from epigrid.core.geo import CHINA_LAT, CHINA_LON, Crs

from . import kpis, selectors, services
from .services import patrols
from .workflow import ACTIONS

router = Router(tags=["patrol"])



# ---------------------------------------------------------------- categories

class CategoryOut(Schema):
    code: str
    name: str
    deadline_hours: int = Field(..., description="From dispatch to close; overdue and escalated after it.")
    children: list["CategoryOut"] = []


CategoryOut.model_rebuild()


@router.get("/incident-categories", response={200: list[CategoryOut], **ERRORS}, summary="The incident category tree")
def incident_categories(request):
    """Report incidents with a leaf category's code."""
    return selectors.category_tree()


class DeadlineIn(Schema):
    deadline_hours: int = Field(..., ge=1, le=24 * 90)


@router.put("/incident-categories/{code}", response={200: CategoryOut, **WRITE_ERRORS},
            summary="Change a category's deadline (city-level managers)")
def incident_category_deadline(request, code: str, body: DeadlineIn):
    c = services.category_set_deadline(actor=request.user, code=code, deadline_hours=body.deadline_hours)
    return {"code": c.code, "name": c.label, "deadline_hours": c.deadline_hours, "children": []}


# ---------------------------------------------------------------- patrols

class PatrolIn(Schema):
    client_id: str | None = Field(None, min_length=8, max_length=64,
                                  description="Client-generated id: a retried start returns the same patrol.")
    grid_code: str | None = Field(None, pattern=r"^\d{15}$", description="Default: your only grid.")
    started_at: datetime | None = None


class PatrolOut(Schema):
    id: int
    grid_code: str
    worker: str
    status: str
    started_at: datetime
    ended_at: datetime | None
    duration_s: float
    point_count: int
    distance_m: float
    checkpoints_visited: int
    checkpoints_planned: int

    @staticmethod
    def resolve_worker(obj):
        return obj.worker.username


class PatrolDetail(PatrolOut):
    track: dict = Field(..., description="GeoJSON LineString, WGS-84, in time order.")

    @staticmethod
    def resolve_track(obj):
        return selectors.patrol_track(obj)


class PointIn(Schema):
    lon: float = Field(..., ge=CHINA_LON[0], le=CHINA_LON[1])
    lat: float = Field(..., ge=CHINA_LAT[0], le=CHINA_LAT[1])
    t: datetime = Field(..., description="When the position was taken, with a time zone; not in the future.")
    accuracy: float | None = Field(None, ge=0, le=10000, description="Metres, as the browser reports it.")


class PointsIn(Schema):
    crs: Crs = Field("wgs84", description="Datum of the positions; stored as WGS-84.")
    points: list[PointIn] = Field(..., min_length=1, max_length=patrols.MAX_POINTS)


class PointsOut(Schema):
    stored: int
    duplicates: int = Field(..., description="Points the server already had (a retried batch).")
    checkpoints_visited: int


class PatrolEndIn(Schema):
    ended_at: datetime | None = None


@router.post("/patrols", response={200: PatrolOut, **WRITE_ERRORS}, summary="Start a patrol")
def patrol_start(request, body: PatrolIn):
    """A grid worker starts patrolling a grid. 409 if a patrol of theirs is still running."""
    p = patrols.patrol_start(actor=request.user, grid_code=body.grid_code, client_id=body.client_id,
                             started_at=body.started_at)
    p.worker = request.user
    return p


@router.get("/patrols", response={200: list[PatrolOut], **ERRORS}, summary="Patrols in your jurisdiction")
@paginate(Pagination, page_size=50)
def patrol_list(request, within: str | None = Query(None, pattern=r"^\d{12}(\d{3})?$"), mine: bool = False):
    return selectors.patrols_list(user=request.user, within=within, mine=mine)


@router.get("/patrols/{patrol_id}", response={200: PatrolDetail, **ERRORS}, summary="One patrol, with its track")
def patrol_detail(request, patrol_id: int):
    return selectors.patrol_get(user=request.user, patrol_id=patrol_id)


@router.post("/patrols/{patrol_id}/points", response={200: PointsOut, **WRITE_ERRORS}, summary="Send track points")
def patrol_points(request, patrol_id: int, body: PointsIn):
    """A batch of positions (up to 500). Idempotent: a point is one (patrol, time); resent points are
    counted as duplicates. Any bad point: 400 naming it (`points[3].t`) and nothing stored."""
    points = [p.dict() for p in body.points]
    return patrols.patrol_add_points(actor=request.user, patrol_id=patrol_id, points=points, crs=body.crs)


@router.post("/patrols/{patrol_id}/end", response={200: PatrolOut, **WRITE_ERRORS}, summary="End a patrol")
def patrol_end(request, patrol_id: int, body: PatrolEndIn | None = None):
    return patrols.patrol_end(actor=request.user, patrol_id=patrol_id, ended_at=body.ended_at if body else None)


class CheckpointIO(Schema):
    name: str
    kind: str = "other"
    lon: float
    lat: float
    radius_m: int = 30


class PlanIn(Schema):
    times_per_day: int = Field(..., ge=0, le=24)
    crs: Crs = "wgs84"
    checkpoints: list[CheckpointIO] = Field([], max_length=patrols.MAX_CHECKPOINTS)


class PlanOut(Schema):
    grid_code: str
    times_per_day: int
    checkpoints: list[CheckpointIO]

    @staticmethod
    def resolve_checkpoints(obj):
        if isinstance(obj, dict):  # a grid without a plan yet
            return obj["checkpoints"]
        return list(obj.checkpoints.all())


@router.get("/grids/{code}/patrol-plan", response={200: PlanOut, **ERRORS}, summary="A grid's patrol plan")
def plan_get(request, code: str):
    plan = selectors.patrol_plan_get(user=request.user, grid_code=code)
    return plan or {"grid_code": code, "times_per_day": 0, "checkpoints": []}


@router.put("/grids/{code}/patrol-plan", response={200: PlanOut, **WRITE_ERRORS}, summary="Set a grid's patrol plan")
def plan_set(request, code: str, body: PlanIn):
    """How many patrols a day, and the checkpoints (replaced as a whole). Needs incident.manage."""
    return patrols.patrol_plan_set(actor=request.user, grid_code=code, times_per_day=body.times_per_day,
                                   checkpoints=[c.dict() for c in body.checkpoints], crs=body.crs)


# ---------------------------------------------------------------- incidents

class IncidentIn(Schema):
    client_id: str | None = Field(None, min_length=8, max_length=64,
                                  description="Client-generated id: the same id twice stores one incident.")
    category: str = Field(..., description="A leaf code from /incident-categories.")
    description: str = Field(..., min_length=1, max_length=2000, pattern=r"\S")
    lon: float = Field(..., ge=CHINA_LON[0], le=CHINA_LON[1], description="Longitude, in China.")
    lat: float = Field(..., ge=CHINA_LAT[0], le=CHINA_LAT[1], description="Latitude, in China.")
    crs: Crs = "wgs84"
    address: str = ""
    reported_at: datetime | None = None
    patrol_id: int | None = Field(None, description="The patrol it was found on (source 'patrol').")


class EventOut(Schema):
    action: str
    from_state: str
    to_state: str
    actor: str = Field(..., alias="actor_name")
    at: datetime
    comment: str
    data: dict


class PhotoOut(Schema):
    id: int
    stage: str
    width: int
    height: int
    url: str
    thumb_url: str

    @staticmethod
    def resolve_url(obj):
        return reverse("api:incident_photo", args=[obj.pk])

    @staticmethod
    def resolve_thumb_url(obj):
        return reverse("api:incident_photo", args=[obj.pk]) + "?thumb=1"


class IncidentOut(Schema):
    id: int
    state: str
    category: str
    category_name: str
    source: str
    description: str
    lon: float
    lat: float
    grid_code: str
    address: str
    reported_at: datetime
    reporter: str | None
    assignee: str | None
    assignee_unit: str
    deadline: datetime | None
    overdue: bool
    escalation_level: int
    closed_at: datetime | None
    closed_on_time: bool | None
    rating: int | None

    @staticmethod
    def resolve_category(obj):
        return obj.category.code

    @staticmethod
    def resolve_category_name(obj):
        return obj.category.label

    @staticmethod
    def resolve_reporter(obj):
        return obj.reporter.username if obj.reporter_id else obj.reporter_name or None

    @staticmethod
    def resolve_assignee(obj):
        return obj.assignee.username if obj.assignee_id else None


class IncidentDetail(IncidentOut):
    actions: list[str] = Field(..., description="Workflow actions you may take now.")
    timeline: list[EventOut]
    photos: list[PhotoOut]


def _detail(request, incident_id: int):
    incident = selectors.incident_get(user=request.user, incident_id=incident_id)
    incident.actions = selectors.incident_actions_for(user=request.user, incident=incident)
    incident.timeline = selectors.incident_timeline(incident)
    return incident


@router.post("/incidents", response={200: IncidentDetail, **WRITE_ERRORS}, summary="Report an incident")
def incident_report(request, body: IncidentIn):
    """Located to the grid containing the position (in your jurisdiction). Photos: POST them to
    /incidents/{id}/photos."""
    incident = services.incident_report(actor=request.user, client_id=body.client_id, category=body.category,
                                        description=body.description, lon=body.lon, lat=body.lat, crs=body.crs,
                                        address=body.address, reported_at=body.reported_at,
                                        patrol_id=body.patrol_id)
    return _detail(request, incident.pk)


class IncidentsQuery(Schema):
    state: Literal[tuple(s.value for s in services.S)] | None = None  # type: ignore[valid-type]
    within: str | None = Field(None, pattern=r"^\d{12}(\d{3})?$")
    mine: bool = Field(False, description="Only those you reported or that were dispatched to you.")
    todo: bool = Field(False, description="Only those waiting for you to act.")


@router.get("/incidents", response={200: list[IncidentOut], **ERRORS}, summary="Incidents in your jurisdiction")
@paginate(Pagination, page_size=50)
def incident_list(request, q: Query[IncidentsQuery]):
    if q.todo:
        return selectors.todo(user=request.user).select_related("reporter", "assignee")
    return selectors.incidents_list(user=request.user, state=q.state, within=q.within,
                                    mine=q.mine).select_related("reporter", "assignee")


@router.get("/incidents/{incident_id}", response={200: IncidentDetail, **ERRORS},
            summary="One incident, with its timeline")
def incident_detail(request, incident_id: int):
    return _detail(request, incident_id)


class ActionIn(Schema):
    comment: str = ""
    reason: Literal["invalid", "duplicate"] | None = Field(None, description="reject: why.")
    duplicate_of: int | None = Field(None, description="reject as duplicate: the original incident's id.")
    assignee: str | None = Field(None, description="dispatch: username of the person to handle it.")
    unit: str = Field("", description="dispatch: the handling unit.")
    result: str = Field("", description="handle: what was done.")
    passed: bool | None = Field(None, description="verify: true, or false to send it back to handling.")
    rating: int | None = Field(None, description="evaluate: 1 to 5.")


def _action_kwargs(action: str, body: ActionIn) -> dict:
    if action == "reject":
        return {"reason": body.reason, "duplicate_of": body.duplicate_of, "comment": body.comment}
    if action == "dispatch":
        return {"assignee": body.assignee, "unit": body.unit, "comment": body.comment}
    if action == "handle":
        return {"result": body.result or body.comment}
    if action == "verify":
        return {"passed": body.passed, "comment": body.comment}
    if action == "evaluate":
        return {"rating": body.rating, "comment": body.comment}
    return {"comment": body.comment}


# Before the {action} route, which would otherwise match "photos".
@router.post("/incidents/{incident_id}/photos", response={200: PhotoOut, **WRITE_ERRORS},
             summary="Add a photo (JPEG, PNG or WebP, up to 10 MB)")
def incident_photo_add(request, incident_id: int, photo: File[UploadedFile],
                       client_id: Form[str | None] = None):
    """Stored re-encoded, without EXIF (no GPS position, no camera serial), with a thumbnail."""
    return services.incident_add_photo(actor=request.user, incident_id=incident_id, photo=photo,
                                       client_id=client_id)


@router.post("/incidents/{incident_id}/{action}", response={200: IncidentDetail, **WRITE_ERRORS},
             summary="Take a workflow step")
def incident_action(request, incident_id: int, action: Literal[ACTIONS], body: ActionIn):  # type: ignore[valid-type]
    """register, reject (reason, duplicate_of), dispatch (assignee and/or unit; the deadline comes from
    the category), handle (result), verify (passed; false sends it back to handling), close, evaluate
    (rating). A step not allowed in the current state: 409, nothing changed; outside your jurisdiction:
    404; in it but not yours to take: 403."""
    services.INCIDENT_ACTIONS[action](actor=request.user, incident_id=incident_id, **_action_kwargs(action, body))
    return _detail(request, incident_id)


@router.get("/incident-photos/{photo_id}", response={200: None, **ERRORS}, url_name="incident_photo",
            summary="A photo (JPEG), or its thumbnail with ?thumb=1")
def incident_photo(request, photo_id: int, thumb: bool = False):
    photo = selectors.photo_get(user=request.user, photo_id=photo_id)
    path = Path(settings.MEDIA_ROOT) / (photo.thumb_path if thumb else photo.path)
    try:
        handle = open(path, "rb")  # noqa: SIM115 (FileResponse closes it)
    except FileNotFoundError:
        raise NotFound(_("No such photo.")) from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


# ---------------------------------------------------------------- notifications

class NotificationOut(Schema):
    id: int
    kind: str
    message: str
    incident_id: int | None
    created_at: datetime
    read_at: datetime | None


@router.get("/notifications", response={200: list[NotificationOut], **ERRORS}, summary="Your notifications")
@paginate(Pagination, page_size=50)
def notification_list(request, unread: bool = False):
    return selectors.notifications_for(user=request.user, unread=unread)


@router.post("/notifications/{notification_id}/read", response={204: None, **ERRORS}, summary="Mark as read")
def notification_read(request, notification_id: int):
    services.notification_read(actor=request.user, notification_id=notification_id)
    return 204, None



# ---------------------------------------------------------------- KPIs

class KpiQuery(Schema):
    within: str = Field(..., pattern=r"^\d{12}(\d{3})?$", description="A division or grid code in your jurisdiction.")
    by: Literal[kpis.BY_LEVELS] | None = Field(  # type: ignore[valid-type]
        None, description="Rows per: district, street, community, grid or worker (default: the level below).")
    date_from: date | None = Field(None, description="Default: 30 days up to date_to.")
    date_to: date | None = Field(None, description="Default: today.")


class KpiFigures(Schema):
    reported: int
    registered: int
    rejected: int
    closed: int
    closed_on_time: int
    escalated: int
    reported_patrol: int
    reported_staff: int
    reported_public: int
    closure_rate: float | None
    on_time_rate: float | None
    median_close_hours: float | None
    patrols: int
    patrols_planned: int | None
    coverage: float | None = Field(..., description="Patrols done / planned.")
    checkpoints_visited: int
    checkpoints_planned: int
    checkpoint_rate: float | None
    patrol_km: float


class KpiRow(KpiFigures):
    code: str
    user_id: int | None
    name: str


class KpiOut(Schema):
    within: str
    by: str
    date_from: date
    date_to: date
    rows: list[KpiRow]
    total: KpiFigures


@router.get("/kpis", response={200: KpiOut, **ERRORS}, summary="KPIs per child node for a period")
def kpi_table(request, q: Query[KpiQuery]):
    """Reported, registered, closed, closure and on-time rates, median time to close, by source, patrol
    coverage and checkpoints, per district / street / community / grid / grid worker. From daily rollups."""
    return kpis.kpi_table(user=request.user, within=q.within, by=q.by, date_from=q.date_from, date_to=q.date_to)


@router.get("/kpis/xlsx", response={200: None, **ERRORS}, url_name="kpi_xlsx", summary="The same KPIs as XLSX")
def kpi_xlsx(request, q: Query[KpiQuery]):
    table = kpis.kpi_table(user=request.user, within=q.within, by=q.by, date_from=q.date_from, date_to=q.date_to)
    response = HttpResponse(kpis.kpi_xlsx(table),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="kpi-{q.within}-{table["date_from"]}-{table["date_to"]}.xlsx"'
    return response
