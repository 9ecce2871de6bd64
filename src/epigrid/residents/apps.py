from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResidentsConfig(AppConfig):
    name = "epigrid.residents"
    label = "residents"

    def ready(self):
        from epigrid.core.audit_words import ACTION_LABELS, FIELD_LABELS

        ACTION_LABELS.update({
            "resident.create": _("registered a resident"), "resident.update": _("changed a resident"),
            "resident.reveal": _("showed personal data in full"), "resident.anonymise": _("anonymised a resident"),
            "resident.lookup": _("looked up a person by ID number or phone"),
            "resident.merge": _("merged two records of one person"), "resident.import": _("imported residents"),
            "resident_match.request": _("asked to merge a record registered elsewhere"),
            "resident_match.decline": _("kept two records apart"), "residents.purge": _("purged expired personal data"),
            "security.lookup_burst": _("raised an alert: many look-ups in an hour"),
            "arrival.register": _("registered an arrival"), "arrival.review": _("reviewed an arrival"),
            "arrival_policy.set": _("set the arrival policy"),
        })
        FIELD_LABELS.update({
            "name": _("name"), "id_number": _("ID number"), "phone": _("phone"), "address": _("address"),
            "grid_code": _("grid"), "tags": _("tags"), "notes": _("notes"), "household": _("household"),
            "risk_origins": _("risk origins"), "observe_all": _("observe every arrival"),
            "days": _("observation days"), "registered_in": _("registered in"), "source": _("source"),
            "merged": _("merged record"), "rows": _("rows"), "created": _("created"), "updated": _("updated"),
            "anonymised": _("anonymised"), "after_days": _("after days"), "found": _("found"), "by": _("by"),
        })

        from epigrid.core import pii, tasks

        pii.ENCRYPTED.append(("residents.Resident", ("id_number", "phone")))
        tasks.SCHEDULES.append(("residents.purge", "epigrid.residents.retention.purge_task", 24 * 60))

        from .figures import register

        register()  # the map's and home page's figures (regions/figures.py)
