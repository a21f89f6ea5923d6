"""Object storage in MinIO or any S3 server, through the `minio` client. Keys are the plain sha256 hex."""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, cast
from urllib.parse import urlsplit

import urllib3
from minio import Minio
from minio.error import MinioException, S3Error

from storage.base import CHUNK_SIZE, check_key, is_key
from storage.errors import ObjectMissing, StorageError
from storage.staging import StagedFile

# minio reads a whole part into memory before sending it, and still holds the previous part while it reads
# the next, so a put peaks at about two parts (measured: 10 MiB with 5 MiB parts, 20 MiB with 10 MiB parts)
# whatever the file size. Parts go one at a time: parallel uploads would queue every part in memory.
# 5 MiB is the smallest part S3 allows.
PART_SIZE = 5 * 1024 * 1024

_MISSING_CODES = frozenset({"NoSuchKey", "NoSuchObject", "NotFound"})


class S3Store:
    def __init__(
        self,
        *,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        secure: bool = False,
        region: str = "us-east-1",
        tmp_dir: Path | None = None,
    ) -> None:
        if not endpoint:
            raise ValueError("an S3 store needs an endpoint (host:port)")
        if "://" in endpoint:
            # Accept a URL as well as the host:port the client wants.
            url = urlsplit(endpoint)
            secure = url.scheme == "https"
            endpoint = url.netloc
        self.endpoint = endpoint
        self.bucket = bucket
        self.tmp_dir = tmp_dir
        self._client = Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region)
        try:
            if not self._client.bucket_exists(bucket):
                try:
                    self._client.make_bucket(bucket)
                except S3Error as exc:
                    if exc.code != "BucketAlreadyOwnedByYou":  # another process created it meanwhile
                        raise
        except (MinioException, urllib3.exceptions.HTTPError) as exc:
            raise StorageError(f"cannot open bucket {bucket!r} on {endpoint}: {exc}") from exc

    def put(self, staged: StagedFile) -> None:
        key = check_key(staged.sha256)
        if self.size(key) == staged.size:
            return
        with staged.path.open("rb") as f:
            reader = _HashingReader(f)
            self._upload(key, cast(BinaryIO, reader), staged.size)
        if reader.hexdigest() != staged.sha256 or reader.count != staged.size:
            self.delete(key)
            raise StorageError(
                f"the staged bytes ({reader.count} bytes, sha256 {reader.hexdigest()}) do not match "
                f"{staged.sha256} ({staged.size} bytes): the object was removed again"
            )

    def put_bytes(self, data: bytes) -> str:
        key = hashlib.sha256(data).hexdigest()
        if self.size(key) != len(data):
            self._upload(key, io.BytesIO(data), len(data))
        return key

    def _upload(self, key: str, data: BinaryIO, length: int) -> None:
        # An S3 PUT (and a completed multipart upload) becomes visible all at once, so no reader ever sees
        # a part of an object under its key.
        try:
            self._client.put_object(
                self.bucket,
                key,
                data,
                length,
                content_type="application/octet-stream",
                part_size=PART_SIZE,
                num_parallel_uploads=1,
            )
        except (MinioException, urllib3.exceptions.HTTPError) as exc:
            raise StorageError(f"cannot store {key} in {self.describe()}: {exc}") from exc

    def _get(self, key: str) -> urllib3.BaseHTTPResponse:
        try:
            return self._client.get_object(self.bucket, key)
        except S3Error as exc:
            if exc.code in _MISSING_CODES:
                raise ObjectMissing(key) from None
            raise StorageError(f"cannot read {key} from {self.describe()}: {exc}") from exc
        except (MinioException, urllib3.exceptions.HTTPError) as exc:
            raise StorageError(f"cannot read {key} from {self.describe()}: {exc}") from exc

    @contextmanager
    def open(self, sha256: str) -> Iterator[BinaryIO]:
        response = self._get(check_key(sha256))
        try:
            yield io.BufferedReader(_ResponseRaw(response), buffer_size=CHUNK_SIZE)
        finally:
            response.close()
            response.release_conn()

    def iter_chunks(self, sha256: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        key = check_key(sha256)
        if self.size(key) is None:
            raise ObjectMissing(key)
        return self._chunks(key, chunk_size)

    def _chunks(self, key: str, chunk_size: int) -> Iterator[bytes]:
        response = self._get(key)
        try:
            yield from response.stream(chunk_size)
        except urllib3.exceptions.HTTPError as exc:
            raise StorageError(f"reading {key} from {self.describe()} failed: {exc}") from exc
        finally:
            response.close()
            response.release_conn()

    def size(self, sha256: str) -> int | None:
        key = check_key(sha256)
        try:
            stat = self._client.stat_object(self.bucket, key)
        except S3Error as exc:
            if exc.code in _MISSING_CODES:
                return None
            raise StorageError(f"cannot stat {key} in {self.describe()}: {exc}") from exc
        except (MinioException, urllib3.exceptions.HTTPError) as exc:
            raise StorageError(f"cannot stat {key} in {self.describe()}: {exc}") from exc
        return stat.size

    def exists(self, sha256: str) -> bool:
        return self.size(sha256) is not None

    def keys(self) -> Iterator[str]:
        try:
            for obj in self._client.list_objects(self.bucket, recursive=True):
                name = obj.object_name
                if name is not None and is_key(name):
                    yield name
        except (MinioException, urllib3.exceptions.HTTPError) as exc:
            raise StorageError(f"cannot list {self.describe()}: {exc}") from exc

    def hash_of(self, sha256: str) -> str:
        digest = hashlib.sha256()
        for chunk in self.iter_chunks(sha256):
            digest.update(chunk)
        return digest.hexdigest()

    @contextmanager
    def local_path(self, sha256: str) -> Iterator[Path]:
        chunks = self.iter_chunks(sha256)
        if self.tmp_dir is not None:
            self.tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self.tmp_dir, prefix="s3-object-")
        path = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    out.write(chunk)
            yield path
        finally:
            path.unlink(missing_ok=True)

    def delete(self, sha256: str) -> None:
        key = check_key(sha256)
        try:
            self._client.remove_object(self.bucket, key)
        except S3Error as exc:
            if exc.code not in _MISSING_CODES:
                raise StorageError(f"cannot delete {key} from {self.describe()}: {exc}") from exc
        except (MinioException, urllib3.exceptions.HTTPError) as exc:
            raise StorageError(f"cannot delete {key} from {self.describe()}: {exc}") from exc

    def describe(self) -> str:
        return f"s3://{self.bucket}@{self.endpoint}"


class _HashingReader:
    """Hands the file to the client in the sizes it asks for, hashing what it hands over."""

    def __init__(self, f: BinaryIO) -> None:
        self._f = f
        self._digest = hashlib.sha256()
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self._f.read(size)
        self._digest.update(data)
        self.count += len(data)
        return data

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


class _ResponseRaw(io.RawIOBase):
    """An HTTP response body as a raw stream, so io.BufferedReader can make a proper BinaryIO of it."""

    def __init__(self, response: urllib3.BaseHTTPResponse) -> None:
        self._response = response

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._response.read(len(buffer))
        n = len(data)
        memoryview(buffer).cast("B")[:n] = data
        return n
