"""The audit log: every service write, login and reveal of personal data calls `audit_record`."""

from collections.abc import Iterable

from .context import client_address
from .models import AuditEvent
from .principals import check_actor, is_user
from .statements import insert_many


def _actor_fields(actor) -> dict:
    """Who, in the row: a user by id and name; SYSTEM, PUBLIC and link principals by their kind."""
    check_actor(actor)
    if is_user(actor):
        return {"actor_id": actor.pk, "actor_name": actor.get_username()}
    return {"actor_id": None, "actor_name": actor.audit_name}


def audit_event(
    *,
    actor,
    action: str,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    jurisdiction_code: str = "",
    changes: dict | None = None,
    reason: str = "",
) -> AuditEvent:
    """An unsaved event; `audit_record` saves one, `audit_record_many` saves many in one statement."""
    return AuditEvent(
        **_actor_fields(actor),
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:64],
        object_repr=str(object_repr)[:200],
        jurisdiction_code=jurisdiction_code,
        changes=changes or {},
        reason=reason[:500],
        ip=client_address.get(),
    )


def audit_record(**kwargs) -> AuditEvent:
    event = audit_event(**kwargs)
    event.save()
    return event


def audit_record_many(events: Iterable[AuditEvent]) -> None:
    """Saves the events in one statement (a written INSERT: this runs on every write request)."""
    events = list(events)
    for start in range(0, len(events), 2000):
        insert_many(events[start:start + 2000])
