"""Servers on one database need the same keys (docs/scaling.md): a server whose personal-data key file does
not read the stored data must not start; one whose secret key did not sign the stored logins is warned.
The refusal by the real `epigrid serve` and `epigrid worker` is shown in tests/test_scaleout.py."""

from django.test import Client

from epigrid.core.principals import SYSTEM
from epigrid.core.shared_keys import pii_key_problem, secret_key_problem
from epigrid.regions.models import Grid
from epigrid.residents.services import resident_create
from tests.conftest import PASSWORD


def test_a_key_file_that_does_not_read_the_stored_personal_data_is_refused(city, settings, tmp_path):
    assert pii_key_problem() == ""  # nothing encrypted yet: nothing to check
    grid = Grid.objects.order_by("code").first()
    resident_create(actor=SYSTEM, data={"name": "张三", "id_type": "passport", "id_number": "E00000001",
                                        "phone": "13812345678", "grid_code": grid.code})
    assert pii_key_problem() == ""
    settings.PII_KEY_FILE = tmp_path / "another-servers.key"  # generated afresh, as a forgotten copy would be
    problem = pii_key_problem()
    assert "does not decrypt" in problem and str(settings.PII_KEY_FILE) in problem
    assert "EPIGRID_PII_KEY_FILE" in problem


def test_logins_signed_with_another_secret_key_are_a_warning(alice, settings):
    assert secret_key_problem() == ""  # no login yet
    assert Client().post("/login/", {"username": "alice", "password": PASSWORD}).status_code == 302
    assert secret_key_problem() == ""
    old = settings.SECRET_KEY
    settings.SECRET_KEY = "another server's secret key, fifty characters long at least"
    assert "EPIGRID_SECRET_KEY" in secret_key_problem()
    settings.SECRET_KEY_FALLBACKS = [old]  # a rotation done right: the old key still reads
    assert secret_key_problem() == ""
