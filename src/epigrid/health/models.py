"""Observation episodes (居家观察 / 集中隔离), their twice-daily check-ins (健康打卡), the alerts these raise,
and each resident's health status colour with its history. Every row carries its grid's code: scoped
reads go through `restrict(user, action)`, and the tables shard by jurisdiction."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from epigrid.core.ids import uuid7
from epigrid.core.scoping import ScopedQuerySet


class Kind(models.TextChoices):
    HOME = "home", _("Home observation")
    CENTRALISED = "centralised", _("Centralised observation")


class Reason(models.TextChoices):
    ARRIVAL = "arrival", _("Arrival from elsewhere")
    CLOSE_CONTACT = "close_contact", _("Close contact")
    OTHER = "other", _("Other")


class Status(models.TextChoices):
    ACTIVE = "active", _("Under observation")
    RELEASED = "released", _("Released")
    HOSPITAL = "hospital", _("Sent to hospital")
    # Two records of one person were merged while both were under observation: the one ending later
    # goes on, this one ended.
    MERGED = "merged", _("Merged into another observation")


class Slot(models.TextChoices):
    AM = "am", _("Morning")
    PM = "pm", _("Afternoon")


class Symptom(models.IntegerChoices):
    """Symptoms, stored together as bits of one integer; no bit set is "none"."""

    FEVER = 1, _("Fever")
    COUGH = 2, _("Cough")
    FATIGUE = 4, _("Fatigue")
    SORE_THROAT = 8, _("Sore throat")
    TASTE_SMELL = 16, _("Loss of taste or smell")
    DIARRHOEA = 32, _("Diarrhoea")
    BREATHING = 64, _("Breathing difficulty")

    @classmethod
    def code(cls, member) -> str:
        return member.name.lower()

    @classmethod
    def codes(cls, bits: int) -> list[str]:
        return [cls.code(s) for s in cls if bits & s.value]

    @classmethod
    def labels_of(cls, bits: int) -> list[str]:
        # Not `labels`: Django's choices classes already have a `labels` property, which shadowed this
        # method and made every page showing a check-in's symptoms answer 500.
        return [str(s.label) for s in cls if bits & s.value]


class By(models.TextChoices):
    RESIDENT = "resident", _("The resident (personal link)")
    WORKER = "worker", _("Staff")


class Colour(models.TextChoices):
    GREEN = "green", _("Green")
    YELLOW = "yellow", _("Yellow")
    RED = "red", _("Red")


class Observation(models.Model):
    uid = models.UUIDField(default=uuid7, unique=True, editable=False)
    resident = models.ForeignKey("residents.Resident", on_delete=models.PROTECT, related_name="observations",
                                 verbose_name=_("resident"))
    grid_code = models.CharField(_("grid"), max_length=15)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.HOME)
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices, default=Reason.OTHER)
    start = models.DateField(_("start"))
    planned_end = models.DateField(_("planned end"))
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="observations", verbose_name=_("responsible grid worker"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    ended_at = models.DateTimeField(null=True, blank=True)  # released or sent to hospital

    scope_field = "grid_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-start", "-id"]
        verbose_name = _("observation")
        verbose_name_plural = _("observations")
        indexes = [models.Index(fields=["grid_code", "status"], name="observation_grid_status")]
        constraints = [
            models.UniqueConstraint(fields=["resident"], condition=models.Q(status="active"),
                                    name="observation_one_active_per_resident"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.start}"


class CheckIn(models.Model):
    observation = models.ForeignKey(Observation, on_delete=models.CASCADE, related_name="checkins")
    grid_code = models.CharField(_("grid"), max_length=15)
    date = models.DateField(_("date"))
    slot = models.CharField(_("slot"), max_length=2, choices=Slot.choices)
    temperature = models.DecimalField(_("temperature (°C)"), max_digits=3, decimal_places=1)
    symptoms = models.PositiveSmallIntegerField(_("symptoms"), default=0)
    by = models.CharField(_("entered by"), max_length=8, choices=By.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    # Generated by the phone or page that sends it: the same id twice stores one check-in.
    client_id = models.CharField(max_length=64, unique=True)

    scope_field = "grid_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-slot", "-id"]
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        constraints = [
            # One check-in per slot: a later one replaces it (services.checkin_record).
            models.UniqueConstraint(fields=["observation", "date", "slot"], name="checkin_one_per_slot"),
        ]

    def __str__(self):
        return f"{self.date} {self.slot} {self.temperature}"

    @property
    def symptom_codes(self) -> list[str]:
        return Symptom.codes(self.symptoms)

    @property
    def symptom_labels(self) -> list[str]:
        return Symptom.labels_of(self.symptoms)


class AlertKind(models.TextChoices):
    FEVER = "fever", _("Fever")
    SYMPTOM = "symptom", _("Symptom")
    OVERDUE = "overdue", _("Missed check-in")


class AlertStatus(models.TextChoices):
    OPEN = "open", _("Open")
    HANDLED = "handled", _("Handled")


class Alert(models.Model):
    observation = models.ForeignKey(Observation, on_delete=models.CASCADE, related_name="alerts")
    checkin = models.ForeignKey(CheckIn, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts")
    grid_code = models.CharField(_("grid"), max_length=15)
    kind = models.CharField(_("kind"), max_length=8, choices=AlertKind.choices)
    status = models.CharField(_("status"), max_length=8, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    # The slot the alert is about (the check-in's, or the one missed).
    date = models.DateField(_("date"))
    slot = models.CharField(_("slot"), max_length=2, choices=Slot.choices)
    created_at = models.DateTimeField(default=timezone.now)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    scope_field = "grid_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        indexes = [models.Index(fields=["grid_code", "status"], name="alert_grid_status")]
        constraints = [
            # A missed slot is reported once, however often the overdue check runs.
            models.UniqueConstraint(fields=["observation", "date", "slot"], condition=models.Q(kind="overdue"),
                                    name="alert_overdue_once"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.date} {self.slot}"


class HealthStatus(models.Model):
    """A resident's current colour (see rules.py); its changes are kept in HealthStatusChange."""

    resident = models.OneToOneField("residents.Resident", on_delete=models.CASCADE, related_name="health_status")
    grid_code = models.CharField(_("grid"), max_length=15, db_index=True)
    colour = models.CharField(_("health status"), max_length=8, choices=Colour.choices, default=Colour.GREEN)
    rule = models.CharField(_("rule"), max_length=32, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    scope_field = "grid_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("health status")
        verbose_name_plural = _("health statuses")

    def __str__(self):
        return self.colour


class HealthStatusChange(models.Model):
    resident = models.ForeignKey("residents.Resident", on_delete=models.CASCADE, related_name="health_history")
    grid_code = models.CharField(_("grid"), max_length=15)
    colour = models.CharField(_("health status"), max_length=8, choices=Colour.choices)
    previous = models.CharField(max_length=8, choices=Colour.choices, blank=True)
    rule = models.CharField(_("rule"), max_length=32, blank=True)
    at = models.DateTimeField(default=timezone.now)

    scope_field = "grid_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("health status change")

    def __str__(self):
        return f"{self.previous}→{self.colour}"
