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


def chains_and_clusters() -> int:
    """Every few minutes, for each city with cases: recompute its chains (generations, no known source)
    and propose its clusters (new proposals, grown ones updated, dismissed ones left alone)."""
    from epigrid.core.principals import SYSTEM

    from .chains import chains_recompute
    from .clusters import clusters_propose
    from .models import Case

    cities = list(Case.objects.order_by().values_list("city_code", flat=True).distinct())
    for city_code in cities:
        chains_recompute(city_code=city_code)
        clusters_propose(actor=SYSTEM, city_code=city_code)
    return len(cities)
