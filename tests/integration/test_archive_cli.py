"""``saraban archive …`` acting as a named user: filing, the item list, the storage list, the destruction list,
overdue loans; a user without the right is refused like on the web."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from service.app import create_app
from service.cli import cli
from tests.archive_kit import complete_journey, receive
from tests.conftest import MakeSaraban, login


def test_the_archive_commands(make_saraban: MakeSaraban, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_saraban()
    with TestClient(create_app(app)) as client:
        letter = receive(client, login(client, "central"), subject="ขอเชิญประชุมผู้บริหารสถานศึกษา")
    complete_journey(app, letter["letter_id"], date(2024, 5, 2))
    monkeypatch.setenv("SARABAN_DATA_DIR", str(app.settings.data_dir.resolve()))
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()

    refused = runner.invoke(
        cli,
        ["archive", "file", str(letter["letter_id"]), "--as", "central", "--file-code", "01.01", "--class", "routine"],
    )
    assert refused.exit_code != 0
    done = runner.invoke(
        cli,
        [
            "archive",
            "file",
            str(letter["letter_id"]),
            "--as",
            "records",
            "--file-code",
            "01.01",
            "--class",
            "routine",
            "--location",
            "ตู้ ๑",
        ],
    )
    assert done.exit_code == 0, done.output
    assert "kept until 2568" in done.output
    items = runner.invoke(cli, ["archive", "items", "--as", "records"])
    assert items.exit_code == 0 and "ขอเชิญประชุมผู้บริหารสถานศึกษา" in items.output and "1 item(s)" in items.output
    out = tmp_path / "storage.pdf"
    printed = runner.invoke(cli, ["archive", "storage-list", "--as", "records", "--out", str(out)])
    assert printed.exit_code == 0, printed.output
    assert out.read_bytes().startswith(b"%PDF")
    overdue = runner.invoke(cli, ["archive", "overdue", "--as", "records"])
    assert overdue.exit_code == 0 and "0 overdue loan(s)" in overdue.output
    # the list is drawn up only inside the window: today (the system clock) decides
    listed = runner.invoke(cli, ["archive", "destruction-list", "--as", "records"])
    today = date.today()
    if today.month <= 2 or (today.month == 3 and today.day == 1):
        assert listed.exit_code == 0, listed.output
    else:
        assert listed.exit_code != 0
