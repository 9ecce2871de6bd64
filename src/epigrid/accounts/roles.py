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
# Data tracking (residents, arrivals, observation, check-ins)
RESIDENTS_VIEW = "residents.view"  # see residents in scope, personal data masked
RESIDENTS_EDIT = "residents.edit"  # add, change, import residents; review arrivals
PII_REVEAL = "pii.reveal"  # see an ID number or phone in full, with a reason (audited)
HEALTH_RECORD = "health.record"  # enter check-ins, start and release observations
# Grid patrol and incidents
PATROL = "patrol"  # walk one's grids: start/end patrols, send track points
INCIDENT_REPORT = "incident.report"
INCIDENT_MANAGE = "incident.manage"  # register, reject, dispatch, verify, close, evaluate
INCIDENT_HANDLE = "incident.handle"  # handle incidents dispatched to oneself or one's unit

_GRID_STAFF = {VIEW, RESIDENTS_VIEW, HEALTH_RECORD, PATROL, INCIDENT_REPORT, INCIDENT_HANDLE}
_ADMIN = {VIEW, REGIONS_EDIT, USERS_MANAGE, RESIDENTS_VIEW, RESIDENTS_EDIT, PII_REVEAL, HEALTH_RECORD,
          INCIDENT_REPORT, INCIDENT_MANAGE, INCIDENT_HANDLE}
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.CITY_COMMANDER: frozenset(_ADMIN | {AUDIT_VIEW}),
    Role.DISTRICT_ADMIN: frozenset(_ADMIN),
    Role.STREET_ADMIN: frozenset(_ADMIN),
    Role.COMMUNITY_WORKER: frozenset(_GRID_STAFF | {RESIDENTS_EDIT, PII_REVEAL, INCIDENT_MANAGE}),
    Role.GRID_WORKER: frozenset(_GRID_STAFF),
    Role.VOLUNTEER: frozenset({VIEW, INCIDENT_REPORT}),
    Role.CHARITY_STAFF: frozenset({VIEW}),
    Role.CONSULTANT: frozenset({VIEW}),
    # Read-only: sees everything under its node, including the audit log, and changes nothing.
    Role.AUDITOR: frozenset({VIEW, RESIDENTS_VIEW, AUDIT_VIEW}),
}
