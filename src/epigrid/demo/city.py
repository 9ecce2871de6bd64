"""A deterministic synthetic city on real division codes: Beijing's 16 districts (110101 东城区 ...
110119 延庆区) and, to show isolation between cities, a small Shenzhen (440300 深圳市).

District shapes are Voronoi cells of their real approximate centres, clipped to the city's box; streets,
communities and grids are Voronoi cells of seeded random points inside their parent, so every level
tessellates its parent exactly (shared edges, no gaps, no overlaps), as real boundaries do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import shapely

# code, name, approximate centre (lon, lat), relative weight (how many streets it gets).
BEIJING = {
    "province": ("110000000000", "北京市"),
    "box": (115.42, 39.44, 117.50, 41.05),
    "districts": [
        ("110101", "东城区", 116.416, 39.928, 17), ("110102", "西城区", 116.366, 39.912, 15),
        ("110105", "朝阳区", 116.486, 39.948, 43), ("110106", "丰台区", 116.286, 39.858, 26),
        ("110107", "石景山区", 116.223, 39.906, 9), ("110108", "海淀区", 116.298, 39.959, 29),
        ("110109", "门头沟区", 116.102, 39.940, 13), ("110111", "房山区", 116.143, 39.747, 28),
        ("110112", "通州区", 116.656, 39.909, 22), ("110113", "顺义区", 116.654, 40.130, 25),
        ("110114", "昌平区", 116.231, 40.220, 22), ("110115", "大兴区", 116.341, 39.726, 22),
        ("110116", "怀柔区", 116.631, 40.316, 16), ("110117", "平谷区", 117.121, 40.140, 18),
        ("110118", "密云区", 116.843, 40.376, 20), ("110119", "延庆区", 115.975, 40.456, 15),
    ],
}
SHENZHEN = {
    "province": ("440000000000", "广东省"),
    "city": ("440300000000", "深圳市"),
    "box": (113.75, 22.45, 114.62, 22.86),
    "districts": [
        ("440303", "罗湖区", 114.131, 22.548, 1), ("440304", "福田区", 114.055, 22.522, 1),
        ("440305", "南山区", 113.930, 22.533, 1), ("440306", "宝安区", 113.883, 22.555, 1),
    ],
}
SCALES = {
    # streets, communities, grids in Beijing; Shenzhen gets a token share.
    "small": (16, 32, 64),
    "city": (300, 7000, 20000),
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


def _city(spec: dict, streets: int, communities: int, grids: int, rng) -> list[_Cell]:
    west, south, east, north = spec["box"]
    box = shapely.box(west, south, east, north)
    cells: list[_Cell] = [_Cell(*spec["province"], "province", "", None)]
    top = spec["province"][0]
    if "city" in spec:
        cells.append(_Cell(*spec["city"], "city", top, None))
        top = spec["city"][0]
    districts = spec["districts"]
    seeds = np.array([(d[2], d[3]) for d in districts])
    street_counts = _split(streets, [d[4] for d in districts])
    community_counts = _split(communities, street_counts)
    grid_counts = _split(grids, community_counts)
    for (code6, name, _, _, _), d_geom, n_streets, n_comm, n_grid in zip(
            districts, _cells(box, seeds), street_counts, community_counts, grid_counts, strict=True):
        d_code = code6 + "000000"
        cells.append(_Cell(d_code, name, "district", top, d_geom))
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


def demo_city_geojson(*, seed: int = 1, scale: str = "small") -> dict:
    """The demo city as one GeoJSON FeatureCollection, ready for `regions_import`."""
    streets, communities, grids = SCALES[scale]
    rng = np.random.default_rng(seed)
    cells = _city(BEIJING, streets, communities, grids, rng)
    cells += _city(SHENZHEN, 4, 8, 16 if scale == "small" else 400, rng)
    features = []
    for c in cells:
        geometry = None
        if c.geom is not None:
            geometry = json.loads(shapely.to_geojson(shapely.transform(c.geom, lambda xy: np.round(xy, 7))))
        features.append({"type": "Feature", "geometry": geometry,
                         "properties": {"code": c.code, "name": c.name, "level": c.level,
                                        "parent_code": c.parent or None}})
    return {"type": "FeatureCollection", "features": features}
