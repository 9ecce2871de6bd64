"""Fixtures for patrols and incidents: a community worker (a manager of incidents) at the first 东城
grid's community, a point inside that grid, and photos with EXIF GPS tags."""

import io

import pytest
from django.db import connection
from PIL import Image
from pytest_django.plugin import blocking_manager_key

from epigrid.accounts.roles import Role
from epigrid.core.dbtriggers import install_audit_triggers, remove_audit_triggers
from tests.conftest import _user


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """A transactional test ends by emptying every table, which the audit log's triggers forbid: lift
    them for that flush only (as tests/e2e does for the live server)."""
    marker = item.get_closest_marker("django_db")
    flush = bool(marker and marker.kwargs.get("transaction"))
    blocker = item.config.stash[blocking_manager_key]
    if flush:
        with blocker.unblock():
            remove_audit_triggers(connection)
    yield
    if flush and nextitem is not None:
        with blocker.unblock():
            install_audit_triggers(connection)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def community_worker(first_grid):
    return _user("community", Role.COMMUNITY_WORKER, first_grid.community.code)


@pytest.fixture
def street_admin(first_grid):
    return _user("street", Role.STREET_ADMIN, first_grid.code[:9] + "000")


@pytest.fixture
def other_gridworker(city):
    """A grid worker in the same community as `gridworker`, at the next grid."""
    from epigrid.regions.models import Grid

    grids = list(Grid.objects.filter(code__startswith="110101").order_by("code")[:2])
    return _user("gridworker2", Role.GRID_WORKER, grids[1].code)


@pytest.fixture
def inside(first_grid):
    """A position (lon, lat, WGS-84) inside the first 东城 grid: a point on its surface (a grid along a real
    district's edge need not be convex, so its centroid may lie outside it)."""
    import shapely

    point = shapely.from_geojson(first_grid.geometry).representative_point()
    return round(point.x, 6), round(point.y, 6)


def jpeg_with_gps(size=(64, 48)) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (39.0, 55.0, 1.0), "E", (116.0, 25.0, 2.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


@pytest.fixture
def photo_bytes():
    return jpeg_with_gps()
