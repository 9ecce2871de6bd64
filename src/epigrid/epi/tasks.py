"""Periodic tracing tasks (registered in EpiConfig.ready)."""


def escalate_overdue() -> int:
    """Every few minutes: overdue tracing tasks go one level up (grid -> community -> street)."""
    from .services import tasks_escalate_overdue

    return tasks_escalate_overdue()


def release_ended() -> int:
    """Hourly: contacts whose management period is over are released."""
    from epigrid.core.principals import SYSTEM

    from .services import contacts_release_ended

    return contacts_release_ended(actor=SYSTEM)
