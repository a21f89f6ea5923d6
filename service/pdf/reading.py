"""Opening an incoming PDF with pypdf, lazily from a file, and refusing what is not a readable, unlocked PDF."""

from __future__ import annotations

import io
from pathlib import Path
from typing import BinaryIO

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
