"""The demo: the synthetic city through the real import path, and one user per role."""

from __future__ import annotations

from epigrid.accounts.models import User
from epigrid.accounts.roles import Role
from epigrid.accounts.services import user_add
from epigrid.core.principals import SYSTEM
from epigrid.regions.models import Division, Grid
from epigrid.regions.services import ImportResult, grid_set_workers, regions_import

from .city import demo_city_geojson

# A well-known password for the demo only: `make demo` prints it beside each login. The demo serves
# on 127.0.0.1; production users are created with `epigrid user add` and get a generated password.
DEMO_PASSWORD = "epigrid-demo-2020"


def demo_city_build(*, seed: int = 1, scale: str = "small") -> ImportResult:
    return regions_import(actor=SYSTEM, data=demo_city_geojson(seed=seed, scale=scale))


def demo_users_create() -> list[tuple[str, str, str, str]]:
    """One user per role, and a commander of each other city (深圳, 天津, 贵阳) to show that cities are
    isolated from one another. Returns (username, role,
    node code, node name) rows; existing users are left as they are."""
    first_grid = Grid.objects.filter(code__startswith="110101").order_by("code").first()
    community = first_grid.community
    street = community.parent
    plan = [
        ("commander", Role.CITY_COMMANDER, "110000000000"),
        ("dongcheng", Role.DISTRICT_ADMIN, "110101000000"),
        ("street", Role.STREET_ADMIN, street.code),
        ("community", Role.COMMUNITY_WORKER, community.code),
        ("gridworker", Role.GRID_WORKER, first_grid.code),
        ("volunteer", Role.VOLUNTEER, community.code),
        ("charity", Role.CHARITY_STAFF, "110000000000"),
        ("doctor", Role.CONSULTANT, "110000000000"),
        ("auditor", Role.AUDITOR, "110000000000"),
        ("epidemiologist", Role.EPIDEMIOLOGIST, "110101000000"),
        ("shenzhen", Role.CITY_COMMANDER, "440300000000"),
        ("tianjin", Role.CITY_COMMANDER, "120000000000"),
        ("guiyang", Role.CITY_COMMANDER, "520100000000"),
    ]
    names = dict(Division.objects.filter(code__in=[p[2] for p in plan]).values_list("code", "name"))
    names[first_grid.code] = f"{community.name} {first_grid.name}"
    rows = []
    for username, role, code in plan:
        if not User.objects.filter(username=username).exists():
            user_add(actor=SYSTEM, username=username, role=role, node_code=code, password=DEMO_PASSWORD)
        rows.append((username, role, code, names.get(code, "")))
    if not first_grid.workers.exists():
        grid_set_workers(actor=SYSTEM, grid_code=first_grid.code, usernames=["gridworker"])
    return rows
