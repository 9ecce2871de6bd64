"""Logins, lockout, API tokens and the command line for users and tokens."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from epigrid.accounts.models import ApiToken, User
from epigrid.accounts.services import token_create, token_revoke, user_add
from epigrid.core.errors import ServiceError
from epigrid.core.principals import SYSTEM
from tests.conftest import PASSWORD


def login(client, username, password):
    return client.post("/login/", {"username": username, "password": password})


def test_login_lands_on_the_home_page_of_ones_jurisdiction(alice):
    client = Client()
    response = login(client, "alice", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"
    page = client.get("/").content.decode()
    assert "东城区" in page and "西城区" not in page


def test_a_wrong_password_shows_an_error_and_no_session(alice):
    client = Client()
    response = login(client, "alice", "wrong password")
    assert response.status_code == 200
    assert "alert" in response.content.decode()
    assert client.get("/").status_code == 302


def test_repeated_failed_logins_lock_the_account_for_a_while(alice, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "alice", "wrong password")
    locked = login(client, "alice", PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode() or "登录失败次数过多" in locked.content.decode()
    assert client.get("/").status_code == 302
    # Another user from the same address is not locked out by alice's failures.
    User.objects.create_user("dora", password=PASSWORD)
    assert login(Client(), "dora", PASSWORD).status_code == 302


def test_passwords_are_hashed_with_argon2(city, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user, _ = user_add(actor=SYSTEM, username="erin", role="grid_worker", node_code="110101000000",
                       password=PASSWORD)
    assert user.password.startswith("argon2")


def test_weak_passwords_and_unknown_roles_and_nodes_are_refused(city):
    with pytest.raises(ServiceError) as weak:
        user_add(actor=SYSTEM, username="frank", role="grid_worker", node_code="110101000000", password="123")
    assert weak.value.errors[0].field == "password"
    with pytest.raises(ServiceError) as bad:
        user_add(actor=SYSTEM, username="frank", role="emperor", node_code="119999000000")
    assert {e.field for e in bad.value.errors} == {"role", "at"}
    assert not User.objects.filter(username="frank").exists()


def test_a_user_may_hold_several_roles(city):
    user_add(actor=SYSTEM, username="gina", role="grid_worker", node_code="110101001001001", password=PASSWORD)
    user, generated = user_add(actor=SYSTEM, username="gina", role="volunteer", node_code="110102000000")
    assert generated is None
    assert sorted(user.memberships.values_list("role", flat=True)) == ["grid_worker", "volunteer"]


def test_an_admin_cannot_create_users_outside_their_jurisdiction(alice):
    with pytest.raises(ServiceError) as info:
        user_add(actor=alice, username="hank", role="grid_worker", node_code="110102000000")
    assert info.value.errors[0].field == "at"
    user, password = user_add(actor=alice, username="hank", role="grid_worker", node_code="110101001001001")
    assert password and user.check_password(password)


def test_tokens_are_stored_hashed_and_work_until_expiry_or_revocation(alice, api):
    token, raw = token_create(actor=SYSTEM, username="alice", name="phone", days=30)
    assert raw.startswith("eg_") and raw not in token.digest and len(token.digest) == 64
    assert not ApiToken.objects.filter(digest=raw).exists()
    headers = {"Authorization": f"Bearer {raw}"}
    client = Client()
    assert client.get("/api/v1/me", headers=headers).json()["username"] == "alice"
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    token2, raw2 = token_create(actor=SYSTEM, username="alice")
    token_revoke(actor=SYSTEM, token_id=token2.pk)
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw2}"})
    assert response.status_code == 401
    assert response.json()["detail"]


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer eg_" + "x" * 43, "Basic YWxpY2U6eA==", ""])
def test_bad_tokens_are_401(alice, header):
    response = Client().get("/api/v1/me", headers={"Authorization": header} if header else {})
    assert response.status_code == 401


def test_cli_user_add_and_token_create(city, capsys):
    call_command("user", "add", "ivan", "--role", "grid_worker", "--at", "110101001001001")
    out = capsys.readouterr().out
    assert "ivan: grid_worker at 110101001001001" in out and "password: " in out
    call_command("token", "create", "ivan")
    raw = capsys.readouterr().out.strip()
    assert Client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).json()["username"] == "ivan"
    call_command("token", "list", "ivan")
    listing = capsys.readouterr().out
    assert "valid" in listing and raw not in listing
    with pytest.raises(CommandError, match="999999999999"):
        call_command("user", "add", "jill", "--role", "grid_worker", "--at", "999999999999")


def test_session_api_writes_need_the_csrf_token(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post("/api/v1/regions/import", "{}", content_type="application/json")
    assert response.status_code in (401, 403)
