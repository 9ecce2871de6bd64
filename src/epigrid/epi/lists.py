"""The tracing lists as core.lists describes them: cases, contacts and tracing tasks, their sortable
columns and the export's columns (ID numbers and phones masked unless the row may be revealed in full)."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from epigrid.accounts.roles import PII_REVEAL
from epigrid.core import pii
from epigrid.core.lists import Column, ListSpec, local, mark, place_text
from epigrid.core.scoping import in_scope


def _may_reveal(user, row) -> bool:
    return in_scope(user, PII_REVEAL, row.grid_code)


def _id_number(resident, full: bool) -> str:
    value = pii.decrypt(resident.id_number_enc, "id_number")
    return value if full else pii.mask_id_number(value)


def _phone(resident, full: bool) -> str:
    value = pii.decrypt(resident.phone_enc, "phone")
    return value if full else pii.mask_phone(value)


CASES = ListSpec(
    name="cases",
    sorts={"number": ("number",), "name": ("resident__name_pinyin",), "classification": ("classification",),
           "onset": ("onset_date",), "reported": ("report_date",), "grid": ("grid_code",)},
    default_sort="-reported",
    may_reveal=_may_reveal,
    related=("resident",),
    columns=(
        Column(_("Case number"), lambda c, full: c.number),
        Column(pgettext_lazy("person", "Name"), lambda c, full: c.resident.name),
        Column(_("ID number"), lambda c, full: _id_number(c.resident, full)),
        Column(_("Mobile phone"), lambda c, full: _phone(c.resident, full)),
        Column(_("Classification"), lambda c, full: c.get_classification_display()),
        Column(_("Clinical severity"), lambda c, full: c.get_severity_display()),
        Column(_("Onset date"), lambda c, full: c.onset_date),
        Column(_("Diagnosis date"), lambda c, full: c.diagnosis_date),
        Column(_("Report date"), lambda c, full: c.report_date),
        Column(_("Found through"), lambda c, full: c.get_found_by_display()),
        Column(pgettext_lazy("case", "Imported"), lambda c, full: mark(c.imported)),
        Column(_("Outcome"), lambda c, full: c.get_outcome_display() if c.outcome else ""),
        Column(_("Grid code"), lambda c, full: c.grid_code),
        # core.lists puts the place names in .place (a case's own place, the hospital, is not a column here).
        Column(_("Community / grid"), lambda c, full: place_text(c.place, c.grid_code)),
    ),
)

CONTACTS = ListSpec(
    name="contacts",
    sorts={"name": ("resident__name_pinyin",), "degree": ("degree",), "status": ("status",),
           "last_exposure": ("last_exposure",), "management_end": ("management_end",), "grid": ("grid_code",)},
    default_sort="-last_exposure",
    may_reveal=_may_reveal,
    related=("resident",),
    columns=(
        Column(pgettext_lazy("person", "Name"), lambda c, full: c.resident.name),
        Column(_("ID number"), lambda c, full: _id_number(c.resident, full)),
        Column(_("Mobile phone"), lambda c, full: _phone(c.resident, full)),
        Column(_("Degree"), lambda c, full: c.get_degree_display()),
        Column(_("Status"), lambda c, full: c.get_status_display()),
        Column(_("Last exposure"), lambda c, full: c.last_exposure),
        Column(_("Management ends"), lambda c, full: c.management_end),
        Column(_("Grid code"), lambda c, full: c.grid_code),
        Column(_("Community / grid"), lambda c, full: place_text(c.place, c.grid_code)),
    ),
)

TASKS = ListSpec(
    name="tracing_tasks",
    # "urgency": overdue first, then the most escalated (the default, descending).
    sorts={"urgency": ("overdue", "escalation_level"), "deadline": ("deadline",), "kind": ("kind",),
           "grid": ("grid_code",), "status": ("status",)},
    default_sort="-urgency",
    personal=False,  # names only, as on the page
    related=("contact__resident", "assignee"),
    columns=(
        Column(pgettext_lazy("person", "Name"), lambda t, full: t.contact.resident.name),
        Column(_("Task"), lambda t, full: t.get_kind_display()),
        Column(_("Deadline"), lambda t, full: local(t.deadline)),
        Column(_("Overdue"), lambda t, full: mark(t.overdue)),
        Column(_("Escalation level"), lambda t, full: t.escalation_level),
        Column(_("Status"), lambda t, full: t.get_status_display()),
        Column(_("Assigned to"), lambda t, full: str(t.assignee) if t.assignee else ""),
        Column(_("Result"), lambda t, full: t.result),
        Column(_("Grid code"), lambda t, full: t.grid_code),
        Column(_("Community / grid"), lambda t, full: place_text(t.place, t.grid_code)),
    ),
)
