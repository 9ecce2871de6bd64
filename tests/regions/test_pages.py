"""The pages a desk worker and a grid worker see: home, map, division and grid pages, language switch."""

import json

import pytest
from django.test import Client


@pytest.fixture
def client_for():
    def make(user):
        client = Client()
        client.force_login(user)
        return client
    return make


def test_home_page_shows_the_users_jurisdiction(client_for, commander):
    page = client_for(commander).get("/").content.decode()
    assert "北京市" in page and "/map/?within=110000000000" in page


def test_grid_worker_home_leads_to_their_grid(client_for, gridworker, first_grid):
    page = client_for(gridworker).get("/").content.decode()
    assert f"/grids/{first_grid.code}/" in page


def test_map_page_without_a_node_opens_the_users_own(client_for, alice):
    response = client_for(alice).get("/map/")
    assert response.status_code == 302 and response["Location"].endswith("?within=110101000000")


def test_map_page_loads_leaflet_from_the_platform_not_a_cdn(client_for, alice):
    page = client_for(alice).get("/map/?within=110101000000").content.decode()
    assert "/static/js_lib_leaflet/leaflet.js" in page and "https://" not in page
    assert Client().get("/static/js_lib_leaflet/leaflet.js").status_code == 200


def test_map_without_tiles_has_no_tile_layer_and_with_one_uses_it(client_for, alice, settings):
    page = client_for(alice).get("/map/?within=110101000000").content.decode()
    assert 'data-tile-url=""' in page
    settings.MAP_TILE_URL = "http://tiles.intranet/{z}/{x}/{y}.png"
    page = client_for(alice).get("/map/?within=110101000000").content.decode()
    assert 'data-tile-url="http://tiles.intranet/{z}/{x}/{y}.png"' in page


def test_map_layer_colours_a_communitys_grids_by_a_figure(client_for, alice, first_grid):
    community = first_grid.community.code
    body = client_for(alice).get("/api/v1/map", {"within": community, "figure": "area"}).json()
    assert body["meta"]["kind"] == "grid" and body["meta"]["figure"] == "area"
    assert body["features"] and all(f["properties"]["code"].startswith(community) for f in body["features"])
    assert all(f["properties"]["value"] > 0 for f in body["features"])


def test_a_city_with_many_grids_is_drawn_by_district(client_for, commander, settings):
    settings.MAP_MAX_GRIDS = 10
    body = client_for(commander).get("/api/v1/map", {"within": "110000000000", "figure": "grids"}).json()
    assert body["meta"]["kind"] == "division"
    assert len(body["features"]) == 16
    assert sum(f["properties"]["value"] for f in body["features"]) == 64


def test_map_layer_in_gcj02_for_chinese_tiles(client_for, alice):
    wgs = client_for(alice).get("/api/v1/map", {"within": "110101000000"}).json()
    gcj = client_for(alice).get("/api/v1/map", {"within": "110101000000", "crs": "gcj02"}).json()
    first = wgs["features"][0]["geometry"]["coordinates"][0][0]
    shifted = gcj["features"][0]["geometry"]["coordinates"][0][0]
    assert 0.004 < shifted[0] - first[0] < 0.008


def test_unknown_figure_is_a_400(client_for, alice):
    response = client_for(alice).get("/api/v1/map", {"within": "110101000000", "figure": "nope"})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "figure"


def test_division_page_lists_children_and_links_only_in_scope(client_for, alice):
    page = client_for(alice).get("/divisions/110101000000/").content.decode()
    assert "/divisions/110101001000/" in page
    assert "北京市" in page and "/divisions/110000000000/" not in page  # breadcrumb name, no link


def test_community_page_lists_its_grids_with_workers(client_for, commander, gridworker, first_grid):
    from epigrid.regions.services import grid_set_workers

    grid_set_workers(actor=commander, grid_code=first_grid.code, usernames=["gridworker"])
    page = client_for(commander).get(f"/divisions/{first_grid.community.code}/").content.decode()
    assert f"/grids/{first_grid.code}/" in page and "gridworker" in page


def test_grid_page_shows_code_area_workers_and_parent_chain(client_for, commander, gridworker, first_grid):
    from epigrid.regions.services import grid_set_workers

    grid_set_workers(actor=commander, grid_code=first_grid.code, usernames=["gridworker"])
    page = client_for(gridworker).get(f"/grids/{first_grid.code}/").content.decode()
    assert first_grid.code in page and "gridworker" in page and "平方公里" in page
    for name in ("北京市", "东城区", first_grid.community.name):
        assert name in page


def test_assigning_a_non_grid_worker_is_refused(commander, alice, first_grid):
    from epigrid.core.errors import ServiceError
    from epigrid.regions.services import grid_set_workers

    with pytest.raises(ServiceError) as info:
        grid_set_workers(actor=commander, grid_code=first_grid.code, usernames=["alice", "nobody"])
    assert len(info.value.errors) == 2


def test_pages_are_chinese_first_with_an_english_switch(client_for, alice):
    client = client_for(alice)
    assert "地图" in client.get("/").content.decode()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    page = client.get("/").content.decode()
    assert "Map" in page and 'lang="en"' in page


def test_api_openapi_document_describes_the_endpoints(city):
    doc = json.loads(Client().get("/api/v1/openapi.json").content)
    for path in ("/api/v1/divisions", "/api/v1/grids", "/api/v1/grids/{code}", "/api/v1/locate",
                 "/api/v1/regions/import"):
        assert path in doc["paths"], path


def test_login_page_is_usable_on_a_phone(city):
    page = Client().get("/login/").content.decode()
    assert 'name="viewport"' in page and 'autocomplete="current-password"' in page


def test_setting_grid_workers_through_the_api(alice, gridworker, first_grid, api):
    client = api.as_user(alice)
    response = client.client.put(f"/api/v1/grids/{first_grid.code}/workers", {"usernames": ["gridworker"]},
                                 content_type="application/json", headers=client.headers)
    assert response.status_code == 200
    assert [w["username"] for w in response.json()["workers"]] == ["gridworker"]
    response = client.client.put(f"/api/v1/grids/{first_grid.code}/workers", {"usernames": ["alice"]},
                                 content_type="application/json", headers=client.headers)
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "workers"
    assert list(first_grid.workers.values_list("username", flat=True)) == ["gridworker"]
    other = api.as_user(gridworker).client.put(
        f"/api/v1/grids/{first_grid.code}/workers", {"usernames": []}, content_type="application/json",
        headers=api.headers)
    assert other.status_code == 404  # a grid worker may see the grid but not reassign it
