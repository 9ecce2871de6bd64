"""What makes a resident record valid: the one rule, used by the form, the API and the bulk import.

`clean_resident` takes raw values (text from a form, a CSV cell, JSON) keyed by field name and returns the
cleaned values and a list of FieldErrors. It does no database work, so the import can call it for a
million rows and do the lookups (grid, duplicates) in batches.
"""

from __future__ import annotations

import datetime
import functools
import math

from django.utils.translation import gettext as _
from pypinyin import lazy_pinyin

from epigrid.core.errors import FieldError
from epigrid.core.geo import in_china
from epigrid.core.validators import (
    cn_ric_problem,
    compact_id_number,
    is_ascii_digits,
    normalise_phone,
    text_problem,
)

from .models import IdType, Tag

FIELDS = ("name", "id_type", "id_number", "phone", "address", "lon", "lat", "grid_code", "tags", "notes")

ID_TYPE_WORDS = {
    IdType.RIC: ("ric", "居民身份证", "身份证", "resident id card", "id card"),
    IdType.PASSPORT: ("passport", "护照"),
    IdType.HMT: ("hmt", "港澳台通行证", "港澳居民来往内地通行证", "台湾居民来往大陆通行证", "港澳台居民居住证",
                 "hong kong/macau/taiwan permit"),
    IdType.OTHER: ("other", "其他"),
}
_ID_TYPES = {word: value for value, words in ID_TYPE_WORDS.items() for word in words}
TAG_WORDS = {
    Tag.ELDERLY_ALONE: ("elderly_alone", "独居老人", "elderly living alone"),
    Tag.DISABLED: ("disabled", "残疾", "残疾人"),
    Tag.PREGNANT: ("pregnant", "孕妇", "孕产妇"),
    Tag.CHRONIC: ("chronic", "慢性病", "chronic illness"),
    Tag.LOW_INCOME: ("low_income", "低收入", "低保", "low income"),
}
_TAGS = {word: tag.value for tag, words in TAG_WORDS.items() for word in words}


@functools.lru_cache(maxsize=50_000)
def _char_pinyin(char: str) -> str:
    # Per character, cached: a million names cost a few thousand pypinyin calls. The price is that
    # heteronyms take their default reading, which is what search by pinyin needs anyway.
    return lazy_pinyin(char)[0].lower() if not char.isascii() else char.lower()


def name_pinyin(name: str) -> tuple[str, str]:
    """('zhangsan', 'zs') for 张三: what the name search matches against."""
    syllables = [_char_pinyin(c) for c in name if not c.isspace()]
    return "".join(syllables), "".join(s[0] for s in syllables if s)


def id_type_value(raw) -> str | None:
    if raw is None or raw == "":
        return IdType.RIC
    return _ID_TYPES.get(str(raw).strip().lower())


def tags_value(raw) -> int | None:
    """Tags from a list, or text separated by commas, 、 or semicolons; None if one is unknown."""
    if raw is None or raw == "":
        return 0
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw if 0 <= raw < 32 else None
    words = raw if isinstance(raw, list) else str(raw).replace("、", ",").replace(";", ",").replace("，", ",").split(",")
    bits = 0
    for word in (w.strip().lower() for w in words if isinstance(w, str) and w.strip()):
        if word not in _TAGS:
            return None
        bits |= _TAGS[word]
    return bits


def _float(raw):
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return math.nan
    return value


def clean_resident(raw: dict, *, today: datetime.date | None = None, partial: bool = False) -> tuple[dict, list]:
    """Cleaned values and errors. With `partial`, only the keys present in `raw` are checked (updates)."""
    today = today or datetime.date.today()
    out: dict = {}
    errors: list[FieldError] = []

    def has(key):
        return not partial or key in raw

    if has("name"):
        name = raw.get("name").strip() if isinstance(raw.get("name"), str) else raw.get("name")
        if problem := text_problem(name, max_length=50):
            errors.append(FieldError("name", problem))
        else:
            out["name"] = name
            out["name_pinyin"], out["name_initials"] = name_pinyin(name)
    if has("id_type") or has("id_number"):
        id_type = id_type_value(raw.get("id_type"))
        if id_type is None:
            errors.append(FieldError("id_type", _("unknown ID type %(t)r") % {"t": raw.get("id_type")}))
        else:
            out["id_type"] = id_type
            _clean_id_number(raw.get("id_number"), id_type, today, out, errors)
    if has("phone"):
        phone = raw.get("phone")
        if phone is None or phone == "":
            out["phone"] = ""
        else:
            out["phone"], problem = normalise_phone(phone)
            if problem:
                errors.append(FieldError("phone", problem))
    if has("address"):
        address = raw.get("address").strip() if isinstance(raw.get("address"), str) else raw.get("address")
        if problem := text_problem(address, max_length=200, required=False):
            errors.append(FieldError("address", problem))
        else:
            out["address"] = address or ""
    if has("lon") or has("lat"):
        lon, lat = _float(raw.get("lon")), _float(raw.get("lat"))
        if (lon is None) != (lat is None):
            errors.append(FieldError("lat" if lat is None else "lon", _("give both longitude and latitude")))
        elif lon is not None:
            if math.isnan(lon) or math.isnan(lat) or not in_china(lon, lat):
                errors.append(FieldError("lon", _("coordinates must be longitude and latitude in China")))
            else:
                out["lon"], out["lat"] = lon, lat
    if has("grid_code"):
        code = raw.get("grid_code")
        code = str(code).strip() if isinstance(code, (str, int)) and not isinstance(code, bool) else code
        if code not in (None, "") and not is_ascii_digits(code, 15):
            errors.append(FieldError("grid_code", _("must be a 15-digit grid code")))
        elif code:
            out["grid_code"] = code
    if has("tags"):
        tags = tags_value(raw.get("tags"))
        if tags is None:
            errors.append(FieldError("tags", _("unknown tag; use %(t)s") % {
                "t": "、".join(words[1] for words in TAG_WORDS.values())}))
        else:
            out["tags"] = tags
    if has("notes"):
        notes = raw.get("notes")
        if problem := text_problem(notes, max_length=500, required=False):
            errors.append(FieldError("notes", problem))
        else:
            out["notes"] = notes or ""
    return out, errors


def _clean_id_number(raw, id_type: str, today, out: dict, errors: list) -> None:
    if isinstance(raw, int) and not isinstance(raw, bool):
        number = str(raw)
    else:
        number = compact_id_number(raw) if isinstance(raw, str) else ""
    if not number:
        errors.append(FieldError("id_number", _("required")))
        return
    if id_type == IdType.RIC:
        if problem := cn_ric_problem(number, today):
            errors.append(FieldError("id_number", problem))
            return
        # Gender and birth date come from the ID card itself (the 17th digit is odd for men).
        out["birth_date"] = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        out["gender"] = "M" if int(number[16]) % 2 else "F"
    elif not (6 <= len(number) <= 20 and number.isascii() and number.isalnum()):
        errors.append(FieldError("id_number", _("must be 6 to 20 letters and digits")))
        return
    out["id_number"] = number
