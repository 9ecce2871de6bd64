"""The health rows that follow a person when the registry moves or merges their record
(residents.signals): the running observation, its open alerts and the health status go where the
person goes; what already happened (ended observations, check-ins) stays where it happened."""

from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from epigrid.residents.signals import resident_merged, resident_moved

from .models import Alert, AlertStatus, HealthStatus, HealthStatusChange, Observation, Status


def _follow(resident) -> list[int]:
    from .services import first_worker

    active = list(Observation.objects.filter(resident=resident, status=Status.ACTIVE).exclude(
        grid_code=resident.grid_code).values_list("pk", flat=True))
    if active:
        Observation.objects.filter(pk__in=active).update(grid_code=resident.grid_code,
                                                         worker=first_worker(resident.grid_code))
        Alert.objects.filter(observation_id__in=active, status=AlertStatus.OPEN).update(grid_code=resident.grid_code)
    HealthStatus.objects.filter(resident=resident).update(grid_code=resident.grid_code)
    return active


@receiver(resident_moved)
def _resident_moved(sender, resident, old_grid_code, **kwargs):
    from epigrid.core.audit import audit_record
    from epigrid.core.principals import SYSTEM

    for pk in _follow(resident):
        # Recorded in the grid it left too, so that grid's figures (regions/rollups.py) are recounted.
        audit_record(actor=SYSTEM, action="observation.move", object_type="observation", object_id=pk,
                     jurisdiction_code=old_grid_code, changes={"grid_code": [old_grid_code, resident.grid_code]})


@receiver(resident_merged)
def _resident_merged(sender, into, merged, **kwargs):
    from .services import health_status_refresh

    with transaction.atomic():
        running = list(Observation.objects.filter(resident__in=[into, merged], status=Status.ACTIVE)
                       .order_by("-planned_end", "pk"))
        for obs in running[1:]:  # one active observation per person: the one that ends later goes on
            Observation.objects.filter(pk=obs.pk).update(status=Status.MERGED, ended_at=timezone.now())
        Observation.objects.filter(resident=merged).update(resident=into)
        HealthStatusChange.objects.filter(resident=merged).update(resident=into)
        HealthStatus.objects.filter(resident=merged).delete()
        _follow(into)
        health_status_refresh(resident_ids=[into.pk])
