"""One contract, two stores: LocalStore on a temp directory and S3Store on a real S3 server (moto)."""

from __future__ import annotations

import hashlib
import io
import os
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from minio import Minio

from storage import (
    LocalStore,
    ObjectMissing,
    ObjectStore,
    S3Store,
    StagedFile,
    StorageError,
    open_store,
    stage_bytes,
    stage_stream,
)

MiB = 1 << 20


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    if request.param == "local":
        return LocalStore(tmp_path / "objects")
    s3: ObjectStore = request.getfixturevalue("s3_store")
    return s3


@pytest.fixture
def tmp_dir(tmp_path: Path) -> Path:
    return tmp_path / "staging"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


ABSENT = _sha(b"never stored")


def test_put_then_read_back_every_way(store: ObjectStore, tmp_dir: Path) -> None:
    data = os.urandom(3 * MiB + 123)
    staged = stage_bytes(data, tmp_dir)
    assert not store.exists(staged.sha256)

    store.put(staged)

    assert store.exists(staged.sha256)
    assert store.size(staged.sha256) == len(data)
    with store.open(staged.sha256) as f:
        assert f.read(10) == data[:10]
        assert f.read() == data[10:]
    chunks = list(store.iter_chunks(staged.sha256, chunk_size=MiB))
    assert b"".join(chunks) == data
    assert max(len(c) for c in chunks) <= MiB
    assert len(chunks) >= 4
    assert store.hash_of(staged.sha256) == staged.sha256
    with store.local_path(staged.sha256) as path:
        assert path.read_bytes() == data
    assert list(store.keys()) == [staged.sha256]


def test_put_bytes_stores_under_the_hash(store: ObjectStore) -> None:
    key = store.put_bytes(b"stamped copy")
    assert key == _sha(b"stamped copy")
    with store.open(key) as f:
        assert f.read() == b"stamped copy"
    assert store.put_bytes(b"stamped copy") == key
    assert list(store.keys()) == [key]


def test_an_empty_object(store: ObjectStore, tmp_dir: Path) -> None:
    staged = stage_bytes(b"", tmp_dir)
    store.put(staged)
    assert store.size(staged.sha256) == 0
    assert b"".join(store.iter_chunks(staged.sha256)) == b""
    assert store.hash_of(staged.sha256) == _sha(b"")


def test_keys_lists_every_object_as_a_plain_sha256(store: ObjectStore, tmp_dir: Path) -> None:
    expected = set()
    for i in range(5):
        staged = stage_bytes(f"attachment {i}".encode(), tmp_dir)
        store.put(staged)
        expected.add(staged.sha256)
    keys = list(store.keys())
    assert sorted(keys) == sorted(expected)


def test_put_is_idempotent_and_does_not_reread_a_stored_file(store: ObjectStore, tmp_dir: Path) -> None:
    staged = stage_bytes(b"the same letter, uploaded twice", tmp_dir)
    store.put(staged)
    staged.path.unlink()  # a second put of the same content must be a no-op, so it never opens the file
    store.put(staged)
    assert list(store.keys()) == [staged.sha256]
    assert store.hash_of(staged.sha256) == staged.sha256


def test_a_staged_file_that_does_not_match_its_hash_is_refused(store: ObjectStore, tmp_dir: Path) -> None:
    staged = stage_bytes(b"original content", tmp_dir)
    staged.path.write_bytes(b"tampered content")  # same length, other bytes
    with pytest.raises(StorageError):
        store.put(staged)
    assert not store.exists(staged.sha256)
    assert list(store.keys()) == []


def test_delete_is_idempotent(store: ObjectStore, tmp_dir: Path) -> None:
    staged = stage_bytes(b"to be destroyed", tmp_dir)
    store.put(staged)
    store.delete(staged.sha256)
    assert not store.exists(staged.sha256)
    assert store.size(staged.sha256) is None
    assert list(store.keys()) == []
    store.delete(staged.sha256)


def test_an_absent_object(store: ObjectStore) -> None:
    assert store.exists(ABSENT) is False
    assert store.size(ABSENT) is None
    with pytest.raises(ObjectMissing), store.open(ABSENT):
        pass
    with pytest.raises(ObjectMissing):
        store.iter_chunks(ABSENT)  # at the call, before any chunk is asked for
    with pytest.raises(ObjectMissing):
        store.hash_of(ABSENT)
    with pytest.raises(ObjectMissing), store.local_path(ABSENT):
        pass
    assert issubclass(ObjectMissing, StorageError)


BAD_KEYS = [
    "../etc",
    "../../etc/passwd",
    "",
    ABSENT.upper(),
    ABSENT[:63],
    ABSENT + "0",
    "ab/" + ABSENT[3:],
    ABSENT[:62] + "/x",
    " " + ABSENT[1:],
]


def _uses(store: ObjectStore, tmp_dir: Path) -> list[Callable[[str], object]]:
    def put(key: str) -> None:
        staged = stage_bytes(b"x", tmp_dir)
        store.put(StagedFile(path=staged.path, sha256=key, size=staged.size, head=staged.head))

    def open_(key: str) -> None:
        with store.open(key):
            pass

    def local_path(key: str) -> None:
        with store.local_path(key):
            pass

    return [put, open_, local_path, store.iter_chunks, store.size, store.exists, store.hash_of, store.delete]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_a_key_that_is_not_a_sha256_is_refused(store: ObjectStore, tmp_dir: Path, key: str) -> None:
    for use in _uses(store, tmp_dir):
        with pytest.raises(ValueError, match="sha256"):
            use(key)


def _thirty_mib_staged(tmp_dir: Path) -> StagedFile:
    block = os.urandom(MiB)

    def chunks() -> Iterator[bytes]:
        for i in range(30):
            yield block[i:] + block[:i]

    return stage_stream(chunks(), tmp_dir, limit=64 * MiB)


def test_a_large_file_is_streamed_in_and_out(store: ObjectStore, tmp_dir: Path) -> None:
    staged = _thirty_mib_staged(tmp_dir)
    assert staged.size == 30 * MiB

    tracemalloc.start()
    try:
        store.put(staged)
        _, put_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        fixity = store.hash_of(staged.sha256)
        _, read_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert store.size(staged.sha256) == 30 * MiB
    assert fixity == staged.sha256
    assert put_peak < 16 * MiB, f"put held {put_peak / MiB:.1f} MiB of a 30 MiB file in memory"
    assert read_peak < 16 * MiB, f"hash_of held {read_peak / MiB:.1f} MiB of a 30 MiB file in memory"


def test_local_path_is_a_real_file_with_the_bytes(store: ObjectStore, tmp_dir: Path) -> None:
    staged = stage_bytes(b"%PDF-1.4 for a tool that wants a path", tmp_dir)
    store.put(staged)
    with store.local_path(staged.sha256) as path:
        assert path.is_file()
        assert hashlib.sha256(path.read_bytes()).hexdigest() == staged.sha256
    assert store.exists(staged.sha256)  # using the path never consumes the object


# --- what differs between the stores ------------------------------------------------------------------


def test_local_layout_and_leftovers(tmp_path: Path, tmp_dir: Path) -> None:
    root = tmp_path / "objects"
    store = LocalStore(root)
    assert list(store.keys()) == []  # the root is created lazily
    assert not root.exists()
    staged = stage_bytes(b"layout", tmp_dir)
    store.put(staged)
    key = staged.sha256
    assert [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()] == [f"{key[:2]}/{key[2:4]}/{key}"]
    with store.local_path(key) as path:
        assert path == root / key[:2] / key[2:4] / key
    # A crashed writer's temp file and stray files are not objects.
    (root / key[:2] / key[2:4] / ".incoming-abc").write_bytes(b"half")
    (root / "README").write_text("not an object")
    assert list(store.keys()) == [key]
    assert store.describe() == f"local:{root}"


def test_local_put_repairs_an_object_of_the_wrong_size(tmp_path: Path, tmp_dir: Path) -> None:
    store = LocalStore(tmp_path / "objects")
    staged = stage_bytes(b"complete content", tmp_dir)
    store.put(staged)
    with store.local_path(staged.sha256) as path:
        path.chmod(0o644)
        path.write_bytes(b"compl")  # as if truncated by a disk fault
    assert store.hash_of(staged.sha256) != staged.sha256
    store.put(staged)
    assert store.hash_of(staged.sha256) == staged.sha256


def test_local_refused_put_leaves_no_temp_file(tmp_path: Path, tmp_dir: Path) -> None:
    root = tmp_path / "objects"
    store = LocalStore(root)
    staged = stage_bytes(b"original content", tmp_dir)
    staged.path.write_bytes(b"tampered content")
    with pytest.raises(StorageError):
        store.put(staged)
    assert [p for p in root.rglob("*") if p.is_file()] == []


@pytest.mark.s3
def test_s3_local_path_is_a_temp_download_removed_on_exit(s3_store: S3Store, tmp_dir: Path) -> None:
    staged = stage_bytes(b"downloaded for a tool", tmp_dir)
    s3_store.put(staged)
    with s3_store.local_path(staged.sha256) as path:
        assert path.read_bytes() == b"downloaded for a tool"
    assert not path.exists()


@pytest.mark.s3
def test_s3_keys_ignore_foreign_objects(s3_server: dict[str, str], s3_store: S3Store, tmp_dir: Path) -> None:
    staged = stage_bytes(b"ours", tmp_dir)
    s3_store.put(staged)
    client = Minio(
        s3_server["endpoint"],
        access_key=s3_server["access_key"],
        secret_key=s3_server["secret_key"],
        secure=False,
    )
    client.put_object(s3_store.bucket, "exports/2568/list.csv", io.BytesIO(b"a,b"), 3)
    client.put_object(s3_store.bucket, "not-a-hash", io.BytesIO(b"x"), 1)
    assert list(s3_store.keys()) == [staged.sha256]
    # The object is stored under the plain hash.
    assert client.stat_object(s3_store.bucket, staged.sha256).size == 4


@pytest.mark.s3
def test_s3_bucket_is_created_once_and_reopened(s3_server: dict[str, str], tmp_dir: Path) -> None:
    def make() -> S3Store:
        return S3Store(
            endpoint=f"http://{s3_server['endpoint']}",  # a URL is accepted as well as host:port
            access_key=s3_server["access_key"],
            secret_key=s3_server["secret_key"],
            bucket="reopened",
        )

    first = make()
    staged = stage_bytes(b"survives a restart", tmp_dir)
    first.put(staged)
    second = make()
    assert second.hash_of(staged.sha256) == staged.sha256
    assert second.describe() == f"s3://reopened@{s3_server['endpoint']}"
    second.delete(staged.sha256)


def test_open_store(tmp_path: Path) -> None:
    local = open_store("local", root=tmp_path / "objects")
    assert isinstance(local, LocalStore)
    with pytest.raises(ValueError, match="unknown"):
        open_store("ftp", root=tmp_path)


@pytest.mark.s3
def test_open_store_s3(tmp_path: Path, s3_server: dict[str, str]) -> None:
    store = open_store(
        "s3",
        root=tmp_path,
        endpoint=s3_server["endpoint"],
        access_key=s3_server["access_key"],
        secret_key=s3_server["secret_key"],
        bucket="opened-by-settings",
    )
    assert isinstance(store, S3Store)
    assert store.describe() == f"s3://opened-by-settings@{s3_server['endpoint']}"
    assert store.exists(ABSENT) is False


@pytest.fixture
def no_retry_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    """The S3 client still retries a refused connection (five times), without its growing pauses (~6 s in all)."""
    from urllib3.util.retry import Retry

    monkeypatch.setattr(Retry, "get_backoff_time", lambda self: 0)


@pytest.mark.usefixtures("no_retry_pauses")
def test_an_unreachable_s3_server_is_a_storage_error() -> None:
    with pytest.raises(StorageError):
        S3Store(endpoint="127.0.0.1:9", access_key="k", secret_key="s", bucket="nowhere")
