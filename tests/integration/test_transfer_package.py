"""A 2 GB transfer package is written with bounded memory: ``saraban archive package`` in its own process copies the
original from the store in chunks, ``bagit`` hashes it in blocks, and the package validates; the process's peak RSS
is printed, and its growth while writing is bounded. ``SARABAN_TEST_PACKAGE_MB`` sets the size (default 2048)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import bagit
from fastapi.testclient import TestClient
from sqlmodel import select

from service.app import create_app
from service.models import Attachment
from storage import Staging
from tests.archive_kit import complete_journey, file_letters, receive, use_clock
from tests.conftest import MakeSaraban, login
from tests.publicids import internal_id

SIZE_MB = int(os.environ.get("SARABAN_TEST_PACKAGE_MB", "2048"))
GROWTH_LIMIT_MB = 64  # over the process's high-water mark before writing (its imports, the database, the store)


def test_a_2_gb_package_is_written_with_bounded_memory(make_saraban: MakeSaraban, tmp_path: Path) -> None:
    app = make_saraban()
    use_clock(app, date(2026, 1, 10))
    with TestClient(create_app(app)) as client:
        central, records = login(client, "central"), login(client, "records")
        letter = receive(client, central, subject="แผนที่ที่ดินราชพัสดุ", letter_date="๑ มิ.ย. ๒๕๔๘")
        complete_journey(app, letter["letter_id"], date(2005, 7, 1))
        # a big scan attached afterwards, straight into the store (uploads are limited to 50 MB)
        with Staging(app.tmp_dir, limit=sys.maxsize) as staging:
            block = os.urandom(1 << 20)
            for n in range(SIZE_MB):
                staging.write(n.to_bytes(8, "big") + block[8:])
            staged = staging.finish()
        app.store.put(staged)
        staged.path.unlink()
        with app.tx() as uow:
            uow.session.add(
                Attachment(
                    letter_id=internal_id(app, letter["letter_id"]),
                    position=1,
                    filename="scan.bin",
                    sha256=staged.sha256,
                    size=staged.size,
                    media_type="application/octet-stream",
                    created_at=app.clock(),
                )
            )
        assert file_letters(client, records, [letter["letter_id"]], cls="permanent").status_code == 201
        lists = client.post("/api/v1/archive/transfer-lists", headers=records, json={}).json()
        list_id = lists["transfer"]["id"]

    out_dir = tmp_path / "package"
    env = {**os.environ, "SARABAN_DATA_DIR": str(app.settings.data_dir.resolve()), "NO_COLOR": "1", "COLUMNS": "300"}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from service.cli import main; main()",
            "archive",
            "package",
            str(list_id),
            "--as",
            "records",
            "--out",
            str(out_dir),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    peak = re.search(r"peak RSS (\d+) MiB \(before writing (\d+) MiB\)", done.stderr)
    assert peak, done.stderr
    top, before = int(peak.group(1)), int(peak.group(2))
    print(f"\n{SIZE_MB} MB package: peak RSS {top} MiB, {before} MiB before writing it")
    assert top - before < GROWTH_LIMIT_MB
    bag = bagit.Bag(str(out_dir))
    assert bag.is_valid(fast=True)
    manifest = bag.payload_entries()
    big = [p for p, sums in manifest.items() if sums["sha256"] == staged.sha256]
    assert big and (out_dir / big[0]).stat().st_size == SIZE_MB << 20
    with app.tx() as uow:
        assert uow.session.exec(select(Attachment).where(Attachment.sha256 == staged.sha256)).one()
