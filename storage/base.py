"""The one small interface every object store offers, and the key rule they share."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import BinaryIO, Protocol

from storage.staging import StagedFile

CHUNK_SIZE = 1 << 20

_SHA256 = re.compile(r"[0-9a-f]{64}")


def check_key(sha256: str) -> str:
    """A key is 64 lowercase hex digits and nothing else, so no caller can reach outside the store."""
    if not isinstance(sha256, str) or _SHA256.fullmatch(sha256) is None:
        raise ValueError(f"not a lowercase hex sha256: {sha256!r}")
    return sha256


def is_key(name: str) -> bool:
    return _SHA256.fullmatch(name) is not None


class ObjectStore(Protocol):
    """Content-addressed storage: every object lives under the sha256 of its bytes."""

    def put(self, staged: StagedFile) -> None:
        """Store under staged.sha256; idempotent, atomic, streamed from disk."""
        ...

    def put_bytes(self, data: bytes) -> str:
        """Store a small derived file; returns its sha256."""
        ...

    def open(self, sha256: str) -> AbstractContextManager[BinaryIO]:
        """A streaming reader; raises ObjectMissing."""
        ...

    def iter_chunks(self, sha256: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        """The bytes in chunks; raises ObjectMissing (at the call, not at the first chunk)."""
        ...

    def size(self, sha256: str) -> int | None:
        """The stored size, or None when absent."""
        ...

    def exists(self, sha256: str) -> bool: ...

    def keys(self) -> Iterator[str]:
        """Every stored sha256."""
        ...

    def hash_of(self, sha256: str) -> str:
        """The sha256 of the bytes actually stored, re-read in full (fixity check); raises ObjectMissing."""
        ...

    def local_path(self, sha256: str) -> AbstractContextManager[Path]:
        """A local file holding the bytes, for tools that need a path; treat it as read-only."""
        ...

    def delete(self, sha256: str) -> None:
        """Remove the object; idempotent."""
        ...

    def describe(self) -> str: ...
