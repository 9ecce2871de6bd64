"""The import is no existence oracle (security review, issue 7 point 6): a community worker who imports the
ID number of a person registered in another district learns nothing from the answer, changes nothing of
that district's record, and that district decides on the match. The attack as it would be made: upload
files through the API and read the job's outcome."""

import csv
import io

import pytest

from epigrid.accounts.roles import Role
from epigrid.accounts.services import user_add
from epigrid.core.models import AuditEvent
from epigrid.core.principals import SYSTEM
from epigrid.residents.importing import residents_import
from epigrid.residents.models import Resident, ResidentMatch
from epigrid.residents.services import resident_create
from tests.conftest import PASSWORD
from tests.residents.conftest import id_number

HEAD = ["姓名", "证件号码", "手机号", "住址", "网格编码"]
KNOWN = id_number(birth="19620315", seq=41)  # registered in 西城
UNKNOWN = id_number(birth="19620315", seq=42)  # registered nowhere


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"




@pytest.fixture
def community_worker(first_grid):
    user, _ = user_add(actor=SYSTEM, username="community", role=Role.COMMUNITY_WORKER,
                       node_code=first_grid.community.code, password=PASSWORD)
    return user


@pytest.fixture
def held(xicheng_grid):
    """A person registered in 西城, out of the community worker's reach."""
    return resident_create(actor=SYSTEM, data={"name": "赵秀英", "id_number": KNOWN, "phone": "13900001111",
                                               "address": "西城某胡同3号", "grid_code": xicheng_grid.code})


def csv_file(id_number, grid, name="李冒名", phone="13712345678"):
    out = io.StringIO()
    csv.writer(out).writerows([HEAD, [name, id_number, phone, "东城某街1号", grid]])
    return out.getvalue().encode()


def upload(client, data, name="people.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    r = client.client.post("/api/v1/imports/residents", {"file": SimpleUploadedFile(name, data, "text/csv")},
                           headers=client.headers)
    assert r.status_code == 202, r.content
    job = client.get(f"/imports/{r.json()['id']}").json()
    # What differs between any two jobs, whatever their rows: not an answer about the person.
    for key in ("id", "created_at", "started_at", "finished_at"):
        job.pop(key)
    return job


def snapshot(resident):
    resident.refresh_from_db()
    return (resident.name, resident.phone_index, resident.address, resident.grid_code, resident.updated_at,
            resident.duplicate_of_id)


def test_an_id_number_held_in_another_district_answers_like_an_unknown_one(api, community_worker, held, first_grid,
                                                                           xicheng_admin):
    before = snapshot(held)
    client = api.as_user(community_worker)
    known = upload(client, csv_file(KNOWN, first_grid.code))
    unknown = upload(client, csv_file(UNKNOWN, first_grid.code))
    assert known == unknown
    assert (known["status"], known["created"], known["errors"], known["report_url"]) == ("done", 1, [], None)

    # 西城's record is neither changed nor moved; the new record stands beside it, in the worker's grid.
    assert snapshot(held) == before
    beside = Resident.objects.get(duplicate_of=held)
    assert (beside.grid_code, beside.name) == (first_grid.code, "李冒名")
    # The worker sees the record they made, not 西城's.
    listed = {r["uid"] for r in client.get("/residents", page_size=100).json()["items"]}
    assert str(beside.uid) in listed and str(held.uid) not in listed

    # 西城's staff see a pending match for their resident, filed (and audited) under their grid.
    matches = type(api)().as_user(xicheng_admin).get("/resident-matches").json()["items"]
    assert [(m["existing_uid"], m["to_grid_code"], m["source"]) for m in matches] == \
        [(str(held.uid), first_grid.code, "import")]
    event = AuditEvent.objects.get(action="resident_match.request")
    assert event.jurisdiction_code == held.grid_code and KNOWN not in repr(event.changes)

    # Importing the same file again: "unchanged" for both, as for any re-import; no second record or match.
    again_known = upload(client, csv_file(KNOWN, first_grid.code))
    again_unknown = upload(client, csv_file(UNKNOWN, first_grid.code))
    assert again_known == again_unknown and again_known["unchanged"] == 1 and again_known["created"] == 0
    assert Resident.objects.filter(duplicate_of=held).count() == 1 and ResidentMatch.objects.count() == 1
    # A changed row updates the worker's own record, still never 西城's.
    changed = upload(client, csv_file(KNOWN, first_grid.code, phone="13700000000"))
    assert changed["updated"] == 1 and snapshot(held) == before


def test_the_holder_s_own_district_still_updates_its_record(tmp_path, community_worker, held, first_grid,
                                                              xicheng_admin, xicheng_grid):
    """The lookup only finds the record that holds the number, never the newer one stored beside it."""
    def run(actor, data):
        path = tmp_path / "f.csv"
        path.write_bytes(data)
        return residents_import(actor=actor, path=path)

    run(community_worker, csv_file(KNOWN, first_grid.code))
    outcome = run(xicheng_admin, csv_file(KNOWN, xicheng_grid.code, name="赵秀英", phone="13900002222"))
    assert (outcome.written, outcome.updated, outcome.created, outcome.invalid) == (True, 1, 0, 0)
    held.refresh_from_db()
    assert held.phone_masked == "139****2222" and held.grid_code == xicheng_grid.code
    assert Resident.objects.get(duplicate_of=held).name == "李冒名"
