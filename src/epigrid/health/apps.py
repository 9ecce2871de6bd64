from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HealthConfig(AppConfig):
    name = "epigrid.health"
    label = "health"
    verbose_name = _("Observation and check-ins")

    def ready(self):
        from epigrid.core.audit_words import ACTION_LABELS, FIELD_LABELS

        ACTION_LABELS.update({
            "observation.start": _("started an observation"), "observation.release": _("released from observation"),
            "observation.hospital": _("recorded a transfer to hospital"),
            "observation.assign": _("gave an observation to a grid worker"),
            "observation.move": _("moved an observation with its person to another grid"),
            "observation.link": _("made a personal check-in link"), "checkin.record": _("recorded a check-in"),
            "alert.raise": _("raised a health alert"), "alert.handle": _("handled a health alert"),
            "alert.overdue": _("raised a missed check-in alert"),
        })
        FIELD_LABELS.update({
            "temperature": _("temperature"), "symptoms": _("symptoms"), "slot": _("slot"), "status": _("status"),
            "kind": _("kind"), "date": _("date"),
        })

        from epigrid.core.tasks import SCHEDULES

        from . import receivers  # noqa: F401 (connects the registry's signals)
        from .figures import register

        register()  # the map's and home page's figures (regions/figures.py)

        entry = ("health.mark_overdue", "epigrid.health.tasks.mark_overdue", 10)
        if entry not in SCHEDULES:
            SCHEDULES.append(entry)
