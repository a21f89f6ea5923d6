"""The metadata every table shares: a naming convention that keeps Alembic migrations reviewable."""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlmodel import SQLModel

# A naming convention keeps Alembic migrations reviewable and identical on SQLite and PostgreSQL.
SQLModel.metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
