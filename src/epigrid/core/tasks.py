"""Background work: one entry point (`enqueue`) over django-q2, and jobs whose progress users can see."""

from __future__ import annotations

import logging
import os
import socket
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Job

log = logging.getLogger(__name__)

# Periodic tasks every app declares in its AppConfig.ready: (name, dotted function path, minutes).
SCHEDULES: list[tuple[str, str, int]] = [
    # Also run when a worker starts (the `worker` command): a task killed by the cluster's timeout leaves
    # its job running while the worker lives on.
    ("core.jobs_recover", "epigrid.core.tasks.jobs_recover", 5),
]


def enqueue(func_path: str, *args, **kwargs) -> None:
    """Run `func_path(*args, **kwargs)` on a worker (or right here when TASKS_SYNC is on)."""
    from django_q.tasks import async_task

    async_task(func_path, *args, sync=settings.TASKS_SYNC, **kwargs)


def ensure_schedules(**kwargs) -> None:
    """Create or update the periodic tasks (run after every migrate)."""
    from django_q.models import Schedule

    for name, func, minutes in SCHEDULES:
        Schedule.objects.update_or_create(name=name, defaults={
            "func": func, "schedule_type": Schedule.MINUTES, "minutes": minutes, "repeats": -1})


def _progress_key(job_id) -> str:
    return f"job-progress:{job_id}"


def job_progress(job: Job, *, done: int, total: int | None = None) -> None:
    """Publish progress through the cache, not the job's row: a long import holds its writes in one
    transaction, and a row updated inside it would stay invisible to the page polling it."""
    if total is not None:
        job.total = total
    job.done = done
    cache.set(_progress_key(job.pk), {"done": done, "total": job.total}, timeout=24 * 3600)


def job_state(job: Job) -> Job:
    """The job with its latest published progress while it runs."""
    if job.status in (Job.Status.QUEUED, Job.Status.RUNNING):
        live = cache.get(_progress_key(job.pk))
        if live:
            job.done, job.total = live["done"], live["total"]
            job.status = Job.Status.RUNNING
    return job


def job_finish(job: Job, *, ok: bool, result: dict, message: str = "") -> None:
    job.status = Job.Status.DONE if ok else Job.Status.FAILED
    job.result, job.message, job.finished_at = result, message[:500], timezone.now()
    if ok and job.total is not None:
        job.done = job.total
    job.save(update_fields=["status", "result", "message", "finished_at", "done", "total"])
    cache.delete(_progress_key(job.pk))
    _input_delete(job)


def _input_delete(job: Job) -> None:
    """The uploaded input of a job holds personal data in clear (ID numbers): it goes when the job ends,
    whatever the outcome; only the error report stays (until job_files_purge)."""
    if not job.input_file:
        return
    root = (Path(settings.MEDIA_ROOT) / "jobs").resolve()
    path = (Path(settings.MEDIA_ROOT) / job.input_file).resolve()
    if path.is_relative_to(root):
        path.unlink(missing_ok=True)


def process_token(pid: int | None = None) -> str:
    """"host:pid:start" of a process: the start time (clock ticks since boot, from /proc where there is
    one) tells a live process from a later one that was given the same pid."""
    pid = os.getpid() if pid is None else pid
    return f"{socket.gethostname()}:{pid}:{_started(pid)}"


def _stat(pid: int) -> list[str]:
    """/proc/PID/stat from field 3 (state) on, or [] where there is no /proc. Split after the ")" that
    ends the command name, which may hold spaces."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    return stat[stat.rindex(")") + 2:].split()


def _started(pid: int) -> str:
    fields = _stat(pid)
    return fields[19] if fields else ""  # field 22, starttime


def _alive(token: str) -> bool:
    host, _, rest = token.partition(":")
    pid_text, _, started = rest.partition(":")
    if host != socket.gethostname():
        return True  # another machine's worker: only the timeout below can tell
    try:
        pid = int(pid_text)
        os.kill(pid, 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    fields = _stat(pid)
    if fields and fields[0] in ("Z", "X"):
        return False  # killed, not yet reaped by its parent
    return not started or (fields[19] if fields else "") == started


def job_begin(job: Job) -> None:
    """Mark a job running, in this process."""
    job.status, job.started_at, job.runner = Job.Status.RUNNING, timezone.now(), process_token()
    job.save(update_fields=["status", "started_at", "runner"])


def jobs_recover() -> int:
    """Fail the running jobs whose process is gone (the worker was killed, or the task ran past the
    cluster's timeout and was stopped): they would otherwise stay "running" forever with their upload on
    disk. Run when a worker starts, and every few minutes. Returns how many were failed."""
    timeout = settings.Q_CLUSTER["timeout"]
    cutoff = timezone.now() - timedelta(seconds=timeout + 60)
    failed = 0
    for job in Job.objects.filter(status=Job.Status.RUNNING):
        gone = not _alive(job.runner) if job.runner else True
        if not gone and not (job.started_at and job.started_at < cutoff):
            continue
        log.warning("job %s (%s) was left running by %s: marked failed", job.pk, job.kind, job.runner or "?")
        job_finish(job, ok=False, result={**(job.result or {}), "written": False},
                   message=_("The work stopped before it finished (its process ended); nothing was stored. "
                             "Start it again."))
        failed += 1
    return failed


def job_files_purge(*, older_than_days: int) -> int:
    """Delete job files older than the retention, and the job folders they leave empty: an import's error
    report holds its bad rows as uploaded (personal data in clear). A job whose report went no longer
    offers it. Returns how many files were deleted."""
    import time

    folder = settings.MEDIA_ROOT / "jobs"
    if not folder.exists():
        return 0
    cutoff = time.time() - older_than_days * 86400
    removed = 0
    gone: set[str] = set()
    for path in folder.rglob("*"):
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            gone.add(str(path.relative_to(settings.MEDIA_ROOT)))
            removed += 1
    for job_folder in folder.iterdir():
        if job_folder.is_dir() and not any(job_folder.iterdir()):
            job_folder.rmdir()
    names = sorted(gone)
    for i in range(0, len(names), 500):
        Job.objects.filter(report_file__in=names[i:i + 500]).update(report_file="")
    return removed
