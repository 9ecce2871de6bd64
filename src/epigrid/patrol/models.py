"""Grid patrol (巡查) and incidents (事件) with their closed loop, deadlines, notifications and KPI rollups.

Every row carries the 15-digit code of its grid (`grid_code`), which is what scoping matches on and what a
sharded database would distribute by.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from epigrid.core.ids import uuid7
from epigrid.core.scoping import ScopedQuerySet


class PatrolPlan(models.Model):
    """How often a grid is to be patrolled, and the checkpoints a patrol should pass."""

    grid_code = models.CharField(_("grid"), max_length=15, unique=True)
    times_per_day = models.PositiveSmallIntegerField(_("patrols a day"), default=2)
    updated_at = models.DateTimeField(default=timezone.now)

    scope_field = "grid_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("patrol plan")

    def __str__(self):
        return f"{self.grid_code} x{self.times_per_day}"


class Checkpoint(models.Model):
    class Kind(models.TextChoices):
        ENTRANCE = "entrance", _("Building entrance")
        MARKET = "market", _("Market")
        GATE = "gate", _("Community gate")
        CHECKPOINT = "checkpoint", _("Checkpoint (卡口)")
        OTHER = "other", _("Other")

    plan = models.ForeignKey(PatrolPlan, on_delete=models.CASCADE, related_name="checkpoints")
    grid_code = models.CharField(_("grid"), max_length=15, db_index=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.OTHER)
    lon = models.FloatField()  # WGS-84
    lat = models.FloatField()
    radius_m = models.PositiveIntegerField(_("radius (m)"), default=30)

    scope_field = "grid_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("checkpoint")

    def __str__(self):
        return self.name


class Patrol(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("On patrol")
        ENDED = "ended", _("Ended")

    client_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    grid_code = models.CharField(_("grid"), max_length=15, db_index=True)
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="patrols")
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    point_count = models.PositiveIntegerField(_("track points"), default=0)
    distance_m = models.FloatField(_("distance (m)"), default=0)
    checkpoints_visited = models.PositiveIntegerField(_("checkpoints visited"), default=0)
    checkpoints_planned = models.PositiveIntegerField(_("checkpoints planned"), default=0)

    scope_field = "grid_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("patrol")
        indexes = [models.Index(fields=["worker", "status"])]

    def __str__(self):
        return f"{self.worker} {self.grid_code} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def duration_s(self) -> float:
        end = self.ended_at or timezone.now()
        return max(0.0, (end - self.started_at).total_seconds())


class TrackPoint(models.Model):
    """One position of a patrol. (patrol, recorded_at) is unique: a phone retrying a batch, or sending
    overlapping batches, stores each point once."""

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="points")
    grid_code = models.CharField(max_length=15)
    recorded_at = models.DateTimeField()
    lon = models.FloatField()  # WGS-84
    lat = models.FloatField()
    accuracy_m = models.FloatField(null=True, blank=True)

    scope_field = "grid_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["patrol", "recorded_at"], name="trackpoint_once")]

    def __str__(self):
        return f"{self.patrol_id} {self.recorded_at:%H:%M:%S} {self.lon:.6f},{self.lat:.6f}"


class CheckpointVisit(models.Model):
    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="visits")
    checkpoint = models.ForeignKey(Checkpoint, on_delete=models.CASCADE, related_name="visits")
    grid_code = models.CharField(max_length=15)
    visited_at = models.DateTimeField()

    scope_field = "grid_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["patrol", "checkpoint"], name="visit_once")]

    def __str__(self):
        return f"{self.patrol_id} -> {self.checkpoint_id}"


class IncidentCategory(models.Model):
    """A node of the category tree. Default names are English source strings shown translated."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    # Time from dispatch to close; overdue after that, and escalated one level up each further period.
    deadline_hours = models.PositiveIntegerField(_("deadline (hours)"), default=48)
    active = models.BooleanField(default=True)
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort", "code"]
        verbose_name = _("incident category")
        verbose_name_plural = _("incident categories")

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        from django.utils.translation import gettext

        return gettext(self.name)


class Incident(models.Model):
    class State(models.TextChoices):
        REPORTED = "reported", _("Reported")
        REGISTERED = "registered", _("Registered")
        REJECTED = "rejected", _("Rejected")
        DISPATCHED = "dispatched", _("Dispatched")
        HANDLED = "handled", _("Handled")
        VERIFIED = "verified", _("Verified")
        CLOSED = "closed", _("Closed")
        EVALUATED = "evaluated", _("Evaluated")

    class Source(models.TextChoices):
        PATROL = "patrol", _("Patrol")
        STAFF = "staff", _("Staff")
        PUBLIC = "public", _("Public")

    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    client_id = models.CharField(max_length=100, unique=True, null=True, blank=True)  # "<principal>:<id>"
    grid_code = models.CharField(_("grid"), max_length=15, db_index=True)
    category = models.ForeignKey(IncidentCategory, on_delete=models.PROTECT, related_name="incidents",
                                 verbose_name=_("category"))
    source = models.CharField(_("source"), max_length=8, choices=Source.choices, default=Source.STAFF)
    description = models.TextField(_("description"), max_length=2000)
    lon = models.FloatField()  # WGS-84
    lat = models.FloatField()
    address = models.CharField(_("address"), max_length=200, blank=True)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.REPORTED)
    # Bumped by every transition: the conditional UPDATE that moves the state matches on it.
    version = models.PositiveIntegerField(default=0)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="reported_incidents")
    reporter_name = models.CharField(_("reporter"), max_length=100, blank=True)  # a member of the public
    patrol = models.ForeignKey(Patrol, null=True, blank=True, on_delete=models.SET_NULL, related_name="incidents")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="assigned_incidents", verbose_name=_("assignee"))
    assignee_unit = models.CharField(_("handling unit"), max_length=100, blank=True)
    # Who handled it last: they do not verify it (workflow.refusal, separation of duties).
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("handled by"))
    reported_at = models.DateTimeField(_("reported"), default=timezone.now)
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    escalate_at = models.DateTimeField(null=True, blank=True, db_index=True)
    overdue = models.BooleanField(_("overdue"), default=False)
    escalation_level = models.PositiveSmallIntegerField(default=0)  # 0 community, 1 street, 2 district
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_on_time = models.BooleanField(null=True)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    scope_field = "grid_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes = [models.Index(fields=["assignee", "state"]), models.Index(fields=["grid_code", "state"])]

    def __str__(self):
        return f"#{self.pk} {self.category} {self.get_state_display()}"


class IncidentEvent(models.Model):
    """One step of an incident's timeline: who moved it from which state to which, when, and why."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    grid_code = models.CharField(max_length=15)
    action = models.CharField(_("action"), max_length=16)
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    actor_name = models.CharField(max_length=150, blank=True)
    at = models.DateTimeField(default=timezone.now)
    comment = models.CharField(_("comment"), max_length=1000, blank=True)
    data = models.JSONField(default=dict, blank=True)

    scope_field = "grid_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"#{self.incident_id} {self.action} {self.from_state}->{self.to_state}"


class IncidentPhoto(models.Model):
    class Stage(models.TextChoices):
        REPORT = "report", _("Report")
        HANDLE = "handle", _("Handling")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="photos")
    grid_code = models.CharField(max_length=15)
    client_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    stage = models.CharField(max_length=8, choices=Stage.choices, default=Stage.REPORT)
    path = models.CharField(max_length=200)  # relative to MEDIA_ROOT; re-encoded, without EXIF
    thumb_path = models.CharField(max_length=200)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    scope_field = "grid_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"#{self.incident_id} {self.stage} {self.path}"


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    grid_code = models.CharField(max_length=15)
    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32)
    message = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    scope_field = "grid_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self):
        return f"{self.user_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"


# Upper edges, in hours, of the time-to-close histogram buckets; the last bucket is open-ended.
CLOSE_BUCKETS_H = (0.5, 1, 2, 3, 4, 6, 8, 12, 16, 24, 36, 48, 72, 96, 120, 168, 240, 336, 720)
CLOSE_COLUMNS = tuple(f"close_h{i:02d}" for i in range(len(CLOSE_BUCKETS_H) + 1))


class KpiDaily(models.Model):
    """Counters per node and day, kept by the services as things happen: the KPI pages sum these rows
    and never scan incidents. A node is a grid, each division above it (`level`), or a reporter within
    a grid (`level` "worker", `user_id` set). Events count on the day they happen."""

    node_code = models.CharField(max_length=15)
    level = models.CharField(max_length=10)
    user_id = models.BigIntegerField(default=0)
    day = models.DateField()
    reported = models.IntegerField(default=0)
    reported_patrol = models.IntegerField(default=0)
    reported_staff = models.IntegerField(default=0)
    reported_public = models.IntegerField(default=0)
    registered = models.IntegerField(default=0)
    rejected = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    closed_on_time = models.IntegerField(default=0)
    escalated = models.IntegerField(default=0)
    patrols = models.IntegerField(default=0)
    patrol_seconds = models.FloatField(default=0)
    patrol_meters = models.FloatField(default=0)
    checkpoints_visited = models.IntegerField(default=0)
    checkpoints_planned = models.IntegerField(default=0)
    # close_h00 .. close_h19 (added below): incidents closed that day per time-to-close bucket, so
    # medians come from the same rows as the counters.

    scope_field = "node_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["level", "node_code", "user_id", "day"], name="kpi_once")]

    def __str__(self):
        return f"{self.level} {self.node_code} {self.user_id or ''} {self.day}"


for _name in CLOSE_COLUMNS:
    KpiDaily.add_to_class(_name, models.IntegerField(default=0))
