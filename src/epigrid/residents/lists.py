"""The residents list and the arrivals list as core.lists describes them: sortable columns and the
export's columns (ID numbers and phones masked unless the row may be revealed in full)."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from epigrid.accounts.roles import PII_REVEAL
from epigrid.core import pii
from epigrid.core.lists import Column, ListSpec, local, mark, place_text
from epigrid.core.scoping import in_scope


def _may_reveal(user, row) -> bool:
    return in_scope(user, PII_REVEAL, row.grid_code)


def _id_number(r, full: bool) -> str:
    value = pii.decrypt(r.id_number_enc, "id_number")
    return value if full else pii.mask_id_number(value)


def _phone(r, full: bool) -> str:
    value = pii.decrypt(r.phone_enc, "phone")
    return value if full else pii.mask_phone(value)


RESIDENTS = ListSpec(
    name="residents",
    sorts={"name": ("name_pinyin", "name"), "grid": ("grid_code", "name_pinyin")},
    default_sort="grid",
    may_reveal=_may_reveal,
    columns=(
        Column(pgettext_lazy("person", "Name"), lambda r, full: r.name),
        Column(_("ID number"), _id_number),
        Column(_("Mobile phone"), _phone),
        Column(_("Grid code"), lambda r, full: r.grid_code),
        Column(_("Community / grid"), lambda r, full: place_text(r.place, r.grid_code)),
        Column(_("Tags"), lambda r, full: "、".join(r.tag_labels)),
    ),
)

ARRIVALS = ListSpec(
    name="arrivals",
    sorts={"name": ("resident__name_pinyin",), "origin": ("origin_province_code", "origin_city_code"),
           "arrival_date": ("arrival_date",), "grid": ("grid_code",), "registered": ("created_at",)},
    default_sort="-registered",
    may_reveal=_may_reveal,
    related=("resident",),
    columns=(
        Column(pgettext_lazy("person", "Name"), lambda a, full: a.resident.name),
        Column(_("Mobile phone"), lambda a, full: _phone(a.resident, full)),
        Column(pgettext_lazy("origin", "From"), lambda a, full: f"{a.origin_province} {a.origin_city}".strip()),
        Column(_("From a risk origin"), lambda a, full: mark(a.from_risk_origin)),
        Column(_("Arrival date"), lambda a, full: a.arrival_date),
        Column(_("Transport"), lambda a, full: f"{a.get_transport_display()} {a.transport_number}".strip()),
        Column(_("Home observation started"), lambda a, full: mark(a.observation_started)),
        Column(_("Grid code"), lambda a, full: a.grid_code),
        Column(_("Community / grid"), lambda a, full: place_text(a.place, a.grid_code)),
        Column(_("Registered"), lambda a, full: local(a.created_at)),
        Column(_("Reviewed"), lambda a, full: local(a.reviewed_at)),
    ),
)
