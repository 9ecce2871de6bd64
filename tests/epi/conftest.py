"""Builders for the tracing tests: an epidemiologist of 东城, people in its first grid (with a grid
worker, who gets the tracing tasks), and people next door in 西城."""

import itertools

import pytest
from stdnum.cn import ric

from epigrid.accounts.roles import Role
from epigrid.core.principals import SYSTEM
from epigrid.regions.models import Grid
from epigrid.regions.services import grid_set_workers
from epigrid.residents.services import resident_create
from tests.conftest import DONGCHENG, _user

_seq = itertools.count(1)


def id_number(seq: int, region: str = "110101") -> str:
    body = f"{region}19800101{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


@pytest.fixture
def epi(city):
    """An epidemiologist (疾控流调人员) of 东城区."""
    return _user("epi", Role.EPIDEMIOLOGIST, DONGCHENG)


@pytest.fixture
def worker(first_grid):
    user = _user("gw", Role.GRID_WORKER, first_grid.code)
    grid_set_workers(actor=SYSTEM, grid_code=first_grid.code, usernames=["gw"])
    return user


@pytest.fixture
def xicheng_grid(city):
    return Grid.objects.filter(code__startswith="110102").order_by("code").first()


@pytest.fixture
def person(first_grid):
    """Make a registered person in the first grid of 东城 (or in `grid_code`)."""
    def make(name="张三", grid_code=None, household=""):
        seq = next(_seq)
        region = (grid_code or first_grid.code)[:6]
        return resident_create(actor=SYSTEM, data={"name": name, "id_number": id_number(seq % 1000, region),
                                                   "phone": f"138{seq:08d}", "grid_code": grid_code or first_grid.code,
                                                   "household": household})
    return make


@pytest.fixture
def dc_grid(first_grid):
    return first_grid


@pytest.fixture
def xc_grid(xicheng_grid):
    return xicheng_grid


@pytest.fixture
def epi_xicheng(city):
    from tests.conftest import XICHENG

    return _user("epixc", Role.EPIDEMIOLOGIST, XICHENG)
