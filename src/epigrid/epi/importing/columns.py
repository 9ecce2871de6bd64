"""What a case or contact file holds: its columns and their other names (one table per import, read by
the import, the templates, the upload page and the API's documentation), the words accepted for coded
values (疑似, 轻型, 家庭...), and cells read as dates, yes/no and codes. The person columns are the
registry's own (residents.importing.COLUMNS), so a roster's headers work here too."""

from __future__ import annotations

import datetime as dt
import functools
import re

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from epigrid.residents.importing import COLUMNS as PERSON_COLUMNS
from epigrid.residents.importing import ImportFileError, RowError, header_key
from epigrid.residents.importing.common import _cell_safe

from ..models import Classification, FoundBy, Outcome, Setting, Severity

PERSON_FIELDS = ("name", "id_type", "id_number", "phone", "grid_code", "address")
_PERSON = {f: PERSON_COLUMNS[f] for f in PERSON_FIELDS}

CASE_COLUMNS: dict[str, tuple[str, ...]] = {
    **_PERSON,
    "classification": ("病例分类", "分类", "诊断分类", "病例类型", "classification"),
    "severity": ("临床分型", "临床严重程度", "严重程度", "病情", "severity"),
    "onset_date": ("发病日期", "发病时间", "onset_date"),
    "sampling_date": ("采样日期", "采样时间", "sampling_date"),
    "diagnosis_date": ("诊断日期", "确诊日期", "诊断时间", "diagnosis_date"),
    "report_date": ("报告日期", "报告时间", "report_date"),
    "found_by": ("发现途径", "发现方式", "found_by"),
    "imported": ("是否输入", "是否输入病例", "输入病例", "imported"),
    "place": ("收治医院", "收治地点", "隔离地点", "医院", "place"),
    "outcome": ("转归", "结局", "outcome"),
    "outcome_date": ("转归日期", "结局日期", "outcome_date"),
}
CASE_REQUIRED = ("id_number", "classification")

CONTACT_COLUMNS: dict[str, tuple[str, ...]] = {
    "source_case": ("传染源病例编号", "病例编号", "关联病例编号", "源病例编号", "source_case"),
    "source_id_number": ("传染源证件号码", "密接证件号码", "关联密接证件号码", "上级密接证件号码", "source_id_number"),
    **_PERSON,
    "setting": ("接触方式", "接触类型", "接触场景", "暴露场景", "setting"),
    "place": ("接触地点", "地点", "车次航班", "place"),
    "seat": ("座位号", "座位", "seat"),
    "first_date": ("首次接触日期", "首次暴露日期", "首次接触时间", "first_date"),
    "last_date": ("末次接触日期", "最后接触日期", "末次暴露日期", "末次接触时间", "last_date"),
    "notes": ("备注", "备注信息", "notes", "remarks"),
}
CONTACT_REQUIRED = ("id_number", "setting", "first_date", "last_date")

# Code -> the words a file may hold for it (the first is the one templates and messages use). Codes
# themselves are accepted too.
CLASSIFICATION_WORDS = {
    Classification.SUSPECTED: ("疑似", "疑似病例"),
    Classification.CONFIRMED: ("确诊", "确诊病例"),
    Classification.ASYMPTOMATIC: ("无症状感染者", "无症状", "无症状感染"),
    Classification.EXCLUDED: ("排除", "已排除", "排除病例"),
}
SEVERITY_WORDS = {
    Severity.MILD: ("轻型",), Severity.MODERATE: ("普通型",), Severity.SEVERE: ("重型",),
    Severity.CRITICAL: ("危重型",),
}
FOUND_BY_WORDS = {
    FoundBy.RISK_SCREENING: ("风险人群筛查", "重点人群筛查"), FoundBy.OBSERVATION: ("隔离观察中发现", "观察中发现"),
    FoundBy.FEVER_CLINIC: ("发热门诊",), FoundBy.ARRIVAL: ("来京返京查验", "入境查验"),
    FoundBy.COMMUNITY_TESTING: ("社区核酸筛查", "社区筛查", "核酸筛查"), FoundBy.OTHER: ("其他",),
}
OUTCOME_WORDS = {Outcome.RECOVERED: ("治愈出院", "治愈", "出院"), Outcome.DIED: ("死亡",),
                 Outcome.TRANSFERRED: ("转出",)}
SETTING_WORDS = {
    Setting.HOUSEHOLD: ("家庭", "家庭成员", "同住"), Setting.WORKPLACE: ("工作场所", "同事", "工作"),
    Setting.TRANSPORT: ("交通工具", "同乘", "乘坐交通工具"), Setting.GATHERING: ("聚集活动", "聚餐", "聚会"),
    Setting.HEALTHCARE: ("医疗机构", "就医"), Setting.VENUE: ("场所", "公共场所"), Setting.OTHER: ("其他",),
}
YES = ("是", "输入", "y", "yes", "true", "1")
NO = ("否", "本土", "本地", "n", "no", "false", "0")

_DATE = re.compile(r"^(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?|(\d{2})(\d{2}))(?:[ T].*)?$")


class Bad(Exception):
    """A cell that cannot be read: its field and the reason."""

    def __init__(self, field: str, reason: str):
        super().__init__(reason)
        self.field, self.reason = field, reason


def _word_table(words: dict) -> dict[str, str]:
    table = {}
    for code, names in words.items():
        for name in (str(code), *names):
            table[header_key(name)] = str(code)
    return table


_TABLES = {"classification": _word_table(CLASSIFICATION_WORDS), "severity": _word_table(SEVERITY_WORDS),
           "found_by": _word_table(FOUND_BY_WORDS), "outcome": _word_table(OUTCOME_WORDS),
           "setting": _word_table(SETTING_WORDS)}
WORDS = {"classification": CLASSIFICATION_WORDS, "severity": SEVERITY_WORDS, "found_by": FOUND_BY_WORDS,
         "outcome": OUTCOME_WORDS, "setting": SETTING_WORDS}


def text(value) -> str:
    """A cell as text (XLSX gives numbers and dates; CSV text)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value).strip()


@functools.lru_cache(maxsize=4096)
def _code(field: str, raw: str) -> str | None:
    return _TABLES[field].get(header_key(raw))


def coded(field: str, value) -> str | None:
    """A coded cell (a word or the code) as its code; None when empty; Bad naming the words otherwise."""
    raw = text(value)
    if not raw:
        return None
    code = _code(field, raw)
    if code is None:
        raise Bad(field, _("one of %(v)s") % {"v": "、".join(names[0] for names in WORDS[field].values())})
    return code


def yes_no(field: str, value) -> bool | None:
    if isinstance(value, bool):
        return value
    raw = text(value).casefold()
    if not raw:
        return None
    if raw in YES:
        return True
    if raw in NO:
        return False
    raise Bad(field, _("是 or 否"))


def day(field: str, value) -> dt.date | None:
    """A date cell: an XLSX date, or text as 2026-01-31, 2026/1/31, 2026.1.31, 20260131 or 2026年1月31日
    (a time after it is ignored). Anything else is refused with the services' own words."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raw = text(value)
    if not raw:
        return None
    found = _date(raw)
    if found is None:
        raise Bad(field, _("a date (YYYY-MM-DD)"))
    return found


@functools.lru_cache(maxsize=4096)  # a file holds the same few dates on many rows
def _date(raw: str) -> dt.date | None:
    m = _DATE.match(raw)
    if m:
        year, month, dom = (m.group(1), m.group(2), m.group(3)) if m.group(2) else (m.group(1), m.group(4),
                                                                                    m.group(5))
        try:
            return dt.date(int(year), int(month), int(dom))
        except ValueError:
            return None
    return None


def header_of(written: dict[str, str], columns: dict, field: str) -> str:
    """The column a problem of `field` is reported under: as the file wrote it, else its usual name."""
    field = field.removeprefix("person.")
    field = {"resident": "id_number", "source_contact": "source_id_number", "lon": "grid_code",
             "lat": "grid_code", "birth_date": "id_number", "gender": "id_number"}.get(field, field)
    return written.get(field) or (columns[field][0] if field in columns else field)


def map_columns(headers: list, columns: dict, required: tuple, one_of: tuple = ()) -> tuple[list, dict, list]:
    """(column index, field) in file order, field -> header as written, headers ignored. A missing
    required column (or none of `one_of`), or two columns for one field, raise ImportFileError (row 1)."""
    table = {header_key(h): fld for fld, names in columns.items() for h in names}
    found, written, ignored, problems = [], {}, [], []
    for i, raw in enumerate(headers):
        name = "" if raw is None else str(raw).replace("\ufeff", "").strip()
        if not name:
            continue
        fld = table.get(header_key(name))
        if fld is None:
            ignored.append(_cell_safe(name)[:100])
        elif fld in written:
            problems.append(RowError(1, _cell_safe(name)[:100], _(
                "“%(a)s” and “%(b)s” are the same column (%(c)s): keep one of them") % {
                    "a": _cell_safe(written[fld])[:100], "b": _cell_safe(name)[:100], "c": columns[fld][0]}))
        else:
            found.append((i, fld))
            written[fld] = name
    for fld in required:
        if fld not in written:
            problems.append(RowError(1, columns[fld][0], _("required column missing")))
    if one_of and not any(f in written for f in one_of):
        problems.append(RowError(1, _(" or ").join(columns[f][0] for f in one_of), _("required column missing")))
    if problems:
        problems += [RowError(1, h, _("unknown column (ignored)")) for h in ignored]
        n = len(problems) - len(ignored)
        exc = ImportFileError(ngettext("%(n)d problem with the header row; the columns are: %(c)s.",
                                       "%(n)d problems with the header row; the columns are: %(c)s.", n)
                              % {"n": n, "c": "、".join(h[0] for h in columns.values())}, row=1)
        exc.rows = problems
        raise exc
    return found, written, ignored
