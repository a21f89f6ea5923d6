"""``saraban verify`` (acceptance): run the real command line on a real store and check its verdict.

The command reads SARABAN_* from the environment, the way an operator runs it; it runs in this process
(tests/cli.py). The installed console script itself is started once, in a process of its own.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.context import Saraban
from tests.cli import run_saraban
from tests.conftest import MakeSaraban, login, registry_id
from tests.samples import thai_letter_pdf

FILENAME = "หนังสือเชิญประชุม.pdf"


def saraban_command() -> list[str]:
    """The installed console script next to this interpreter, else the same entry point through -c."""
    script = Path(sys.executable).parent / "saraban"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    found = shutil.which("saraban")
    if found:
        return [found]
    return [sys.executable, "-c", "from service.cli import main; main()"]


@dataclass
class Run:
    code: int
    out: str


def verify(app: Saraban, cwd: Path, *args: str) -> Run:
    env = {
        "SARABAN_DATA_DIR": str(app.settings.data_dir.resolve()),
        "SARABAN_DATABASE_URL": "",
        "SARABAN_STORE": "local",
        "COLUMNS": "400",  # rich wraps long lines at 80 columns otherwise
        "NO_COLOR": "1",
    }
    p = run_saraban(["verify", *args], env=env, cwd=cwd)
    return Run(p.returncode, p.stdout + p.stderr)


def test_the_installed_command_starts(tmp_path: Path) -> None:
    """The console script an operator types (``[project.scripts]``) imports and reaches the command line."""
    p = subprocess.run(
        [*saraban_command(), "--help"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"},
    )
    assert p.returncode == 0, p.stdout + p.stderr
    assert "verify" in p.stdout and "audit" in p.stdout


@dataclass
class Registered:
    app: Saraban
    attachment_id: int
    letter_id: int
    sha256: str
    stamped_sha256: str

    def object_path(self, sha: str) -> Path:
        return self.app.settings.store_path / sha[:2] / sha[2:4] / sha


@pytest.fixture
def registered(make_saraban: MakeSaraban) -> Registered:
    app = make_saraban()
    with TestClient(create_app(app)) as client:
        h = login(client, "central")
        reg = registry_id(client, h, "central")
        meta = {"sender": "สพฐ.", "subject": "เชิญประชุม"}
        r = client.post(
            f"/api/v1/registries/{reg}/receive",
            headers=h,
            files=[
                ("meta", (None, json.dumps(meta))),
                ("files", (FILENAME, thai_letter_pdf(pages=2), "application/pdf")),
            ],
        )
        assert r.status_code == 201, r.text
        body = r.json()
    att = body["attachments"][0]
    assert att["stamped_sha256"]
    return Registered(app, att["id"], body["letter_id"], att["sha256"], att["stamped_sha256"])


def _writable(path: Path) -> None:
    assert path.is_file()
    path.chmod(0o644)


def test_fresh_store_is_clean(registered: Registered, tmp_path: Path) -> None:
    assert registered.object_path(registered.sha256).is_file()
    run = verify(registered.app, tmp_path)
    assert run.code == 0, run.out
    assert "checked 2 object(s): 0 problem(s), 0 orphan(s)" in run.out
    assert "PROBLEM" not in run.out


@pytest.mark.parametrize("how", ["same-size", "truncated"])
def test_altered_original_is_named(registered: Registered, tmp_path: Path, how: str) -> None:
    path = registered.object_path(registered.sha256)
    _writable(path)
    data = bytearray(path.read_bytes())
    if how == "same-size":
        data[len(data) // 2] ^= 0xFF  # one flipped byte: only a full re-hash notices
    else:
        del data[-100:]
    path.write_bytes(bytes(data))

    run = verify(registered.app, tmp_path)
    assert run.code != 0, run.out
    problems = [line for line in run.out.splitlines() if "PROBLEM" in line]
    assert len(problems) == 1, run.out
    line = problems[0]
    assert f"attachment {registered.attachment_id}" in line
    assert FILENAME in line
    assert registered.sha256 in line
    assert ("altered" if how == "same-size" else "bytes") in line
    assert "1 problem(s)" in run.out


def test_altered_stamped_copy_is_named(registered: Registered, tmp_path: Path) -> None:
    path = registered.object_path(registered.stamped_sha256)
    _writable(path)
    data = bytearray(path.read_bytes())
    data[10] ^= 0x01
    path.write_bytes(bytes(data))
    run = verify(registered.app, tmp_path)
    assert run.code != 0, run.out
    [line] = [ln for ln in run.out.splitlines() if "PROBLEM" in ln]
    assert f"of attachment {registered.attachment_id}" in line and "stamped" in line


def test_missing_object_is_named(registered: Registered, tmp_path: Path) -> None:
    registered.object_path(registered.sha256).unlink()
    run = verify(registered.app, tmp_path)
    assert run.code != 0, run.out
    [line] = [ln for ln in run.out.splitlines() if "PROBLEM" in ln]
    assert f"attachment {registered.attachment_id}" in line
    assert FILENAME in line
    assert "missing" in line


def test_orphan_is_listed_but_not_a_failure(registered: Registered, tmp_path: Path) -> None:
    extra = b"%PDF-1.4\n% nobody refers to this file\n%%EOF\n"
    sha = hashlib.sha256(extra).hexdigest()
    path = registered.object_path(sha)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(extra)
    run = verify(registered.app, tmp_path)
    assert run.code == 0, run.out
    orphans = [ln for ln in run.out.splitlines() if "orphan" in ln and sha in ln]
    assert len(orphans) == 1, run.out
    assert "0 problem(s), 1 orphan(s)" in run.out


def test_missing_stamped_copy_is_repaired(registered: Registered, tmp_path: Path) -> None:
    """`verify --repair` promises to re-create missing stamped copies; the original is intact, so it can."""
    registered.object_path(registered.stamped_sha256).unlink()
    assert verify(registered.app, tmp_path).code != 0
    run = verify(registered.app, tmp_path, "--repair")
    assert run.code == 0, run.out
    assert verify(registered.app, tmp_path).code == 0


def test_main_document_above_the_stamp_ceiling_is_stamped_by_repair(make_saraban: MakeSaraban, tmp_path: Path) -> None:
    """Above SARABAN_STAMP_MAX_MB the request registers and keeps the document unstamped; `verify --repair` (which
    streams the stamped copy to the store like the request does) stamps it."""
    app = make_saraban(stamp_max_mb=0)
    pdf = thai_letter_pdf(pages=2)
    with TestClient(create_app(app)) as client:
        h = login(client, "central")
        reg = registry_id(client, h, "central")
        meta = {"sender": "สพฐ.", "subject": "เชิญประชุม"}
        r = client.post(
            f"/api/v1/registries/{reg}/receive",
            headers=h,
            files=[("meta", (None, json.dumps(meta))), ("files", (FILENAME, pdf, "application/pdf"))],
        )
        assert r.status_code == 201, r.text
        att = r.json()["attachments"][0]
        assert att["stamped_id"] is None
        assert client.get(f"/api/v1/attachments/{att['id']}/stamped", headers=h).status_code == 404

        run = verify(app, tmp_path, "--repair")
        assert run.code == 0, run.out
        assert "re-stamped 1 attachment(s)" in run.out
        stamped = client.get(f"/api/v1/attachments/{att['id']}/stamped", headers=h)
        assert stamped.status_code == 200, stamped.text
        assert stamped.content.startswith(pdf) and len(stamped.content) > len(pdf)
        assert hashlib.sha256(stamped.content).hexdigest() != att["sha256"]
    run = verify(app, tmp_path)
    assert run.code == 0 and "checked 2 object(s): 0 problem(s), 0 orphan(s)" in run.out, run.out
    assert not list(app.tmp_dir.glob("staged-*")), "the staged stamped copy is left behind"
