"""Settings are declared once, in settings.py; a boolean that is not one stops the start-up."""

import os
import subprocess
import sys
from pathlib import Path

import epigrid


def test_no_code_reads_a_setting_with_a_default_of_its_own():
    src = Path(epigrid.__file__).parent
    offenders = [f"{p}:{n}" for p in src.rglob("*.py") if p.name != "settings.py"
                 for n, line in enumerate(p.read_text().splitlines(), 1) if "getattr(settings" in line]
    assert offenders == []


def test_a_boolean_environment_variable_with_a_typo_is_a_start_up_error(tmp_path):
    env = {**os.environ, "EPIGRID_VAR_DIR": str(tmp_path), "EPIGRID_DEBUG": "ture"}
    run = subprocess.run([sys.executable, "-c", "import epigrid.settings"], env=env, capture_output=True, text=True)
    assert run.returncode != 0 and "EPIGRID_DEBUG='ture'" in run.stderr
    env["EPIGRID_DEBUG"] = "off"
    assert subprocess.run([sys.executable, "-c", "import epigrid.settings"], env=env).returncode == 0
