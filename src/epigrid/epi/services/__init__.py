"""Every write of the tracing app: cases (cases.py), contacts and their exposures (contacts.py),
infector links (links.py), trajectory and tracing tasks (tracing.py), what they share (common.py).
Clusters and chains are in ../clusters.py and ../chains.py. Callers import from here."""

from .cases import *  # noqa: F403
from .common import *  # noqa: F403
from .contacts import *  # noqa: F403
from .links import *  # noqa: F403
from .tracing import *  # noqa: F403
