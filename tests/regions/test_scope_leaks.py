"""Every list and detail endpoint and page shows a user their own subtree and nothing else.

alice runs 东城区 (110101); 西城区 (110102) is next door in the same city; bob runs 深圳市; charlie has
no role. Outside one's scope the answer is 404 (or an empty list): never a hint that the thing exists.
"""

import pytest
from django.test import Client

DONGCHENG_GRID = "110101001001001"
XICHENG = "110102000000"
XICHENG_GRID = "110102001001001"
SHENZHEN_DISTRICT = "440303000000"

# (path, what alice may see there) for every detail endpoint and page.
OWN = [
    ("/api/v1/divisions/110101000000", "api"),
    ("/api/v1/grids/" + DONGCHENG_GRID, "api"),
    ("/api/v1/grids?within=110101000000", "api"),
    ("/api/v1/regions/export?within=110101000000", "api"),
    ("/api/v1/map?within=110101000000", "api"),
    ("/divisions/110101000000/", "page"),
    ("/grids/" + DONGCHENG_GRID + "/", "page"),
    ("/map/?within=110101000000", "page"),
]
OTHERS = [
    "/api/v1/divisions/" + XICHENG,
    "/api/v1/divisions/110000000000",  # her own parent: visible in the breadcrumb only
    "/api/v1/divisions/" + SHENZHEN_DISTRICT,
    "/api/v1/grids/" + XICHENG_GRID,
    "/api/v1/grids?within=" + XICHENG,
    "/api/v1/grids?within=110000000000",
    "/api/v1/divisions?parent=" + XICHENG,
    "/api/v1/regions/export?within=" + XICHENG,
    "/api/v1/map?within=" + XICHENG,
    "/api/v1/map?within=" + SHENZHEN_DISTRICT,
    "/divisions/" + XICHENG + "/",
    "/divisions/" + SHENZHEN_DISTRICT + "/",
    "/grids/" + XICHENG_GRID + "/",
    "/map/?within=" + XICHENG,
    "/map/?within=" + SHENZHEN_DISTRICT,
]


@pytest.fixture
def session(alice):
    client = Client()
    client.force_login(alice)
    return client


@pytest.mark.parametrize(("path", "kind"), OWN)
def test_alice_sees_her_own_district(session, path, kind):
    assert session.get(path).status_code == 200


@pytest.mark.parametrize("path", OTHERS)
def test_alice_gets_404_outside_her_district(session, path):
    response = session.get(path)
    assert response.status_code == 404
    assert b"\xe8\xa5\xbf\xe5\x9f\x8e" not in response.content  # "西城" never appears


@pytest.mark.parametrize(("path", "kind"), OWN)
def test_another_city_sees_none_of_beijing(bob, path, kind):
    client = Client()
    client.force_login(bob)
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(("path", "kind"), OWN)
def test_a_user_without_a_role_sees_nothing(charlie, path, kind):
    client = Client()
    client.force_login(charlie)
    assert client.get(path).status_code in (403, 404)


@pytest.mark.parametrize(("path", "kind"), OWN)
def test_anonymous_is_asked_to_log_in(city, path, kind):
    response = Client().get(path)
    if kind == "api":
        assert response.status_code == 401
        assert response.json()["detail"]
    else:
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_lists_hold_only_what_is_in_scope(alice, bob, api):
    assert [d["code"] for d in api.as_user(alice).get("/divisions").json()] == ["110101000000"]
    codes = [g["code"] for g in api.as_user(alice).get("/grids", within="110101000000", page_size=1000)
             .json()["items"]]
    assert codes and all(c.startswith("110101") for c in codes)
    assert [d["code"] for d in api.as_user(bob).get("/divisions").json()] == ["440300000000"]
    shenzhen = api.as_user(bob).get("/divisions", parent="440300000000").json()
    assert shenzhen and all(d["code"].startswith("4403") for d in shenzhen)


def test_locate_answers_only_inside_ones_scope(alice, bob, api):
    from epigrid.regions.models import Grid

    xicheng = Grid.objects.get(code=XICHENG_GRID)
    dongcheng = Grid.objects.get(code=DONGCHENG_GRID)
    assert api.as_user(alice).get("/locate", lon=dongcheng.centroid_lon,
                                  lat=dongcheng.centroid_lat).json()["grid"]["code"] == DONGCHENG_GRID
    assert api.as_user(alice).get("/locate", lon=xicheng.centroid_lon, lat=xicheng.centroid_lat).status_code == 404
    assert api.as_user(bob).get("/locate", lon=dongcheng.centroid_lon,
                                lat=dongcheng.centroid_lat).status_code == 404


def test_the_division_page_lists_only_children_in_scope(commander, alice):
    client = Client()
    client.force_login(commander)
    page = client.get("/divisions/110000000000/").content.decode()
    assert "东城区" in page and "西城区" in page and "深圳" not in page


@pytest.mark.parametrize("city_code", ["120000000000", "520100000000"])
def test_each_demo_city_is_isolated_from_beijing(city, api, city_code):
    """The Tianjin (a 直辖市) and Guiyang (under 贵州省) commanders see their own city and none of Beijing."""
    from epigrid.accounts.roles import Role
    from epigrid.accounts.services import user_add
    from epigrid.core.principals import SYSTEM
    from epigrid.core.scoping import code_prefix
    from epigrid.regions.models import Grid

    user, _ = user_add(actor=SYSTEM, username="other", role=Role.CITY_COMMANDER, node_code=city_code,
                       password="correct horse battery staple")
    client = Client()
    client.force_login(user)
    own = Grid.objects.filter(code__startswith=code_prefix(city_code)).order_by("code").first()
    assert client.get(f"/grids/{own.code}/").status_code == 200
    assert api.as_user(user).get(f"/grids/{own.code}").status_code == 200
    for path, _kind in OWN:
        assert client.get(path).status_code == 404, path
    assert client.get(f"/grids/{XICHENG_GRID}/").status_code == 404
    assert api.as_user(user).get(f"/grids/{DONGCHENG_GRID}").status_code == 404
    assert api.as_user(user).get("/divisions/110000000000").status_code == 404
    assert [d["code"] for d in api.as_user(user).get("/divisions").json()] == [city_code]
