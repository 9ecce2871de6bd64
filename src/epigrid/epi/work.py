"""A grid worker's tracing work on their home page (regions.figures.Work): their open tracing tasks, the
overdue and escalated first. To be registered in EpiConfig.ready:
`register_work(Work("tracing", my_tracing_tasks, order=40))`."""

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from epigrid.accounts.roles import EPI_TASK
from epigrid.core.scoping import user_prefixes

from . import selectors


def my_tracing_tasks(*, user, now) -> dict | None:
    if not user_prefixes(user, EPI_TASK):
        return None
    qs = selectors.tasks_by_urgency(selectors.tasks_list(user=user, mine=True))
    rows = list(qs[:10])
    return {"label": str(_("Tracing tasks given to you")), "count": qs.count(), "url": reverse("epi:tasks_mine"),
            "items": [{"text": f"{t.contact.resident.name} · {t.get_kind_display()}",
                       "url": reverse("epi:contact", args=[t.contact.uid]),
                       "note": str(_("deadline %(d)s") % {"d": date_format(timezone.localtime(t.deadline), "Y-m-d H:i")})
                       + (f" · {_('overdue')}" if t.overdue else "")}
                      for t in rows]}
