"""Every write of the health app: observation episodes (observations.py), check-ins and the personal
check-in link (checkins.py), alerts and missed check-ins (alerts.py), calling a person (contact.py), and
what they share (common.py). Callers import from here."""

from .alerts import *  # noqa: F403
from .checkins import *  # noqa: F403
from .common import *  # noqa: F403
from .common import CLIENT_ID, LINK_SALT, SYMPTOM_CODES, TEMPERATURE_MAX, TEMPERATURE_MIN  # noqa: F401
from .contact import *  # noqa: F403
from .observations import *  # noqa: F403
from .observations import _is_uuid  # noqa: F401  (the selectors check ids the same way)
