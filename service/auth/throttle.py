"""Failed sign-ins counted in the database, so every server process and node sees the same count.

One statement per failure (``INSERT … ON CONFLICT DO UPDATE … RETURNING``), atomic on SQLite and PostgreSQL:
two workers counting the same key at once never lose an update. A key is blocked from the failure that reaches
``limit`` until ``block`` has passed; failures while blocked keep counting above ``limit``, so the caller tells the
failure that blocked (``== limit``) from those that came after (``> limit``) with no second statement.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, case, literal, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from service.kit.clock import from_db, to_db
from service.models import LoginThrottle

_T = LoginThrottle.__table__  # type: ignore[attr-defined]


def hit(conn: Connection, key: str, *, now: datetime, window: timedelta, limit: int, block: timedelta) -> int:
    """Count one failure for ``key`` and return the count in the current window (``> limit``: already blocked)."""
    at = literal(to_db(now), _T.c.window_start.type)
    until = literal(to_db(now + block), _T.c.blocked_until.type)
    cutoff = literal(to_db(now - window), _T.c.window_start.type)
    reset = or_(_T.c.window_start < cutoff, and_(_T.c.blocked_until.is_not(None), _T.c.blocked_until <= at))
    count = case((reset, 1), else_=_T.c.failures + 1)
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(_T)
        .values(
            key=key,
            failures=1,
            window_start=to_db(now),
            blocked_until=to_db(now + block) if limit <= 1 else None,
        )
        .on_conflict_do_update(
            index_elements=[_T.c.key],
            set_={
                "failures": count,
                "window_start": case((reset, at), else_=_T.c.window_start),
                "blocked_until": case((count == limit, until), (reset, None), else_=_T.c.blocked_until),
            },
        )
        .returning(_T.c.failures)
    )
    return int(conn.execute(stmt).scalar_one())


def blocked(conn: Connection, key: str, *, now: datetime) -> bool:
    """Whether ``key`` is blocked now (a read: refuse early, before a password is checked)."""
    until = conn.execute(select(_T.c.blocked_until).where(_T.c.key == key)).scalar_one_or_none()
    return until is not None and from_db(until) > now
