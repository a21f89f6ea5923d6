"""``saraban procedures …``: list, export, import (an edit an administrator makes), the yearly report as a named
user, the dashboard, importing a process register from CSV; refusals like on the web."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.cli import cli
from tests.conftest import MakeSaraban


def test_the_procedure_commands(make_saraban: MakeSaraban, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_saraban()
    monkeypatch.setenv("SARABAN_DATA_DIR", str(app.settings.data_dir.resolve()))
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()

    listed = runner.invoke(cli, ["procedures", "list"])
    assert listed.exit_code == 0, listed.output
    assert "welfare" in listed.output and "งานสวัสดิการและสงเคราะห์นักเรียน" in listed.output

    exported = tmp_path / "procedures.toml"
    assert runner.invoke(cli, ["procedures", "export", str(exported)]).exit_code == 0
    text = exported.read_text(encoding="utf-8")
    edited = tmp_path / "edited.toml"
    edited.write_text(text.replace('"รายงานผลการดำเนินงาน"', '"รายงานผลการดำเนินงานต่อ สพฐ."', 1), encoding="utf-8")
    refused = runner.invoke(cli, ["procedures", "import", str(edited), "--as", "group"])
    assert refused.exit_code != 0
    done = runner.invoke(cli, ["procedures", "import", str(edited), "--as", "admin"])
    assert done.exit_code == 0, done.output
    assert "replaced" in done.output
    again = runner.invoke(cli, ["procedures", "export"])
    assert "รายงานผลการดำเนินงานต่อ สพฐ." in again.output

    bad = tmp_path / "bad.toml"
    bad.write_text(
        "[[procedure]]\ncode = 'x'\nname = 'y'\nsteps = [{ name = 'a', duration = 'บางที' }]\n", encoding="utf-8"
    )
    assert runner.invoke(cli, ["procedures", "import", str(bad)]).exit_code != 0

    pdf = tmp_path / "report.pdf"
    printed = runner.invoke(
        cli, ["procedures", "report", "welfare", "--as", "group", "--out", str(pdf), "--year", "2569"]
    )
    assert printed.exit_code == 0, printed.output
    assert pdf.read_bytes().startswith(b"%PDF")
    board = runner.invoke(cli, ["procedures", "dashboard", "--as", "group"])
    assert board.exit_code == 0 and "กำลังดำเนินการ 0" in board.output

    csv = tmp_path / "resources.csv"
    csv.write_text(
        "year,name,school,detail\n2569,ศูนย์การเรียนรู้เศรษฐกิจพอเพียง,โรงเรียนบ้านโนนสะอาด,แปลงเกษตร\n", encoding="utf-8"
    )
    imported = runner.invoke(cli, ["procedures", "register-import", "learning_resources", str(csv), "--as", "group"])
    assert imported.exit_code == 0 and "imported 1 row(s)" in imported.output
    refused = runner.invoke(cli, ["procedures", "register-import", "learning_resources", str(csv), "--as", "auditor"])
    assert refused.exit_code != 0
