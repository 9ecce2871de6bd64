from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegionsConfig(AppConfig):
    name = "epigrid.regions"
    label = "regions"

    def ready(self):
        from epigrid.core.audit_words import ACTION_LABELS, FIELD_LABELS
        from epigrid.core.lists import place_names_register

        from .naming import code_names

        ACTION_LABELS.update({
            "division.create": _("created a division"), "division.update": _("changed a division"),
            "grid.create": _("created a grid"), "grid.update": _("changed a grid"),
            "grid.set_workers": _("named a grid's workers"),
        })
        FIELD_LABELS.update({
            "workers": _("grid workers"), "name": _("name"), "geometry": _("outline"), "parent_code": _("parent"),
        })
        place_names_register(code_names)  # grid and community names beside codes in every list

        from epigrid.core.tasks import SCHEDULES

        entry = ("regions.figures_update", "epigrid.regions.tasks.figures_update", 1)
        if entry not in SCHEDULES:
            SCHEDULES.append(entry)
