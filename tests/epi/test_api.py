"""The tracing API as a phone or another system calls it: 201 then 200 for a retry, 400 naming the field
with nothing stored, 404 outside the jurisdiction, personal fields masked."""

from datetime import timedelta

import pytest

from epigrid.epi.models import Case, Contact, Exposure
from epigrid.epi.services.common import today_local


@pytest.fixture
def client(api, epi):
    return api.as_user(epi)


def test_report_a_case_and_retry_it(client, person):
    resident = person("赵六")
    body = {"classification": "confirmed", "resident": str(resident.uid), "client_id": "case-00000001",
            "onset_date": str(today_local() - timedelta(days=2)), "severity": "moderate"}
    first = client.post("/cases", body)
    again = client.post("/cases", body)
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["uid"] == again.json()["uid"] and Case.objects.count() == 1
    person_out = first.json()["person"]
    assert person_out["name"] == "赵六" and "*" in person_out["id_number_masked"] and "*" in person_out["phone_masked"]
    assert "id_number" not in person_out and "birth_date" not in person_out


def test_a_new_person_with_a_bad_id_number_names_the_field(client, first_grid):
    response = client.post("/cases", {"classification": "suspected", "person": {
        "name": "钱七", "id_number": "110101198001010000", "grid_code": first_grid.code}})
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"person.id_number"}
    assert not Case.objects.exists()


def test_an_onset_after_the_outcome_is_400(client, person):
    today = today_local()
    response = client.post("/cases", {"classification": "confirmed", "resident": str(person().uid),
                                      "onset_date": str(today), "outcome": "recovered",
                                      "outcome_date": str(today - timedelta(days=1))})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "onset_date"


def test_exposure_makes_a_contact_and_lists_show_it(client, person, epi, worker):
    case = client.post("/cases", {"classification": "confirmed", "resident": str(person().uid)}).json()
    contact_person = person("孙八")
    today = str(today_local())
    response = client.post("/exposures", {"source_case": case["uid"], "resident": str(contact_person.uid),
                                          "setting": "workplace", "place": "某公司三楼", "first_date": today,
                                          "last_date": today})
    assert response.status_code == 201, response.json()
    exposure = response.json()
    assert exposure["degree"] == 1 and exposure["person_name"] == "孙八"
    contacts = client.get("/contacts", case=case["uid"]).json()["items"]
    assert [c["uid"] for c in contacts] == [exposure["contact"]]
    assert contacts[0]["observation"] is not None and contacts[0]["status"] == "managed"
    assert [e["uid"] for e in client.get("/exposures", contact=exposure["contact"]).json()["items"]] == [exposure["uid"]]
    tasks = client.get("/tracing-tasks").json()["items"]
    assert sorted(t["kind"] for t in tasks) == ["place", "reach", "test"]


def test_last_exposure_before_the_first_is_400_and_nothing_stored(client, person):
    case = client.post("/cases", {"classification": "confirmed", "resident": str(person().uid)}).json()
    today = today_local()
    response = client.post("/exposures", {"source_case": case["uid"], "resident": str(person().uid),
                                          "setting": "household", "first_date": str(today),
                                          "last_date": str(today - timedelta(days=1))})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "last_date"
    assert not Exposure.objects.exists() and not Contact.objects.exists()


def test_links_and_the_cycle_refusal(client, person):
    a, b = (client.post("/cases", {"classification": "confirmed", "resident": str(person().uid)}).json()
            for _ in range(2))
    ok = client.post("/links", {"infector": a["uid"], "infectee": b["uid"], "evidence": "household"})
    assert ok.status_code == 201 and ok.json()["infector_number"] == a["number"]
    cycle = client.post("/links", {"infector": b["uid"], "infectee": a["uid"], "evidence": "household"})
    assert cycle.status_code == 400 and cycle.json()["errors"][0]["field"] == "infector"
    assert [link["uid"] for link in client.get(f"/cases/{b['uid']}/links").json()] == [ok.json()["uid"]]


def test_reclassify_and_history(client, person):
    case = client.post("/cases", {"classification": "suspected", "resident": str(person().uid)}).json()
    response = client.post(f"/cases/{case['uid']}/reclassify", {"classification": "confirmed"})
    assert response.status_code == 200 and response.json()["classification"] == "confirmed"
    history = client.get(f"/cases/{case['uid']}/history").json()
    assert [(h["previous"], h["value"]) for h in history if h["field"] == "classification"] == [
        ("", "suspected"), ("suspected", "confirmed")]
    wrong = client.post(f"/cases/{case['uid']}/reclassify", {"classification": "suspected"})
    assert wrong.status_code == 400


def test_other_districts_and_cities_get_404_and_empty_lists(api, epi, person, xicheng_grid, bob):
    from epigrid.accounts.roles import Role
    from tests.conftest import XICHENG, _user

    case = api.as_user(epi).post("/cases", {"classification": "confirmed", "resident": str(person().uid)}).json()
    for outsider in (_user("xepi", Role.EPIDEMIOLOGIST, XICHENG), bob):
        other = type(api)().as_user(outsider)
        assert other.get(f"/cases/{case['uid']}").status_code == 404
        assert other.get("/cases").json()["items"] == []
        assert other.post(f"/cases/{case['uid']}/reclassify", {"classification": "confirmed"}).status_code == 404
    # and a person of 西城 cannot be linked as a contact by 东城's epidemiologist
    stranger = person(grid_code=xicheng_grid.code)
    today = str(today_local())
    response = api.as_user(epi).post("/exposures", {"source_case": case["uid"], "resident": str(stranger.uid),
                                                    "setting": "gathering", "first_date": today, "last_date": today})
    assert response.status_code == 404


def test_a_commander_sees_no_case_and_a_grid_worker_reads_but_cannot_write(api, epi, person, commander, worker):
    case = api.as_user(epi).post("/cases", {"classification": "confirmed", "resident": str(person().uid)}).json()
    assert type(api)().as_user(commander).get(f"/cases/{case['uid']}").status_code == 404
    grid = type(api)().as_user(worker)
    assert grid.get(f"/cases/{case['uid']}").status_code == 200
    assert grid.post(f"/cases/{case['uid']}/reclassify", {"classification": "confirmed"}).status_code == 404


def test_a_suspected_case_from_a_fever_alert_in_one_action(client, person, epi):
    from epigrid.health.models import Alert
    from epigrid.health.services import checkin_record, observation_start

    resident = person("周九")
    obs = observation_start(actor=epi, resident=resident, kind="home", reason="arrival")
    checkin_record(actor=epi, observation=obs, slot="am", temperature=38.4, symptoms=["fever"], client_id="fever-0001")
    alert = Alert.objects.get(kind="fever")
    response = client.post("/cases/from-alert", {"alert": alert.pk})
    assert response.status_code == 201
    assert response.json()["classification"] == "suspected" and response.json()["found_by"] == "observation"
    alert.refresh_from_db()
    assert alert.status == "handled"
    assert client.post("/cases/from-alert", {"alert": alert.pk}).status_code == 409  # already a case


def test_a_trajectory_time_without_a_zone_is_local_time(client, person):
    case = client.post("/cases", {"classification": "confirmed", "resident": str(person().uid)}).json()
    day = today_local() - timedelta(days=1)
    response = client.post(f"/cases/{case['uid']}/trajectory", {"start": f"{day}T09:00:00", "end": f"{day}T09:30:00",
                                                                "place": "东四菜市场"})
    assert response.status_code == 201, response.json()
    assert response.json()["start"].startswith(f"{day}T09:00:00") and response.json()["start"].endswith("+08:00")
    backwards = client.post(f"/cases/{case['uid']}/trajectory", {"start": f"{day}T10:00:00+08:00",
                                                                 "end": f"{day}T09:30:00", "place": "东四菜市场"})
    assert backwards.status_code == 400 and backwards.json()["errors"][0]["field"] == "end"
