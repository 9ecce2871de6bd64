"""What the tracing services share: finding a record the actor may change, dates a person can vouch for,
and the audit row."""

from __future__ import annotations

import uuid
from datetime import date

from django.utils.translation import gettext as _

from epigrid.accounts.roles import EPI_EDIT
from epigrid.core.audit import audit_record
from epigrid.core.errors import FieldError, NotFound
from epigrid.core.principals import service
from epigrid.health.services import local_now

__all__ = ["epi_audit", "as_uuid", "today_local", "date_errors", "writable"]


def epi_audit(actor, action: str, object_type: str, obj, changes: dict | None = None, reason: str = "") -> None:
    """An audit row on the record's grid; `changes` name fields (personal values never appear)."""
    audit_record(actor=actor, action=action, object_type=object_type, object_id=obj.uid,
                 jurisdiction_code=obj.grid_code, changes=changes or {}, reason=reason)


def as_uuid(value) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def today_local(now=None) -> date:
    return local_now(now).date()


def date_errors(values: dict, today: date) -> list[FieldError]:
    """Dates in the future, or before 2000, named by field."""
    errors = []
    for field, value in values.items():
        if value is None:
            continue
        if not isinstance(value, date):
            errors.append(FieldError(field, _("a date (YYYY-MM-DD)")))
        elif value > today:
            errors.append(FieldError(field, _("cannot be in the future")))
        elif value.year < 2000:
            errors.append(FieldError(field, _("before 2000")))
    return errors


@service
def writable(model, uid, *, actor, action: str = EPI_EDIT, message: str = ""):
    """The record with this uid if the actor may change it (`action` over its grid), else NotFound."""
    key = as_uuid(uid)
    obj = model.objects.restrict(actor, action).filter(uid=key).first() if key else None
    if obj is None:
        raise NotFound(message or _("Not found."))
    return obj
