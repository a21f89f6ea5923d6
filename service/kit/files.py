"""A stored object to hand out: what a download streams."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FileRef:
    """The object's key (its SHA-256), its size and media type, and the file name to offer."""

    sha256: str
    size: int
    media_type: str
    filename: str
