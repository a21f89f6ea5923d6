from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import service.models  # noqa: F401  (registers the tables)
from service.kit.db import make_null_engine

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url
    engine = make_null_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=connection.dialect.name == "sqlite"
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
