"""The test databases are copies of one migrated, seeded template per test process (tests/conftest.py): a copy must
hold exactly what migrating and seeding the demo office in place writes — the same rows, ids, codes and names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, select

from service.config import Settings
from service.context import build
from service.demo import USERS as DEMO_USERS
from service.demo import seed_demo
from service.kit.migrate import upgrade
from tests.conftest import MakeSaraban, dispose

# what depends on the moment of seeding or on a random salt
# (the public id key of `public_id_key` is random per installation, made by its migration)
VARYING = {"created_at", "at", "password_hash", "hash", "prev_hash", "last_hash", "updated_at", "mac", "key"}


def contents(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    meta = MetaData()
    meta.reflect(engine)
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for name, table in sorted(meta.tables.items()):
            cols = [c for c in table.columns if c.name not in VARYING]
            order = list(table.primary_key.columns) or cols
            out[name] = [tuple(r) for r in conn.execute(select(*cols).order_by(*order))]
    return out


def test_a_copy_holds_what_migrating_and_seeding_in_place_writes(
    make_saraban: MakeSaraban, any_db: str, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path / "in-place", _env_file=None)  # type: ignore[call-arg]
    settings.data_dir.mkdir()
    upgrade(settings.sqlalchemy_url)
    reference = build(settings, with_indexer=False)
    with reference.tx() as uow:
        seed_demo(uow.session, now=reference.clock())
    expected = contents(reference.engine)
    dispose(reference)

    copy = make_saraban(any_db)
    assert contents(copy.engine) == expected
    assert len(expected["user"]) >= len(DEMO_USERS) and expected["alembic_version"]

    bare_settings = Settings(data_dir=tmp_path / "bare", _env_file=None)  # type: ignore[call-arg]
    bare_settings.data_dir.mkdir()
    upgrade(bare_settings.sqlalchemy_url)  # migrations alone (some seed reference data, e.g. retention classes)
    bare = build(bare_settings, with_indexer=False)
    migrated_only = contents(bare.engine)
    dispose(bare)
    empty = make_saraban(demo=False)
    assert contents(empty.engine) == migrated_only
    assert migrated_only["audithead"] == [(1, 0)] and not migrated_only["user"]
