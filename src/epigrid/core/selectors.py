from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from epigrid.accounts.roles import AUDIT_VIEW

from .models import AuditEvent


def audit_events(*, viewer, actor_name: str | None = None, object_id: str | None = None,
                 action: str | None = None, date_from: date | None = None, date_to: date | None = None):
    """The audit rows an auditor may browse: those about objects in their jurisdiction, filtered."""
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
