"""Every write of the patrol app, keyword-only and audited: incidents and their closed-loop workflow
(incidents.py), patrols, track points and patrol plans (patrols.py). Callers import from here."""

from .incidents import *  # noqa: F403
from .incidents import INCIDENT_ACTIONS, S  # noqa: F401  (named for readers: the workflow's entry points)
from .patrols import *  # noqa: F403
from .patrols import MAX_CHECKPOINTS, MAX_POINTS  # noqa: F401
