from django.apps import AppConfig
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

ESCALATION_MINUTES = 5


class PatrolConfig(AppConfig):
    name = "epigrid.patrol"
    label = "patrol"

    def ready(self):
        from epigrid.core.audit_words import ACTION_LABELS, FIELD_LABELS

        from .workflow import ACTION_NAMES

        ACTION_LABELS.update({
            "patrol.start": _("started a patrol"), "patrol.points": _("recorded patrol positions"),
            "patrol.end": _("ended a patrol"), "patrol_plan.set": _("set a patrol plan"),
            "incident.report": _("reported an incident"), "incident.photo": _("added a photo to an incident"),
            "incident.escalate": _("escalated an overdue incident"),
            "incident_category.deadline": _("changed an incident category's deadline"),
            # formatted when read, in the reader's language
            **{f"incident.{action}": format_lazy(_("incident: {step}"), step=name) for action, name in ACTION_NAMES.items()},
        })
        FIELD_LABELS.update({
            "times_per_day": _("times a day"), "checkpoints": _("checkpoints"), "points": _("positions"),
            "distance_m": _("distance (m)"), "category": _("category"), "source": _("source"), "photos": _("photos"),
            "stage": _("stage"), "escalation_level": _("escalation level"), "deadline_hours": _("deadline (hours)"),
        })

        from epigrid.core.tasks import SCHEDULES

        entry = ("patrol.escalate_overdue", "epigrid.patrol.tasks.escalate_overdue", ESCALATION_MINUTES)
        if entry not in SCHEDULES:
            SCHEDULES.append(entry)

        from .figures import register

        register()  # the map's and home page's figures (regions/figures.py)
