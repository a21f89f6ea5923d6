"""Overlaying a PDF: boxes drawn over any of its pages in one incremental update written by hand and appended to
the original, which is copied in chunks, never held in memory (the receive stamp is one such box on page 1)."""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, PdfObject

from service.pdf.drawing import BoxDrawing, TextBox, thai_fonts
from service.pdf.geometry import MM, Matrix, Rect, _frame
from service.pdf.placement import Anchor, choose_rect
from service.pdf.reading import InvalidPdf, _reader
from service.pdf.text import FontUse, Sink, pdf_number, write_font

COPY_CHUNK = 1 << 20
"""The original is copied to the stamped copy in pieces of this many bytes."""


class Writer(Protocol):
    """Where an overlaid (stamped) copy is written: an open binary file, a BytesIO, a ``storage.Staging``."""

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


@dataclass(frozen=True)
class Overlay:
    """A box to lay over page ``page`` (0-based) of a PDF near ``anchor``, at least ``margin_pt`` from the edge of
    the page as displayed. To go under a box placed earlier in the same call (a director's instruction under the
    receive stamp), set ``below_previous``; under a box of an earlier call, ``Anchor.below(its rect)`` (see
    :class:`Placed`)."""

    drawing: TextBox
    page: int = 0
    anchor: Anchor = Anchor.TOP_RIGHT
    margin_pt: float = 8.0 * MM
    below_previous: bool = False
    """Go under the overlay placed just before this one on the same page (``anchor`` is then ignored)."""


@dataclass(frozen=True)
class Placed:
    """What :func:`overlay_pdf_to` wrote: the number of bytes, and where each overlay went (page index and
    display-space rectangle, in the order given)."""

    length: int
    rects: tuple[tuple[int, Rect], ...]


@dataclass
class _PageWork:
    page: Any
    fonts: dict[str, FontUse]
    boxes: list[tuple[BoxDrawing, Matrix]] = field(default_factory=list)


def _plan(reader: PdfReader, overlays: Sequence[Overlay]) -> tuple[dict[int, _PageWork], list[tuple[int, Rect]]]:
    """Each overlay laid out and placed; the boxes of one page share their fonts and avoid each other."""
    count = len(reader.pages)
    work: dict[int, _PageWork] = {}
    placed: list[tuple[int, Rect]] = []
    on_page: dict[int, list[Rect]] = {}
    for overlay in overlays:
        if not 0 <= overlay.page < count:
            raise ValueError(f"page index {overlay.page} is outside the document's {count} pages")
        todo = work.get(overlay.page)
        if todo is None:
            todo = work[overlay.page] = _PageWork(reader.pages[overlay.page], thai_fonts())
        drawing = BoxDrawing(overlay.drawing, todo.fonts)
        taken = on_page.setdefault(overlay.page, [])
        anchor = overlay.anchor
        if overlay.below_previous:
            if not taken:
                raise ValueError("below_previous needs an earlier overlay on the same page")
            anchor = Anchor.below(taken[-1])
        rect = choose_rect(todo.page, drawing.size, anchor, margin=overlay.margin_pt, avoid=taken)
        taken.append(rect)
        placed.append((overlay.page, rect))
        todo.boxes.append((drawing, _frame(todo.page).placement_ctm(rect[0], rect[1])))
    return work, placed


def _overlay_update(original: BinaryIO, length: int, reader: PdfReader, work: dict[int, _PageWork]) -> bytes:
    """The incremental update drawing each page's boxes on it (each with its matrix: box space → user space)."""
    known = [n for by_gen in reader.xref.values() for n in by_gen]
    known += list(reader.xref_objStm)
    sink = Sink(max([int(reader.trailer.get("/Size", 0)), *(n + 1 for n in known)]))
    for index in sorted(work):
        _page_update(reader, sink, index, work[index])
    return _incremental_update(original, length, reader, sink)


def _page_update(reader: PdfReader, sink: Sink, index: int, todo: _PageWork) -> None:
    """Page ``index`` again, in ``sink``: its own content streams wrapped in q/Q, then its boxes."""
    page = todo.page
    ref = page.indirect_reference
    if ref is None:
        raise InvalidPdf(f"page {index + 1} is not an indirect object")

    new_page = DictionaryObject(page)
    resources_ref = page.get("/Resources")
    resources = DictionaryObject(resources_ref.get_object()) if resources_ref is not None else DictionaryObject()
    fonts_ref = resources.get("/Font")
    fonts = DictionaryObject(fonts_ref.get_object()) if fonts_ref is not None else DictionaryObject()
    names: dict[str, str] = {}
    for key, use in todo.fonts.items():
        if not use.cids:
            continue
        number = write_font(use, sink)
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
    drawn = b"\nQ\n" + b"".join(
        b"q %s cm\n" % b" ".join(map(pdf_number, ctm)) + drawing.content(names) + b"Q\n" for drawing, ctm in todo.boxes
    )
    boxes = sink.stream(b"", drawn)
    new_page[NameObject("/Contents")] = ArrayObject(
        [IndirectObject(before, 0, reader), *parts, IndirectObject(boxes, 0, reader)]
    )
    sink.put(_serialise(new_page), ref.idnum, ref.generation)


ENCRYPTED_MAX_BYTES = 64 * 1024 * 1024


def overlay_pdf_to(
    src: Path,
    dst: Writer,
    overlays: Sequence[Overlay],
    *,
    tmp_dir: Path | None = None,
) -> Placed:
    """Write ``src`` with ``overlays`` drawn over its pages to ``dst``: the original bytes, copied in chunks, then
    one incremental update (``src`` is a prefix of what is written; pages without overlays are untouched).

    An encrypted PDF that opens without a password (an owner password only: "no editing" restrictions, common
    on issued letters) cannot take an incremental update without encrypting its new objects with the file's
    key; its copy is made from a decrypted rewrite instead (in ``tmp_dir``, up to ``ENCRYPTED_MAX_BYTES``, since
    the rewrite holds the document). The original is kept as it is either way.

    Memory does not grow with the file: pypdf reads the cross-reference sections, the pages overlaid and what
    they use lazily from the open file (only a damaged cross-reference table, which pypdf rebuilds by scanning,
    makes it read the whole file), and the update holds those pages' dictionaries and the boxes' own objects.
    Nothing is written before the update is ready, so a PDF that cannot take the overlays raises InvalidPdf with
    ``dst`` untouched.
    """
    with src.open("rb") as original:
        length = original.seek(0, os.SEEK_END)
        original.seek(0)
        reader = _reader(original)
        if reader.is_encrypted:
            return _overlay_decrypted(reader, length, dst, overlays, tmp_dir=tmp_dir)
        work, placed = _plan(reader, overlays)
        try:
            update = _overlay_update(original, length, reader, work)
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
    return Placed(length + len(update), tuple(placed))


def _overlay_decrypted(
    reader: PdfReader, length: int, dst: Writer, overlays: Sequence[Overlay], *, tmp_dir: Path | None
) -> Placed:
    """The overlays on a decrypted rewrite of an encrypted PDF that ``reader`` has opened (with the empty
    password)."""
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
        return overlay_pdf_to(plain, dst, overlays)


def overlay_pdf(src: Path, overlays: Sequence[Overlay]) -> bytes:
    """``src`` with ``overlays``, as bytes (``src`` is a prefix of the result): for small files;
    :func:`overlay_pdf_to` writes a copy of any size without holding it."""
    out = io.BytesIO()
    overlay_pdf_to(src, out, overlays)
    return out.getvalue()
