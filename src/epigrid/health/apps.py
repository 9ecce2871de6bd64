from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HealthConfig(AppConfig):
    name = "epigrid.health"
    label = "health"
    verbose_name = _("Observation and check-ins")

    def ready(self):
        from epigrid.core.tasks import SCHEDULES

        from . import receivers  # noqa: F401 (connects the registry's signals)

        entry = ("health.mark_overdue", "epigrid.health.tasks.mark_overdue", 10)
        if entry not in SCHEDULES:
            SCHEDULES.append(entry)
