"""Issue 10, findings 2 and 5 against a real server process (its RSS measured with psutil): a small PDF whose page 1
is a flate bomb of path operators and a 164 KB PNG of 13000 × 13000 pixels are answered within 2 s with the
server growing by at most 64 MB, and registered unstamped as too complex; the auditor's 2,400 × 256 KiB form fields
are refused with 403 before the body is read, without the server growing.

On main the PDF took 37 s and +977 MB, the PNG 13.5 s and +2.4 GB, the fields 1.6 s and +600 MB.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from service.demo import DEMO_PASSWORD
from tests.bombs import flate_bomb_pdf, pixel_bomb_png
from tests.conftest import DatabaseTemplates
from tests.samples import thai_letter_pdf
from tests.serveproc import ServeProcess

ROOT = Path(__file__).resolve().parents[2]
MB = 1024 * 1024


class ServerProcess(ServeProcess):
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        env = {**os.environ, "SARABAN_DATA_DIR": str(data_dir), "SARABAN_DATABASE_URL": "", "SARABAN_OCR": "off"}
        super().__init__([sys.executable, "-m", "service", "serve"], env=env, cwd=ROOT, log=data_dir / "server.log")
        self.healthy()
        self.process = psutil.Process(self.proc.pid)

    def rss(self) -> int:
        return int(self.process.memory_info().rss)


class Peak:
    """The server's highest RSS while the block runs (sampled every 5 ms)."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.base = server.rss()
        self.peak = self.base
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(psutil.Error):
                self.peak = max(self.peak, self.server.rss())
            time.sleep(0.005)

    def __enter__(self) -> Peak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.server.rss())

    @property
    def growth(self) -> int:
        return self.peak - self.base


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, database_templates: DatabaseTemplates) -> Iterator[ServerProcess]:
    data_dir = tmp_path_factory.mktemp("bombs")
    database_templates.copy_sqlite(data_dir)
    (data_dir / "tmp").mkdir()
    left = data_dir / "tmp" / "staged-killed.part"
    left.write_bytes(b"x" * 4096)  # what a kill -9 during an upload left, a little before the restart
    os.utime(left, (time.time() - 5, time.time() - 5))
    with ServerProcess(data_dir) as s:
        yield s


def _token(server: ServerProcess, user: str) -> dict[str, str]:
    r = httpx.post(f"{server.url}/api/v1/auth/token", data={"username": user, "password": DEMO_PASSWORD}, timeout=30)
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _central_registry(server: ServerProcess, headers: dict[str, str]) -> int:
    regs = httpx.get(f"{server.url}/api/v1/registries", headers=headers, timeout=30).json()
    return int(next(r["id"] for r in regs if r["code"] == "central"))


def _receive(
    server: ServerProcess, headers: dict[str, str], name: str, data: bytes, ctype: str, reg: int | None = None
) -> httpx.Response:
    meta = {"sender": "ผู้ส่ง", "subject": f"ทดสอบ {name}", "letter_type": "external", "channel": "paper"}
    reg = reg if reg is not None else _central_registry(server, headers)
    return httpx.post(
        f"{server.url}/api/v1/registries/{reg}/receive",
        headers=headers,
        data={"meta": json.dumps(meta, ensure_ascii=False)},
        files=[("files", (name, data, ctype))],
        timeout=120,
    )


@pytest.fixture(scope="module")
def warm(server: ServerProcess) -> dict[str, str]:
    """One ordinary registration first, so that what any upload loads once is in the baseline."""
    headers = _token(server, "central")
    r = _receive(server, headers, "letter.pdf", thai_letter_pdf(pages=1), "application/pdf")
    assert r.status_code == 201, r.text
    assert r.json()["attachments"][0]["stamp_status"] == "stamped"
    return headers


@pytest.mark.parametrize(
    ("name", "make", "ctype"),
    [("bomb.pdf", flate_bomb_pdf, "application/pdf"), ("bomb.png", pixel_bomb_png, "image/png")],
)
def test_a_bomb_is_registered_unstamped_quickly_and_without_memory(
    server: ServerProcess, warm: dict[str, str], name: str, make: object, ctype: str
) -> None:
    data = make()  # type: ignore[operator]
    assert 140_000 < len(data) < 200_000
    reg = _central_registry(server, warm)
    with Peak(server) as peak:
        started = time.monotonic()
        r = _receive(server, warm, name, data, ctype, reg)
        took = time.monotonic() - started
    assert r.status_code == 201, r.text
    att = r.json()["attachments"][0]
    assert att["stamp_status"] == "too_complex"
    assert att["stamped_id"] is None
    assert took < 2.0, f"{name} took {took:.2f} s"
    assert peak.growth <= 64 * MB, f"{name}: the server grew by {peak.growth / MB:.0f} MB"
    # the letter page says so
    letter = httpx.get(f"{server.url}/api/v1/letters/{r.json()['letter_id']}", headers=warm, timeout=30).json()
    assert letter["attachments"][0]["stamp_status_th"] == "ไม่ได้ประทับตรา: เอกสารซับซ้อนเกินไป"


def test_the_auditor_s_fields_are_refused_before_the_body_is_read(server: ServerProcess, warm: dict[str, str]) -> None:
    reg = _central_registry(server, warm)
    auditor = _token(server, "auditor")
    field = b"x" * (256 * 1024)
    boundary = "bombboundary"

    def body() -> Iterator[bytes]:  # chunked: no Content-Length to refuse it by
        for i in range(2400):
            yield (f'--{boundary}\r\nContent-Disposition: form-data; name="f{i}"\r\n\r\n'.encode() + field + b"\r\n")
        yield f"--{boundary}--\r\n".encode()

    with Peak(server) as peak:
        started = time.monotonic()
        r = httpx.post(
            f"{server.url}/api/v1/registries/{reg}/receive",
            headers={**auditor, "Content-Type": f"multipart/form-data; boundary={boundary}"},
            content=body(),
            timeout=60,
        )
        took = time.monotonic() - started
    assert r.status_code == 403, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert took < 2.0
    assert peak.growth <= 16 * MB, f"the server grew by {peak.growth / MB:.0f} MB"


def test_a_staged_file_left_by_a_crash_is_removed_at_start(server: ServerProcess) -> None:
    assert not (server.data_dir / "tmp" / "staged-killed.part").exists()
    assert "removed leftover" in (server.data_dir / "server.log").read_text()
