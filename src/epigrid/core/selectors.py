from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import FieldError, ServiceError
from .models import AuditEvent
from .scoping import AUDIT_VIEW, user_prefixes
from .validators import date_problem


def audit_events(*, viewer, actor_name: str | None = None, object_id: str | None = None,
                 action: str | None = None, date_from: date | None = None, date_to: date | None = None):
    """The audit rows an auditor may browse: those about objects in their jurisdiction, filtered."""
    errors = [FieldError(name, problem) for name, value in (("date_from", date_from), ("date_to", date_to))
              if (problem := date_problem(value))]
    if not errors and date_from and date_to and date_from > date_to:
        errors.append(FieldError("date_to", _("must not be before the start date")))
    if errors:
        raise ServiceError(_("Invalid filter."), errors)
    if not user_prefixes(viewer, AUDIT_VIEW):  # a role without the right: refused, not an empty log
        raise ServiceError(_("Your role may not read the audit log."), status=403)
    qs = AuditEvent.objects.restrict(viewer, AUDIT_VIEW)
    if actor_name:
        qs = qs.filter(actor_name=actor_name)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if action:
        qs = qs.filter(action=action)
    tz = timezone.get_current_timezone()
    if date_from:
        qs = qs.filter(at__gte=datetime.combine(date_from, time.min, tz))
    if date_to:
        qs = qs.filter(at__lt=datetime.combine(date_to + timedelta(days=1), time.min, tz))
    return qs
