"""The template to fill in: an XLSX built with openpyxl when asked for (a few milliseconds; nothing binary
in the repository). Its headers are the import's own (common.COLUMNS, the first name of each), with one
example row that the import accepts as it stands, and a notes sheet: what each column holds, which are
required, and the other headers accepted for it (read from the same table the import matches with)."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from stdnum.cn import ric

from epigrid.accounts.roles import RESIDENTS_EDIT
from epigrid.core.errors import PermissionDenied
from epigrid.core.principals import Actor
from epigrid.core.scoping import can

from ..validation import ID_TYPE_WORDS, TAG_WORDS
from .common import COLUMNS

TEXT_COLUMNS = ("id_number", "phone", "grid_code")  # formatted as text: Excel would round or drop digits
EXAMPLE_BIRTH = "19800101"


def example_id_number() -> str:
    """A resident ID number that passes every check (region 110101 existed in 1980; the check digit is
    python-stdnum's): made up, it belongs to nobody."""
    body = f"110101{EXAMPLE_BIRTH}001"
    return body + ric.calc_check_digit(body + "0")


def _example(grid_code: str) -> dict[str, str]:
    return {
        "name": "张三", "id_type": ID_TYPE_WORDS["ric"][1], "id_number": example_id_number(),
        "phone": "13800138000", "address": "示例小区1号楼1单元101", "lon": "", "lat": "", "grid_code": grid_code,
        "tags": TAG_WORDS[next(iter(TAG_WORDS))][1], "notes": _("Example row: delete it before importing."),
    }


def _notes() -> dict[str, tuple[str, str]]:
    """Field -> (required?, what it holds)."""
    grid, lon, lat = COLUMNS["grid_code"][0], COLUMNS["lon"][0], COLUMNS["lat"][0]
    return {
        "name": (_("required"), _("The person's name, at most 50 characters.")),
        "id_type": (_("optional"), _("One of %(t)s; empty means a resident ID card.") % {
            "t": "、".join(words[1] for words in ID_TYPE_WORDS.values())}),
        "id_number": (_("required"), _("18 characters for a resident ID card (the check digit is verified), 6 to "
                                       "20 letters and digits for other documents. Keep the column formatted as "
                                       "text: Excel keeps only 15 digits of a number. Gender and birth date are "
                                       "read from it.")),
        "phone": (_("optional"), _("An 11-digit mainland mobile number (1xx), or another number with its country "
                                   "code.")),
        "address": (_("optional"), _("At most 200 characters.")),
        "lon": (_("with %(lat)s, if there is no %(grid)s") % {"lat": lat, "grid": grid},
                _("Decimal degrees; the coordinate system is chosen on the upload page. Without %(grid)s, the "
                  "grid is found from the point.") % {"grid": grid}),
        "lat": (_("with %(lon)s, if there is no %(grid)s") % {"lon": lon, "grid": grid}, _("Decimal degrees.")),
        "grid_code": (_("required, unless %(lon)s and %(lat)s are given") % {"lon": lon, "lat": lat},
                      _("The 15-digit code of a grid in your jurisdiction.")),
        "tags": (_("optional"), _("Any of %(t)s, separated by 、 or commas.") % {
            "t": "、".join(words[1] for words in TAG_WORDS.values())}),
        "notes": (_("optional"), _("At most 500 characters.")),
    }


def template_grid(user: Actor) -> str:
    """The first grid the user may import into, for the example row (so that it imports as it stands)."""
    from epigrid.regions.models import Grid

    return Grid.objects.restrict(user, RESIDENTS_EDIT).order_by("code").values_list("code", flat=True).first() or ""


def import_template_xlsx(*, user: Actor) -> bytes:
    """The template as XLSX bytes, for someone who may import residents (PermissionDenied otherwise)."""
    if not can(user, RESIDENTS_EDIT):
        raise PermissionDenied(_("You may not import residents."))
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    fields = list(COLUMNS)
    example = _example(template_grid(user))
    book = Workbook()
    sheet = book.active
    sheet.title = _("Residents")
    sheet.append([COLUMNS[f][0] for f in fields])
    sheet.append([example[f] for f in fields])
    bold = Font(bold=True)
    for i, fld in enumerate(fields, start=1):
        letter = get_column_letter(i)
        sheet[f"{letter}1"].font = bold
        sheet.column_dimensions[letter].width = 22 if fld in ("id_number", "address", "grid_code", "notes") else 12
        if fld in TEXT_COLUMNS:
            sheet.column_dimensions[letter].number_format = "@"
            sheet[f"{letter}2"].number_format = "@"
    sheet.freeze_panes = "A2"
    id_types = DataValidation(type="list", allow_blank=True,
                              formula1='"' + ",".join(words[1] for words in ID_TYPE_WORDS.values()) + '"')
    sheet.add_data_validation(id_types)
    id_types.add(f"{get_column_letter(fields.index('id_type') + 1)}2:"
                 f"{get_column_letter(fields.index('id_type') + 1)}10000")

    notes = book.create_sheet(_("How to fill it in"))
    notes.append([_("Column"), _("Required"), _("Format"), _("Other headers accepted")])
    described = _notes()
    for fld in fields:
        required, text = described[fld]
        notes.append([COLUMNS[fld][0], required, text, "、".join(COLUMNS[fld][1:])])
    notes.append([])
    for line in (
        _("Row 1 holds the headers, one person a row. Delete the example row before importing."),
        _("Headers are matched whatever their case and spaces, with or without a * or (必填) marking them "
          "required."),
        _("Other columns (序号, 性别, …) are ignored and listed as a warning. Gender and birth date come from the "
          "ID number."),
        _("By default an import with any invalid row stores nothing; its error report lists each bad row as it "
          "was, with the reasons, to correct and upload again."),
        _("A person already registered in your jurisdiction (same ID number) is updated, not added twice."),
        _("CSV (UTF-8 or GBK) is accepted as well, with the same headers."),
    ):
        notes.append([line])
    for cell in notes[1]:
        cell.font = bold
    for letter, width in zip("ABCD", (12, 24, 70, 40), strict=True):
        notes.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
