"""`epigrid worker` as deployed: a fresh install on its own SQLite file, the real worker process.

- An import whose process was killed mid-way does not stay "running" forever with its upload (plaintext ID
  numbers) on disk: the next worker to start marks it failed, with a message, and deletes the upload
  (security review, issue 7 point 7).
- TERM to the worker's process group stops all of it within the grace period (issue 8, defect 3).
"""

import os
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from epigrid.core.tasks import process_token

EPIGRID = str(Path(sys.executable).with_name("epigrid"))


@pytest.fixture
def install(tmp_path):
    """(env, database path, media root) of a fresh, migrated install."""
    db = tmp_path / "db.sqlite3"
    env = {**os.environ, "EPIGRID_VAR_DIR": str(tmp_path), "EPIGRID_DATABASE_URL": f"sqlite:///{db}",
           "EPIGRID_DEBUG": "0", "EPIGRID_TASKS_SYNC": "0"}
    subprocess.run([EPIGRID, "migrate", "--no-input", "-v", "0"], env=env, check=True)
    return env, db, tmp_path / "media"


def _job(db: Path, media: Path, *, runner: str) -> tuple[str, Path]:
    """A resident import in state "running" under `runner`, with its upload on disk, as import_job_run
    leaves it while it works."""
    job_id = uuid.uuid4().hex
    upload = media / "jobs" / job_id / "upload.csv"
    upload.parent.mkdir(parents=True)
    upload.write_text("姓名,证件号码,网格编码\n张三,110101198001010018,110101001001001\n")
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO core_job (id, kind, status, total, done, message, result, params, input_file, "
                     "report_file, jurisdiction_code, created_at, started_at, runner) VALUES (?, "
                     "'residents.import', 'running', NULL, 0, '', '{}', '{}', ?, '', '110101000000', "
                     "datetime('now'), datetime('now'), ?)", (job_id, str(upload.relative_to(media)), runner))
    return job_id, upload


def _status(db: Path, job_id: str) -> tuple[str, str]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT status, message FROM core_job WHERE id = ?", (job_id,)).fetchone()


def _start_worker(env) -> subprocess.Popen:
    return subprocess.Popen([EPIGRID, "worker"], env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _descendants(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        for task in Path(f"/proc/{todo.pop()}/task").glob("*"):
            try:
                children = {int(c) for c in (task / "children").read_text().split()}
            except OSError:
                continue
            todo += list(children - found)
            found |= children
    return found


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] not in "ZX"
    except (OSError, IndexError):
        return False


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, 15)
    proc.wait(60)


def test_a_job_left_running_by_a_killed_process_fails_when_the_worker_starts(install):
    env, db, media = install
    victim = subprocess.Popen(["sleep", "60"])
    dead_runner = process_token(victim.pid)  # the import's process, while it lived
    victim.kill()
    victim.wait()
    dead, dead_upload = _job(db, media, runner=dead_runner)
    # A job of a process that still runs (this one) is left alone, upload and all.
    alive, alive_upload = _job(db, media, runner=process_token())

    worker = _start_worker(env)
    try:
        for _ in range(150):
            if _status(db, dead)[0] != "running":
                break
            time.sleep(0.2)
        status, message = _status(db, dead)
        assert status == "failed" and "任务未完成即中断" in message  # written in the platform's language
        assert not dead_upload.exists()
        assert _status(db, alive)[0] == "running" and alive_upload.exists()
    finally:
        _stop(worker)


def test_term_to_the_process_group_stops_the_worker_and_everything_it_started(install):
    """What a service manager or Ctrl-C under `make demo` does: TERM to the whole group. The worker, its
    cluster and the cluster's task processes are all gone within the grace period."""
    env, _db, _media = install
    worker = _start_worker(env)
    try:
        for _ in range(100):  # the cluster and its task processes are up
            started = _descendants(worker.pid)
            if len(started) >= 3:
                break
            time.sleep(0.2)
        assert len(started) >= 3, started
        time.sleep(1)
        began = time.monotonic()
        os.killpg(worker.pid, 15)
        worker.wait(40)
        for _ in range(100):
            if not any(_running(pid) for pid in started):
                break
            time.sleep(0.2)
        assert not [pid for pid in started if _running(pid)], "processes left after TERM"
        assert time.monotonic() - began < 30
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, 9)
