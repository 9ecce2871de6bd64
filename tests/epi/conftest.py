import pytest


@pytest.fixture(autouse=True)
def _graph_routes(settings):
    """The graph's API and pages (tests/epi/graph_urlconf.py)."""
    settings.ROOT_URLCONF = "tests.epi.graph_urlconf"


@pytest.fixture
def dc_grid(first_grid):
    return first_grid


@pytest.fixture
def xc_grid(city):
    from epigrid.regions.models import Grid

    return Grid.objects.filter(code__startswith="110102").order_by("code").first()


@pytest.fixture
def epi(city):
    """An epidemiologist of 东城区."""
    from epigrid.accounts.roles import Role
    from tests.conftest import DONGCHENG, _user

    return _user("epi", Role.EPIDEMIOLOGIST, DONGCHENG)


@pytest.fixture
def epi_xicheng(city):
    from epigrid.accounts.roles import Role
    from tests.conftest import XICHENG, _user

    return _user("epixc", Role.EPIDEMIOLOGIST, XICHENG)
