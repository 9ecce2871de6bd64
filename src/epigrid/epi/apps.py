from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EpiConfig(AppConfig):
    name = "epigrid.epi"
    label = "epi"
    verbose_name = _("Epidemic tracing")

    def ready(self):
        from epigrid.core.audit_words import ACTION_LABELS, FIELD_LABELS

        ACTION_LABELS.update({
            "case.create": _("reported a case"), "case.update": _("changed a case"),
            "case.reclassify": _("reclassified a case"),
            "contact.create": _("registered a close contact"), "contact.extend": _("extended a contact's management"),
            "contact.release": _("released a contact"),
            "exposure.create": _("recorded an exposure"), "link.create": _("linked an infector and an infectee"),
            "link.delete": _("removed a transmission link"),
            "cluster.propose": _("proposed a cluster"), "cluster.confirm": _("confirmed a cluster"),
            "cluster.dismiss": _("dismissed a cluster"), "cluster.rename": _("renamed a cluster"),
            "trajectory.create": _("added a trajectory entry"), "task.create": _("gave a tracing task"),
            "task.done": _("completed a tracing task"), "task.escalate": _("escalated an overdue tracing task"),
            "epi.import": _("imported cases or contacts"), "contact.became_case": _("recorded that a contact became a case"),
            "observation.extend": _("extended an observation"),
            "epi.import_report_download": _("downloaded the error report of a tracing import"),
        })
        FIELD_LABELS.update({
            "classification": _("classification"), "severity": _("clinical severity"), "outcome": _("outcome"),
            "degree": _("degree"), "setting": _("setting"), "evidence": _("evidence"), "rule": _("rule"),
            "planned_end": _("planned end"), "escalation_level": _("escalation level"),
        })

        from epigrid.residents.retention import RETENTION_HOLDS

        from . import receivers  # connects the registry's signals

        for hold in (receivers.cases_held, receivers.contacts_held):
            if hold not in RETENTION_HOLDS:
                RETENTION_HOLDS.append(hold)
        from .figures import register

        register()  # the map's and home page's figures (regions/figures.py)
        from epigrid.regions.figures import Work, register_work

        from .work import my_tracing_tasks

        register_work(Work("tracing", my_tracing_tasks, order=40))  # a grid worker's home page

        from epigrid.core.tasks import SCHEDULES

        for entry in (("epi.escalate_overdue", "epigrid.epi.tasks.escalate_overdue", 5),
                      ("epi.release_ended", "epigrid.epi.tasks.release_ended", 60),
                      ("epi.chains_and_clusters", "epigrid.epi.tasks.chains_and_clusters", 5)):
            if entry not in SCHEDULES:
                SCHEDULES.append(entry)
