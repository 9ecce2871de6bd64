"""locate / locate_many: the grid containing a point, in any of the three coordinate systems."""

import json

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from epigrid.core.geo import (
    bd09_to_gcj02,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    to_wgs84,
    wgs84_to_gcj02,
)
from epigrid.core.principals import SYSTEM
from epigrid.regions.locate import locate, locate_many
from epigrid.regions.models import Grid
from epigrid.regions.services import regions_import

lons = st.floats(min_value=73.5, max_value=135.0)
lats = st.floats(min_value=18.0, max_value=53.5)


@settings(max_examples=300)
@given(lon=lons, lat=lats)
def test_gcj02_round_trip_is_under_a_millimetre(lon, lat):
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert np.allclose(back, (lon, lat), atol=1e-8)


@settings(max_examples=300)
@given(lon=lons, lat=lats)
def test_bd09_round_trip(lon, lat):
    back = bd09_to_gcj02(*gcj02_to_bd09(lon, lat))
    assert np.allclose(back, (lon, lat), atol=1e-8)


def test_known_offsets_of_the_chinese_datums():
    # Tiananmen: GCJ-02 is a few hundred metres off GPS, BD-09 about another kilometre.
    glon, glat = wgs84_to_gcj02(116.391275, 39.906217)
    assert 0.004 < glon - 116.391275 < 0.008 and 0.0005 < glat - 39.906217 < 0.003
    blon, blat = from_wgs84(116.391275, 39.906217, "bd09")
    assert 0.005 < blon - glon < 0.008 and 0.005 < blat - glat < 0.008


def test_outside_china_gcj02_equals_wgs84():
    assert np.allclose(wgs84_to_gcj02(2.35, 48.85), (2.35, 48.85))


def test_unknown_crs_is_refused():
    with pytest.raises(ValueError, match="unknown coordinate system"):
        to_wgs84(116.4, 39.9, "utm50")


def test_every_grid_contains_its_own_point(city):
    grids = list(Grid.objects.order_by("code"))
    inside = [shapely.point_on_surface(shapely.from_geojson(g.geometry)) for g in grids]
    found = locate_many([p.x for p in inside], [p.y for p in inside])
    assert list(found) == [g.code for g in grids]


def test_points_in_each_datum_find_the_same_grid(city):
    grid = Grid.objects.order_by("code").first()
    for crs in ("wgs84", "gcj02", "bd09"):
        lon, lat = from_wgs84(grid.centroid_lon, grid.centroid_lat, crs)
        assert locate(float(lon), float(lat), crs) == grid.code


def test_a_point_outside_every_grid_is_none(city):
    assert locate(100.0, 30.0) is None
    assert list(locate_many([], [])) == []


def _two_grids(first_code, second_code):
    # Far from the demo city (whose grids would win the lower-code rule), in an unused street of 东城.
    community = "110101901001"
    west = {"type": "Polygon", "coordinates": [[[120.40, 39.90], [120.41, 39.90], [120.41, 39.91],
                                                [120.40, 39.91], [120.40, 39.90]]]}
    east = {"type": "Polygon", "coordinates": [[[120.41, 39.90], [120.42, 39.90], [120.42, 39.91],
                                                [120.41, 39.91], [120.41, 39.90]]]}
    features = [
        ("110101901000", "street", "110101000000", None), (community, "community", "110101901000", None),
        (first_code, "grid", community, west), (second_code, "grid", community, east),
    ]
    regions_import(actor=SYSTEM, data={"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": geometry,
         "properties": {"code": code, "name": code[-3:], "level": level, "parent_code": parent}}
        for code, level, parent, geometry in features]})


@pytest.mark.parametrize(("west", "east"), [("110101901001001", "110101901001002"),
                                            ("110101901001002", "110101901001001")])
def test_a_point_on_a_shared_edge_goes_to_the_lower_code(city, west, east):
    _two_grids(west, east)
    assert locate(120.41, 39.905) == "110101901001001"
    assert locate(120.405, 39.905) == west
    assert locate(120.415, 39.905) == east


def test_the_index_follows_changes_to_the_grids(city):
    assert locate(120.405, 39.905) is None  # builds the index before the change
    _two_grids("110101901001001", "110101901001002")
    assert locate(120.405, 39.905) == "110101901001001"


def test_locate_api_converts_and_validates(alice, api, first_grid):
    lon, lat = from_wgs84(first_grid.centroid_lon, first_grid.centroid_lat, "bd09")
    body = api.as_user(alice).get("/locate", lon=float(lon), lat=float(lat), crs="bd09").json()
    assert body["grid"]["code"] == first_grid.code
    assert body["lon"] == pytest.approx(first_grid.centroid_lon, abs=1e-6)
    for params, field in [({"lon": "x", "lat": 39.9}, "lon"), ({"lon": 116.4}, "lat"),
                          ({"lon": 116.4, "lat": 91}, "lat"), ({"lon": 116.4, "lat": 39.9, "crs": "utm"}, "crs")]:
        response = api.as_user(alice).get("/locate", **params)
        assert response.status_code == 400, params
        assert response.json()["errors"][0]["field"] == field
    assert api.as_user(alice).get("/locate", lon=2.35, lat=48.85).status_code == 404


def test_grid_detail_has_geojson_and_chain(alice, api, first_grid):
    body = api.as_user(alice).get(f"/grids/{first_grid.code}").json()
    assert body["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert shapely.from_geojson(json.dumps(body["geometry"])).area > 0
    assert [c["level"] for c in body["chain"]] == ["province", "district", "street", "community"]
