from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EpiConfig(AppConfig):
    name = "epigrid.epi"
    label = "epi"
    verbose_name = _("Epidemic tracing")

    def ready(self):
        from epigrid.core.audit_words import ACTION_LABELS

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
            "epi.import": _("imported cases or contacts"),
        })
