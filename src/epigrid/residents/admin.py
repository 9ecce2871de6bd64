"""Read-only admin views without personal values: the admin is not audited per record, so it shows codes,
sources and dates only. People are looked up on the residents pages, where every reveal is logged."""

from django.contrib import admin

from epigrid.core.admin import ReadOnlyAdmin

from .models import Arrival, ArrivalPolicy, ResidentMatch


@admin.register(Arrival)
class ArrivalAdmin(ReadOnlyAdmin):
    list_display = ("uid", "community_code", "grid_code", "origin_province_code", "origin_city_code", "arrival_date",
                    "from_risk_origin")
    list_filter = ("from_risk_origin", "transport")
    fields = list_display


@admin.register(ArrivalPolicy)
class ArrivalPolicyAdmin(ReadOnlyAdmin):
    list_display = ("node_code", "observe_all", "days")


@admin.register(ResidentMatch)
class ResidentMatchAdmin(ReadOnlyAdmin):
    list_display = ("uid", "grid_code", "to_grid_code", "status")
    fields = list_display
