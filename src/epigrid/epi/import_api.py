"""API of the case and contact imports: upload a file (the import runs in the background, all or
nothing), then read the job's progress, counts, first errors and the URL of its error report; and the
templates to fill in. Its router joins the tracing API (epi/api.py)."""

from datetime import datetime

from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, File, Router, Schema, Status, UploadedFile

from epigrid.core.api import ERRORS
from epigrid.core.exports import XLSX_TYPE, xlsx_response
from epigrid.residents.import_api import ImportErrorOut

from .importing import (
    CASE_COLUMNS,
    CONTACT_COLUMNS,
    epi_import_get,
    epi_import_start,
    epi_report_available,
    epi_report_open,
    epi_template_xlsx,
)

router = Router(tags=["tracing imports"])


class EpiImportJobOut(Schema):
    id: str
    kind: str = Field(..., description="epi.cases.import or epi.contacts.import")
    status: str = Field(..., description="queued, running, done or failed.")
    done: int
    total: int | None = None
    percent: int
    file_name: str
    message: str
    written: bool = Field(False, description="Whether the rows were stored: all or nothing.")
    rows: int = 0
    created: int = Field(0, description="Cases reported, or exposures recorded.")
    updated: int = Field(0, description="Contacts already managed whose management was extended.")
    invalid: int = Field(0, description="Rows with at least one problem.")
    error_count: int = 0
    errors: list[ImportErrorOut] = Field([], description="The first 200 problems; the report has every one.")
    counts: dict[str, int] = Field({}, description="What was written, by kind: cases; or contacts, "
                                                   "contacts_extended, contacts_released, exposures, observations, "
                                                   "observations_extended, tasks.")
    ignored_columns: list[str] = []
    report_url: str | None = Field(None, description="XLSX of every bad row as uploaded with the reasons: for the "
                                                     "importer and those who may reveal personal data; audited.")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


def job_out(user, job, what: str) -> dict:
    result = job.result or {}
    return {
        "id": str(job.pk), "kind": job.kind, "status": job.status, "done": job.done, "total": job.total,
        "percent": job.percent, "file_name": job.params.get("file_name", ""), "message": job.message,
        **{k: result.get(k, 0) for k in ("rows", "created", "updated", "invalid", "error_count")},
        "written": bool(result.get("written")), "errors": result.get("errors", []),
        "counts": result.get("counts") or {}, "ignored_columns": list(result.get("ignored_columns") or []),
        "report_url": reverse(f"api:epi_{what}_import_report", args=[job.pk])
        if epi_report_available(user, job) else None,
        "created_at": job.created_at, "started_at": job.started_at, "finished_at": job.finished_at,
    }


def _doc(columns: dict, extra: str) -> str:
    return ("Multipart upload (`file`), CSV in UTF-8 or GB18030/GBK, or XLSX; row 1 holds the headers. Accepted "
            "headers per field: " + "; ".join(f"{fld}: {', '.join(names)}" for fld, names in columns.items())
            + ". " + extra + " All or nothing: any bad row stores nothing and every problem is reported (row, "
            "column, reason); a row outside your jurisdiction is an error. Answers 202 with the job: poll its "
            "URL for progress and the outcome.")


CASES_DOC = _doc(CASE_COLUMNS, "A person is found by ID number in your jurisdiction, or registered (姓名 and 网格编码 "
                               "needed). Classification 疑似/确诊/无症状感染者/排除, severity 轻型/普通型/重型/危重型, "
                               "outcome 治愈出院/死亡/转出, or the codes.")
CONTACTS_DOC = _doc(CONTACT_COLUMNS, "The source is a case number, or the ID number of a close contact for a "
                                     "secondary contact. Setting 家庭/工作场所/交通工具/聚集活动/医疗机构/场所/其他 or "
                                     "the codes. A person already managed is extended, not duplicated; observation "
                                     "and tasks start as for one exposure recorded by hand.")
UPLOAD = {202: EpiImportJobOut, 403: ERRORS[400], 413: ERRORS[400], 503: ERRORS[400], **ERRORS}


@router.post("/cases/import", description=CASES_DOC, response=UPLOAD, url_name="epi_cases_import_upload",
             summary="Import cases from CSV or XLSX (runs in the background)")
def cases_import_upload(request, file: File[UploadedFile]):
    job = epi_import_start(actor=request.user, what="cases", upload=file)
    return Status(202, job_out(request.user, epi_import_get(user=request.user, job_id=job.pk), "cases"))


@router.post("/contacts/import", description=CONTACTS_DOC, response=UPLOAD, url_name="epi_contacts_import_upload",
             summary="Import contacts with their exposures from CSV or XLSX (runs in the background)")
def contacts_import_upload(request, file: File[UploadedFile]):
    job = epi_import_start(actor=request.user, what="contacts", upload=file)
    return Status(202, job_out(request.user, epi_import_get(user=request.user, job_id=job.pk), "contacts"))


@router.get("/cases/import/template.xlsx", response={200: None, 403: ERRORS[400], **ERRORS},
            url_name="epi_cases_import_template", summary="The template for a case import (XLSX)")
def cases_import_template(request):
    return xlsx_response(epi_template_xlsx(user=request.user, what="cases"), _("case-import-template.xlsx"))


@router.get("/contacts/import/template.xlsx", response={200: None, 403: ERRORS[400], **ERRORS},
            url_name="epi_contacts_import_template", summary="The template for a contact import (XLSX)")
def contacts_import_template(request):
    return xlsx_response(epi_template_xlsx(user=request.user, what="contacts"), _("contact-import-template.xlsx"))


@router.get("/cases/import/{job_id}", response={200: EpiImportJobOut, **ERRORS},
            summary="Progress and outcome of a case import")
def cases_import_status(request, job_id: str):
    return job_out(request.user, epi_import_get(user=request.user, job_id=job_id, what="cases"), "cases")


@router.get("/contacts/import/{job_id}", response={200: EpiImportJobOut, **ERRORS},
            summary="Progress and outcome of a contact import")
def contacts_import_status(request, job_id: str):
    return job_out(request.user, epi_import_get(user=request.user, job_id=job_id, what="contacts"), "contacts")


def _report(request, job_id):
    job, path = epi_report_open(user=request.user, job_id=job_id)
    return FileResponse(open(path, "rb"), as_attachment=True,  # noqa: SIM115 (closed by Django)
                        filename=f"import-errors-{job.pk}.xlsx", content_type=XLSX_TYPE)


@router.get("/cases/import/{job_id}/report.xlsx", response={200: None, **ERRORS}, url_name="epi_cases_import_report",
            summary="The bad rows of a case import as uploaded, with the reasons (XLSX)")
def cases_import_report(request, job_id: str):
    return _report(request, job_id)


@router.get("/contacts/import/{job_id}/report.xlsx", response={200: None, **ERRORS},
            url_name="epi_contacts_import_report",
            summary="The bad rows of a contact import as uploaded, with the reasons (XLSX)")
def contacts_import_report(request, job_id: str):
    return _report(request, job_id)
