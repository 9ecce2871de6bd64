"""API of the resident bulk import: upload a file (the import runs in the background), then read the
job's progress, counts, first errors and the URL of its full error report. Mounted by core.api."""

from datetime import datetime

from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile

from epigrid.core.api import ERRORS
from epigrid.core.errors import NotFound

from .importing import import_job_get, import_job_start, import_report_path

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
    report_url: str | None = Field(None, description="XLSX of every problem (same authentication).")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


def _report_url(job) -> str | None:
    if not job.report_file:
        return None
    return reverse("api:residents_import_report", args=[job.pk])


def job_out(job) -> dict:
    result = job.result or {}
    return {
        "id": str(job.pk), "kind": job.kind, "status": job.status, "done": job.done, "total": job.total,
        "percent": job.percent, "file_name": job.params.get("file_name", ""),
        "skip_invalid": bool(job.params.get("skip_invalid")), "message": job.message,
        **{k: result.get(k, 0) for k in ("rows", "created", "updated", "unchanged", "invalid", "error_count")},
        "written": bool(result.get("written")), "errors": result.get("errors", []), "report_url": _report_url(job),
        "created_at": job.created_at, "started_at": job.started_at, "finished_at": job.finished_at,
    }


@router.post("/imports/residents",
             response={202: ImportJobOut, 403: ERRORS[400], 413: ERRORS[400], 503: ERRORS[400], **ERRORS},
             summary="Import residents from CSV or XLSX (runs in the background)")
def residents_import_upload(request, file: File[UploadedFile], skip_invalid: Form[bool] = False,
                            crs: Form[str] = "wgs84"):
    """Multipart upload. Headers 姓名, 证件类型, 证件号码, 手机号, 住址, 经度, 纬度, 网格编码, 标签, 备注 (or name,
    id_type, id_number, phone, address, lon, lat, grid_code, tags, notes); CSV in UTF-8 (with or without
    BOM) or GB18030/GBK, or XLSX. All or nothing unless `skip_invalid`. Answers 202 with the job: poll
    `GET /imports/{id}` for progress and the outcome."""
    job = import_job_start(actor=request.user, upload=file, skip_invalid=skip_invalid, crs=crs)
    return Status(202, job_out(import_job_get(user=request.user, job_id=job.pk)))


@router.get("/imports/{job_id}", response={200: ImportJobOut, **ERRORS}, summary="Progress and outcome of an import")
def residents_import_status(request, job_id: str):
    return job_out(import_job_get(user=request.user, job_id=job_id))


@router.get("/imports/{job_id}/report.xlsx", response={200: None, **ERRORS}, url_name="residents_import_report",
            summary="Every problem of an import, as XLSX (personal values masked)")
def residents_import_report(request, job_id: str):
    job = import_job_get(user=request.user, job_id=job_id)
    path = import_report_path(job)
    if path is None:
        raise NotFound(_("No error report for this import."))
    return FileResponse(open(path, "rb"), as_attachment=True,  # noqa: SIM115 (closed by Django)
                        filename=f"import-errors-{job.pk}.xlsx",
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
