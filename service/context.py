"""The composition root's product: everything a use-case needs, built once per process."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from search import SearchIndex
from service.audit.chain import KEY_INFO, configure_key, load_key, seal_head
from service.auth.core import configure_password_hashing
from service.config import Settings
from service.indexing.indexer import Indexer
from service.indexing.replica import LagCache
from service.kit.clock import Clock, system_clock
from service.kit.db import UnitOfWork, make_engine, transaction
from service.kit.migrate import upgrade
from service.kit.publicids import PublicIds
from service.models import AuditHead, PublicIdKey
from storage import ObjectStore, open_store


@dataclass
class Saraban:
    settings: Settings
    engine: Engine
    store: ObjectStore
    clock: Clock = system_clock
    indexer: Indexer | None = field(default=None)
    _index: SearchIndex | None = field(default=None, repr=False)

    read_engine: Engine | None = None
    audit_key: bytes = b""
    lag_cache: LagCache = field(default_factory=LagCache, repr=False)
    _public_ids: PublicIds | None = field(default=None, repr=False)

    @contextmanager
    def tx(self, *, readonly: bool = False, wait: bool = True) -> Iterator[UnitOfWork]:
        """A transaction; ``readonly`` work (nothing written, not even audit) may run beside the writer.
        ``wait=False``: ``WriteLockBusy`` instead of waiting for the write lock (``kit.db.transaction``)."""
        engine = self.read_engine if readonly and self.read_engine is not None else self.engine
        with transaction(engine, wait=wait) as uow:
            uow.session.info[KEY_INFO] = self.audit_key
            yield uow

    def search_index(self) -> SearchIndex:
        """The process's index (the indexer's when there is one: one writer per process)."""
        if self.indexer is not None:
            return self.indexer.index
        if self._index is None:
            self._index = SearchIndex(self.settings.index_path)
        return self._index

    @property
    def public_ids(self) -> PublicIds:
        """The installation's public id permutation (``service.kit.publicids``), its key read once from the database
        (every process and node sharing the database shares it)."""
        if self._public_ids is None:
            with self.tx(readonly=True) as uow:
                row = uow.session.get(PublicIdKey, 1)
            if row is None:
                raise RuntimeError("the database has no public id key: run `saraban db upgrade`")
            self._public_ids = PublicIds(bytes.fromhex(row.key))
        return self._public_ids

    @property
    def tmp_dir(self) -> Path:
        return self.settings.data_dir / "tmp"


def build(settings: Settings, *, clock: Clock = system_clock, with_indexer: bool = True) -> Saraban:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    s = settings
    configure_password_hashing(
        time_cost=s.password_time_cost, memory_cost=s.password_memory_kib, parallelism=s.password_parallelism
    )
    store = open_store(
        s.store,
        root=s.store_path,
        endpoint=s.s3_endpoint,
        access_key=s.s3_access_key,
        secret_key=s.s3_secret_key,
        bucket=s.s3_bucket,
        secure=s.s3_secure,
        region=s.s3_region,
    )
    url = s.sqlalchemy_url
    read_engine = make_engine(url, readonly=True) if url.startswith("sqlite") else None
    audit_key = load_key(s.audit_key, s.audit_key_file)
    configure_key(audit_key)
    app = Saraban(
        settings=s, engine=make_engine(url), store=store, clock=clock, read_engine=read_engine, audit_key=audit_key
    )
    if with_indexer and s.index_mode == "thread":
        app.indexer = Indexer(app)
    return app


def from_env(*, with_indexer: bool = False) -> Saraban:
    """The context a command-line command works in: ``SARABAN_*`` settings, the schema brought up to date."""
    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.sqlalchemy_url)
    app = build(settings, with_indexer=with_indexer)
    with app.tx(readonly=True) as uow:
        head = uow.session.get(AuditHead, 1)
        unsealed = head is not None and head.last_seq > 0 and head.mac is None
    if unsealed:
        with app.tx() as uow:  # a chain from before the key: its first keyed checkpoint
            seal_head(uow.session, app.audit_key)
    return app
