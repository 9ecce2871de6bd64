"""The imports' API and pages: an upload answers 202 with a job whose outcome, errors and report follow;
the templates import as they stand; nothing of it is visible outside the importer's jurisdiction."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from epigrid.core.models import Job
from epigrid.epi.models import Case, Contact

from .conftest import id_number
from .test_import import contact_row, write


def upload(api, what, path):
    return api.client.post(f"/api/v1/{what}/import", {"file": SimpleUploadedFile(path.name, path.read_bytes())},
                           headers=api.headers)


def test_contacts_upload_runs_as_a_job_with_its_outcome(api, epi, person, people_in_grid, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    from epigrid.epi.services import case_create

    source = case_create(actor=epi, resident=person("病例"), data={"classification": "confirmed"})[0]
    numbers = people_in_grid(3)
    response = upload(api.as_user(epi), "contacts", write(tmp_path, [contact_row(n, source.number) for n in numbers]))
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]
    body = api.get(f"/contacts/import/{job_id}").json()
    assert (body["status"], body["written"], body["created"], body["counts"]["tasks"]) == ("done", True, 3, 9)
    assert Contact.objects.count() == 3
    assert Job.objects.get(pk=job_id).jurisdiction_code == "110101000000"
    assert not list((tmp_path / "media" / "jobs" / job_id).glob("upload*"))


def test_bad_rows_give_a_report_for_the_importer_only(api, epi, bob, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    path = write(tmp_path, [{"证件号码": id_number(5), "病例分类": "不知道"}])
    job_id = upload(api.as_user(epi), "cases", path).json()["id"]
    body = api.get(f"/cases/import/{job_id}").json()
    assert (body["status"], body["written"], body["invalid"]) == ("failed", False, 1)
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(2, "病例分类")]
    assert "疑似" in body["errors"][0]["reason"] and Case.objects.count() == 0
    report = api.client.get(body["report_url"], headers=api.headers)
    assert report.status_code == 200
    api.headers.pop("Authorization")
    api.as_user(bob)
    assert api.get(f"/cases/import/{job_id}").status_code == 404
    assert api.client.get(body["report_url"], headers=api.headers).status_code == 404
    assert api.get("/contacts/import/not-a-uuid").status_code == 404


def test_a_role_without_tracing_rights_cannot_upload(api, alice, tmp_path):
    path = write(tmp_path, [{"证件号码": id_number(5), "病例分类": "确诊"}])
    assert upload(api.as_user(alice), "cases", path).status_code == 403
    assert api.get("/cases/import/template.xlsx").status_code == 403


@pytest.mark.parametrize("what", ["cases", "contacts"])
def test_the_template_has_the_headers_and_an_example_that_imports(api, epi, person, what, tmp_path):
    from epigrid.epi.importing import cases_import, contacts_import
    from epigrid.epi.services import case_create

    if what == "contacts":
        case_create(actor=epi, resident=person("病例"), data={"classification": "confirmed"})
    response = api.as_user(epi).get(f"/{what}/import/template.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    headers = [c.value for c in sheet[1]]
    assert ("病例分类" if what == "cases" else "接触方式") in headers and "证件号码" in headers
    path = tmp_path / "t.xlsx"
    path.write_bytes(response.content)
    outcome = (cases_import if what == "cases" else contacts_import)(actor=epi, path=path)
    assert outcome.written, [e.as_dict() for e in outcome.errors]


def test_the_pages_upload_and_show_the_job(epi, alice, people_in_grid, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(epi)
    page = client.get("/epi/import/")
    assert page.status_code == 200 and "接触方式" in page.content.decode()
    path = write(tmp_path, [{"证件号码": n, "病例分类": "疑似"} for n in people_in_grid(2)])
    response = client.post("/epi/import/", {"what": "cases", "file": SimpleUploadedFile("c.csv", path.read_bytes())})
    assert response.status_code == 302
    job = client.get(response["Location"])
    assert job.status_code == 200 and "c.csv" in job.content.decode() and Case.objects.count() == 2
    assert "Cases reported" in job.content.decode()
    other = Client()
    other.force_login(alice)
    assert other.get("/epi/import/").status_code == 404
    assert other.get(response["Location"]).status_code == 404


@pytest.fixture
def people_in_grid(first_grid):
    from epigrid.core.principals import SYSTEM
    from epigrid.residents.services import resident_create

    def make(n):
        numbers = [id_number(700 + i) for i in range(n)]
        for i, number in enumerate(numbers):
            resident_create(actor=SYSTEM, data={"name": f"人{i}", "id_number": number, "grid_code": first_grid.code})
        return numbers
    return make
