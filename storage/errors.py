"""The storage package's errors: one base, so callers can catch everything the store raises."""

from __future__ import annotations


class StorageError(Exception):
    """Anything that went wrong while staging, storing or reading an object."""


class SizeLimitExceeded(StorageError):
    """An upload grew past the configured limit; the partial temp file has already been removed."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the file is larger than the limit of {limit} bytes")
        self.limit = limit


class ObjectMissing(StorageError):
    """No object is stored under the requested sha256."""

    def __init__(self, sha256: str) -> None:
        super().__init__(f"no object stored under {sha256}")
        self.sha256 = sha256
