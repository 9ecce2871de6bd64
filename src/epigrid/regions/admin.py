from django.contrib import admin

from epigrid.core.admin import ReadOnlyAdmin

from .models import Division, Grid


@admin.register(Division)
class DivisionAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "level")
    list_filter = ("level",)
    search_fields = ("code", "name")
    exclude = ("geometry", "map_geometry")


@admin.register(Grid)
class GridAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "area_m2")
    search_fields = ("code", "name")
    exclude = ("geometry", "map_geometry")
