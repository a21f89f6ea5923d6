"""Object storage in a local directory (the embedded default): root/ab/cd/<sha256>."""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from storage.base import CHUNK_SIZE, check_key, is_key
from storage.errors import ObjectMissing, StorageError
from storage.staging import StagedFile

_TMP_PREFIX = ".incoming-"


class LocalStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, sha256: str) -> Path:
        check_key(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, staged: StagedFile) -> None:
        target = self._path(staged.sha256)
        if self._stored_size(target) == staged.size:
            return
        with staged.path.open("rb") as source:
            self._write_atomically(target, source, expected_sha256=staged.sha256)

    def put_bytes(self, data: bytes) -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        target = self._path(sha256)
        if self._stored_size(target) != len(data):
            self._write_atomically(target, io.BytesIO(data), expected_sha256=sha256)
        return sha256

    def _write_atomically(self, target: Path, source: BinaryIO, *, expected_sha256: str) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        # The temp file sits next to the target, so os.replace is a rename within one filesystem: readers see
        # either no object or the whole object, never a part of it.
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=_TMP_PREFIX)
        tmp = Path(name)
        try:
            digest = hashlib.sha256()
            with os.fdopen(fd, "wb") as out:
                while chunk := source.read(CHUNK_SIZE):
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if digest.hexdigest() != expected_sha256:
                raise StorageError(
                    f"the staged bytes hash to {digest.hexdigest()}, not {expected_sha256}: refusing to store them"
                )
            tmp.chmod(0o444)
            tmp.replace(target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _fsync_dir(target.parent)

    @staticmethod
    def _stored_size(path: Path) -> int | None:
        try:
            return path.stat().st_size
        except FileNotFoundError:
            return None

    @contextmanager
    def open(self, sha256: str) -> Iterator[BinaryIO]:
        path = self._path(sha256)
        try:
            f = path.open("rb")
        except FileNotFoundError:
            raise ObjectMissing(sha256) from None
        with f:
            yield f

    def iter_chunks(self, sha256: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        path = self._path(sha256)
        if not path.is_file():
            raise ObjectMissing(sha256)
        return self._chunks(path, sha256, chunk_size)

    @staticmethod
    def _chunks(path: Path, sha256: str, chunk_size: int) -> Iterator[bytes]:
        try:
            f = path.open("rb")
        except FileNotFoundError:
            raise ObjectMissing(sha256) from None
        with f:
            while chunk := f.read(chunk_size):
                yield chunk

    def size(self, sha256: str) -> int | None:
        return self._stored_size(self._path(sha256))

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).is_file()

    def keys(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for first in sorted(self.root.iterdir()):
            if len(first.name) != 2 or not first.is_dir():
                continue
            for second in sorted(first.iterdir()):
                if len(second.name) != 2 or not second.is_dir():
                    continue
                for item in sorted(second.iterdir()):
                    name = item.name
                    in_place = name[:2] == first.name and name[2:4] == second.name
                    if is_key(name) and in_place and item.is_file():
                        yield name

    def hash_of(self, sha256: str) -> str:
        digest = hashlib.sha256()
        with self.open(sha256) as f:
            while chunk := f.read(CHUNK_SIZE):
                digest.update(chunk)
        return digest.hexdigest()

    @contextmanager
    def local_path(self, sha256: str) -> Iterator[Path]:
        path = self._path(sha256)
        if not path.is_file():
            raise ObjectMissing(sha256)
        yield path

    def delete(self, sha256: str) -> None:
        path = self._path(sha256)
        path.unlink(missing_ok=True)

    def describe(self) -> str:
        return f"local:{self.root}"


def _fsync_dir(path: Path) -> None:
    # Makes the rename itself durable; not every platform lets a directory be opened.
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
