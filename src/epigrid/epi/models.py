"""Epidemic tracing (流调): cases (病例), close and secondary contacts (密切接触者 / 次密接), the exposures that
make a person a contact, infector-infectee links between cases, clusters (聚集性疫情), a case's activity
trajectory (活动轨迹) and the tracing tasks given to grid workers.

The transmission graph is a graph of people (registry residents): an exposure is an edge from its source
person (a case, or a contact for 次密接) to the contact, a link an edge from the infector's person to the
infectee's. Every row carries the grid code of the person it is about (scope_field), so reads are scoped
like every other record and the tables shard by jurisdiction; `city_code` (first four digits) keeps case
numbers and clusters per city."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from epigrid.core.ids import uuid7
from epigrid.core.scoping import ScopedQuerySet


class Classification(models.TextChoices):
    SUSPECTED = "suspected", pgettext_lazy("case", "Suspected")
    CONFIRMED = "confirmed", pgettext_lazy("case", "Confirmed")
    ASYMPTOMATIC = "asymptomatic", _("Asymptomatic infection")
    # A suspected case ruled out (排除): kept, never deleted, so that its contacts' history stays whole.
    EXCLUDED = "excluded", pgettext_lazy("case", "Excluded")


# Who counts as infected (figures, clusters, chains' colours): not a suspected or excluded case.
INFECTED = (Classification.CONFIRMED, Classification.ASYMPTOMATIC)


class Severity(models.TextChoices):
    MILD = "mild", _("Mild")
    MODERATE = "moderate", pgettext_lazy("severity", "Moderate")
    SEVERE = "severe", _("Severe")
    CRITICAL = "critical", _("Critical")


class FoundBy(models.TextChoices):
    RISK_SCREENING = "risk_screening", _("Screening of a risk group")
    OBSERVATION = "observation", pgettext_lazy("found by", "During observation")
    FEVER_CLINIC = "fever_clinic", _("Fever clinic")
    ARRIVAL = "arrival", _("Arrival check")
    COMMUNITY_TESTING = "community_testing", _("Community testing")
    OTHER = "other", _("Other")


class Outcome(models.TextChoices):
    NONE = "", _("Not yet")
    RECOVERED = "recovered", _("Recovered and discharged")
    DIED = "died", _("Died")
    TRANSFERRED = "transferred", _("Transferred out")


class Case(models.Model):
    uid = models.UUIDField(default=uuid7, unique=True, editable=False)
    # Unique per city (Meta): "110100-2026-000123" style numbers, given by services.case_number_next.
    number = models.CharField(_("case number"), max_length=32)
    city_code = models.CharField(max_length=4)
    resident = models.ForeignKey("residents.Resident", on_delete=models.PROTECT, related_name="cases",
                                 verbose_name=_("person"), db_index=False)
    grid_code = models.CharField(_("grid"), max_length=15)  # the address grid: the case's jurisdiction
    # The node of the unit that reported the case (a district's CDC, a hospital's street...): it also sees it.
    reporting_code = models.CharField(_("reporting unit"), max_length=15)
    classification = models.CharField(_("classification"), max_length=16, choices=Classification.choices)
    severity = models.CharField(_("clinical severity"), max_length=16, choices=Severity.choices, blank=True)
    onset_date = models.DateField(_("onset date"), null=True, blank=True)
    sampling_date = models.DateField(_("sampling date"), null=True, blank=True)
    diagnosis_date = models.DateField(_("diagnosis date"), null=True, blank=True)
    report_date = models.DateField(_("report date"))
    found_by = models.CharField(_("found through"), max_length=20, choices=FoundBy.choices, default=FoundBy.OTHER)
    imported = models.BooleanField(_("imported"), default=False)  # 输入 (came from elsewhere) vs local
    place = models.CharField(_("hospital or isolation place"), max_length=100, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True, default="")
    outcome_date = models.DateField(_("outcome date"), null=True, blank=True)
    # Where the case came from, when created with one action from a health alert or an arrival.
    alert = models.ForeignKey("health.Alert", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                              db_index=False)
    arrival = models.ForeignKey("residents.Arrival", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", db_index=False)
    client_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    scope_field = "grid_code"
    scope_also = ("reporting_code",)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-report_date", "-id"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        constraints = [models.UniqueConstraint(fields=["city_code", "number"], name="case_number_per_city")]
        indexes = [
            models.Index(fields=["grid_code", "report_date"], name="case_grid"),  # scoped lists, by report date
            models.Index(fields=["reporting_code"], name="case_reporting"),  # what a unit reported
            models.Index(fields=["resident"], name="case_person"),  # a person's cases, the chain's nodes
        ]

    def __str__(self):
        return self.number


class CaseChange(models.Model):
    """The history of a case's classification, severity and outcome (a reclassification is never lost)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="changes")
    grid_code = models.CharField(_("grid"), max_length=15)
    field = models.CharField(max_length=32)
    previous = models.CharField(max_length=32, blank=True)
    value = models.CharField(max_length=32, blank=True)
    on = models.DateField(_("date"))  # the day the change took effect (a diagnosis date, an outcome date)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="+")

    scope_field = "grid_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.field}: {self.previous}→{self.value}"


class Degree(models.IntegerChoices):
    CLOSE = 1, _("Close contact")
    SECONDARY = 2, _("Secondary contact")


class ContactStatus(models.TextChoices):
    MANAGED = "managed", _("Under management")
    RELEASED = "released", _("Released")
    BECAME_CASE = "became_case", _("Became a case")


class Contact(models.Model):
    """A person managed as a close (or secondary) contact: one record per person and management period,
    whatever the number of sources (each is an Exposure). Its observation lives in the health app."""

    uid = models.UUIDField(default=uuid7, unique=True, editable=False)
    resident = models.ForeignKey("residents.Resident", on_delete=models.PROTECT, related_name="contacts",
                                 verbose_name=_("person"), db_index=False)
    grid_code = models.CharField(_("grid"), max_length=15)
    city_code = models.CharField(max_length=4)
    degree = models.PositiveSmallIntegerField(_("degree"), choices=Degree.choices, default=Degree.CLOSE)
    status = models.CharField(_("status"), max_length=16, choices=ContactStatus.choices,
                              default=ContactStatus.MANAGED)
    last_exposure = models.DateField(_("last exposure"))
    # From the last exposure by the city's management rule (rules.py): observation ends on this day.
    management_end = models.DateField(_("management ends"))
    rule = models.CharField(_("rule"), max_length=32)
    observation = models.ForeignKey("health.Observation", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", db_index=False)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             db_index=False)  # the case this contact became
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    scope_field = "grid_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-last_exposure", "-id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.UniqueConstraint(fields=["resident"], condition=models.Q(status="managed"),
                                    name="contact_one_managed_per_person"),
        ]
        indexes = [
            models.Index(fields=["grid_code", "status", "last_exposure"], name="contact_grid"),
            models.Index(fields=["resident"], name="contact_person"),
        ]

    def __str__(self):
        return f"{self.get_degree_display()} {self.last_exposure}"


class Setting(models.TextChoices):
    HOUSEHOLD = "household", _("Household")
    WORKPLACE = "workplace", _("Workplace")
    TRANSPORT = "transport", _("Transport")
    GATHERING = "gathering", _("Gathering")
    HEALTHCARE = "healthcare", _("Healthcare")
    VENUE = "venue", _("Venue")
    OTHER = "other", _("Other")


class Exposure(models.Model):
    """One source exposed one person: an edge of the transmission graph, from `source` to `person`."""

    uid = models.UUIDField(default=uuid7, unique=True, editable=False)
    source = models.ForeignKey("residents.Resident", on_delete=models.PROTECT, related_name="exposures_caused",
                               verbose_name=_("source"), db_index=False)
    source_case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="exposures",
                                    db_index=False)
    source_contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="exposures_caused", db_index=False)
    person = models.ForeignKey("residents.Resident", on_delete=models.PROTECT, related_name="exposures",
                               verbose_name=_("person exposed"), db_index=False)
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="exposures", db_index=False)
    grid_code = models.CharField(_("grid"), max_length=15)  # the exposed person's
    setting = models.CharField(_("setting"), max_length=16, choices=Setting.choices)
    # The place, vehicle (train, flight or plate number) or venue; for transport also the seat.
    place = models.CharField(_("place or vehicle"), max_length=100, blank=True)
    seat = models.CharField(_("seat"), max_length=20, blank=True)
    # `setting` + the place in a normalised form: exposures that share it share a setting (clusters).
    place_key = models.CharField(max_length=120, blank=True)
    first_date = models.DateField(_("first exposure"))
    last_date = models.DateField(_("last exposure"))
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    client_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    scope_field = "grid_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-last_date", "-id"]
        verbose_name = _("exposure")
        verbose_name_plural = _("exposures")
        constraints = [models.UniqueConstraint(fields=["source", "person", "setting", "first_date"],
                                               name="exposure_once")]
        indexes = [
            models.Index(fields=["source"], name="exposure_source"),  # the chain, downwards
            models.Index(fields=["person"], name="exposure_person"),  # the chain, upwards
            models.Index(fields=["contact"], name="exposure_contact"),
            models.Index(fields=["place_key"], name="exposure_place", condition=~models.Q(place_key="")),
        ]

    def __str__(self):
        return f"{self.get_setting_display()} {self.first_date}–{self.last_date}"


class Evidence(models.TextChoices):
    SHARED_EXPOSURE = "shared_exposure", _("Shared exposure")
    HOUSEHOLD = "household", _("Household")
    SEQUENCING = "sequencing", _("Genome sequencing")
    EPIDEMIOLOGICAL = "epidemiological", _("Epidemiological investigation")


class Link(models.Model):
    """Infector -> infectee, between two cases (and so between their persons)."""

    uid = models.UUIDField(default=uuid7, unique=True, editable=False)
    infector = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="infected", db_index=False)
    infectee = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="infected_by", db_index=False)
    grid_code = models.CharField(_("grid"), max_length=15)  # the infectee's
    evidence = models.CharField(_("evidence"), max_length=20, choices=Evidence.choices)
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    scope_field = "grid_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("transmission link")
        constraints = [models.UniqueConstraint(fields=["infector", "infectee"], name="link_once")]
        indexes = [models.Index(fields=["infectee"], name="link_infectee")]

    def __str__(self):
        return f"{self.infector_id}→{self.infectee_id}"


class ClusterStatus(models.TextChoices):
    PROPOSED = "proposed", pgettext_lazy("cluster", "Proposed")
    CONFIRMED = "confirmed", pgettext_lazy("cluster", "Confirmed")
    DISMISSED = "dismissed", pgettext_lazy("cluster", "Dismissed")


class Cluster(models.Model):
    """2 or more infected cases within 14 days in one small setting (聚集性疫情): proposed from shared
    settings and links (clusters.py), confirmed or dismissed by staff, and named."""

    uid = models.UUIDField(default=uuid7, unique=True, editable=False)
    city_code = models.CharField(max_length=4)
    grid_code = models.CharField(_("grid"), max_length=15)  # the grid of its first case: its jurisdiction
    name = models.CharField(_("name"), max_length=100)
    setting = models.CharField(_("setting"), max_length=16, choices=Setting.choices)
    # What the proposal grouped by (a household, a place key, a chain component): a proposal made again
    # from the same key updates that cluster instead of making another.
    key = models.CharField(max_length=160)
    status = models.CharField(_("status"), max_length=16, choices=ClusterStatus.choices,
                              default=ClusterStatus.PROPOSED)
    first_date = models.DateField(_("first case"))
    last_date = models.DateField(_("latest case"))
    case_count = models.PositiveIntegerField(_("cases"), default=0)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    scope_field = "grid_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-last_date", "-id"]
        verbose_name = _("cluster")
        verbose_name_plural = _("clusters")
        constraints = [models.UniqueConstraint(fields=["city_code", "key"], name="cluster_key_per_city")]
        indexes = [models.Index(fields=["grid_code", "status"], name="cluster_grid")]

    def __str__(self):
        return self.name


class ClusterCase(models.Model):
    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="members", db_index=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="cluster_memberships", db_index=False)
    grid_code = models.CharField(_("grid"), max_length=15)  # the case's

    scope_field = "grid_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cluster", "case"], name="cluster_case_once")]
        indexes = [models.Index(fields=["case"], name="cluster_case_case")]

    def __str__(self):
        return f"{self.cluster_id}:{self.case_id}"


class TrajectoryEntry(models.Model):
    """A place and time a case visited (活动轨迹), which staff may turn into exposures."""

    uid = models.UUIDField(default=uuid7, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="trajectory")
    grid_code = models.CharField(_("grid"), max_length=15)  # the case's: who may read it
    start = models.DateTimeField(_("from"))
    end = models.DateTimeField(_("until"))
    place = models.CharField(_("place"), max_length=100)
    setting = models.CharField(_("setting"), max_length=16, choices=Setting.choices, default=Setting.VENUE)
    place_grid_code = models.CharField(_("grid of the place"), max_length=15, blank=True)
    lon = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    scope_field = "grid_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["start", "id"]
        verbose_name = _("trajectory entry")
        verbose_name_plural = _("trajectory")

    def __str__(self):
        return f"{self.place} {self.start:%Y-%m-%d %H:%M}"


class TaskKind(models.TextChoices):
    REACH = "reach", _("Reach the person")
    PLACE = "place", _("Place under management")
    TEST = "test", _("Take a test")


class TaskStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("task", "Open")
    DONE = "done", pgettext_lazy("task", "Done")
    CANCELLED = "cancelled", pgettext_lazy("task", "Cancelled")


class TracingTask(models.Model):
    """Work on one contact given to a grid worker, with a deadline; overdue tasks escalate one level up
    (grid -> community -> street) like incidents."""

    uid = models.UUIDField(default=uuid7, unique=True, editable=False)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="tasks")
    grid_code = models.CharField(_("grid"), max_length=15)  # the contact's
    kind = models.CharField(_("task"), max_length=8, choices=TaskKind.choices)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="tracing_tasks", verbose_name=_("assigned to"),
                                 db_index=False)
    deadline = models.DateTimeField(_("deadline"))
    status = models.CharField(_("status"), max_length=12, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    result = models.CharField(_("result"), max_length=300, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)  # 0 grid, 1 community, 2 street
    escalate_at = models.DateTimeField(null=True, blank=True)  # the deadline, then one period per level
    overdue = models.BooleanField(_("overdue"), default=False)
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")

    scope_field = "grid_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("tracing task")
        verbose_name_plural = _("tracing tasks")
        constraints = [models.UniqueConstraint(fields=["contact", "kind"], condition=models.Q(status="open"),
                                               name="task_one_open_per_kind")]
        indexes = [
            models.Index(fields=["grid_code", "status"], name="task_grid"),
            models.Index(fields=["assignee", "status"], name="task_assignee"),
            # The escalation task's scan: only open tasks that can still go up have it set.
            models.Index(fields=["escalate_at"], name="task_due", condition=models.Q(escalate_at__isnull=False)),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.deadline:%Y-%m-%d}"
