"""Roles and what each may do: the one table. Scoping (where) is in core.scoping; this is what."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from epigrid.core.scoping import AUDIT_VIEW, LIST_EXPORT  # noqa: F401  (core's own actions, granted below)


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
    # 疾控流调人员: owns cases and tracing at a district or the city.
    EPIDEMIOLOGIST = "epidemiologist", _("Epidemiologist (tracing)")


# What each role may read is split by what the data tells: the outline of the map is not the public's
# reports (names, addresses, photos), which are not the grid workers' GPS tracks, which are not the KPIs.
MAP_VIEW = "map.view"  # divisions and grids: outlines, names, codes, counts, their grid workers
INCIDENT_VIEW = "incident.view"  # every incident under the node: reporter name and address, photos
PATROL_VIEW = "patrol.view"  # every patrol under the node: grid workers' GPS tracks; patrol plans
KPI_VIEW = "kpi.view"  # KPI tables and their XLSX exports
REGIONS_EDIT = "regions.edit"  # import GeoJSON, rename, assign grid workers
USERS_MANAGE = "users.manage"
# Data tracking (residents, arrivals, observation, check-ins)
RESIDENTS_VIEW = "residents.view"  # see residents in scope, personal data masked
RESIDENTS_EDIT = "residents.edit"  # add, change, import residents; review arrivals
PII_REVEAL = "pii.reveal"  # see an ID number or phone in full, with a reason (audited)
# LIST_EXPORT (core.scoping, used by core.lists): export a list one reads to XLSX (audited); personal values masked, in full
# only with a reason and PII_REVEAL. Granted to the roles that read lists with the reveal right.
HEALTH_VIEW = "health.view"  # observations, check-ins and health alerts in scope
HEALTH_RECORD = "health.record"  # enter check-ins, start and release observations
# Grid patrol and incidents
PATROL = "patrol"  # walk one's grids: start/end patrols, send track points
INCIDENT_REPORT = "incident.report"
INCIDENT_MANAGE = "incident.manage"  # register, reject, dispatch, verify, close, evaluate
INCIDENT_HANDLE = "incident.handle"  # handle incidents dispatched to oneself or one's unit
# Epidemic tracing (epi): who is infected, whom they exposed, chains and clusters
EPI_VIEW = "epi.view"  # cases, contacts, exposures, chains and clusters in scope, personal fields masked
EPI_EDIT = "epi.edit"  # report and reclassify cases, record exposures and links, decide clusters, give tasks
EPI_TASK = "epi.task"  # act on the tracing tasks given to oneself (reach, place, test a contact)
EPI_FIGURES = "epi.figures"  # counts of cases and contacts per node, no person

# A role without the node-wide read still reads its own records, where doing one of these actions:
# an incident it reported (INCIDENT_REPORT) or that was dispatched to it (INCIDENT_HANDLE): its tasks;
# a patrol it walked (PATROL): its own track. The selectors read this, nothing else spells the rule.
OWN_RECORDS: dict[str, tuple[str, ...]] = {
    INCIDENT_VIEW: (INCIDENT_REPORT, INCIDENT_HANDLE),
    PATROL_VIEW: (PATROL,),
}

_READ_ALL = {MAP_VIEW, RESIDENTS_VIEW, HEALTH_VIEW, INCIDENT_VIEW, PATROL_VIEW, KPI_VIEW, EPI_FIGURES}
# A grid worker walks one grid: its map, residents, observations, incidents and figures; of patrols only
# their own (another worker of the same grid keeps their track).
_GRID_STAFF = {MAP_VIEW, RESIDENTS_VIEW, HEALTH_VIEW, INCIDENT_VIEW, KPI_VIEW, HEALTH_RECORD, PATROL,
               INCIDENT_REPORT, INCIDENT_HANDLE, EPI_VIEW, EPI_TASK}
_ADMIN = _READ_ALL | {REGIONS_EDIT, USERS_MANAGE, RESIDENTS_EDIT, PII_REVEAL, LIST_EXPORT, HEALTH_RECORD,
                      INCIDENT_REPORT, INCIDENT_MANAGE, INCIDENT_HANDLE}
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    # Commanders see the epidemic as figures (EPI_FIGURES, in _READ_ALL), not as people: tracing is the
    # epidemiologists' work, and the cases' and contacts' names reach only those who act on them.
    Role.CITY_COMMANDER: frozenset(_ADMIN | {AUDIT_VIEW}),
    Role.DISTRICT_ADMIN: frozenset(_ADMIN | {EPI_VIEW}),
    Role.STREET_ADMIN: frozenset(_ADMIN | {EPI_VIEW}),
    # Manages the community's incidents and supervises its grid workers' patrols.
    Role.COMMUNITY_WORKER: frozenset(_GRID_STAFF | {PATROL_VIEW, RESIDENTS_EDIT, PII_REVEAL, LIST_EXPORT,
                                                INCIDENT_MANAGE}),
    Role.GRID_WORKER: frozenset(_GRID_STAFF),
    # Reports incidents in the community and sees its own tasks (OWN_RECORDS), and the community's map to
    # place a report; not the community's incidents, tracks or figures.
    Role.VOLUNTEER: frozenset({MAP_VIEW, INCIDENT_REPORT}),
    # Their modules (charity: donations and disclosure; consult: consultations) are not built yet: nothing
    # of grid control is their work, not even the map (it names the grid workers).
    Role.CHARITY_STAFF: frozenset(),
    Role.CONSULTANT: frozenset(),
    # Read-only: sees everything under its node, including the audit log, and changes nothing.
    Role.AUDITOR: frozenset(_READ_ALL | {AUDIT_VIEW, EPI_VIEW}),
    # Owns cases and tracing in their district or city: reads the registry and observations to find and
    # follow people, creates persons not yet registered, starts contacts' observations, reveals with a reason.
    Role.EPIDEMIOLOGIST: frozenset({MAP_VIEW, RESIDENTS_VIEW, RESIDENTS_EDIT, PII_REVEAL, LIST_EXPORT, HEALTH_VIEW,
                                    HEALTH_RECORD, EPI_VIEW, EPI_EDIT, EPI_FIGURES}),
}

# The roles whose work lives in modules still to come: their home page says so.
PENDING_MODULE_ROLES = frozenset({Role.CHARITY_STAFF, Role.CONSULTANT})

SCOPE_NODE, SCOPE_OWN, SCOPE_NONE = "node", "own", "none"


def role_scope(role: str, action: str) -> str:
    """How far a role may do `action`: over its whole node, only on its own records, or not at all."""
    actions = ROLE_ACTIONS[role]
    if action in actions:
        return SCOPE_NODE
    if any(a in actions for a in OWN_RECORDS.get(action, ())):
        return SCOPE_OWN
    return SCOPE_NONE
