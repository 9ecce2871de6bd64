"""Background and scheduled work of the patrol app (run through epigrid.core.tasks)."""


def escalate_overdue() -> int:
    """Every few minutes (PatrolConfig.ready): flag and escalate incidents past their deadline."""
    from .services import incident_escalate_overdue

    return incident_escalate_overdue()
