"""The resident registry: validation, duplicates, search, masking, reveal, encryption at rest, scoping."""

import json

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from epigrid.core.models import AuditEvent
from epigrid.residents.models import Resident
from tests.residents.conftest import id_number


def post(api, path, body, **params):
    return api.post(path, json.dumps(body), **params)


def test_registering_derives_gender_and_age_from_the_id_card(alice, api, first_grid):
    response = post(api.as_user(alice), "/residents", {
        "name": "王芳", "id_number": id_number(birth="19850315", seq=2), "phone": "+86 139-1234-5678",
        "grid_code": first_grid.code, "tags": ["elderly_alone", "chronic"]})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["gender"] == "F" and "birth_date" not in body
    today = timezone.localdate()
    assert body["age"] == today.year - 1985 - ((today.month, today.day) < (3, 15))
    assert body["id_number_masked"] == "110101********" + id_number(birth="19850315", seq=2)[-4:]
    assert body["phone_masked"] == "139****5678"
    assert body["tags"] == ["elderly_alone", "chronic"]


def test_a_resident_is_located_from_coordinates(alice, api, first_grid):
    response = post(api.as_user(alice), "/residents", {
        "name": "李四", "id_number": id_number(seq=3), "lon": first_grid.centroid_lon, "lat": first_grid.centroid_lat})
    assert response.status_code == 201 and response.json()["grid_code"] == first_grid.code


@pytest.mark.parametrize(("change", "field"), [
    ({"id_number": "110101198001010011"}, "id_number"),  # bad check digit (0 is right)
    ({"id_number": "110101198002300015"}, "id_number"),  # 30 February
    ({"phone": "12345"}, "phone"),
    ({"name": ""}, "name"),
    ({"name": "a" * 51}, "name"),
    ({"id_type": "driving licence"}, "id_type"),
    ({"tags": ["vip"]}, "tags"),
    ({"grid_code": "110102001001001"}, "grid_code"),  # 西城: outside alice's district
    ({"grid_code": None, "lon": 120.0, "lat": 30.0}, "lon"),  # no grid there
    ({"grid_code": None, "lon": 200.0, "lat": 30.0}, "lon"),
])
def test_bad_values_are_named_and_nothing_is_stored(alice, api, first_grid, change, field):
    body = {"name": "赵六", "id_number": id_number(seq=4), "phone": "13812345678", "grid_code": first_grid.code,
            **change}
    response = post(api.as_user(alice), "/residents", {k: v for k, v in body.items() if v is not None})
    assert response.status_code == 400, response.content
    assert field in [e["field"] for e in response.json()["errors"]]
    assert not Resident.objects.exists()


def test_the_same_id_number_twice_is_a_duplicate_unless_merged(alice, api, make_resident):
    make_resident(actor=alice, name="张三", seq=5)
    body = {"name": "张三丰", "id_number": id_number(seq=5), "grid_code": Resident.objects.get().grid_code}
    response = post(api.as_user(alice), "/residents", body)
    assert response.status_code == 409 and response.json()["errors"][0]["field"] == "id_number"
    merged = post(api, "/residents", body, merge="true")
    assert merged.status_code == 201 and merged.json()["name"] == "张三丰"
    assert Resident.objects.count() == 1


def test_no_plaintext_id_number_or_phone_in_the_database(alice, make_resident):
    make_resident(actor=alice, seq=6, phone="13912345678")
    number = id_number(seq=6)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM residents_resident")
        dump = repr(cursor.fetchall())
        cursor.execute("SELECT * FROM core_auditevent")
        dump += repr(cursor.fetchall())
    assert number not in dump and "13912345678" not in dump and number[-8:] not in dump


def test_search_by_name_pinyin_initials_phone_and_exact_id(alice, api, make_resident):
    make_resident(actor=alice, name="张三", seq=7, phone="13800000001")
    make_resident(actor=alice, name="李四", seq=8, phone="13800000002")
    client = api.as_user(alice)

    def names(**params):
        return [r["name"] for r in client.get("/residents", **params).json()["items"]]

    assert names(q="张") == ["张三"]
    assert names(q="zhangsan") == ["张三"] and names(q="zs") == ["张三"] and names(q="LI") == ["李四"]
    looked_up = post(client, "/residents/lookup", {"id_number": id_number(seq=7).lower()})
    assert looked_up.status_code == 200 and [r["name"] for r in looked_up.json()] == ["张三"]
    assert post(client, "/residents/lookup", {"phone": "138 0000 0002"}).json()[0]["name"] == "李四"
    assert post(client, "/residents/lookup", {"id_number": id_number(seq=99)}).json() == []


def test_tag_filter(alice, api, make_resident):
    make_resident(actor=alice, name="甲", seq=9, tags="独居老人、慢性病")
    make_resident(actor=alice, name="乙", seq=10)
    assert [r["name"] for r in api.as_user(alice).get("/residents", tag="chronic").json()["items"]] == ["甲"]


def test_reveal_needs_the_right_role_a_reason_and_is_audited(alice, gridworker, api, make_resident):
    resident = make_resident(actor=alice, seq=11, phone="13712345678")
    for purpose, reason in [("contact", ""), ("contact", "ok"), ("contact", "好的"), ("contact", "1111"),
                            ("because", "核实返京信息")]:
        refused = post(api.as_user(alice), f"/residents/{resident.uid}/reveal",
                       {"field": "phone", "purpose": purpose, "reason": reason})
        assert refused.status_code == 400, (purpose, reason)
    assert not AuditEvent.objects.filter(action="resident.reveal").exists()
    response = post(api, f"/residents/{resident.uid}/reveal",
                    {"field": "phone", "purpose": "contact", "reason": "核实返京信息"})
    assert response.json() == {"field": "phone", "value": "13712345678"}
    event = AuditEvent.objects.get(action="resident.reveal")
    assert event.actor_name == "alice" and event.reason == "contact: 核实返京信息"
    assert event.changes == {"phone": "revealed"}
    # A grid worker sees the masked record but may not reveal it.
    assert api.as_user(gridworker).get(f"/residents/{resident.uid}").json()["phone_masked"] == "137****5678"
    assert post(api, f"/residents/{resident.uid}/reveal",
                {"field": "phone", "purpose": "contact", "reason": "通知明早核酸"}).status_code == 404


def test_residents_are_invisible_outside_ones_scope(alice, bob, charlie, api, make_resident):
    resident = make_resident(actor=alice, seq=12)
    for user in (bob, charlie):
        client = api.as_user(user)
        assert client.get(f"/residents/{resident.uid}").status_code == 404
        assert client.get("/residents").json()["count"] == 0
        assert post(client, "/residents/lookup", {"id_number": id_number(seq=12)}).json() == []
        assert client.client.patch(f"/api/v1/residents/{resident.uid}", {"name": "x"}, content_type="application/json",
                                   headers=client.headers).status_code == 404


def test_updating_changes_only_what_is_sent_and_audits_field_names(alice, api, make_resident):
    resident = make_resident(actor=alice, seq=13)
    client = api.as_user(alice)
    response = client.client.patch(f"/api/v1/residents/{resident.uid}", {"phone": "13612345678"},
                                   content_type="application/json", headers=client.headers)
    assert response.status_code == 200 and response.json()["phone_masked"] == "136****5678"
    assert response.json()["name"] == "张三"
    assert AuditEvent.objects.get(action="resident.update").changes == {"phone": "changed"}


def test_key_rotation_keeps_every_value_readable(alice, make_resident, settings, tmp_path):
    from django.core.management import call_command

    from epigrid.core import pii

    settings.PII_KEY_FILE = tmp_path / "pii.key"
    resident = make_resident(actor=alice, seq=14, phone="13512345678")
    old = pii.key_id(Resident.objects.get(pk=resident.pk).phone_enc)
    call_command("rotate_key")
    fresh = Resident.objects.get(pk=resident.pk)
    assert pii.key_id(fresh.phone_enc) == old + 1 and pii.key_id(fresh.id_number_enc) == old + 1
    assert fresh.phone_masked == "135****5678"
    assert json.loads(settings.PII_KEY_FILE.read_text())["keys"].keys() == {str(old + 1)}


def test_residents_page_lists_masked_values(alice, make_resident):
    make_resident(actor=alice, seq=15, phone="13412345678")
    client = Client()
    client.force_login(alice)
    page = client.get("/residents/", {"q": "zhang"}).content.decode()
    assert "张三" in page and "134****5678" in page and "13412345678" not in page


def test_members_of_a_household_share_it(alice, api, first_grid):
    client = api.as_user(alice)
    ids = []
    for seq, name in ((51, "父亲"), (52, "女儿")):
        response = post(client, "/residents", {"name": name, "id_number": id_number(seq=seq),
                                                "grid_code": first_grid.code, "household": "5号楼101"})
        ids.append(response.json()["household_id"])
    assert ids[0] is not None and ids[0] == ids[1]


def test_anonymising_on_request_is_audited_and_removes_the_person(alice, gridworker, api, make_resident):
    resident = make_resident(actor=alice, seq=53)
    assert post(api.as_user(gridworker), f"/residents/{resident.uid}/anonymise", {"reason": "误录"}).status_code == 404
    assert post(api.as_user(alice), f"/residents/{resident.uid}/anonymise", {"reason": "误录"}).status_code == 204
    assert api.get(f"/residents/{resident.uid}").status_code == 404
    resident.refresh_from_db()
    assert resident.id_number_enc is None and resident.anonymised_at
    assert AuditEvent.objects.get(action="resident.anonymise").reason == "误录"


def test_registering_through_the_page_shows_mistakes_beside_the_field(alice, first_grid):
    client = Client()
    client.force_login(alice)
    form = {"name": "周八", "id_type": "ric", "id_number": "110101198001010011", "phone": "13812345678",
            "grid_code": first_grid.code}
    bad = client.post("/residents/new/", form)
    assert bad.status_code == 400
    assert 'data-field="id_number"' in bad.content.decode() and not Resident.objects.exists()
    good = client.post("/residents/new/", {**form, "id_number": id_number(seq=61)})
    resident = Resident.objects.get()
    assert good.status_code == 302 and good["Location"] == f"/residents/{resident.uid}/"
    page = client.get(good["Location"]).content.decode()
    assert "周八" in page and "138****5678" in page and "13812345678" not in page


def test_revealing_on_the_page_needs_a_reason_and_shows_the_value(alice, gridworker, make_resident):
    resident = make_resident(actor=alice, seq=62, phone="13312345678")
    client = Client()
    client.force_login(alice)
    url = f"/residents/{resident.uid}/reveal/"
    assert client.post(url, {"field": "phone", "purpose": "contact", "reason": ""}).status_code == 400
    shown = client.post(url, {"field": "phone", "purpose": "contact", "reason": "联系本人返京"})
    assert shown.status_code == 200 and "13312345678" in shown.content.decode()
    assert AuditEvent.objects.filter(action="resident.reveal", reason="contact: 联系本人返京").exists()
    worker = Client()
    worker.force_login(gridworker)
    assert 'id="reveal"' not in worker.get(f"/residents/{resident.uid}/").content.decode()
    assert worker.post(url, {"field": "phone", "purpose": "contact", "reason": "联系本人返京"}).status_code == 404
