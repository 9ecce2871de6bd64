"""Periodic health tasks (registered in HealthConfig.ready)."""


def mark_overdue() -> int:
    """Every few minutes: raise overdue alerts for missed check-in slots."""
    from .services import checkins_mark_overdue

    return checkins_mark_overdue()
