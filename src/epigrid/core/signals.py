"""Logins, logouts and failed logins go to the audit log (the password never does)."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .audit import audit_record
from .principals import PUBLIC


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    audit_record(actor=user, action="login", object_type="user", object_id=user.pk,
                 object_repr=user.get_username(), jurisdiction_code=user.home_code)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(actor=user, action="logout", object_type="user", object_id=user.pk,
                     object_repr=user.get_username(), jurisdiction_code=user.home_code)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    from django.contrib.auth import get_user_model

    username = str(credentials.get("username", ""))[:150]
    user = get_user_model().objects.filter(username=username).first()
    if request is not None:
        audit_record(actor=PUBLIC, action="login_failed", object_type="user",
                 object_id=user.pk if user else "", object_repr=username,
                 jurisdiction_code=user.home_code if user else "")
