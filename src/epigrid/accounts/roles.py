"""Roles and what each may do: the one table. Scoping (where) is in core.scoping; this is what."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CITY_COMMANDER = "city_commander", _("City commander")
    DISTRICT_ADMIN = "district_admin", _("District admin")
    STREET_ADMIN = "street_admin", _("Street admin")
    COMMUNITY_WORKER = "community_worker", _("Community worker")
    GRID_WORKER = "grid_worker", _("Grid worker")
    VOLUNTEER = "volunteer", _("Volunteer")
    CHARITY_STAFF = "charity_staff", _("Charity staff")
    CONSULTANT = "consultant", _("Consultant (doctor or counsellor)")
    AUDITOR = "auditor", _("Auditor (read-only)")


VIEW = "view"  # divisions, grids and the records under them
REGIONS_EDIT = "regions.edit"  # import GeoJSON, rename, assign grid workers
USERS_MANAGE = "users.manage"
AUDIT_VIEW = "audit.view"

_STAFF = {VIEW}
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.CITY_COMMANDER: frozenset({VIEW, REGIONS_EDIT, USERS_MANAGE, AUDIT_VIEW}),
    Role.DISTRICT_ADMIN: frozenset({VIEW, REGIONS_EDIT, USERS_MANAGE}),
    Role.STREET_ADMIN: frozenset({VIEW, REGIONS_EDIT, USERS_MANAGE}),
    Role.COMMUNITY_WORKER: frozenset(_STAFF),
    Role.GRID_WORKER: frozenset(_STAFF),
    Role.VOLUNTEER: frozenset(_STAFF),
    Role.CHARITY_STAFF: frozenset(_STAFF),
    Role.CONSULTANT: frozenset(_STAFF),
    # Read-only: sees everything under its node, including the audit log, and changes nothing.
    Role.AUDITOR: frozenset({VIEW, AUDIT_VIEW}),
}
