"""The observations list as core.lists describes it: sortable columns and the export's columns."""

from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from epigrid.core.lists import Column, ListSpec, place_text


def _colour(obs) -> str:
    try:
        return obs.resident.health_status.get_colour_display()
    except ObjectDoesNotExist:
        return ""


OBSERVATIONS = ListSpec(
    name="observations",
    sorts={"name": ("resident__name_pinyin",), "grid": ("grid_code",), "kind": ("kind",), "start": ("start",),
           "planned_end": ("planned_end",), "status": ("status",)},
    default_sort="-start",
    personal=False,  # names only: nothing here is masked on the page either
    related=("resident", "resident__health_status", "worker"),
    columns=(
        Column(pgettext_lazy("person", "Name"), lambda o, full: o.resident.name),
        Column(_("Grid code"), lambda o, full: o.grid_code),
        Column(_("Community / grid"), lambda o, full: place_text(o.place, o.grid_code)),
        Column(_("Kind"), lambda o, full: o.get_kind_display()),
        Column(_("Reason"), lambda o, full: o.get_reason_display()),
        Column(_("Start"), lambda o, full: o.start),
        Column(_("Planned end"), lambda o, full: o.planned_end),
        Column(_("Status"), lambda o, full: o.get_status_display()),
        Column(_("Health status"), lambda o, full: _colour(o)),
        Column(_("Grid worker"), lambda o, full: str(o.worker) if o.worker else ""),
    ),
)
