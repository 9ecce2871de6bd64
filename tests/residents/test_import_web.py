"""The import's API and pages: upload answers 202 with a job, the job shows progress, counts, errors and a
report, and none of it is visible outside the importer's jurisdiction."""

import openpyxl
from django.test import Client

from epigrid.core.models import Job
from epigrid.residents.models import Resident

from .conftest import id_number
from .test_import import XICHENG, csv_bytes, person


def upload(api, data, name="r.csv", **form):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return api.client.post("/api/v1/imports/residents", {"file": SimpleUploadedFile(name, data), **form},
                           headers=api.headers)


def test_upload_answers_202_and_the_job_has_the_outcome(api, alice, first_grid, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    rows = [person(i, first_grid.code) for i in range(5)]
    response = upload(api.as_user(alice), csv_bytes(rows))
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]
    body = api.get(f"/imports/{job_id}").json()
    assert (body["status"], body["created"], body["rows"], body["written"], body["percent"]) == ("done", 5, 5, True, 100)
    assert body["report_url"] is None and body["errors"] == []
    job = Job.objects.get(pk=job_id)
    assert (job.kind, job.jurisdiction_code, job.created_by, job.params["file_name"]) == \
        ("residents.import", "110101000000", alice, "r.csv")
    assert not list((tmp_path / "jobs" / job_id).glob("upload*")), "the upload (plaintext IDs) must be deleted"
    assert Resident.objects.count() == 5


def test_bad_rows_give_errors_and_a_report_in_scope_only(api, alice, bob, first_grid, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    rows = [person(i, first_grid.code) for i in range(3)]
    rows[1]["手机号"] = "123"
    rows[2]["标签"] = "=1+1"
    job_id = upload(api.as_user(alice), csv_bytes(rows)).json()["id"]
    body = api.get(f"/imports/{job_id}").json()
    assert (body["status"], body["written"], body["invalid"], body["created"]) == ("failed", False, 2, 0)
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(3, "手机号"), (4, "标签")]
    assert "nothing was imported" in body["message"]
    report = api.client.get(body["report_url"], headers=api.headers)
    assert report.status_code == 200
    path = tmp_path / "r.xlsx"
    path.write_bytes(b"".join(report.streaming_content))
    cells = [c for row in openpyxl.load_workbook(path).active.iter_rows(values_only=True) for c in row]
    assert "'=1+1" in cells and "=1+1" not in cells
    assert Resident.objects.count() == 0

    api.headers.pop("Authorization")
    api.as_user(bob)
    assert api.get(f"/imports/{job_id}").status_code == 404
    assert api.client.get(body["report_url"], headers=api.headers).status_code == 404
    assert api.get("/imports/not-a-uuid").status_code == 404


def test_skip_invalid_over_the_api(api, alice, first_grid, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    rows = [person(i, first_grid.code) for i in range(3)]
    rows[0]["证件号码"] = id_number(birth="19900230")
    body = upload(api.as_user(alice), csv_bytes(rows), skip_invalid="true").json()
    body = api.get(f"/imports/{body['id']}").json()
    assert (body["status"], body["created"], body["invalid"]) == ("done", 2, 1)


def test_an_unreadable_file_fails_the_job_with_a_clear_message(api, alice, settings, tmp_path, city):
    settings.MEDIA_ROOT = tmp_path
    body = upload(api.as_user(alice), b"").json()
    body = api.get(f"/imports/{body['id']}").json()
    assert body["status"] == "failed" and "empty" in body["message"]
    assert body["errors"][0]["row"] == 0


def test_alice_cannot_import_into_xicheng_over_the_api(api, alice, settings, tmp_path):
    from epigrid.regions.models import Grid

    settings.MEDIA_ROOT = tmp_path
    xicheng = Grid.objects.filter(code__startswith=XICHENG).order_by("code").first()
    body = upload(api.as_user(alice), csv_bytes([person(0, xicheng.code)])).json()
    body = api.get(f"/imports/{body['id']}").json()
    assert body["status"] == "failed" and body["errors"][0]["column"] == "网格编码"
    assert Resident.objects.count() == 0


def test_no_role_no_import(api, charlie, gridworker, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    for user in (charlie, gridworker):
        api.headers.pop("Authorization", None)
        assert upload(api.as_user(user), b"x").status_code == 403
    assert not Job.objects.exists()


def test_missing_file_is_a_400(api, alice):
    response = api.client.post("/api/v1/imports/residents", {}, headers=api.as_user(alice).headers)
    assert response.status_code in (400, 422)


def login(user):
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    return client


def test_upload_page_runs_the_import_and_shows_progress(alice, first_grid, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    client = login(alice)
    page = client.get("/residents/import/")
    assert page.status_code == 200 and "证件号码" in page.content.decode()
    rows = [person(i, first_grid.code) for i in range(2)] + [person(0, first_grid.code)]
    response = client.post("/residents/import/", {"file": SimpleUploadedFile("r.csv", csv_bytes(rows)),
                                                  "crs": "wgs84"})
    assert response.status_code == 302
    job_page = client.get(response["Location"])
    html = job_page.content.decode()
    assert "htmx/htmx.min.js" in html and "duplicate of row 2" in html and "errors.xlsx" in html
    job = Job.objects.get()
    partial = client.get(f"/residents/import/{job.pk}/progress/")
    assert partial.status_code == 200 and "hx-trigger" not in partial.content.decode()
    assert client.get(f"/residents/import/{job.pk}/errors.xlsx").status_code == 200
    assert client.get("/residents/import/").content.decode().count(str(job.pk)) >= 1


def test_a_running_job_polls_its_partial(alice, settings, tmp_path):
    job = Job.objects.create(kind="residents.import", status=Job.Status.RUNNING, jurisdiction_code="110101000000",
                             params={"file_name": "r.csv"}, created_by=alice)
    html = login(alice).get(f"/residents/import/{job.pk}/progress/").content.decode()
    assert 'hx-trigger="every 1s"' in html


def test_pages_are_scoped(alice, bob, charlie, settings, tmp_path):
    job = Job.objects.create(kind="residents.import", status=Job.Status.DONE, jurisdiction_code="110101000000",
                             params={"file_name": "r.csv"}, created_by=alice)
    for user in (bob, charlie):
        client = login(user)
        assert client.get(f"/residents/import/{job.pk}/").status_code == 404
        assert client.get(f"/residents/import/{job.pk}/progress/").status_code == 404
        assert client.get(f"/residents/import/{job.pk}/errors.xlsx").status_code == 404
    assert login(charlie).get("/residents/import/").status_code == 404
    assert str(job.pk) not in login(bob).get("/residents/import/").content.decode()


def test_xlsx_upload_over_the_api(api, alice, first_grid, settings, tmp_path):
    from .test_import import xlsx_bytes

    settings.MEDIA_ROOT = tmp_path
    body = upload(api.as_user(alice), xlsx_bytes([person(i, first_grid.code) for i in range(3)]), name="r.xlsx").json()
    body = api.get(f"/imports/{body['id']}").json()
    assert (body["status"], body["created"], body["file_name"]) == ("done", 3, "r.xlsx")


def test_a_queue_that_cannot_be_reached_fails_the_job_not_the_request(api, alice, first_grid, settings, tmp_path,
                                                                       monkeypatch):
    import epigrid.core.tasks

    def broken(*args, **kwargs):
        raise ConnectionError("redis is down")

    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(epigrid.core.tasks, "enqueue", broken)
    response = upload(api.as_user(alice), csv_bytes([person(0, first_grid.code)]))
    assert response.status_code == 503
    job = Job.objects.get()
    assert job.status == "failed" and not list(tmp_path.glob("jobs/*/upload*"))
