from django.apps import AppConfig

ESCALATION_MINUTES = 5


class PatrolConfig(AppConfig):
    name = "epigrid.patrol"
    label = "patrol"

    def ready(self):
        from epigrid.core.tasks import SCHEDULES

        entry = ("patrol.escalate_overdue", "epigrid.patrol.tasks.escalate_overdue", ESCALATION_MINUTES)
        if entry not in SCHEDULES:
            SCHEDULES.append(entry)
