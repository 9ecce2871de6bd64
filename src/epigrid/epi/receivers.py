"""The tracing rows that follow a person when the registry moves or merges their record
(residents.signals). Moved: a running case, a managed contact and its open tasks go where the person
lives now (the tasks to that grid's grid worker); what ended stays where it happened. Merged: everything
about the merged record hangs on the one kept (the registry deletes the other), and a person managed twice
as a contact keeps one record, the one ending later."""

from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from epigrid.residents.signals import resident_merged, resident_moved

from .models import (
    Case,
    CaseChange,
    Classification,
    Contact,
    ContactStatus,
    Exposure,
    TaskStatus,
    TracingTask,
)


def _follow(resident) -> None:
    from epigrid.health.services import first_worker

    grid = resident.grid_code
    cases = Case.objects.filter(resident=resident, outcome="").exclude(classification=Classification.EXCLUDED)
    CaseChange.objects.filter(case__in=cases).update(grid_code=grid)
    cases.update(grid_code=grid)
    managed = list(Contact.objects.filter(resident=resident, status=ContactStatus.MANAGED).values_list("pk", flat=True))
    Contact.objects.filter(pk__in=managed).update(grid_code=grid)
    Exposure.objects.filter(contact_id__in=managed).update(grid_code=grid)
    TracingTask.objects.filter(contact_id__in=managed, status=TaskStatus.OPEN).exclude(grid_code=grid).update(
        grid_code=grid, assignee=first_worker(grid))


@receiver(resident_moved)
def _resident_moved(sender, resident, old_grid_code, **kwargs):
    _follow(resident)


@receiver(resident_merged)
def _resident_merged(sender, into, merged, **kwargs):
    with transaction.atomic():
        both = list(Contact.objects.filter(resident__in=[into, merged], status=ContactStatus.MANAGED)
                    .order_by("-management_end", "pk"))
        for extra in both[1:]:  # one managed contact per person: the one ending later goes on
            Exposure.objects.filter(contact=extra).update(contact=both[0])
            TracingTask.objects.filter(contact=extra, status=TaskStatus.OPEN).update(status=TaskStatus.CANCELLED)
            Contact.objects.filter(pk=extra.pk).update(status=ContactStatus.RELEASED, ended_at=timezone.now())
        Case.objects.filter(resident=merged).update(resident=into)
        Contact.objects.filter(resident=merged).update(resident=into)
        Exposure.objects.filter(person=merged).update(person=into)
        Exposure.objects.filter(source=merged).update(source=into)
        _follow(into)


def cases_held():
    """People tracing still needs as cases (residents/retention.py keeps them from anonymisation): a
    running case, or one whose outcome is more recent than RETENTION_DAYS."""
    from datetime import timedelta

    from django.conf import settings
    from django.db.models import Q

    recent = timezone.localdate() - timedelta(days=settings.RETENTION_DAYS)
    return (Case.objects.filter(Q(outcome="") | Q(outcome_date__gte=recent))
            .exclude(classification=Classification.EXCLUDED).order_by().values_list("resident_id", flat=True))


def contacts_held():
    """People under management as contacts."""
    return Contact.objects.filter(status=ContactStatus.MANAGED).order_by().values_list("resident_id", flat=True)
