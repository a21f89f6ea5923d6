"""tests/cli.py runs `saraban` inside the test process: a run must leave nothing behind for the next test — no
setting in os.environ, no open database file — and must see only the settings it was given."""

from __future__ import annotations

import os
from pathlib import Path

import psutil

from tests.cli import run_saraban
from tests.conftest import MakeSaraban


def test_a_run_leaves_no_setting_and_no_open_database(make_saraban: MakeSaraban, tmp_path: Path) -> None:
    app = make_saraban()
    environ, files = dict(os.environ), {f.path for f in psutil.Process().open_files()}
    os.environ["SARABAN_STORE"] = "s3"  # the test process's own setting, not the command's
    try:
        run = run_saraban(["audit", "verify"], env={"SARABAN_DATA_DIR": str(app.settings.data_dir)}, cwd=tmp_path)
    finally:
        del os.environ["SARABAN_STORE"]
    assert run.returncode == 0, run.stdout + run.stderr
    assert "audit chain intact" in run.stdout
    assert dict(os.environ) == environ
    # The database and its WAL are closed (engines disposed). service.kit.db's write gate keeps its lock file
    # (saraban.sqlite3.write-lock) open for the life of the process, one per engine, as it does for any app.
    left = {f.path for f in psutil.Process().open_files()} - files
    assert not {path for path in left if not path.endswith(".write-lock")}, left
