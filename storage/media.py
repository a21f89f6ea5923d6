"""What a file is, decided from its bytes alone: a client's file name and declared type are never trusted."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import olefile

SNIFF_BYTES = 8192
PDF_WINDOW = 1024

MEDIA_TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip",
    "rar": "application/vnd.rar",
    "unknown": "application/octet-stream",
}

_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG = b"\xff\xd8\xff"
_GIFS = (b"GIF87a", b"GIF89a")
_RARS = (b"Rar!\x1a\x07\x00", b"Rar!\x1a\x07\x01\x00")
_ZIPS = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header, or the end record of an empty archive
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_EXECUTABLES = (b"MZ", b"\x7fELF")


@dataclass(frozen=True)
class MediaInfo:
    kind: str
    media_type: str


def _info(kind: str) -> MediaInfo:
    return MediaInfo(kind=kind, media_type=MEDIA_TYPES[kind])


def sniff(path: Path) -> MediaInfo:
    with path.open("rb") as f:
        head = f.read(SNIFF_BYTES)
    if head.startswith(b"%PDF-"):
        return _info("pdf")
    if head.startswith(_JPEG):
        return _info("jpeg")
    if head.startswith(_PNG):
        return _info("png")
    if head.startswith(_GIFS):
        return _info("gif")
    if head.startswith(_RARS):
        return _info("rar")
    if head.startswith(_ZIPS):
        return _info(_zip_kind(path))
    if head.startswith(_OLE):
        return _info(_ole_kind(path))
    # Readers accept a PDF header anywhere in the first 1024 bytes, but an executable that also carries one
    # is a polyglot, and we refuse it.
    if head.startswith(_EXECUTABLES):
        return _info("unknown")
    if b"%PDF-" in head[:PDF_WINDOW]:
        return _info("pdf")
    return _info("unknown")


def _zip_kind(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        # The signature without a readable central directory: a truncated or forged archive.
        return "unknown"
    if any(name.startswith("word/") for name in names):
        return "docx"
    if any(name.startswith("xl/") for name in names):
        return "xlsx"
    return "zip"


def _ole_kind(path: Path) -> str:
    try:
        with olefile.OleFileIO(str(path)) as ole:
            if ole.exists("WordDocument"):
                return "doc"
            if ole.exists("Workbook") or ole.exists("Book"):
                return "xls"
    except (OSError, ValueError, EOFError, IndexError, TypeError, KeyError):
        # olefile raises OSError on a malformed container; the rest guard against its less tidy failure modes.
        return "unknown"
    return "unknown"
