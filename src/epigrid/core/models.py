from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .ids import uuid7
from .scoping import ScopedQuerySet


class AuditEventQuerySet(ScopedQuerySet):
    def update(self, **kwargs):
        raise TypeError("the audit log is append-only")

    def delete(self):
        raise TypeError("the audit log is append-only")


class AuditEvent(models.Model):
    """One append-only row per write, login or reveal of personal data.

    The application refuses to change or delete a row, and database triggers (migration 0002) refuse
    it on SQLite and PostgreSQL alike, so not even a raw query through the app's connection can.
    Values of secret or personal fields are never stored here, only their names.
    """

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    # No foreign key: deleting a user must not touch (or be blocked by) the log.
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True, db_index=True)
    actor_name = models.CharField(_("actor"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("object name"), max_length=200, blank=True)
    jurisdiction_code = models.CharField(_("jurisdiction"), max_length=15, blank=True, db_index=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    ip = models.GenericIPAddressField(_("client address"), null=True, blank=True)

    scope_field = "jurisdiction_code"
    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("the audit log is append-only")


class Job(models.Model):
    """A piece of background work a user started (an import, a report) and watches: its progress,
    outcome and any file it produced. Filed under a jurisdiction, so only people there see it."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    kind = models.CharField(_("kind"), max_length=64)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    total = models.BigIntegerField(_("total"), null=True, blank=True)
    done = models.BigIntegerField(_("done"), default=0)
    message = models.CharField(_("message"), max_length=500, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    params = models.JSONField(default=dict, blank=True)
    input_file = models.CharField(max_length=300, blank=True)
    report_file = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    jurisdiction_code = models.CharField(_("jurisdiction"), max_length=15, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The process running it ("host:pid:start", see tasks.process_token): a worker starting up fails the
    # running jobs whose process is gone (killed mid-way), instead of leaving them "running" forever.
    runner = models.CharField(max_length=200, blank=True)

    scope_field = "jurisdiction_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("job")

    def __str__(self):
        return f"{self.kind} {self.id} {self.status}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0
