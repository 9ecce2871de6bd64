"""The tracing pages as their users walk them: the epidemiologist reports and traces, the grid worker
works their tasks on a phone, a district admin reads; another district and another city see nothing
(404), a commander sees no person. Bad input is shown beside its field and nothing is stored."""

from datetime import timedelta

import pytest
from django.test import Client

from epigrid.accounts.roles import Role
from epigrid.core.models import AuditEvent
from epigrid.core.principals import SYSTEM
from epigrid.epi.models import (
    Case,
    CaseChange,
    Contact,
    Exposure,
    Link,
    TaskStatus,
    TracingTask,
    TrajectoryEntry,
)
from epigrid.epi.services import case_create, exposure_record, link_create, trajectory_add
from epigrid.epi.services.common import today_local
from tests.conftest import XICHENG, _user


def client_for(user, language="en") -> Client:
    client = Client(headers={"Accept-Language": language})
    client.force_login(user)
    return client


def expose(epi, case, resident, days_ago=1, **kw):
    last = today_local() - timedelta(days=days_ago)
    kw.setdefault("setting", "household")
    return exposure_record(actor=epi, source_case=case, resident=resident, first_date=last - timedelta(days=1),
                           last_date=last, **kw)[0]


@pytest.fixture
def outbreak(epi, person, worker):
    """An index case with a trajectory, two contacts (tasks for the grid worker) and an infectee."""
    from django.utils import timezone

    index = case_create(actor=epi, resident=person("病例甲"), data={
        "classification": "suspected", "onset_date": today_local() - timedelta(days=3)})[0]
    from epigrid.epi.services import case_reclassify

    index = case_reclassify(actor=epi, uid=index.uid, classification="confirmed")
    contacts = [expose(epi, index, person(name)).contact for name in ("密接乙", "密接丙")]
    infectee = case_create(actor=epi, resident=person("病例丁"), data={"classification": "confirmed"})[0]
    link_create(actor=epi, infector=index.uid, infectee=infectee.uid, evidence="household")
    start = timezone.now() - timedelta(days=2)
    entry = trajectory_add(actor=epi, case=index, start=start, end=start + timedelta(hours=1), place="东四菜市场")
    return {"index": index, "contacts": contacts, "infectee": infectee, "entry": entry}


@pytest.fixture
def xicheng_admin(city):
    return _user("xicheng_admin", Role.DISTRICT_ADMIN, XICHENG)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_epidemiologist_reads_the_case_list_and_detail(outbreak, epi, language):
    client = client_for(epi, language)
    listing = client.get("/epi/cases/")
    assert listing.status_code == 200
    html = listing.content.decode()
    index = outbreak["index"]
    assert index.number in html and "病例甲" in html and 'data-testid="case-row"' in html
    assert index.resident.id_number_masked in html  # masked as in the registry, never in full
    from epigrid.core import pii

    assert pii.decrypt(index.resident.id_number_enc, "id_number") not in html
    detail = client.get(f"/epi/cases/{index.uid}/").content.decode()
    for shown in (outbreak["infectee"].number, "密接乙", "密接丙", "东四菜市场", 'data-testid="case-actions"'):
        assert shown in detail, shown
    assert detail.count('data-testid="history"') == 1 and "→" in detail
    assert "#}" not in detail and "{%" not in detail
    infectee = client.get(f"/epi/cases/{outbreak['infectee'].uid}/").content.decode()
    assert index.number in infectee and 'data-testid="infector"' in infectee


def test_the_list_filters_and_searches(outbreak, epi):
    client = client_for(epi)
    index, infectee = outbreak["index"], outbreak["infectee"]
    by_name = client.get("/epi/cases/?q=病例丁").content.decode()
    assert infectee.number in by_name and index.number not in by_name
    by_number = client.get(f"/epi/cases/?q={index.number}").content.decode()
    assert index.number in by_number and infectee.number not in by_number
    assert index.number not in client.get("/epi/cases/?classification=suspected").content.decode()
    assert index.number in client.get("/epi/cases/?classification=confirmed&outcome=none&imported=0").content.decode()
    future = (today_local() + timedelta(days=1)).isoformat()
    assert index.number not in client.get(f"/epi/cases/?reported_from={future}").content.decode()
    # Nonsense in the address is ignored, never a 500.
    for junk in ("classification=<x>", "reported_from=2026-13-45", "imported=maybe", "sort=-zzz", "page=abc"):
        assert client.get(f"/epi/cases/?{junk}").status_code == 200, junk


def test_export_is_masked_and_audited(outbreak, epi):
    from io import BytesIO

    from openpyxl import load_workbook

    response = client_for(epi).get("/epi/cases/?export=xlsx")
    assert response.status_code == 200
    rows = list(load_workbook(BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True))
    assert len(rows) == 3 and any("病例甲" in r for r in rows)
    assert all("*" in (r[2] or "*") for r in rows[1:])  # ID numbers masked
    assert AuditEvent.objects.filter(action="list.export", object_type="cases").count() == 1
    assert client_for(epi).get("/epi/cases/?print=1").status_code == 200


def test_who_sees_what(outbreak, epi, worker, alice, xicheng_admin, bob, commander):
    index, contact = outbreak["index"], outbreak["contacts"][0]
    pages = [f"/epi/cases/{index.uid}/", f"/epi/contacts/{contact.uid}/"]
    for user in (epi, worker, alice):
        client = client_for(user)
        assert index.number in client.get("/epi/cases/").content.decode(), user
        assert "密接乙" in client.get("/epi/contacts/").content.decode(), user
        for url in pages:
            assert client.get(url).status_code == 200, (user, url)
    for user in (xicheng_admin, bob):
        client = client_for(user)
        assert index.number not in client.get("/epi/cases/").content.decode()
        assert "密接乙" not in client.get("/epi/contacts/").content.decode()
        for url in pages:
            assert client.get(url).status_code == 404, (user, url)
    assert client_for(xicheng_admin).get(f"/epi/contacts/?case={index.uid}").status_code == 404
    # A commander sees figures, never a person: no menu entry, and the lists are refused.
    client = client_for(commander)
    home = client.get("/").content.decode()
    assert "/epi/cases/" not in home and "/epi/contacts/" not in home
    assert client.get("/epi/cases/").status_code == 403 and client.get(pages[0]).status_code == 404
    # Reading is not changing: the admin and the grid worker get no actions and no forms.
    for user in (alice, worker):
        client = client_for(user)
        assert 'data-testid="case-actions"' not in client.get(pages[0]).content.decode()
        assert client.get(f"/epi/cases/{index.uid}/edit/").status_code == 403
        assert client.get("/epi/cases/new/").status_code == 403
    menu = client_for(epi).get("/").content.decode()
    assert "/epi/cases/" in menu and "/epi/contacts/" in menu and "/epi/tasks/" in menu
    assert "/epi/tasks/mine/" in client_for(worker).get("/").content.decode()


def test_report_a_case_of_a_registered_person_and_of_a_new_one(epi, person):
    resident = person("王五")
    client = client_for(epi)
    search = client.get("/epi/cases/new/?q=王五").content.decode()
    assert str(resident.uid) in search and 'data-testid="candidate"' in search
    response = client.post("/epi/cases/new/", {"who": "registered", "resident": str(resident.uid),
                                               "classification": "suspected", "found_by": "fever_clinic"})
    assert response.status_code == 302
    case = Case.objects.get(resident=resident)
    assert response["Location"] == f"/epi/cases/{case.uid}/" and case.found_by == "fever_clinic"
    from tests.epi.conftest import id_number

    response = client.post("/epi/cases/new/", {
        "who": "new", "p-name": "赵六", "p-id_type": "ric", "p-id_number": id_number(777), "p-phone": "13800000777",
        "p-grid_code": resident.grid_code, "classification": "confirmed", "found_by": "other", "imported": "on"})
    assert response.status_code == 302
    assert Case.objects.get(resident__name="赵六").imported is True


def test_bad_case_input_is_shown_beside_its_field_and_nothing_is_stored(epi, person):
    resident = person("钱七")
    client = client_for(epi)
    future = (today_local() + timedelta(days=2)).isoformat()
    response = client.post("/epi/cases/new/", {"who": "registered", "resident": str(resident.uid),
                                               "classification": "suspected", "found_by": "other",
                                               "onset_date": future})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-field="onset_date"' in html and "future" in html
    response = client.post("/epi/cases/new/", {"who": "registered", "classification": "suspected", "found_by": "other"})
    assert response.status_code == 400 and 'data-field="resident"' in response.content.decode()
    response = client.post("/epi/cases/new/", {"who": "new", "p-name": "", "p-id_number": "123",
                                               "classification": "suspected", "found_by": "other"})
    assert response.status_code == 400 and 'data-field="p-name"' in response.content.decode()
    assert not Case.objects.exists()


def test_change_and_reclassify(outbreak, epi):
    client = client_for(epi)
    index = outbreak["index"]
    edit = f"/epi/cases/{index.uid}/edit/"
    assert client.get(edit).status_code == 200
    bad = client.post(edit, {"found_by": "other", "outcome": "recovered", "report_date": index.report_date.isoformat()})
    assert bad.status_code == 400 and 'data-field="outcome_date"' in bad.content.decode()
    assert Case.objects.get(pk=index.pk).outcome == ""
    ok = client.post(edit, {"found_by": "other", "severity": "severe", "place": "地坛医院",
                            "report_date": index.report_date.isoformat(),
                            "onset_date": index.onset_date.isoformat()})
    assert ok.status_code == 302 and Case.objects.get(pk=index.pk).severity == "severe"
    suspected = case_create(actor=epi, resident=outbreak["contacts"][1].resident,
                            data={"classification": "suspected"})[0]
    url = f"/epi/cases/{suspected.uid}/reclassify/"
    wrong = client.post(url, {"classification": "suspected"})
    assert wrong.status_code == 400 and 'data-field="classification"' in wrong.content.decode()
    assert client.post(url, {"classification": "confirmed"}).status_code == 302
    assert Case.objects.get(pk=suspected.pk).classification == "confirmed"
    assert CaseChange.objects.filter(case=suspected, value="confirmed").exists()
    # The contact who became a case keeps the chain: linked to the index case.
    assert Link.objects.filter(infector=outbreak["index"], infectee=suspected).exists()
    assert Contact.objects.get(pk=outbreak["contacts"][1].pk).status == "became_case"


def test_add_a_contact_from_the_case_page(outbreak, epi, person):
    client = client_for(epi)
    url = f"/epi/cases/{outbreak['index'].uid}/exposures/new/"
    resident = person("同事戊")
    assert client.get(url).status_code == 200
    before = Exposure.objects.count()
    today = today_local()
    bad = client.post(url, {"who": "registered", "resident": str(resident.uid), "setting": "workplace",
                            "first_date": today.isoformat(), "last_date": (today - timedelta(days=3)).isoformat()})
    assert bad.status_code == 400 and 'data-field="last_date"' in bad.content.decode()
    assert Exposure.objects.count() == before and not Contact.objects.filter(resident=resident).exists()
    ok = client.post(url, {"who": "registered", "resident": str(resident.uid), "setting": "workplace",
                           "place": "某公司", "first_date": (today - timedelta(days=2)).isoformat(),
                           "last_date": (today - timedelta(days=1)).isoformat()})
    assert ok.status_code == 302
    contact = Contact.objects.get(resident=resident)
    assert contact.status == "managed" and TracingTask.objects.filter(contact=contact).count() == 3


def test_link_two_cases_by_number(outbreak, epi, person):
    client = client_for(epi)
    index = outbreak["index"]
    other = case_create(actor=epi, resident=person("病例己"), data={"classification": "confirmed"})[0]
    url = f"/epi/cases/{other.uid}/links/new/"
    self_link = client.post(url, {"other": other.number, "direction": "infector", "evidence": "household"})
    assert self_link.status_code == 400 and 'data-field="other"' in self_link.content.decode()
    unknown = client.post(url, {"other": "9999-2026-99999", "direction": "infector", "evidence": "household"})
    assert unknown.status_code == 400 and 'data-field="other"' in unknown.content.decode()
    assert client.post(url, {"other": index.number, "direction": "infector", "evidence": "sequencing"}).status_code == 302
    link = Link.objects.get(infector=index, infectee=other)
    page = client.get(f"/epi/cases/{other.uid}/").content.decode()
    assert index.number in page and 'data-testid="infector"' in page
    assert client.post(f"/epi/links/{link.uid}/delete/", {"case": str(other.uid)}).status_code == 302
    assert not Link.objects.filter(pk=link.pk).exists()


def test_trajectory_entry_and_its_exposures(outbreak, epi, person):
    client = client_for(epi)
    index = outbreak["index"]
    url = f"/epi/cases/{index.uid}/trajectory/new/"
    bad = client.post(url, {"start": "2026-01-02T10:00", "end": "2026-01-02T09:00", "place": "银河SOHO",
                            "setting": "workplace"})
    assert bad.status_code == 400 and 'data-field="end"' in bad.content.decode()
    assert TrajectoryEntry.objects.filter(case=index).count() == 1
    entry = outbreak["entry"]
    met = [person("摊主庚"), person("顾客辛")]
    page = client.get(f"/epi/trajectory/{entry.uid}/exposures/?q=摊主").content.decode()
    assert str(met[0].uid) in page
    assert client.post(f"/epi/trajectory/{entry.uid}/exposures/", {"q": ""}).status_code == 400
    response = client.post(f"/epi/trajectory/{entry.uid}/exposures/", {"residents": [str(m.uid) for m in met]})
    assert response.status_code == 302
    assert Exposure.objects.filter(source_case=index, place="东四菜市场").count() == 2


def test_contact_detail_shows_sources_period_observation_and_tasks(outbreak, epi):
    contact = outbreak["contacts"][0]
    html = client_for(epi).get(f"/epi/contacts/{contact.uid}/").content.decode()
    assert outbreak["index"].number in html and contact.management_end.isoformat() in html
    assert f"/health/observations/{contact.observation.uid}/" in html
    assert html.count('data-testid="task"') == 3
    listing = client_for(epi).get(f"/epi/contacts/?case={outbreak['index'].uid}&degree=1").content.decode()
    assert "密接乙" in listing and "密接丙" in listing


def test_the_grid_worker_marks_a_task_done_from_the_phone_list(outbreak, worker):
    client = client_for(worker)
    page = client.get("/epi/tasks/mine/").content.decode()
    assert page.count('data-testid="task"') == 6 and "密接乙" in page
    task = TracingTask.objects.filter(assignee=worker).first()
    too_long = client.post(f"/epi/tasks/{task.uid}/done/", {"result": "x" * 400}, headers={"HX-Request": "true"})
    assert 'data-field="result"' in too_long.content.decode()
    assert TracingTask.objects.get(pk=task.pk).status == TaskStatus.OPEN
    card = client.post(f"/epi/tasks/{task.uid}/done/", {"result": "已电话联系"}, headers={"HX-Request": "true"})
    assert card.status_code == 200 and 'data-testid="task-status"' in card.content.decode()
    assert TracingTask.objects.get(pk=task.pk).status == TaskStatus.DONE
    again = client.post(f"/epi/tasks/{task.uid}/done/", {"result": "x"})
    assert again.status_code == 302  # already closed: a message, nothing changed
    assert client.get("/epi/tasks/mine/").content.decode().count('data-testid="task"') == 5


def test_others_cannot_complete_a_task(outbreak, xicheng_admin, bob):
    task = TracingTask.objects.first()
    for user in (xicheng_admin, bob):
        assert client_for(user).post(f"/epi/tasks/{task.uid}/done/", {"result": "x"}).status_code == 404
    assert TracingTask.objects.get(pk=task.pk).status == TaskStatus.OPEN


def test_the_community_view_puts_overdue_and_escalated_tasks_first(outbreak, alice):
    from epigrid.epi.services import tasks_escalate_overdue

    late = TracingTask.objects.filter(kind="reach").order_by("id").last()
    TracingTask.objects.filter(pk=late.pk).update(deadline=late.deadline - timedelta(days=3),
                                                  escalate_at=late.deadline - timedelta(days=3))
    tasks_escalate_overdue()
    html = client_for(alice).get("/epi/tasks/").content.decode()
    rows = html.split('data-testid="task-row"')[1:]
    assert len(rows) == 6 and 'data-testid="overdue"' in rows[0]
    assert 'data-testid="overdue"' not in "".join(rows[1:])
    only = client_for(alice).get("/epi/tasks/?overdue=1").content.decode()
    assert only.count('data-testid="task-row"') == 1


def test_suspected_case_in_one_action_from_a_fever_alert(epi, person, worker):
    from epigrid.health.models import Alert
    from epigrid.health.services import checkin_record, observation_start

    resident = person("发热者")
    obs = observation_start(actor=SYSTEM, resident=resident, kind="home", reason="arrival")
    checkin_record(actor=SYSTEM, observation=obs, slot="am", temperature="38.6", symptoms=[], client_id="fever-0001")
    alert = Alert.objects.filter(observation=obs).exclude(kind="overdue").first()
    client = client_for(epi)
    page = client.get(f"/health/observations/{obs.uid}/").content.decode()
    assert f"/epi/cases/from-alert/{alert.pk}/" in page
    assert f"/epi/cases/from-alert/{alert.pk}/" in client.get("/health/today/").content.decode()
    assert f"/epi/cases/from-alert/{alert.pk}/" not in client_for(worker).get(
        f"/health/observations/{obs.uid}/").content.decode()  # a grid worker does not report cases
    response = client.post(f"/epi/cases/from-alert/{alert.pk}/", {"next": f"/health/observations/{obs.uid}/"})
    case = Case.objects.get(resident=resident)
    assert response.status_code == 302 and response["Location"] == f"/epi/cases/{case.uid}/"
    assert case.classification == "suspected" and case.found_by == "observation"
    twice = client.post(f"/epi/cases/from-alert/{alert.pk}/", {"next": f"/health/observations/{obs.uid}/"})
    assert twice.status_code == 302 and Case.objects.count() == 1
    assert client_for(worker).post(f"/epi/cases/from-alert/{alert.pk}/").status_code == 404


def test_suspected_case_in_one_action_from_an_arrival(epi, alice):
    from django.utils import timezone

    from epigrid.core.principals import PUBLIC
    from epigrid.regions.models import Division
    from epigrid.residents.arrivals import arrival_register
    from tests.epi.conftest import id_number

    community = Division.objects.filter(level="community", code__startswith="110101").order_by("code").first()
    arrival = arrival_register(actor=PUBLIC, community_code=community.code, client="pages-arrival", data={
        "name": "返京者", "id_type": "ric", "id_number": id_number(901), "consent": True, "phone": "13912340901",
        "address": "1号楼", "origin_province": "湖北省", "origin_city": "武汉市", "transport": "train",
        "transport_number": "G501", "arrival_date": timezone.localdate().isoformat(), "temperature": "37.9"})
    assert f"/epi/cases/from-arrival/{arrival.uid}/" in client_for(epi).get("/arrivals/").content.decode()
    assert f"/epi/cases/from-arrival/{arrival.uid}/" not in client_for(alice).get("/arrivals/").content.decode()
    response = client_for(epi).post(f"/epi/cases/from-arrival/{arrival.uid}/")
    case = Case.objects.get(arrival=arrival)
    assert response["Location"] == f"/epi/cases/{case.uid}/" and case.imported and case.found_by == "arrival"


def test_the_grid_workers_home_work_lists_their_tracing_tasks(outbreak, worker, alice):
    from django.utils import timezone

    from epigrid.epi.work import my_tracing_tasks

    work = my_tracing_tasks(user=worker, now=timezone.now())
    assert work["count"] == 6 and work["url"] == "/epi/tasks/mine/"
    assert any("密接乙" in item["text"] for item in work["items"])
    assert my_tracing_tasks(user=alice, now=timezone.now()) is None  # no tracing tasks of their own to do
