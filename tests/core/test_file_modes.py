"""Files the platform creates are its own user's alone (files 0600, folders 0700): the SQLite database and
its WAL, the secret key, photos, import uploads, error reports and job folders. Checked after the real
code paths made them, started from a umask of 022 as a service manager would leave it."""

import os
import stat
import subprocess
import sys

from epigrid.core.models import Job

from ..residents.test_import import csv_bytes, person


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_fresh_install_keeps_its_database_key_and_folders_to_itself(tmp_path):
    var = tmp_path / "var"
    env = {**os.environ, "EPIGRID_VAR_DIR": str(var)}
    env.pop("EPIGRID_DATABASE_URL", None)  # the embedded SQLite file is the one in question
    done = subprocess.run([sys.executable, "-m", "epigrid.cli", "migrate", "--no-input", "-v", "0"], env=env,
                          capture_output=True, text=True, timeout=300, preexec_fn=lambda: os.umask(0o022))
    assert done.returncode == 0, done.stderr
    assert mode(var) == 0o700
    database = var / "epigrid.sqlite3"
    assert database.exists() and mode(database) == 0o600
    for path in var.iterdir():
        expected = 0o700 if path.is_dir() else 0o600
        assert mode(path) == expected, (path.name, oct(mode(path)))


def test_an_import_error_report_and_its_job_folder_are_owner_only(api, alice, first_grid, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path / "media"
    rows = [person(i, first_grid.code) for i in range(3)]
    rows[1]["手机号"] = "123"
    client = api.as_user(alice)
    response = client.client.post("/api/v1/imports/residents", {"file": SimpleUploadedFile("r.csv", csv_bytes(rows))},
                                  headers=client.headers)
    assert response.status_code == 202, response.content
    job = Job.objects.get()
    report = settings.MEDIA_ROOT / job.report_file
    assert report.exists() and mode(report) == 0o600
    folder = report.parent
    while folder != tmp_path:
        assert mode(folder) == 0o700, folder
        folder = folder.parent
