"""The stamp's budgets (issue 10, finding 2): decoded content, operators, pixels (checked before decoding) and time;
over any of them the stamp gives up with ``TooComplex`` instead of reading on."""

from __future__ import annotations

import io
import zlib
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from service.pdf.budget import Budget, TooComplex, metered
from service.receiving.stamp import ReceiveStamp, image_to_pdf, stamp_pdf
from tests.bombs import _pdf, _stream, flate_bomb_pdf, pixel_bomb_png
from tests.samples import letter_png, scanned_letter_pdf, thai_letter_pdf

STAMP = ReceiveStamp("สพป.ขอนแก่น เขต ๕", 12, datetime(2026, 1, 5, 9, 30, tzinfo=ZoneInfo("Asia/Bangkok")))


def _paths_pdf(operations: int, *, compress: bool = True) -> bytes:
    content = b"10 10 m 20 20 l S\n" * (operations // 3)
    data = zlib.compress(content) if compress else content
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << >> /Contents 4 0 R >>",
            _stream(data, b"/Filter /FlateDecode " if compress else b""),
        ]
    )


def _file(tmp_path: Path, data: bytes, name: str) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_an_ordinary_letter_is_within_the_default_budget(tmp_path: Path) -> None:
    src = _file(tmp_path, thai_letter_pdf(pages=2), "letter.pdf")
    with metered():
        assert stamp_pdf(src, STAMP).startswith(src.read_bytes())


def test_the_operator_budget(tmp_path: Path) -> None:
    src = _file(tmp_path, _paths_pdf(30_000), "paths.pdf")
    with metered(Budget(operators=10_000)), pytest.raises(TooComplex, match="operators"):
        stamp_pdf(src, STAMP)
    with metered(Budget(operators=40_000)):
        stamp_pdf(src, STAMP)


def test_the_content_budget_counts_decoded_bytes(tmp_path: Path) -> None:
    src = _file(tmp_path, _paths_pdf(30_000, compress=False), "plain.pdf")
    with metered(Budget(content_bytes=100_000)), pytest.raises(TooComplex, match="bytes decoded"):
        stamp_pdf(src, STAMP)


def test_the_decompression_budget_stops_a_flate_bomb_early(tmp_path: Path) -> None:
    src = _file(tmp_path, flate_bomb_pdf(20), "bomb.pdf")
    with metered(Budget(content_bytes=1024 * 1024)), pytest.raises(TooComplex, match="decodes to more"):
        stamp_pdf(src, STAMP)


def test_the_time_budget(tmp_path: Path) -> None:
    src = _file(tmp_path, _paths_pdf(3_000), "paths.pdf")
    with metered(Budget(seconds=0.0)), pytest.raises(TooComplex, match="longer than"):
        stamp_pdf(src, STAMP)


def test_the_pixel_budget_is_checked_before_an_image_is_decoded(tmp_path: Path) -> None:
    bomb = _file(tmp_path, pixel_bomb_png(13000), "bomb.png")
    with metered(), pytest.raises(TooComplex, match="13000 × 13000"):
        image_to_pdf(bomb)
    png = _file(tmp_path, letter_png(), "scan.png")
    with Image.open(png) as img:
        pixels = img.width * img.height
    with metered(Budget(pixels=pixels - 1)), pytest.raises(TooComplex):
        image_to_pdf(png)
    with metered(Budget(pixels=pixels)):
        assert image_to_pdf(png).startswith(b"%PDF")


def test_the_pixel_budget_covers_a_scan_inside_a_pdf(tmp_path: Path) -> None:
    src = _file(tmp_path, scanned_letter_pdf(), "scan.pdf")
    with metered(Budget(pixels=10_000)), pytest.raises(TooComplex, match="pixels"):
        stamp_pdf(src, STAMP)
    with metered():
        stamp_pdf(src, STAMP)


def test_a_large_image_s_stamped_copy_is_page_sized(tmp_path: Path) -> None:
    big = Image.new("L", (6000, 4000), 255)
    buf = io.BytesIO()
    big.save(buf, "PNG")
    src = _file(tmp_path, buf.getvalue(), "big.png")
    with metered():
        pdf = image_to_pdf(src)
    assert len(pdf) < 2_000_000
    assert b"/Width 3000" in pdf and b"/DeviceGray" in pdf
