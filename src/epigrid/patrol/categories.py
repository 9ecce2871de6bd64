"""The incident category tree and its defaults, created on first use (not by a data migration: the
browser tests empty every table between tests, and a fresh install needs them just the same)."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_noop

from .models import IncidentCategory

# code, English name (translated on display), parent code, deadline in hours from dispatch to close.
DEFAULTS = [
    ("epidemic", gettext_noop("Epidemic prevention"), None, 24),
    ("unregistered_arrival", gettext_noop("Unregistered arrival"), "epidemic", 24),
    ("gathering", gettext_noop("Gathering"), "epidemic", 2),
    ("no_mask", gettext_noop("No mask at a checkpoint"), "epidemic", 2),
    ("fever", gettext_noop("Person with fever"), "epidemic", 2),
    ("observation_breach", gettext_noop("Breach of home observation"), "epidemic", 4),
    ("supplies_needed", gettext_noop("Household needing supplies"), "epidemic", 12),
    ("general", gettext_noop("General"), None, 72),
    ("sanitation", gettext_noop("Sanitation"), "general", 48),
    ("safety_hazard", gettext_noop("Safety hazard"), "general", 24),
    ("dispute", gettext_noop("Dispute"), "general", 72),
]


def categories_ensure() -> None:
    """Create the default tree when there is no category at all (an admin may change it afterwards)."""
    if IncidentCategory.objects.exists():
        return
    try:
        with transaction.atomic():
            ids = {}
            for sort, (code, name, parent, hours) in enumerate(DEFAULTS):
                ids[code] = IncidentCategory.objects.create(code=code, name=name, parent_id=ids.get(parent),
                                                            deadline_hours=hours, sort=sort).pk
    except IntegrityError:
        pass  # another request created them at the same moment
