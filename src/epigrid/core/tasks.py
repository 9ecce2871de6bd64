"""Background work: one entry point (`enqueue`) over django-q2, and jobs whose progress users can see."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from .models import Job

# Periodic tasks every app declares in its AppConfig.ready: (name, dotted function path, minutes).
SCHEDULES: list[tuple[str, str, int]] = []


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


def job_files_purge(*, older_than_days: int) -> int:
    """Delete job files (error reports) older than the retention: they hold masked personal data."""
    import time

    folder = settings.MEDIA_ROOT / "jobs"
    if not folder.exists():
        return 0
    cutoff = time.time() - older_than_days * 86400
    removed = 0
    for path in folder.rglob("*"):
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
