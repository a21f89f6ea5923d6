"""Opening an incoming PDF with pypdf, lazily from a file, and refusing what is not a readable, unlocked PDF."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path
from typing import Any, BinaryIO

from pypdf import PdfReader
from pypdf.errors import PyPdfError


class InvalidPdf(Exception):
    """The file is not a PDF pypdf can read, has no pages, or is encrypted with a password."""


class PasswordProtectedPdf(InvalidPdf):
    """The PDF opens only with a password (a user password): nothing in it can be read or stamped."""


def _reader(data: bytes | BinaryIO) -> PdfReader:
    stream: BinaryIO = io.BytesIO(data) if isinstance(data, bytes) else data
    head = stream.read(1024)
    stream.seek(0)
    if not head.lstrip().find(b"%PDF-") >= 0:
        raise InvalidPdf("not a PDF (no %PDF- header)")
    try:
        reader = PdfReader(stream, strict=False)
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except (PyPdfError, NotImplementedError, ValueError) as exc:
                raise InvalidPdf(f"encrypted PDF cannot be opened: {exc}") from exc
            if not ok:
                raise PasswordProtectedPdf("the PDF is protected with a password")
        count = len(reader.pages)
    except InvalidPdf:
        raise
    except Exception as exc:  # pypdf raises many kinds of errors on garbage
        raise InvalidPdf(f"cannot read the PDF: {exc}") from exc
    if count == 0:
        raise InvalidPdf("the PDF has no pages")
    return reader


def pdf_page_count(src: Path) -> int:
    """The number of pages; raises InvalidPdf when the file is unreadable, empty or password-protected.

    Reads lazily from the file: a large PDF is never loaded whole.
    """
    with src.open("rb") as fh:
        return len(_reader(fh).pages)


_ACTIVE_NAMES = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFiles?)(?=[\s/<>\[\]()%]|$)")
_ACTIVE_KIND = {b"JavaScript": "javascript", b"JS": "javascript", b"Launch": "launch"}
_SCAN_CHUNK = 1 << 20


def active_content(src: Path, *, max_pages: int = 100) -> list[str]:
    """What a PDF would do on its own when opened: ``javascript`` (an /OpenAction or any action of JavaScript, a
    /JS entry), ``launch`` (a /Launch action: run a program), ``embedded_file`` (files carried inside).

    Read from the document's structure (the catalog, its name trees, the actions of the first ``max_pages`` pages
    and their annotations) and from a scan of the raw bytes for the names (uncompressed objects); a PDF that
    cannot be read answers what the scan found.
    """
    found: set[str] = set()
    with src.open("rb") as fh:
        tail = b""
        while chunk := fh.read(_SCAN_CHUNK):
            window = tail + chunk
            for m in _ACTIVE_NAMES.finditer(window):
                name = m.group(1)
                found.add(_ACTIVE_KIND.get(name, "embedded_file"))
            tail = window[-32:]
    with contextlib.suppress(Exception), src.open("rb") as fh:
        reader = _reader(fh)
        root: Any = reader.trailer["/Root"].get_object()
        _action(root.get("/OpenAction"), found)
        _actions(root.get("/AA"), found)
        names: Any = root.get("/Names")
        names = names.get_object() if names is not None else {}
        if "/JavaScript" in names:
            found.add("javascript")
        if "/EmbeddedFiles" in names:
            found.add("embedded_file")
        for page in reader.pages[:max_pages]:
            _actions(page.get("/AA"), found)
            annots = page.get("/Annots")
            for annot in annots.get_object() if annots is not None else []:
                annot = annot.get_object()
                if annot.get("/Subtype") == "/FileAttachment":
                    found.add("embedded_file")
                _action(annot.get("/A"), found)
                _actions(annot.get("/AA"), found)
    return sorted(found)


def _actions(aa: object, found: set[str]) -> None:
    if aa is None:
        return
    aa = aa.get_object()  # type: ignore[attr-defined]
    if isinstance(aa, dict):
        for value in aa.values():
            _action(value, found)


def _action(action: object, found: set[str], depth: int = 0) -> None:
    if action is None or depth > 8:
        return
    action = action.get_object()  # type: ignore[attr-defined]
    if not isinstance(action, dict):
        return  # a destination (an array), not an action
    kind = action.get("/S")
    if kind == "/JavaScript" or "/JS" in action:
        found.add("javascript")
    elif kind == "/Launch":
        found.add("launch")
    elif kind == "/GoToE":
        found.add("embedded_file")
    following = action.get("/Next")
    if following is not None:
        following = following.get_object()
        for nxt in following if isinstance(following, list) else [following]:
            _action(nxt, found, depth + 1)
