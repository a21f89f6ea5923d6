"""Stamping a PDF: page 1 gets the stamp in an incremental update written by hand and appended to the original,
which is copied in chunks, never held in memory."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, PdfObject

from service.pdf.drawing import _StampDrawing
from service.pdf.geometry import Matrix, _frame
from service.pdf.layout import DEFAULT_LAYOUT, ReceiveStamp, StampLayout
from service.pdf.placement import choose_stamp_rect
from service.pdf.reading import InvalidPdf, _reader
from service.pdf.text import Sink, pdf_number

COPY_CHUNK = 1 << 20
"""The original is copied to the stamped copy in pieces of this many bytes."""


class Writer(Protocol):
    """Where a stamped copy is written: an open binary file, a BytesIO, a ``storage.Staging``."""

    def write(self, data: bytes, /) -> object: ...


def _serialise(obj: PdfObject) -> bytes:
    buf = io.BytesIO()
    obj.write_to_stream(buf)
    return buf.getvalue()


def _unique_name(taken: Any, base: str) -> str:
    k = 1
    while f"{base}{k}" in taken:
        k += 1
    return f"{base}{k}"


def _peek(original: BinaryIO, at: int, count: int) -> bytes:
    original.seek(max(at, 0))
    return original.read(count)


def _incremental_update(original: BinaryIO, length: int, reader: PdfReader, sink: Sink) -> bytes:
    """The bytes to append to ``original`` (an open file of ``length`` bytes) so that ``sink``'s objects replace or
    join the document's.

    The cross-reference section is a table when the document's last one is a table, else a stream. Of the
    original, only its last byte and the start of its last cross-reference section are read here.
    """
    prev = reader._startxref
    trailer = reader.trailer
    # the references as they are (pypdf's raw_get raises KeyError for a missing key: /Info is optional)
    root = trailer.raw_get("/Root") if "/Root" in trailer else None
    if root is None:
        raise InvalidPdf("the PDF has no document catalog")
    entries = [b"/Root " + _serialise(root), b"/Prev %d" % prev]
    info = trailer.raw_get("/Info") if "/Info" in trailer else None
    ids = trailer.get("/ID")
    if info is not None:
        entries.append(b"/Info " + _serialise(info))
    if ids is not None:
        entries.append(b"/ID " + _serialise(ids.get_object()))
    out = bytearray(b"" if _peek(original, length - 1, 1) in (b"\n", b"\r") else b"\n")
    base = length
    offsets: dict[int, tuple[int, int]] = {}
    for number, generation, body in sink.objects:
        offsets[number] = (base + len(out), generation)
        out += b"%d %d obj\n" % (number, generation) + body + b"\nendobj\n"
    classic = _peek(original, prev, 4) == b"xref"
    xref_at = base + len(out)
    size = sink.next_id
    if not classic:
        offsets[size] = (xref_at, 0)  # the cross-reference stream's own entry
        size += 1
    numbers = sorted(offsets)
    runs: list[list[int]] = []
    for number in numbers:
        if runs and runs[-1][-1] == number - 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    entries.insert(0, b"/Size %d" % size)
    if classic:
        out += b"xref\n"
        for run in runs:
            out += b"%d %d\n" % (run[0], len(run))
            out += b"".join(b"%010d %05d n\r\n" % offsets[number] for number in run)
        out += b"trailer\n<<" + b" ".join(entries) + b">>\n"
    else:
        width = max(4, (xref_at.bit_length() + 7) // 8)
        rows = b"".join(
            b"\x01" + offsets[number][0].to_bytes(width, "big") + offsets[number][1].to_bytes(2, "big")
            for number in numbers
        )
        index = b" ".join(b"%d %d" % (run[0], len(run)) for run in runs)
        out += b"%d 0 obj\n<</Type /XRef /W [1 %d 2] /Index [%s] %s /Length %d>>\nstream\n" % (
            size - 1,
            width,
            index,
            b" ".join(entries),
            len(rows),
        )
        out += rows + b"\nendstream\nendobj\n"
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def _stamp_update(
    original: BinaryIO, length: int, reader: PdfReader, page: Any, ctm: Matrix, drawing: _StampDrawing
) -> bytes:
    """The incremental update drawing ``drawing`` on ``page`` with ``ctm`` (stamp space → user space)."""
    ref = page.indirect_reference
    if ref is None:
        raise InvalidPdf("page 1 is not an indirect object")
    known = [n for by_gen in reader.xref.values() for n in by_gen]
    known += list(reader.xref_objStm)
    sink = Sink(max([int(reader.trailer.get("/Size", 0)), *(n + 1 for n in known)]))

    new_page = DictionaryObject(page)
    resources_ref = page.get("/Resources")
    resources = DictionaryObject(resources_ref.get_object()) if resources_ref is not None else DictionaryObject()
    fonts_ref = resources.get("/Font")
    fonts = DictionaryObject(fonts_ref.get_object()) if fonts_ref is not None else DictionaryObject()
    names: dict[str, str] = {}
    for key, number in drawing.write_fonts(sink).items():
        names[key] = _unique_name(fonts, "/SarabanStamp")
        fonts[NameObject(names[key])] = IndirectObject(number, 0, reader)
    resources[NameObject("/Font")] = fonts
    new_page[NameObject("/Resources")] = resources

    parts: list[PdfObject] = []
    contents = page.get("/Contents")
    if contents is not None:
        resolved = contents.get_object()
        listed = list(resolved) if isinstance(resolved, ArrayObject) else [contents]
        for part in listed:
            if isinstance(part, IndirectObject):
                parts.append(part)
            else:  # a direct stream (not allowed, but seen): give it a number of its own
                parts.append(IndirectObject(sink.put(_serialise(part)), 0, reader))
    before = sink.stream(b"", b"q\n", compress=False)
    stamp = sink.stream(b"", b"\nQ\nq %s cm\n" % b" ".join(map(pdf_number, ctm)) + drawing.content(names) + b"Q\n")
    new_page[NameObject("/Contents")] = ArrayObject(
        [IndirectObject(before, 0, reader), *parts, IndirectObject(stamp, 0, reader)]
    )
    sink.put(_serialise(new_page), ref.idnum, ref.generation)
    return _incremental_update(original, length, reader, sink)


ENCRYPTED_MAX_BYTES = 64 * 1024 * 1024


def stamp_pdf_to(
    src: Path,
    dst: Writer,
    stamp: ReceiveStamp,
    layout: StampLayout = DEFAULT_LAYOUT,
    *,
    tmp_dir: Path | None = None,
) -> int:
    """Write ``src`` with the receive stamp on page 1 to ``dst``: the original bytes, copied in chunks, then the
    incremental update (``src`` is a prefix of what is written). Returns the number of bytes written.

    An encrypted PDF that opens without a password (an owner password only: "no editing" restrictions, common
    on issued letters) cannot take an incremental update without encrypting its new objects with the file's
    key; its stamped copy is made from a decrypted rewrite instead (in ``tmp_dir``, up to
    ``ENCRYPTED_MAX_BYTES``, since the rewrite holds the document). The original is kept as it is either way.

    Memory does not grow with the file: pypdf reads the cross-reference sections, page 1 and what page 1 uses
    lazily from the open file (only a damaged cross-reference table, which pypdf rebuilds by scanning, makes it
    read the whole file), and the update holds page 1's dictionary and the stamp's own objects. Nothing is
    written before the update is ready, so a PDF that cannot be stamped raises InvalidPdf with ``dst`` untouched.
    """
    with src.open("rb") as original:
        length = original.seek(0, os.SEEK_END)
        original.seek(0)
        reader = _reader(original)
        if reader.is_encrypted:
            return _stamp_decrypted(reader, length, dst, stamp, layout, tmp_dir=tmp_dir)
        drawing = _StampDrawing(stamp, layout)
        page = reader.pages[0]
        rect = choose_stamp_rect(page, layout)
        frame = _frame(page)
        try:
            update = _stamp_update(original, length, reader, page, frame.placement_ctm(rect[0], rect[1]), drawing)
        except InvalidPdf:
            raise
        except Exception as exc:
            raise InvalidPdf(f"cannot stamp the PDF: {exc}") from exc
        original.seek(0)
        left = length
        while left:
            chunk = original.read(min(COPY_CHUNK, left))
            if not chunk:
                raise OSError(f"{src} became shorter while it was being stamped")
            dst.write(chunk)
            left -= len(chunk)
    dst.write(update)
    return length + len(update)


def _stamp_decrypted(
    reader: PdfReader, length: int, dst: Writer, stamp: ReceiveStamp, layout: StampLayout, *, tmp_dir: Path | None
) -> int:
    """The stamp on a decrypted rewrite of an encrypted PDF that ``reader`` has opened (with the empty password)."""
    if length > ENCRYPTED_MAX_BYTES:
        raise InvalidPdf(
            f"an encrypted PDF above {ENCRYPTED_MAX_BYTES // (1024 * 1024)} MB is not rewritten for the stamp"
        )
    try:
        writer = PdfWriter(clone_from=reader)
    except Exception as exc:
        raise InvalidPdf(f"cannot decrypt the PDF for the stamp: {exc}") from exc
    with tempfile.TemporaryDirectory(dir=tmp_dir) as tmp:
        plain = Path(tmp) / "decrypted.pdf"
        with plain.open("wb") as out:
            writer.write(out)
        return stamp_pdf_to(plain, dst, stamp, layout)


def stamp_pdf(src: Path, stamp: ReceiveStamp, layout: StampLayout = DEFAULT_LAYOUT) -> bytes:
    """``src`` with the receive stamp on page 1, as bytes (``src`` is a prefix of the result): for small files;
    :func:`stamp_pdf_to` writes a stamped copy of any size without holding it."""
    out = io.BytesIO()
    stamp_pdf_to(src, out, stamp, layout)
    return out.getvalue()
