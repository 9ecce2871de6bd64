"""Changing a resident from their page: the form never shows the ID number or phone in full, an empty
ID number or phone keeps the stored one, a typed one replaces it, and a "saved" message confirms."""

from django.test import Client

from epigrid.core import pii
from epigrid.residents.models import Resident

from .conftest import id_number


def _client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_change_a_resident_from_their_page(alice, make_resident):
    resident = make_resident(name="张三", phone="13812345678", address="和平里1号")
    page = _client(alice)
    detail = page.get(f"/residents/{resident.uid}/").content.decode()
    assert f'/residents/{resident.uid}/edit/' in detail
    form = page.get(f"/residents/{resident.uid}/edit/").content.decode()
    assert 'value="和平里1号"' in form and "138****5678" in form
    assert "13812345678" not in form and id_number(seq=1) not in form  # never in full
    r = page.post(f"/residents/{resident.uid}/edit/", {
        "name": "张三丰", "id_type": "ric", "id_number": "", "phone": "", "address": "和平里2号",
        "grid_code": resident.grid_code, "lon": "", "lat": "", "notes": "", "tags": ["elderly_alone"]}, follow=True)
    assert r.status_code == 200 and "Saved." in r.content.decode()
    resident = Resident.objects.get(pk=resident.pk)
    assert (resident.name, resident.address) == ("张三丰", "和平里2号")
    assert pii.decrypt(resident.phone_enc, "phone") == "13812345678"  # kept
    assert pii.decrypt(resident.id_number_enc, "id_number") == id_number(seq=1)
    r = page.post(f"/residents/{resident.uid}/edit/", {
        "name": "张三丰", "id_type": "ric", "id_number": "", "phone": "1381234", "address": "和平里2号",
        "grid_code": resident.grid_code})
    assert r.status_code == 400 and 'data-field="phone"' in r.content.decode()
    page.post(f"/residents/{resident.uid}/edit/", {
        "name": "张三丰", "id_type": "ric", "id_number": "", "phone": "13900001111", "address": "和平里2号",
        "grid_code": resident.grid_code})
    assert pii.decrypt(Resident.objects.get(pk=resident.pk).phone_enc, "phone") == "13900001111"


def test_a_viewer_without_edit_rights_gets_no_form_and_another_district_a_404(gridworker, bob, make_resident):
    resident = make_resident()
    assert _client(gridworker).get(f"/residents/{resident.uid}/edit/").status_code in (403, 404)
    assert _client(bob).get(f"/residents/{resident.uid}/edit/").status_code == 404
    assert _client(bob).post(f"/residents/{resident.uid}/edit/", {"name": "x"}).status_code == 404
