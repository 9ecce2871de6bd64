from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from epigrid.core.scoping import ScopedQuerySet

from .roles import Role


class User(AbstractUser):
    """A person who logs in. What they may see and do comes only from their memberships."""

    display_name = models.CharField(_("display name"), max_length=100, blank=True)

    def __str__(self):
        return self.display_name or self.username

    @property
    def home_code(self) -> str:
        """The code of the user's first node: where events about the user themselves (logins, tokens)
        are filed in the audit log, so that the auditors of that jurisdiction see them."""
        codes = sorted(m.node_code for m in self.memberships.all())
        return codes[0] if codes else ""


class Membership(models.Model):
    """One role at one node of the tree (a division's 12-digit or a grid's 15-digit code)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    node_code = models.CharField(_("jurisdiction"), max_length=15, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    scope_field = "node_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role", "node_code"], name="membership_unique")]
        verbose_name = _("membership")

    def __str__(self):
        return f"{self.user} {self.role}@{self.node_code}"


class ApiToken(models.Model):
    """A bearer token for machines and phones. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, help_text=_("First characters, to tell tokens apart."))
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_valid(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
