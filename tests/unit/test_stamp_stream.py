"""Stamping streams: a PDF far larger than the memory stamping may use is stamped with the original copied in chunks."""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import sys
import tracemalloc
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from service.receiving.stamp import InvalidPdf, ReceiveStamp, stamp_lines, stamp_pdf, stamp_pdf_to
from storage import Staging
from tests.samples import thai_letter_pdf, write_big_pdf

MB = 1 << 20
BIG = 80 * MB
PEAK_LIMIT = 16 * MB
STAMP = ReceiveStamp("สพป.ขอนแก่น เขต ๕", 1754, datetime(2022, 3, 23, 9, 26, tzinfo=ZoneInfo("Asia/Bangkok")))


def sha256_of(path: Path, length: int | None = None) -> str:
    """The sha256 of ``path``'s first ``length`` bytes (all of them by default), read in chunks."""
    digest = hashlib.sha256()
    left = path.stat().st_size if length is None else length
    with path.open("rb") as f:
        while left:
            chunk = f.read(min(left, 4 * MB))
            assert chunk, "file shorter than expected"
            digest.update(chunk)
            left -= len(chunk)
    return digest.hexdigest()


@pytest.fixture(scope="module")
def big_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big.pdf"
    write_big_pdf(path, BIG)
    return path


def test_big_pdf_is_stamped_in_bounded_memory(big_pdf: Path, tmp_path: Path) -> None:
    size = big_pdf.stat().st_size
    small = tmp_path / "small.pdf"
    small.write_bytes(thai_letter_pdf(pages=1))
    stamp_pdf(small, STAMP)  # the font is read once per process: not part of what is measured

    tracemalloc.start()
    try:
        with Staging(tmp_path, limit=sys.maxsize) as staging:
            written = stamp_pdf_to(big_pdf, staging, STAMP)
            staged = staging.finish()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    print(f"stamped {size / MB:.0f} MB with a peak of {peak / MB:.2f} MB of Python allocations")
    assert peak < PEAK_LIMIT, f"peak {peak / MB:.1f} MB while stamping a {size / MB:.0f} MB PDF"

    stamped = staged.path
    assert staged.size == written == stamped.stat().st_size
    assert 0 < written - size < 256 * 1024  # the update: page 1, the stamp's content and its two subset fonts
    assert sha256_of(stamped) == staged.sha256
    assert sha256_of(stamped, size) == sha256_of(big_pdf)  # the original is a byte-for-byte prefix

    with stamped.open("rb") as f:
        reader = PdfReader(f)  # reads lazily from the file too
        assert len(reader.pages) == 1
        text = reader.pages[0].extract_text()
        assert "Big attachment test" in text
        for line in stamp_lines(STAMP):
            assert line in text, (line, text)
        assert "/EmbeddedFiles" in reader.trailer["/Root"]["/Names"]  # (its 80 MB are not read here)
    if shutil.which("pdftotext"):
        out = subprocess.run(
            ["pdftotext", "-f", "1", "-l", "1", "-layout", str(stamped), "-"], capture_output=True, check=True
        ).stdout.decode()
        assert "เลขรับ ๑๗๕๔" in out, out


def test_unstampable_pdf_writes_nothing(tmp_path: Path) -> None:
    """The update is made before any byte is copied: a PDF that cannot be stamped leaves the target empty."""
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.4\nnot really a PDF\n")
    target = tmp_path / "out.pdf"
    with target.open("wb") as out, pytest.raises(InvalidPdf):
        stamp_pdf_to(bad, out, STAMP)
    assert target.stat().st_size == 0


def test_pdf_without_info_is_stamped(tmp_path: Path) -> None:
    """/Info is optional in the trailer: a PDF without one is stamped, and its update has none either."""
    src = tmp_path / "no-info.pdf"
    write_big_pdf(src, 4096)
    data = src.read_bytes()
    assert b"/Info" not in data
    stamped = stamp_pdf(src, STAMP)
    assert stamped.startswith(data)
    update = stamped[len(data) :]
    assert b"/Prev %d" % int(data.rsplit(b"startxref", 1)[1].split()[0]) in update and b"/Info" not in update
    text = PdfReader(io.BytesIO(stamped)).pages[0].extract_text()
    assert "Big attachment test" in text and "เลขรับ ๑๗๕๔" in text
