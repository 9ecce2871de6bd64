"""Token-authenticated API requests take a short path past the page middleware (core/middleware.py,
BearerApiMiddleware). What a client or an attacker would notice must not change: the language of the
answers, the security headers, the body limit, immediate revocation and scope changes; and no cookie."""

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from epigrid.accounts.models import ApiToken, Membership, User
from epigrid.accounts.services import token_create
from epigrid.core.principals import SYSTEM
from tests.conftest import DONGCHENG


def bearer(user) -> dict:
    _, raw = token_create(actor=SYSTEM, username=user.username, name="test")
    return {"Authorization": f"Bearer {raw}"}


def test_answers_come_in_the_callers_language(alice):
    client = Client()
    for language, expected in (("zh-CN,zh;q=0.9", "zh-hans"), ("en-US,en;q=0.8", "en")):
        headers = {"Authorization": "Bearer eg_" + "x" * 43, "Accept-Language": language}
        response = client.get("/api/v1/me", headers=headers)
        assert response.status_code == 401
        assert response["Content-Language"] == expected and "Accept-Language" in response["Vary"]
    zh = client.get("/api/v1/me", headers={"Authorization": "Bearer eg_" + "x" * 43, "Accept-Language": "zh-CN"})
    en = client.get("/api/v1/me", headers={"Authorization": "Bearer eg_" + "x" * 43, "Accept-Language": "en"})
    assert zh.json()["detail"] != en.json()["detail"] and "Authentication required" in en.json()["detail"]


def test_a_bearer_answer_sets_no_cookie_and_carries_the_security_headers(alice):
    response = Client().get("/api/v1/me", headers={**bearer(alice), "Accept-Language": "en"})
    assert response.status_code == 200 and response.json()["username"] == "alice"
    assert not response.cookies  # no session, no CSRF token
    assert response["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert response["X-Frame-Options"] == "DENY" and response["X-Content-Type-Options"] == "nosniff"


def test_the_body_limit_and_nul_check_hold_on_the_bearer_path(alice, settings):
    headers = {**bearer(alice), "Accept-Language": "en"}
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = Client().post("/api/v1/checkins", "{" + " " * 4096 + "}", content_type="application/json",
                             headers=headers)
    assert response.status_code == 413 and response.json()["errors"][0]["field"] == "body"
    response = Client().get("/api/v1/observations", {"q": "a\x00b"}, headers=headers)
    assert response.status_code == 400 and "NUL" in response.json()["detail"]


def test_revocation_expiry_deactivation_and_scope_take_effect_on_the_next_request(alice):
    """Nothing about the token or its user is kept between requests."""
    client = Client()
    headers = bearer(alice)
    me = lambda: client.get("/api/v1/me", headers=headers)  # noqa: E731
    assert [m["node_code"] for m in me().json()["memberships"]] == [DONGCHENG]
    Membership.objects.filter(user=alice).delete()
    assert me().json()["memberships"] == []
    Membership.objects.create(user=alice, role="district_admin", node_code=DONGCHENG)
    User.objects.filter(pk=alice.pk).update(is_active=False)
    assert me().status_code == 401
    User.objects.filter(pk=alice.pk).update(is_active=True)
    assert me().status_code == 200
    ApiToken.objects.filter(user=alice).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert me().status_code == 401
    ApiToken.objects.filter(user=alice).update(expires_at=None, revoked_at=timezone.now())
    assert me().status_code == 401


def test_a_bearer_header_on_a_page_takes_the_full_path(alice):
    """Only the API has a short path: a page with a bearer header still wants a login cookie."""
    response = Client().get("/", headers=bearer(alice))
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert response.get("Content-Security-Policy") and "default-src 'self'" in response["Content-Security-Policy"]


def test_the_token_touch_is_at_most_once_a_minute(alice):
    client = Client()
    headers = bearer(alice)
    client.get("/api/v1/me", headers=headers)
    first = ApiToken.objects.get(user=alice).last_used_at
    client.get("/api/v1/me", headers=headers)
    assert ApiToken.objects.get(user=alice).last_used_at == first
    ApiToken.objects.filter(user=alice).update(last_used_at=first - timedelta(minutes=2))
    client.get("/api/v1/me", headers=headers)
    assert ApiToken.objects.get(user=alice).last_used_at > first
