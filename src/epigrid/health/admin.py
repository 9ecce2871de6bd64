"""Read-only admin views: every write goes through the services (scoped and audited)."""

from django.contrib import admin

from epigrid.core.admin import ReadOnlyAdmin

from .models import Alert, CheckIn, HealthStatus, Observation


@admin.register(Observation)
class ObservationAdmin(ReadOnlyAdmin):
    list_display = ("uid", "grid_code", "kind", "reason", "start", "planned_end", "status")
    list_filter = ("status", "kind", "reason")
    search_fields = ("grid_code",)


@admin.register(CheckIn)
class CheckInAdmin(ReadOnlyAdmin):
    list_display = ("observation", "grid_code", "date", "slot", "by", "recorded_at")
    list_filter = ("slot", "by")


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ("observation", "grid_code", "kind", "status", "date", "slot")
    list_filter = ("kind", "status")


@admin.register(HealthStatus)
class HealthStatusAdmin(ReadOnlyAdmin):
    list_display = ("resident", "grid_code", "colour", "rule", "updated_at")
    list_filter = ("colour",)
