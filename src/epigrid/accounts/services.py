"""Users, memberships and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import cache

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from epigrid.core.audit import audit_record
from epigrid.core.errors import FieldError, NotFound, ServiceError
from epigrid.core.principals import SYSTEM, Actor, is_user, service
from epigrid.core.scoping import in_scope, user_memberships_known

from .models import ApiToken, Membership, User
from .roles import USERS_MANAGE, Role

TOKEN_PREFIX = "eg_"


def _node_exists(code: str) -> bool:
    from epigrid.regions.models import Division, Grid

    model = Grid if len(code) == 15 else Division
    return model.objects.filter(code=code).exists()


@service
def user_add(*, actor: Actor, username: str, role: str, node_code: str, password: str | None = None,
             display_name: str = "") -> tuple[User, str | None]:
    """Create the user if new and grant `role` at `node_code`. Returns the user and, when one was
    generated, the initial password (to hand over once). SYSTEM is the command line."""
    errors = []
    username = (username or "").strip()
    if not username or len(username) > 150:
        errors.append(FieldError("username", _("required, at most 150 characters")))
    if role not in Role.values:
        errors.append(FieldError("role", _("unknown role; one of %(r)s") % {"r": ", ".join(Role.values)}))
    if not _node_exists(node_code):
        errors.append(FieldError("at", _("no division or grid with code %(c)s") % {"c": node_code}))
    elif not in_scope(actor, USERS_MANAGE, node_code):
        errors.append(FieldError("at", _("%(c)s is outside your jurisdiction") % {"c": node_code}))
    if errors:
        raise ServiceError(_("Cannot add this user."), errors)
    with transaction.atomic():
        user = User.objects.filter(username=username).first()
        generated = None
        if user is None:
            user = User(username=username, display_name=display_name)
            if password is None:
                password = generated = secrets.token_urlsafe(12)
            try:
                validate_password(password, user)
            except ValidationError as exc:
                raise ServiceError(_("The password is too weak."),
                                   [FieldError("password", " ".join(exc.messages))]) from None
            user.set_password(password)
            user.save()
            audit_record(actor=actor, action="user.create", object_type="user", object_id=user.pk,
                         object_repr=username, jurisdiction_code=node_code,
                         changes={"username": [None, username], "password": "set"})
        elif password is not None:
            raise ServiceError(_("The user exists; their password is not changed here."),
                               [FieldError("password", _("leave out for an existing user"))])
        membership, created = Membership.objects.get_or_create(user=user, role=role, node_code=node_code)
        if created:
            audit_record(actor=actor, action="membership.grant", object_type="user", object_id=user.pk,
                         object_repr=username, jurisdiction_code=node_code,
                         changes={"role": [None, role], "node_code": [None, node_code]})
    return user, generated


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _may_manage_tokens_of(actor: Actor, user: User) -> bool:
    """A user manages their own tokens; SYSTEM (the command line) anyone's."""
    return actor is SYSTEM or (is_user(actor) and actor.pk == user.pk)


@service
def token_create(*, actor: Actor, username: str, name: str = "api", days: int | None = 90) -> tuple[ApiToken, str]:
    """A new bearer token for `username`; the plaintext is returned once and never stored."""
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None or not _may_manage_tokens_of(actor, user):  # the same answer for both
        raise NotFound(_("No such user."), [FieldError("username", _("unknown user %(u)s") % {"u": username})])
    if days is not None and days <= 0:
        raise ServiceError(_("Bad expiry."), [FieldError("days", _("must be positive"))])
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name[:100], prefix=raw[:10], digest=_digest(raw),
            expires_at=timezone.now() + timedelta(days=days) if days else None,
        )
        audit_record(actor=actor, action="token.create", object_type="api_token", object_id=token.pk,
                     object_repr=f"{username}: {token}", jurisdiction_code=user.home_code,
                     changes={"expires_at": [None, str(token.expires_at)]})
    return token, raw


@service
def token_revoke(*, actor: Actor, token_id: int) -> ApiToken:
    token = ApiToken.objects.filter(pk=token_id, revoked_at__isnull=True).select_related("user").first()
    if token is None or not _may_manage_tokens_of(actor, token.user):
        raise NotFound(_("No such token."))
    token.revoked_at = timezone.now()
    with transaction.atomic():
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="token.revoke", object_type="api_token", object_id=token.pk,
                     object_repr=f"{token.user.username}: {token}", jurisdiction_code=token.user.home_code)
    return token


@cache
def _token_statement(vendor: str) -> tuple[str, tuple, tuple]:
    """One statement for a bearer request: the token (valid, unexpired, unrevoked), its active user and
    the user's memberships (one row per membership), and whether last_used_at is due for a touch.
    Revocation stays immediate: nothing of it is cached between requests. Returns the SQL, the user's
    fields and each field's converters (what the ORM applies to a value read from this database)."""
    q = connection.ops.quote_name
    fields = tuple(User._meta.concrete_fields)
    # (position, column expression, converters) of each field that has any: the same per request.
    converters = tuple((i, col, convs) for i, f in enumerate(fields)
                       if (convs := tuple(connection.ops.get_db_converters(col := f.get_col(User._meta.db_table))
                                          + f.get_db_converters(connection))))
    sql = (
        f"SELECT {', '.join(f'u.{q(f.column)}' for f in fields)}, t.{q('id')}, "
        f"(t.{q('last_used_at')} IS NULL OR t.{q('last_used_at')} < %s), m.{q('role')}, m.{q('node_code')} "
        f"FROM {q(ApiToken._meta.db_table)} t JOIN {q(User._meta.db_table)} u ON u.{q('id')} = t.{q('user_id')} "
        f"LEFT JOIN {q(Membership._meta.db_table)} m ON m.{q('user_id')} = u.{q('id')} "
        f"WHERE t.{q('digest')} = %s AND t.{q('revoked_at')} IS NULL "
        f"AND (t.{q('expires_at')} IS NULL OR t.{q('expires_at')} > %s) AND u.{q('is_active')} = %s"
    )
    return sql, fields, converters


def token_authenticate(raw: str) -> User | None:
    """The active user behind a valid, unexpired, unrevoked token, or None; the user's memberships come
    with it (every API request needs them for its scope), read in the same statement. Written SQL, not
    the ORM: this runs on every API request, and compiling the query cost more than running it."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    now = timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    sql, fields, converters = _token_statement(connection.vendor)
    with connection.cursor() as cursor:
        # Touch last_used at most once a minute: a phone sending points every few seconds must not turn
        # every read into a write.
        cursor.execute(sql, [adapt(now - timedelta(minutes=1)), _digest(raw), adapt(now), True])
        rows = cursor.fetchall()
    if not rows:
        return None
    n = len(fields)
    values = list(rows[0][:n])
    for i, col, field_converters in converters:
        for convert in field_converters:
            values[i] = convert(values[i], col, connection)
    user = User.from_db(connection.alias, [f.attname for f in fields], values)
    user_memberships_known(user, [Membership(user_id=user.pk, role=row[n + 2], node_code=row[n + 3])
                                  for row in rows if row[n + 2] is not None])
    token_id, touch = rows[0][n], rows[0][n + 1]
    if touch:
        ApiToken.objects.filter(pk=token_id).update(last_used_at=now)
    return user
