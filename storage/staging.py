"""Receiving an upload into a local temp file while hashing it, without ever holding it whole in memory."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from storage.errors import SizeLimitExceeded, StorageError

HEAD_BYTES = 8192


@dataclass(frozen=True)
class StagedFile:
    path: Path
    sha256: str
    size: int
    head: bytes


class Staging:
    """Receives an upload chunk by chunk into a temp file under tmp_dir while hashing.

    The upload is never held whole in memory, and the limit applies as the bytes arrive.

    After `finish` the temp file belongs to the caller (delete it, or call `discard`, when done with it).
    """

    def __init__(self, tmp_dir: Path, *, limit: int) -> None:
        if limit < 0:
            raise ValueError("limit must not be negative")
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=tmp_dir, prefix="staged-", suffix=".part")
        self._path = Path(name)
        self._file = os.fdopen(fd, "wb")
        self._limit = limit
        self._hash = hashlib.sha256()
        self._size = 0
        self._head = bytearray()
        self._finished = False

    @property
    def path(self) -> Path:
        return self._path

    @property
    def size(self) -> int:
        return self._size

    def write(self, chunk: bytes) -> None:
        if self._file.closed:
            raise StorageError("this staging has already been finished or discarded")
        if not chunk:
            return
        if self._size + len(chunk) > self._limit:
            self.discard()
            raise SizeLimitExceeded(self._limit)
        try:
            self._file.write(chunk)
        except BaseException:
            self.discard()
            raise
        self._hash.update(chunk)
        self._size += len(chunk)
        if len(self._head) < HEAD_BYTES:
            self._head += chunk[: HEAD_BYTES - len(self._head)]

    def finish(self) -> StagedFile:
        if self._file.closed:
            raise StorageError("this staging has already been finished or discarded")
        try:
            # No fsync: a staged file is scratch. The store copies it, checks the hash and makes *that* durable;
            # after a crash the request had not been answered, so nothing refers to the staged bytes.
            self._file.close()
        except BaseException:
            self.discard()
            raise
        self._finished = True
        return StagedFile(path=self._path, sha256=self._hash.hexdigest(), size=self._size, head=bytes(self._head))

    def discard(self) -> None:
        if not self._file.closed:
            self._file.close()
        self._path.unlink(missing_ok=True)

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc: object) -> None:
        # Leaving the block unfinished (an error, an abandoned upload) must not leave a temp file behind.
        if not self._finished:
            self.discard()


def stage_stream(chunks: Iterable[bytes], tmp_dir: Path, *, limit: int) -> StagedFile:
    with Staging(tmp_dir, limit=limit) as staging:
        for chunk in chunks:
            staging.write(chunk)
        return staging.finish()


def stage_bytes(data: bytes, tmp_dir: Path) -> StagedFile:
    return stage_stream([data], tmp_dir, limit=len(data))
