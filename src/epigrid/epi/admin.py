"""Read-only admin views without personal values (the admin is not audited per record): numbers, codes,
classifications and dates. People are looked up on the tracing pages, where every reveal is logged."""

from django.contrib import admin

from epigrid.core.admin import ReadOnlyAdmin

from .models import Case, Cluster, Contact, Exposure, Link, TracingTask, TrajectoryEntry


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ("number", "grid_code", "reporting_code", "classification", "severity", "report_date", "outcome")
    list_filter = ("classification", "found_by", "imported", "outcome")
    search_fields = ("number", "grid_code")
    fields = list_display


@admin.register(Contact)
class ContactAdmin(ReadOnlyAdmin):
    list_display = ("uid", "grid_code", "degree", "status", "last_exposure", "management_end", "rule")
    list_filter = ("status", "degree", "rule")
    fields = list_display


@admin.register(Exposure)
class ExposureAdmin(ReadOnlyAdmin):
    list_display = ("uid", "grid_code", "setting", "first_date", "last_date")
    list_filter = ("setting",)
    fields = list_display


@admin.register(Link)
class LinkAdmin(ReadOnlyAdmin):
    list_display = ("uid", "grid_code", "infector", "infectee", "evidence", "created_at")
    list_filter = ("evidence",)
    fields = list_display


@admin.register(Cluster)
class ClusterAdmin(ReadOnlyAdmin):
    list_display = ("name", "grid_code", "setting", "status", "case_count", "first_date", "last_date")
    list_filter = ("status", "setting")
    fields = list_display


@admin.register(TrajectoryEntry)
class TrajectoryEntryAdmin(ReadOnlyAdmin):
    list_display = ("uid", "grid_code", "setting", "start", "end", "place_grid_code")
    fields = list_display


@admin.register(TracingTask)
class TracingTaskAdmin(ReadOnlyAdmin):
    list_display = ("uid", "grid_code", "kind", "status", "deadline", "overdue", "escalation_level")
    list_filter = ("kind", "status", "overdue")
    fields = list_display
