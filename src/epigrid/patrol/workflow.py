"""The incident closed loop, in one table: each action, the states it may start from, where it leads,
and the role action the actor needs. The services apply it; nothing else moves an incident's state.

reported -> registered (or rejected) -> dispatched -> handled -> verified -> closed -> evaluated
a failed verification sends a handled incident back to dispatched (handling again).
"""

from dataclasses import dataclass

from epigrid.accounts.roles import INCIDENT_HANDLE, INCIDENT_MANAGE

from .models import Incident

S = Incident.State


@dataclass(frozen=True)
class Step:
    sources: tuple[str, ...]
    target: str
    permission: str
    failed_target: str | None = None  # where the action leads when its check fails (verify)
    reporter_may: bool = False  # the reporter may take this step without the permission
    assignee_only: bool = False  # with only `permission`, the actor must be the assignee


TRANSITIONS: dict[str, Step] = {
    "register": Step((S.REPORTED,), S.REGISTERED, INCIDENT_MANAGE),
    "reject": Step((S.REPORTED,), S.REJECTED, INCIDENT_MANAGE),
    "dispatch": Step((S.REGISTERED,), S.DISPATCHED, INCIDENT_MANAGE),
    "handle": Step((S.DISPATCHED,), S.HANDLED, INCIDENT_HANDLE, assignee_only=True),
    "verify": Step((S.HANDLED,), S.VERIFIED, INCIDENT_MANAGE, failed_target=S.DISPATCHED, reporter_may=True),
    "close": Step((S.VERIFIED,), S.CLOSED, INCIDENT_MANAGE),
    "evaluate": Step((S.CLOSED,), S.EVALUATED, INCIDENT_MANAGE, reporter_may=True),
}
ACTIONS = tuple(TRANSITIONS)
# Open: the clock runs (overdue and escalation apply) from dispatch until close.
RUNNING = (S.DISPATCHED, S.HANDLED, S.VERIFIED)
FINAL = (S.REJECTED, S.EVALUATED)


def allowed_actions(state: str) -> list[str]:
    return [action for action, step in TRANSITIONS.items() if state in step.sources]
