from django.contrib import admin

from .models import IncidentCategory


@admin.register(IncidentCategory)
class IncidentCategoryAdmin(admin.ModelAdmin):
    """The category tree for the operator of the install. Deadline changes by managers go through the
    API (PUT /api/v1/incident-categories/{code}), which leaves an audit row."""

    list_display = ("code", "name", "parent", "deadline_hours", "active", "sort")
    list_filter = ("active", "parent")
