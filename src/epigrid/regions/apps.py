from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegionsConfig(AppConfig):
    name = "epigrid.regions"
    label = "regions"

    def ready(self):
        from epigrid.core.audit_words import ACTION_LABELS, FIELD_LABELS

        ACTION_LABELS.update({
            "division.create": _("created a division"), "division.update": _("changed a division"),
            "grid.create": _("created a grid"), "grid.update": _("changed a grid"),
            "grid.set_workers": _("named a grid's workers"),
        })
        FIELD_LABELS.update({
            "workers": _("grid workers"), "name": _("name"), "geometry": _("outline"), "parent_code": _("parent"),
        })
