import pytest
from stdnum.cn import ric

from epigrid.core.principals import SYSTEM
from epigrid.residents.services import resident_create


def id_number(region="110101", birth="19800101", seq=1):
    body = f"{region}{birth}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


@pytest.fixture
def make_resident(first_grid):
    def make(*, actor=SYSTEM, name="张三", seq=1, phone="13812345678", grid_code=None, **extra):
        data = {"name": name, "id_number": id_number(seq=seq), "phone": phone,
                "grid_code": grid_code or first_grid.code, **extra}
        return resident_create(actor=actor, data=data)
    return make


@pytest.fixture
def xicheng_admin(city):
    """A district admin of 西城区, next door to 东城区."""
    from epigrid.accounts.roles import Role
    from epigrid.accounts.services import user_add
    from epigrid.core.principals import SYSTEM
    from tests.conftest import PASSWORD, XICHENG

    user, _ = user_add(actor=SYSTEM, username="xicheng", role=Role.DISTRICT_ADMIN, node_code=XICHENG,
                       password=PASSWORD)
    return user


@pytest.fixture
def xicheng_grid(city):
    from epigrid.regions.models import Grid

    return Grid.objects.filter(code__startswith="110102").order_by("code").first()


@pytest.fixture
def grid(first_grid):
    return first_grid.code


@pytest.fixture
def run(tmp_path):
    """Import a file's bytes directly (as the task does), with an error report beside it."""
    from epigrid.residents.importing import residents_import

    def run(data: bytes, name="residents.csv", actor=SYSTEM, **kwargs):
        path = tmp_path / name
        path.write_bytes(data)
        kwargs.setdefault("report_path", tmp_path / "errors.xlsx")
        return residents_import(actor=actor, path=path, file_name=name, **kwargs)
    return run
