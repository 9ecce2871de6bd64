"""Shared fixtures: the small demo city, and users inside and outside each jurisdiction.

alice    district admin of 东城区 (110101000000), Beijing
bob      city commander of 深圳市 (440300000000): another city entirely
charlie  logged in, with no role anywhere
gridworker, auditor and commander as their names say, all in Beijing
"""

import pytest
from hypothesis import settings as hypothesis_settings

from epigrid.accounts.models import User
from epigrid.accounts.roles import Role
from epigrid.accounts.services import token_create, user_add
from epigrid.core.principals import SYSTEM
from epigrid.demo.services import demo_city_build

# Property tests check what the code answers, not how fast: on a shared 2-core CI machine the first call
# of an example can take half a second, which hypothesis's default 200 ms deadline reports as a failure.
hypothesis_settings.register_profile("epigrid", deadline=None)
hypothesis_settings.load_profile("epigrid")

PASSWORD = "correct horse battery staple"
DONGCHENG = "110101000000"
XICHENG = "110102000000"
SHENZHEN = "440300000000"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    yield
    # A live-server request thread can still hold a connection (the browser's keep-alive socket closes a
    # moment after the last test), and PostgreSQL will not drop a database that is in use.
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                               "WHERE datname = current_database() AND pid <> pg_backend_pid()")


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    # Argon2 is the production hasher (tests/accounts check it); here it would only slow every login.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english_messages():
    """Assertions on messages read in English; the pages' Chinese default has tests of its own."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def city(db):
    """The small demo city: Beijing's 16 districts and a small Shenzhen, through the real import."""
    demo_city_build(seed=1, scale="small")


def _user(username, role, code) -> User:
    user, _ = user_add(actor=SYSTEM, username=username, role=role, node_code=code, password=PASSWORD)
    return user


@pytest.fixture
def alice(city):
    return _user("alice", Role.DISTRICT_ADMIN, DONGCHENG)


@pytest.fixture
def bob(city):
    return _user("bob", Role.CITY_COMMANDER, SHENZHEN)


@pytest.fixture
def charlie(city):
    return User.objects.create_user("charlie", password=PASSWORD)


@pytest.fixture
def commander(city):
    return _user("commander", Role.CITY_COMMANDER, "110000000000")


@pytest.fixture
def auditor(city):
    return _user("auditor", Role.AUDITOR, "110000000000")


@pytest.fixture
def first_grid(city):
    from epigrid.regions.models import Grid

    return Grid.objects.filter(code__startswith="110101").order_by("code").first()


@pytest.fixture
def gridworker(first_grid):
    return _user("gridworker", Role.GRID_WORKER, first_grid.code)


@pytest.fixture
def api():
    """A client for the JSON API that authenticates with a bearer token."""
    from django.test import Client

    class ApiClient:
        def __init__(self):
            self.client = Client()
            self.headers = {"Accept-Language": "en"}

        def as_user(self, user):
            _, raw = token_create(actor=SYSTEM, username=user.username, name="test")
            self.headers = {**self.headers, "Authorization": f"Bearer {raw}"}
            return self

        def get(self, path, **params):
            return self.client.get(f"/api/v1{path}", params, headers=self.headers)

        def post(self, path, body, content_type="application/json", **params):
            from urllib.parse import urlencode

            query = f"?{urlencode(params)}" if params else ""
            return self.client.post(f"/api/v1{path}{query}", body, content_type=content_type, headers=self.headers)

    return ApiClient()


@pytest.fixture(autouse=True)
def _fresh_cache(settings, request):
    """A cache of the test's own (rate limits, job progress), not the file cache shared with others."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": request.node.nodeid}}


@pytest.fixture(autouse=True)
def _tasks_in_process(settings):
    """Background tasks run in the caller, so a test sees their outcome at once."""
    settings.TASKS_SYNC = True
