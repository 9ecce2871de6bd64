"""API of the resident bulk import: upload a file (the import runs in the background), then read the
job's progress, counts, first errors and the URL of its full error report. Mounted by core.api."""

from datetime import datetime

from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile

from epigrid.core.api import ERRORS
from epigrid.core.exports import XLSX_TYPE, xlsx_response
from epigrid.core.geo import Crs

from .importing import (
    COLUMNS,
    import_job_get,
    import_job_start,
    import_job_warnings,
    import_report_available,
    import_report_open,
    import_template_xlsx,
)

router = Router(tags=["imports"])


class ImportErrorOut(Schema):
    row: int = Field(..., description="Row as a spreadsheet shows it (the header is row 1); 0: the whole file.")
    column: str = Field(..., description="The column's header as written in the file.")
    reason: str
    value: str = Field("", description="The offending value, masked when personal.")


class ImportJobOut(Schema):
    id: str
    kind: str
    status: str = Field(..., description="queued, running, done or failed.")
    done: int = Field(..., description="Rows processed so far.")
    total: int | None = Field(None, description="Rows in the file (an estimate while running).")
    percent: int
    file_name: str
    skip_invalid: bool
    message: str
    written: bool = Field(False, description="Whether the good rows were stored (all or nothing by default).")
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: int = Field(0, description="Rows with at least one problem.")
    error_count: int = 0
    errors: list[ImportErrorOut] = Field([], description="The first 200 problems; the report has every one.")
    ignored_columns: list[str] = Field([], description="Headers the import does not know, as written: their "
                                                       "values were not read. A warning, not an error.")
    warnings: list[str] = Field([], description="What the importer should know although nothing failed.")
    report_url: str | None = Field(None, description="XLSX of every bad row with its original cells and the "
                                                     "reasons, and of every problem. Given to the importer and "
                                                     "to those who may reveal personal data; audited.")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


def _report_url(user, job) -> str | None:
    if not import_report_available(user, job):
        return None
    return reverse("api:residents_import_report", args=[job.pk])


def job_out(user, job) -> dict:
    result = job.result or {}
    return {
        "id": str(job.pk), "kind": job.kind, "status": job.status, "done": job.done, "total": job.total,
        "percent": job.percent, "file_name": job.params.get("file_name", ""),
        "skip_invalid": bool(job.params.get("skip_invalid")), "message": job.message,
        **{k: result.get(k, 0) for k in ("rows", "created", "updated", "unchanged", "invalid", "error_count")},
        "written": bool(result.get("written")), "errors": result.get("errors", []),
        "ignored_columns": list(result.get("ignored_columns") or []), "warnings": import_job_warnings(job),
        "report_url": _report_url(user, job),
        "created_at": job.created_at, "started_at": job.started_at, "finished_at": job.finished_at,
    }


UPLOAD_DOC = (
    "Multipart upload. Row 1 holds the headers; each field's accepted headers (case, spaces, a `*` or "
    "`（必填）` do not matter): " + "; ".join(f"{fld}: {', '.join(headers)}" for fld, headers in COLUMNS.items())
    + ". Other columns are ignored and listed in `ignored_columns`. CSV in UTF-8 (with or without BOM) or "
    "GB18030/GBK, or XLSX; `GET /imports/residents/template.xlsx` gives a template. All or nothing unless "
    "`skip_invalid`. Answers 202 with the job: poll `GET /imports/{id}` for progress and the outcome.")


@router.post("/imports/residents", description=UPLOAD_DOC,
             response={202: ImportJobOut, 403: ERRORS[400], 413: ERRORS[400], 503: ERRORS[400], **ERRORS},
             summary="Import residents from CSV or XLSX (runs in the background)")
def residents_import_upload(request, file: File[UploadedFile], skip_invalid: Form[bool] = False,
                            crs: Form[Crs] = "wgs84"):
    job = import_job_start(actor=request.user, upload=file, skip_invalid=skip_invalid, crs=crs)
    return Status(202, job_out(request.user, import_job_get(user=request.user, job_id=job.pk)))


@router.get("/imports/residents/template.xlsx", response={200: None, 403: ERRORS[400], **ERRORS},
            url_name="residents_import_template", summary="The template to fill in for a resident import (XLSX)")
def residents_import_template(request):
    """The headers in Chinese, one example row that imports as it stands (into the first grid of your
    jurisdiction), and a notes sheet: required columns, formats, the other headers accepted."""
    return xlsx_response(import_template_xlsx(user=request.user), _("resident-import-template.xlsx"))


@router.get("/imports/{job_id}", response={200: ImportJobOut, **ERRORS}, summary="Progress and outcome of an import")
def residents_import_status(request, job_id: str):
    return job_out(request.user, import_job_get(user=request.user, job_id=job_id))


@router.get("/imports/{job_id}/report.xlsx", response={200: None, **ERRORS}, url_name="residents_import_report",
            summary="The bad rows of an import as uploaded, with the reasons, as XLSX")
def residents_import_report(request, job_id: str):
    """Each bad row with its original headers and cells (personal data in clear), its row number and the
    reasons, to correct and upload again; then every problem, one a line. For the importer and for those
    who may reveal personal data where the job is filed (404 for anyone else); every download is audited."""
    job, path = import_report_open(user=request.user, job_id=job_id)
    return FileResponse(open(path, "rb"), as_attachment=True,  # noqa: SIM115 (closed by Django)
                        filename=f"import-errors-{job.pk}.xlsx", content_type=XLSX_TYPE)
