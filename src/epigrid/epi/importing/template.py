"""The templates to fill in (XLSX built when asked for): the import's own headers (the first name of
each column), one example row and a notes sheet with the words accepted and the other headers."""

from __future__ import annotations

import io
from datetime import timedelta

from django.utils.translation import gettext as _

from epigrid.accounts.roles import EPI_EDIT
from epigrid.core.errors import PermissionDenied
from epigrid.core.principals import Actor
from epigrid.core.scoping import can
from epigrid.regions.models import Grid
from epigrid.residents.importing.template import example_id_number

from ..models import Case
from ..services.common import today_local
from .columns import CASE_COLUMNS, CONTACT_COLUMNS, WORDS

TEXT = ("id_number", "phone", "grid_code", "source_id_number", "source_case")


def _examples(user) -> dict[str, dict]:
    grid = Grid.objects.restrict(user, EPI_EDIT).order_by("code").values_list("code", flat=True).first() or ""
    case = Case.objects.restrict(user, EPI_EDIT).order_by("-id").values_list("number", flat=True).first()
    today = today_local()
    person = {"name": "张三", "id_type": "身份证", "id_number": example_id_number(), "phone": "13800138000",
              "grid_code": grid, "address": "示例小区1号楼1单元101"}
    return {
        "cases": {**person, "classification": "确诊", "severity": "轻型", "onset_date": str(today - timedelta(days=3)),
                  "sampling_date": str(today - timedelta(days=1)), "diagnosis_date": str(today),
                  "report_date": str(today), "found_by": "发热门诊", "imported": "否", "place": "定点医院",
                  "outcome": "", "outcome_date": ""},
        "contacts": {**person, "source_case": case or f"{grid[:4] or '1101'}-{today.year}-00001", "source_id_number": "",
                     "setting": "家庭", "place": "", "seat": "", "first_date": str(today - timedelta(days=4)),
                     "last_date": str(today - timedelta(days=2)), "notes": _("Example row: delete it before importing.")},
    }


def _notes(what: str) -> list[list[str]]:
    lines = [
        _("Row 1 holds the headers, one row a record. Delete the example row before importing."),
        _("A person is found by ID number in your jurisdiction; someone not registered yet needs 姓名 and 网格编码 "
          "and is registered with the registry's rules."),
        _("Dates as 2026-01-31 (also 2026/1/31 or 2026年1月31日); no date in the future."),
        _("Any invalid row means nothing is imported; the error report lists each bad row with its reasons."),
    ]
    if what == "contacts":
        lines.append(_("The source is a case number (传染源病例编号) for a close contact, or the ID number of a close "
                       "contact (传染源证件号码) for a secondary contact; give one of them."))
        lines.append(_("A person already managed as a contact keeps that record: it is extended, not duplicated."))
    for fld, words in WORDS.items():
        columns = CASE_COLUMNS if what == "cases" else CONTACT_COLUMNS
        if fld in columns:
            lines.append(f"{columns[fld][0]}: " + "、".join(names[0] for names in words.values()))
    return [[line] for line in lines]


def epi_template_xlsx(*, user: Actor, what: str) -> bytes:
    """The cases or contacts template as XLSX bytes (PermissionDenied for a role that may not import)."""
    if not can(user, EPI_EDIT):
        raise PermissionDenied(_("You may not import tracing data."))
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    columns = CASE_COLUMNS if what == "cases" else CONTACT_COLUMNS
    example = _examples(user)[what]
    book = Workbook()
    sheet = book.active
    sheet.title = _("Cases") if what == "cases" else _("Contacts")
    fields = list(columns)
    sheet.append([columns[f][0] for f in fields])
    sheet.append([example.get(f, "") for f in fields])
    for i, fld in enumerate(fields, start=1):
        letter = get_column_letter(i)
        sheet[f"{letter}1"].font = Font(bold=True)
        sheet.column_dimensions[letter].width = 22 if fld in TEXT or fld.endswith("date") else 12
        if fld in TEXT:
            sheet.column_dimensions[letter].number_format = "@"
            sheet[f"{letter}2"].number_format = "@"
    sheet.freeze_panes = "A2"
    notes = book.create_sheet(_("How to fill it in"))
    notes.append([_("Column"), _("Other headers accepted")])
    for fld in fields:
        notes.append([columns[fld][0], "、".join(columns[fld][1:])])
    notes.append([])
    for line in _notes(what):
        notes.append(line)
    notes.column_dimensions["A"].width = 24
    notes.column_dimensions["B"].width = 60
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
