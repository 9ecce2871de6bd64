"""Builders for the health tests: residents in the first grid of 东城 and in Shenzhen, observations."""

import itertools
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from epigrid.core.principals import SYSTEM
from epigrid.regions.models import Grid
from epigrid.regions.services import grid_set_workers
from epigrid.residents.models import Resident

SHANGHAI = ZoneInfo("Asia/Shanghai")
_names = itertools.count(1)


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def make_resident(grid_code: str, name: str | None = None) -> Resident:
    return Resident.objects.create(grid_code=grid_code, city_code=grid_code[:4],
                                   name=name or f"居民{next(_names)}")


@pytest.fixture
def resident(first_grid):
    return make_resident(first_grid.code, "张三")


@pytest.fixture
def shenzhen_grid(city):
    return Grid.objects.filter(code__startswith="4403").order_by("code").first()


@pytest.fixture
def worker_assigned(gridworker, first_grid):
    """The fixture grid worker, named as the responsible worker of the first grid."""
    grid_set_workers(actor=SYSTEM, grid_code=first_grid.code, usernames=["gridworker"])
    return gridworker


@pytest.fixture
def observation(resident, worker_assigned):
    from epigrid.health.services import observation_start

    return observation_start(actor=SYSTEM, resident=resident, kind="home", reason="arrival")
