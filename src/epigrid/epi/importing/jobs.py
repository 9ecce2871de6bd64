"""The upload page and the API run the case and contact imports as background jobs, like the resident
import (residents.importing.jobs): the file is stored owner-only under the job, the job filed under the
importer's node, its progress published through the cache, its error report for the importer and for
those who may reveal personal data there."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from epigrid.accounts.roles import EPI_EDIT, ROLE_ACTIONS
from epigrid.core.audit import audit_record
from epigrid.core.errors import NotFound, PermissionDenied, ServiceError
from epigrid.core.models import Job
from epigrid.core.principals import Actor, is_user, service
from epigrid.core.scoping import user_prefixes
from epigrid.residents.importing import ImportFileError, import_report_path, job_dir
from epigrid.residents.importing.jobs import import_report_allowed, upload_job_start

from .cases import CASE_KIND, cases_import
from .common import max_upload_bytes
from .contacts import contacts_import

log = logging.getLogger(__name__)

CONTACT_KIND = "epi.contacts.import"
KINDS = {"cases": CASE_KIND, "contacts": CONTACT_KIND}
RUNNERS = {CASE_KIND: cases_import, CONTACT_KIND: contacts_import}


def _node(actor) -> str:
    nodes = sorted(m.node_code for m in actor.memberships.all() if EPI_EDIT in ROLE_ACTIONS[m.role])
    return nodes[0] if nodes else ""


@service
def epi_import_start(*, actor: Actor, what: str, upload) -> Job:
    """Store an uploaded file of cases or contacts (`what`), file a job under the importer's node and
    queue the import."""
    if not is_user(actor) or not user_prefixes(actor, EPI_EDIT):
        raise PermissionDenied(_("You may not import tracing data."))
    if what not in KINDS:
        raise NotFound(_("No such import."))
    return upload_job_start(actor=actor, upload=upload, kind=KINDS[what], node=_node(actor),
                            limit=max_upload_bytes(), params={}, task="epigrid.epi.importing.epi_import_run")


def epi_import_run(job_id: str) -> None:
    """The background task: run a queued case or contact import and record its outcome on the job."""
    from epigrid.core.tasks import job_begin, job_finish, job_progress

    job = Job.objects.filter(pk=job_id, kind__in=list(RUNNERS)).select_related("created_by").first()
    if job is None or job.status != Job.Status.QUEUED:
        return
    job_begin(job)
    source = Path(settings.MEDIA_ROOT) / job.input_file
    report = job_dir(job.pk) / "errors.xlsx"
    result: dict = {"file_name": job.params.get("file_name", "")}
    report_file = ""
    try:
        if job.created_by is None or not job.created_by.is_active:
            raise PermissionDenied(_("The user who started this import no longer exists."))
        outcome = RUNNERS[job.kind](actor=job.created_by, path=source, file_name=result["file_name"],
                                    report_path=report, job_id=str(job.pk),
                                    progress=lambda done, total: job_progress(job, done=done, total=total))
    except ImportFileError as exc:
        result.update(errors=[e.as_dict() for e in exc.rows], error_count=len(exc.rows), written=False)
        ok, message, report_file = False, exc.detail, getattr(exc, "report_file", "")
    except ServiceError as exc:
        result.update(errors=[{"row": 0, "column": e.field, "reason": e.message, "value": ""} for e in exc.errors],
                      error_count=len(exc.errors), written=False)
        ok, message = False, exc.detail
    except Exception:
        log.exception("tracing import %s failed", job.pk)
        result.update(errors=[], error_count=0, written=False)
        ok, message = False, _("The import failed unexpectedly; nothing was imported.")
    else:
        job.total = job.done = outcome.rows
        result.update(outcome.as_dict())
        ok, report_file = outcome.written, outcome.report_file
        if outcome.written:
            message = ngettext("Imported: %(n)d row.", "Imported: %(n)d rows.", outcome.rows) % {"n": outcome.rows}
        else:
            message = ngettext("%(n)d invalid row; nothing was imported.",
                               "%(n)d invalid rows; nothing was imported.", outcome.invalid) % {"n": outcome.invalid}
    finally:
        source.unlink(missing_ok=True)
    job.report_file = str(Path(report_file).relative_to(settings.MEDIA_ROOT)) if report_file else ""
    job.save(update_fields=["report_file"])
    job_finish(job, ok=ok, result=result, message=message)


def epi_import_get(*, user, job_id, what: str | None = None) -> Job:
    """A case or contact import job the user may see (epi.edit over its node), with live progress."""
    from epigrid.core.tasks import job_state

    try:
        pk = uuid.UUID(str(job_id))
    except ValueError:
        raise NotFound(_("No such import.")) from None
    kinds = [KINDS[what]] if what in KINDS else list(RUNNERS)
    job = Job.objects.restrict(user, EPI_EDIT).filter(pk=pk, kind__in=kinds).first()
    if job is None:
        raise NotFound(_("No such import."))
    return job_state(job)


def epi_imports_recent(*, user, limit: int = 20) -> list[Job]:
    return list(Job.objects.restrict(user, EPI_EDIT).filter(kind__in=list(RUNNERS)).order_by("-created_at")[:limit])


def epi_report_available(user, job: Job) -> bool:
    return bool(job.report_file) and import_report_allowed(user, job) and import_report_path(job) is not None


def epi_report_open(*, user, job_id) -> tuple[Job, Path]:
    """The error report of a job, audited; NotFound for anyone but the importer and PII_REVEAL there."""
    job = epi_import_get(user=user, job_id=job_id)
    path = import_report_path(job) if import_report_allowed(user, job) else None
    if path is None:
        raise NotFound(_("No error report for this import."))
    audit_record(actor=user, action="epi.import_report_download", object_type="job", object_id=job.pk,
                 object_repr=str(job.params.get("file_name", ""))[:200], jurisdiction_code=job.jurisdiction_code,
                 changes={"invalid_rows": (job.result or {}).get("invalid", 0),
                          "own_import": job.created_by_id == user.pk})
    return job, path
