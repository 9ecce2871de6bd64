"""Jobs: the upload page and the API run the import as a background task."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from epigrid.accounts.roles import PII_REVEAL, RESIDENTS_EDIT
from epigrid.core.audit import audit_record
from epigrid.core.errors import FieldError, PermissionDenied, ServiceError
from epigrid.core.geo import CRS_CHOICES
from epigrid.core.models import Job
from epigrid.core.principals import Actor, is_user, service
from epigrid.core.scoping import in_scope, user_prefixes

from .common import MAX_BYTES, ImportFileError
from .run import _job_node, residents_import

log = logging.getLogger(__name__)

JOB_KIND = "residents.import"


def job_dir(job_id) -> Path:
    return Path(settings.MEDIA_ROOT) / "jobs" / str(job_id)


@service
def import_job_start(*, actor: Actor, upload, skip_invalid: bool = False, crs: str = "wgs84") -> Job:
    """Store an uploaded file, file a job under the importer's node and queue the import."""
    if not is_user(actor) or not user_prefixes(actor, RESIDENTS_EDIT):
        raise PermissionDenied(_("You may not import residents."))
    if crs not in CRS_CHOICES:
        raise ServiceError(_("Unknown coordinate system."),
                           [FieldError("crs", _("must be one of %(c)s") % {"c": ", ".join(CRS_CHOICES)})])
    return upload_job_start(actor=actor, upload=upload, kind=JOB_KIND, node=_job_node(actor), limit=MAX_BYTES,
                            params={"skip_invalid": bool(skip_invalid), "crs": crs},
                            task="epigrid.residents.importing.import_job_run")


@service
def upload_job_start(*, actor: Actor, upload, kind: str, node: str, limit: int, params: dict, task: str) -> Job:
    """Store an uploaded file owner-only under a new job of `kind` filed at `node`, and queue `task` with
    the job's id: the start of every bulk import (residents here, cases and contacts in epi)."""
    if upload is None:
        raise ServiceError(_("Choose a file."), [FieldError("file", _("required"))])
    if upload.size > limit:
        raise ServiceError(_("The file is too large."),
                           [FieldError("file", _("at most %(n)d MB; split it") % {"n": limit >> 20})], status=413)
    name = Path(str(upload.name or "upload")).name[:200]
    suffix = ".xlsx" if name.lower().endswith(".xlsx") else ".csv"
    job = Job.objects.create(kind=kind, created_by=actor, jurisdiction_code=node, params={"file_name": name, **params})
    folder = job_dir(job.pk)
    folder.mkdir(parents=True, exist_ok=True)
    # The upload holds ID numbers in clear: readable by the owner only, and deleted when the import ends.
    target = folder / f"upload{suffix}"
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        for part in upload.chunks():
            out.write(part)
    job.input_file = str(target.relative_to(settings.MEDIA_ROOT))
    job.save(update_fields=["input_file"])
    from epigrid.core.tasks import enqueue, job_finish

    try:
        enqueue(task, str(job.pk))
    except Exception:  # the queue is unreachable: say so instead of leaving a job queued forever
        log.exception("could not queue import %s (%s)", job.pk, kind)
        target.unlink(missing_ok=True)
        job_finish(job, ok=False, result={"errors": [], "error_count": 0, "written": False},
                   message=_("The import could not be started; try again later."))
        raise ServiceError(_("The import could not be started; try again later."), status=503) from None
    return job


def import_job_run(job_id: str) -> None:
    """The background task: run the import for a queued job and record its outcome on the job."""
    from epigrid.core.tasks import job_begin, job_progress

    job = Job.objects.filter(pk=job_id, kind=JOB_KIND).select_related("created_by").first()
    if job is None or job.status != Job.Status.QUEUED:
        return
    job_begin(job)
    source = Path(settings.MEDIA_ROOT) / job.input_file
    report = job_dir(job.pk) / "errors.xlsx"
    params = job.params
    result: dict = {"file_name": params.get("file_name", "")}
    try:
        if job.created_by is None or not job.created_by.is_active:
            raise PermissionDenied(_("The user who started this import no longer exists."))
        outcome = residents_import(
            actor=job.created_by, path=source, file_name=params.get("file_name", ""),
            skip_invalid=params.get("skip_invalid", False), crs=params.get("crs", "wgs84"), report_path=report,
            job_id=str(job.pk), progress=lambda done, total: job_progress(job, done=done, total=total))
    except ImportFileError as exc:
        result.update(errors=[e.as_dict() for e in exc.rows], error_count=len(exc.rows), written=False)
        _job_end(job, ok=False, result=result, message=exc.detail, report=getattr(exc, "report_file", ""))
    except ServiceError as exc:
        result.update(errors=[{"row": 0, "column": e.field, "reason": e.message, "value": ""} for e in exc.errors],
                      error_count=len(exc.errors), written=False)
        _job_end(job, ok=False, result=result, message=exc.detail, report="")
    except Exception:
        log.exception("resident import %s failed", job.pk)
        result.update(errors=[], error_count=0, written=False)
        _job_end(job, ok=False, result=result, message=_("The import failed unexpectedly; nothing was imported."),
                 report="")
    else:
        job.total = job.done = outcome.rows
        result.update(outcome.as_dict())
        if outcome.written:
            message = _("Imported: %(c)d new, %(u)d updated, %(s)d unchanged, %(i)d invalid rows skipped.") % {
                "c": outcome.created, "u": outcome.updated, "s": outcome.unchanged, "i": outcome.invalid}
        else:
            message = ngettext("%(n)d invalid row; nothing was imported.",
                               "%(n)d invalid rows; nothing was imported.", outcome.invalid) % {"n": outcome.invalid}
        _job_end(job, ok=outcome.written, result=result, message=message, report=outcome.report_file)
    finally:
        source.unlink(missing_ok=True)


def _job_end(job: Job, *, ok: bool, result: dict, message: str, report: str) -> None:
    from epigrid.core.tasks import job_finish

    job.report_file = str(Path(report).relative_to(settings.MEDIA_ROOT)) if report else ""
    job.save(update_fields=["report_file"])
    job_finish(job, ok=ok, result=result, message=message)


def import_job_get(*, user, job_id) -> Job:
    """A resident import job the user may see (residents.edit over the node it is filed under), with its
    live progress; anything else, including a malformed id, is NotFound."""
    import uuid

    from epigrid.core.errors import NotFound
    from epigrid.core.tasks import job_state

    try:
        pk = uuid.UUID(str(job_id))
    except ValueError:
        raise NotFound(_("No such import.")) from None
    job = Job.objects.restrict(user, RESIDENTS_EDIT).filter(pk=pk, kind=JOB_KIND).first()
    if job is None:
        raise NotFound(_("No such import."))
    return job_state(job)


def import_jobs_recent(*, user, limit: int = 20) -> list[Job]:
    return list(Job.objects.restrict(user, RESIDENTS_EDIT).filter(kind=JOB_KIND).order_by("-created_at")[:limit])


def import_job_warnings(job: Job) -> list[str]:
    """What the importer should know although nothing failed: the columns that were not read."""
    ignored = (job.result or {}).get("ignored_columns") or []
    if not ignored:
        return []
    return [ngettext("A column the import does not know was ignored: %(c)s.",
                     "Columns the import does not know were ignored: %(c)s.", len(ignored)) % {"c": "、".join(ignored)}]


def import_report_path(job: Job) -> Path | None:
    """The error report of a job (already scope-checked by import_job_get), if it has one on disk."""
    if not job.report_file:
        return None
    root = (Path(settings.MEDIA_ROOT) / "jobs").resolve()
    path = (Path(settings.MEDIA_ROOT) / job.report_file).resolve()
    return path if path.is_relative_to(root) and path.is_file() else None


def import_report_allowed(user, job: Job) -> bool:
    """The error report holds the bad rows' cells as uploaded (ID numbers and phones in clear): the one who
    uploaded them may have it back, and so may whoever may reveal personal data where the job is filed;
    not everyone who may see the job."""
    if not is_user(user):
        return False
    return job.created_by_id == user.pk or in_scope(user, PII_REVEAL, job.jurisdiction_code)


def import_report_available(user, job: Job) -> bool:
    """Whether to offer the report's link to this user (the file exists and they may have it)."""
    return bool(job.report_file) and import_report_allowed(user, job) and import_report_path(job) is not None


def import_report_open(*, user, job_id) -> tuple[Job, Path]:
    """The error report of a job for download, audited; NotFound for anyone else (as for a job out of
    scope: the answer does not tell that a report exists)."""
    from epigrid.core.errors import NotFound

    job = import_job_get(user=user, job_id=job_id)
    path = import_report_path(job) if import_report_allowed(user, job) else None
    if path is None:
        raise NotFound(_("No error report for this import."))
    audit_record(actor=user, action="resident_import.report_download", object_type="job", object_id=job.pk,
                 object_repr=str(job.params.get("file_name", ""))[:200], jurisdiction_code=job.jurisdiction_code,
                 changes={"invalid_rows": (job.result or {}).get("invalid", 0),
                          "own_import": job.created_by_id == user.pk})
    return job, path
