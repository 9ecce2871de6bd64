"""The leak matrix: for every model, a user inside the jurisdiction of a record sees it on each of its
pages and endpoints, and a user of another district and of another city get 404 on its details and no
trace of it in any list. One line per model; a model without a page of its own says why.

Adding a model: add its line to MATRIX (or its reason to NOT_LISTED) and its demo data to
demo/people.py; `test_every_model_has_a_line` fails until you do."""

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from epigrid.accounts.models import User
from epigrid.accounts.roles import Role
from epigrid.accounts.services import user_add
from epigrid.core.principals import SYSTEM
from epigrid.demo.people import demo_people_build
from epigrid.demo.services import DEMO_PASSWORD, demo_users_create

DONGCHENG = "110101000000"


@dataclass(frozen=True)
class Line:
    pick: Callable  # () -> a record of 东城区 from the demo data
    details: tuple[str, ...] = ()  # URL templates ({o} is the record): 200 inside, 404 outside
    lists: tuple[str, ...] = ()  # URL templates whose answer holds the record inside, and not outside
    mark: Callable = lambda o: str(o.pk)  # how the record shows in a JSON list: its id or uid
    page_mark: Callable | None = None  # and in an HTML list (by default the same)
    inside: str = "dongcheng"  # the demo user who may see it


def _model(label):
    return apps.get_model(label)


def _plan():
    from epigrid.patrol.services import patrol_plan_set
    from epigrid.regions.models import Grid

    grid = Grid.objects.filter(code__startswith="110101001001").order_by("code").first()
    lon, lat = json.loads(grid.geometry)["coordinates"][0][0]
    return patrol_plan_set(actor=SYSTEM, grid_code=grid.code, times_per_day=2, checkpoints=[
        {"name": "东门岗亭", "kind": "gate", "lon": lon, "lat": lat, "radius_m": 50}])


def _job():
    from epigrid.residents.importing import import_job_start

    upload = SimpleUploadedFile("r.csv", "姓名,证件号码\n张三,11010519491231002X\n".encode(), "text/csv")
    return import_job_start(actor=User.objects.get(username="dongcheng"), upload=upload)


def _in_dongcheng(label, field="grid_code", **filters):
    return lambda: _model(label).objects.filter(**{f"{field}__startswith": "110101"}, **filters).order_by("pk").first()


def _first(label, *order, **filters):
    """The record of 东城区 that its lists show first (their default order)."""
    return lambda: _model(label).objects.filter(grid_code__startswith="110101", **filters).order_by(*order).first()


def _trajectory_entry():
    from django.utils import timezone

    from epigrid.epi.services import trajectory_add

    case = _model("epi.Case").objects.filter(grid_code__startswith="110101").order_by("pk").first()
    start = timezone.now() - timezone.timedelta(hours=3)
    return trajectory_add(actor=SYSTEM, case=case, start=start, end=start + timezone.timedelta(hours=1),
                          place="东四菜市场")


def _overdue_task():
    """An open task of 东城 made overdue, so that the lists of overdue tasks show it."""
    from django.utils import timezone

    from epigrid.epi.services import tasks_escalate_overdue

    task = _model("epi.TracingTask").objects.filter(grid_code__startswith="110101", status="open").order_by("pk").first()
    past = timezone.now() - timezone.timedelta(days=2)
    _model("epi.TracingTask").objects.filter(pk=task.pk).update(deadline=past, escalate_at=past)
    tasks_escalate_overdue()
    return _model("epi.TracingTask").objects.get(pk=task.pk)


MATRIX: dict[str, Line] = {
    "regions.Division": Line(lambda: _model("regions.Division").objects.get(code=DONGCHENG),
                             details=("/divisions/{o.code}/", "/api/v1/divisions/{o.code}",
                                      "/api/v1/map?within={o.code}", "/patrol/kpis/?within={o.code}",
                                      "/api/v1/kpis?within={o.code}", "/api/v1/kpis/xlsx?within={o.code}")),
    "regions.Grid": Line(_in_dongcheng("regions.Grid", "code"),
                         details=("/grids/{o.code}/", "/api/v1/grids/{o.code}", "/patrol/plans/{o.code}/",
                                  "/api/v1/grids/{o.code}/patrol-plan")),
    "residents.Resident": Line(_in_dongcheng("residents.Resident", duplicate_of=None),
                               details=("/residents/{o.uid}/", "/api/v1/residents/{o.uid}"),
                               lists=("/residents/", "/api/v1/residents"), mark=lambda o: str(o.uid)),
    "residents.Arrival": Line(_in_dongcheng("residents.Arrival"), lists=("/arrivals/", "/api/v1/arrivals"),
                              mark=lambda o: str(o.uid)),
    "residents.ResidentMatch": Line(_in_dongcheng("residents.ResidentMatch"),
                                    lists=("/residents/matches/", "/api/v1/resident-matches"),
                                    mark=lambda o: str(o.uid)),
    "health.Observation": Line(_in_dongcheng("health.Observation"),
                               details=("/health/observations/{o.uid}/", "/api/v1/observations/{o.uid}",
                                        "/api/v1/observations/{o.uid}/checkins"),
                               lists=("/health/observations/", "/api/v1/observations"), mark=lambda o: str(o.uid)),
    "health.CheckIn": Line(_in_dongcheng("health.CheckIn", "observation__grid_code"),
                           details=("/api/v1/observations/{o.observation.uid}/checkins",),
                           lists=("/api/v1/observations/{o.observation.uid}/checkins",)),
    "health.Alert": Line(_in_dongcheng("health.Alert"), lists=("/api/v1/alerts",)),
    "patrol.Patrol": Line(_in_dongcheng("patrol.Patrol"),
                          details=("/patrol/patrols/{o.pk}/", "/api/v1/patrols/{o.pk}"), lists=("/api/v1/patrols",)),
    "patrol.PatrolPlan": Line(_plan, details=("/api/v1/grids/{o.grid_code}/patrol-plan",),
                              lists=("/api/v1/grids/{o.grid_code}/patrol-plan", "/patrol/plans/{o.grid_code}/"),
                              mark=lambda o: "东门岗亭"),
    "patrol.Incident": Line(_in_dongcheng("patrol.Incident"),
                            details=("/patrol/incidents/{o.pk}/", "/api/v1/incidents/{o.pk}"),
                            lists=("/patrol/incidents/", "/api/v1/incidents"),
                            page_mark=lambda o: f"/patrol/incidents/{o.pk}/"),
    "patrol.IncidentPhoto": Line(_in_dongcheng("patrol.IncidentPhoto"),
                                 details=("/api/v1/incident-photos/{o.pk}", "/api/v1/incident-photos/{o.pk}?thumb=1"),
                                 lists=("/api/v1/incidents/{o.incident_id}",)),
    "patrol.Notification": Line(_in_dongcheng("patrol.Notification", user__username="gridworker"),
                                lists=("/api/v1/notifications",), inside="gridworker"),
    "core.Job": Line(_job, details=("/residents/import/{o.pk}/", "/residents/import/{o.pk}/progress/"),
                     lists=("/residents/import/",), mark=lambda o: str(o.pk)),
    "epi.Case": Line(_first("epi.Case", "-report_date", "-id"),
                     details=("/epi/cases/{o.uid}/", "/api/v1/cases/{o.uid}", "/api/v1/cases/{o.uid}/history",
                              "/api/v1/cases/{o.uid}/links", "/api/v1/cases/{o.uid}/trajectory"),
                     lists=("/epi/cases/", "/api/v1/cases"), mark=lambda o: str(o.uid)),
    "epi.CaseChange": Line(_first("epi.CaseChange", "pk", value="confirmed"),
                           details=("/api/v1/cases/{o.case.uid}/history",),
                           lists=("/api/v1/cases/{o.case.uid}/history",), mark=lambda o: o.value),
    "epi.Contact": Line(_first("epi.Contact", "-last_exposure", "-id"),
                        details=("/epi/contacts/{o.uid}/", "/api/v1/contacts/{o.uid}"),
                        lists=("/epi/contacts/?status=all", "/api/v1/contacts"), mark=lambda o: str(o.uid)),
    "epi.Exposure": Line(_first("epi.Exposure", "-last_date", "-id"),
                         details=("/api/v1/exposures?contact={o.contact.uid}",),
                         lists=("/api/v1/exposures", "/api/v1/exposures?contact={o.contact.uid}"),
                         mark=lambda o: str(o.uid)),
    "epi.Link": Line(_first("epi.Link", "pk"), details=("/epi/cases/{o.infectee.uid}/",),
                     lists=("/api/v1/cases/{o.infectee.uid}/links",), mark=lambda o: str(o.uid)),
    "epi.TrajectoryEntry": Line(_trajectory_entry,
                                details=("/epi/trajectory/{o.uid}/exposures/", "/epi/cases/{o.case.uid}/"),
                                lists=("/api/v1/cases/{o.case.uid}/trajectory", "/epi/cases/{o.case.uid}/"),
                                mark=lambda o: str(o.uid), page_mark=lambda o: f"/epi/trajectory/{o.uid}/exposures/",
                                inside="epidemiologist"),
    "epi.TracingTask": Line(_overdue_task, lists=("/api/v1/tracing-tasks?overdue=true", "/epi/tasks/?overdue=1"),
                            mark=lambda o: str(o.uid), page_mark=lambda o: f"/epi/contacts/{o.contact.uid}/"),
    "epi.Cluster": Line(_first("epi.Cluster", "pk"),
                        details=("/epi/clusters/{o.uid}/", "/api/v1/clusters/{o.uid}", "/api/v1/clusters/{o.uid}/graph"),
                        lists=("/epi/clusters/?status=", "/api/v1/clusters"), mark=lambda o: str(o.uid),
                        page_mark=lambda o: f"/epi/clusters/{o.uid}/"),
    "epi.ClusterCase": Line(_first("epi.ClusterCase", "pk"),
                            details=("/epi/chains/{o.case.resident.uid}/", "/api/v1/chains/{o.case.resident.uid}"),
                            lists=("/api/v1/clusters/{o.cluster.uid}",), mark=lambda o: str(o.case.uid)),
    # The newest row: the log is paged, newest first.
    "core.AuditEvent": Line(lambda: _model("core.AuditEvent").objects.filter(
                                jurisdiction_code__startswith="110101").order_by("-at", "-pk").first(),
                            lists=("/api/v1/audit",),
                            inside="commander"),
}

NOT_LISTED = {
    "accounts.User": "no list: /api/v1/me shows only oneself",
    "accounts.Membership": "shown only to oneself, within /api/v1/me",
    "accounts.ApiToken": "never shown; its owner holds the raw token",
    "health.HealthStatus": "a field of its resident (the Resident line)",
    "health.HealthStatusChange": "history behind the resident's status; no page",
    "patrol.Checkpoint": "part of the patrol plan (the PatrolPlan line)",
    "patrol.TrackPoint": "part of the patrol (the Patrol line)",
    "patrol.CheckpointVisit": "part of the patrol (the Patrol line)",
    "patrol.IncidentEvent": "the history on the incident's page (the Incident line)",
    "patrol.IncidentCategory": "a shared catalogue, not personal and not under a jurisdiction",
    "patrol.KpiDaily": "figures behind the KPIs (the Division line's KPI pages)",
    "regions.RegionsRevision": "an internal counter of map changes",
    "regions.FigureDaily": "figures behind the map and home page (the Division line's /api/v1/map)",
    "regions.FigureRun": "when the figures were computed: no jurisdiction, no personal data",
    "residents.Household": "a grouping shown as a field of its residents",
    "residents.ArrivalPolicy": "read by the arrival service only; admins set it",
}


def test_every_model_has_a_line():
    models = {m._meta.label for m in apps.get_models() if m.__module__.startswith("epigrid.")}
    assert models == set(MATRIX) | set(NOT_LISTED), "add the new model to MATRIX (or NOT_LISTED, with why)"


@pytest.fixture
def demo(city):
    demo_users_create()
    demo_people_build()
    user_add(actor=SYSTEM, username="xicheng", role=Role.DISTRICT_ADMIN, node_code="110102000000",
             password=DEMO_PASSWORD)


def _holds(response, line: Line, record) -> bool:
    mark = line.mark(record)
    if response["Content-Type"].startswith("application/json"):
        def walk(value):
            if isinstance(value, dict):
                return any((k in ("id", "uid") and str(v) == mark) or walk(v) for k, v in value.items())
            if isinstance(value, list):
                return any(walk(v) for v in value)
            return isinstance(value, str) and value == mark
        return walk(response.json())
    return (line.page_mark or line.mark)(record) in response.content.decode(errors="replace")


def _client(username):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(User.objects.get(username=username))
    return client


@pytest.mark.parametrize("label", sorted(MATRIX))
def test_inside_sees_it_outside_sees_no_trace(demo, label):
    line = MATRIX[label]
    record = line.pick()
    assert record is not None, f"the demo holds no {label} in 东城区"
    inside = _client(line.inside)
    for template in line.details:
        url = template.format(o=record)
        assert inside.get(url).status_code == 200, f"{line.inside} GET {url}"
    for template in line.lists:
        url = template.format(o=record)
        assert _holds(inside.get(url), line, record), f"{line.inside} does not find {label} at {url}"
    for outsider in ("xicheng", "shenzhen"):
        client = _client(outsider)
        for template in line.details:
            url = template.format(o=record)
            assert client.get(url).status_code == 404, f"{outsider} GET {url}"
        for template in line.lists:
            url = template.format(o=record)
            response = client.get(url)
            assert response.status_code in (200, 403, 404), f"{outsider} GET {url}: {response.status_code}"
            assert not _holds(response, line, record), f"{outsider} sees {label} at {url}"
