"""What the registry tells the apps built on it (health, epi), so that their rows follow a person.

resident_moved(resident, old_grid_code): the resident's grid changed; their running work (an active
    observation, its open alerts, their health status) moves with them.
resident_merged(into, merged): `merged` is about to be deleted; everything that hangs on it moves to
    `into`, which already has its final grid.
"""

from django.dispatch import Signal

resident_moved = Signal()
resident_merged = Signal()
