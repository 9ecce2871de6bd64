"""The incident closed loop, in one table: each action, the states it may start from, where it leads,
and the role action the actor needs. The services apply it; nothing else moves an incident's state.

reported -> registered (or rejected) -> dispatched -> handled -> verified -> closed -> evaluated
a failed verification sends a handled incident back to dispatched (handling again).
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from epigrid.accounts.roles import INCIDENT_HANDLE, INCIDENT_MANAGE
from epigrid.core.principals import Actor, actor_user, check_actor
from epigrid.core.scoping import in_scope

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

ACTION_NAMES = {
    "register": gettext_lazy("register"), "reject": gettext_lazy("reject"), "dispatch": gettext_lazy("dispatch"),
    "handle": gettext_lazy("handle"), "verify": gettext_lazy("verify"), "close": gettext_lazy("close"),
    "evaluate": gettext_lazy("evaluate"),
}


def refusal(actor: Actor, incident: Incident, action: str) -> str | None:
    """Why `actor` may not take `action` on `incident` (None: they may), whatever its state. The one rule
    behind the services' check (403) and the buttons a page offers.

    Separation of duties: whoever handled an incident does not verify it, nor close it unless
    INCIDENT_HANDLER_MAY_CLOSE says so; the reporter may verify and evaluate what they reported."""
    step = TRANSITIONS[action]
    pk = getattr(actor_user(check_actor(actor)), "pk", None)
    code = incident.grid_code
    if pk is not None and pk == incident.handled_by_id and (
            action == "verify" or (action == "close" and not settings.INCIDENT_HANDLER_MAY_CLOSE)):
        return _("Whoever handled an incident may not %(action)s it.") % {"action": ACTION_NAMES[action]}
    if step.reporter_may and pk is not None and incident.reporter_id == pk:
        return None
    if step.assignee_only:
        if in_scope(actor, INCIDENT_MANAGE, code) or (
                pk is not None and incident.assignee_id == pk and in_scope(actor, step.permission, code)):
            return None
        return _("Only the person it was dispatched to, or a manager, may handle this incident.")
    if not in_scope(actor, step.permission, code):
        return _("You may not %(action)s incidents here.") % {"action": ACTION_NAMES[action]}
    return None
