"""Small files that are expensive to read (issue 10, finding 2), made in memory for the tests and ``bench/bombs.py``.

- :func:`flate_bomb_pdf`: a one-page PDF of about ``kib`` KiB whose page-1 content stream is a flate stream of path
  operators that inflates about a thousand times (150 KiB → ~150 MB of ``m l S`` operators);
- :func:`pixel_bomb_png`: a greyscale PNG of ``side`` × ``side`` pixels of one colour (13000² → ~164 KB, 169
  million pixels);
- :func:`active_pdf`: a small PDF with active content (``/OpenAction`` JavaScript, ``/Launch``, an embedded file).
"""

from __future__ import annotations

import struct
import zlib
from functools import lru_cache

_PATHS = b"10 10 m 500 700 l S 20 20 m 300 400 l 250 10 l f\n"


def _pdf(objects: list[bytes], *, root: int = 1) -> bytes:
    """A PDF of ``objects`` (numbered from 1), with a cross-reference table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, root, xref)
    return bytes(out)


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(data), extra) + data + b"\nendstream"


@lru_cache(maxsize=4)
def flate_bomb_pdf(kib: int = 150) -> bytes:
    """A PDF of about ``kib`` KiB whose page 1 draws ~1000 × that many bytes of paths (made without holding them)."""
    chunk = _PATHS * (1024 * 1024 // len(_PATHS))
    comp = zlib.compressobj(9)
    parts: list[bytes] = []
    size = 0
    while size < kib * 1024 - 600:
        part = comp.compress(chunk)
        parts.append(part)
        size += len(part)
    parts.append(comp.flush())
    content = b"".join(parts)
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << >> /Contents 4 0 R >>",
            _stream(content, b"/Filter /FlateDecode "),
        ]
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


@lru_cache(maxsize=4)
def pixel_bomb_png(side: int = 13000) -> bytes:
    """A black greyscale PNG of ``side`` × ``side`` pixels (13000: ~164 KB holding 169 million pixels)."""
    row = b"\x00" * (side + 1)  # filter type 0, then the pixels
    comp = zlib.compressobj(9)
    rows = row * 64
    parts = [comp.compress(rows) for _ in range(side // 64)]
    parts.append(comp.compress(row * (side % 64)))
    parts.append(comp.flush())
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", b"".join(parts)) + _chunk(b"IEND", b"")


def active_pdf(*, javascript: bool = True, launch: bool = False, embedded: bool = False) -> bytes:
    """A one-page PDF that would run JavaScript when opened (and/or launch a program, carry an embedded file)."""
    content = b"BT /F1 12 Tf 72 720 Td (Hello) Tj ET"
    catalog = b"<< /Type /Catalog /Pages 2 0 R"
    if javascript:
        catalog += b" /OpenAction << /S /JavaScript /JS (app.alert\\('hi'\\);) >>"
    if launch:
        catalog += b" /AA << /O << /S /Launch /F (calc.exe) >> >>"
    if embedded:
        catalog += b" /Names << /EmbeddedFiles << /Names [(a.exe) 6 0 R] >> >>"
    catalog += b" >>"
    objects = [
        catalog,
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        _stream(content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    if embedded:
        objects += [
            b"<< /Type /Filespec /F (a.exe) /EF << /F 7 0 R >> >>",
            _stream(b"MZ not really", b"/Type /EmbeddedFile "),
        ]
    return _pdf(objects)
