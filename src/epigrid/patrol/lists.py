"""The incidents list as core.lists describes it: sortable columns and the export's columns."""

from django.utils.translation import gettext_lazy as _

from epigrid.core.lists import Column, ListSpec, local, mark, place_text

INCIDENTS = ListSpec(
    name="incidents",
    sorts={"id": (), "category": ("category__sort", "category__code"), "state": ("state",), "grid": ("grid_code",),
           "reported": ("reported_at",), "deadline": ("deadline",)},
    default_sort="-reported",
    personal=False,  # no ID numbers or phones; the page's own fields
    related=("category", "assignee"),
    columns=(
        Column("#", lambda i, full: i.pk),
        Column(_("Category"), lambda i, full: str(i.category.label)),
        Column(_("State"), lambda i, full: i.get_state_display()),
        Column(_("Overdue"), lambda i, full: mark(i.overdue)),
        Column(_("Grid code"), lambda i, full: i.grid_code),
        Column(_("Community / grid"), lambda i, full: place_text(i.place, i.grid_code)),
        Column(_("Address"), lambda i, full: i.address),
        Column(_("Description"), lambda i, full: i.description),
        Column(_("Reported"), lambda i, full: local(i.reported_at)),
        Column(_("Deadline"), lambda i, full: local(i.deadline)),
        Column(_("Handling unit"), lambda i, full: i.assignee_unit or (str(i.assignee) if i.assignee else "")),
    ),
)
