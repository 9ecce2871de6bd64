"""Periodic regions tasks (registered in RegionsConfig.ready)."""


def figures_update() -> str:
    """Every minute: bring today's map and home-page figures up to date (regions/rollups.py)."""
    from .rollups import figures_update as update

    return update()
