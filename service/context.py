"""The composition root's product: everything a use-case needs, built once per process."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from service.clock import Clock, system_clock
from service.config import Settings
from service.db import UnitOfWork, make_engine, transaction
from storage import ObjectStore, open_store

if TYPE_CHECKING:
    from service.indexing import Indexer


@dataclass
class Saraban:
    settings: Settings
    engine: Engine
    store: ObjectStore
    clock: Clock = system_clock
    indexer: Indexer | None = field(default=None)

    @contextmanager
    def tx(self) -> Iterator[UnitOfWork]:
        with transaction(self.engine) as uow:
            yield uow

    @property
    def tmp_dir(self) -> Path:
        return self.settings.data_dir / "tmp"


def build(settings: Settings, *, clock: Clock = system_clock, with_indexer: bool = True) -> Saraban:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    s = settings
    store = open_store(
        s.store, root=s.store_path, endpoint=s.s3_endpoint, access_key=s.s3_access_key,
        secret_key=s.s3_secret_key, bucket=s.s3_bucket, secure=s.s3_secure, region=s.s3_region,
    )
    app = Saraban(settings=s, engine=make_engine(s.sqlalchemy_url), store=store, clock=clock)
    if with_indexer:
        from service.indexing import Indexer

        app.indexer = Indexer(app)
    return app
