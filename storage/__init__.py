"""Object storage for attachments: content-addressed (sha256) and streamed in and out.

One small interface (`ObjectStore`) with a local-directory store, the embedded default, and a MinIO/S3 store.
Uploads are staged to a temp file while hashed (`Staging`); their kind is decided from the bytes (`sniff`).
"""

from __future__ import annotations

from pathlib import Path

from storage.base import ObjectStore
from storage.errors import ObjectMissing, SizeLimitExceeded, StorageError
from storage.local import LocalStore
from storage.media import MediaInfo, sniff
from storage.s3 import S3Store
from storage.staging import StagedFile, Staging, stage_bytes, stage_stream

__all__ = [
    "LocalStore",
    "MediaInfo",
    "ObjectMissing",
    "ObjectStore",
    "S3Store",
    "SizeLimitExceeded",
    "StagedFile",
    "Staging",
    "StorageError",
    "open_store",
    "sniff",
    "stage_bytes",
    "stage_stream",
]


def open_store(
    kind: str,
    *,
    root: Path,
    endpoint: str = "",
    access_key: str = "",
    secret_key: str = "",
    bucket: str = "saraban",
    secure: bool = False,
    region: str = "us-east-1",
) -> ObjectStore:
    """The store the settings ask for: "local" (a directory at root) or "s3" (a bucket on endpoint)."""
    if kind == "local":
        return LocalStore(root)
    if kind == "s3":
        return S3Store(
            endpoint=endpoint,
            access_key=access_key,
            secret_key=secret_key,
            bucket=bucket,
            secure=secure,
            region=region,
        )
    raise ValueError(f"unknown object store kind {kind!r} (expected 'local' or 's3')")
