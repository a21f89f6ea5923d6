"""The search index's change log: every change that affects what the index holds of a letter appends one row,
in the same transaction as the change (README "Scale-out").

The log is the index's only feed. Each app node's index worker follows it from its own cursor
(``service.indexing.replica``), so any number of nodes keep their own replica; a change that commits is in the
log, a change that rolls back is not. ``record_change`` is the one way to mark a letter for the index.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import bindparam, func, insert, select, text
from sqlmodel import Session

from service.kit.db import Prepared
from service.models import IndexChange, Letter

PENDING = "pending"

# why a letter's entry is in the log (16 characters at most)
RECEIVE = "receive"
ROUTE = "route"
INSTRUCT = "instruct"
CORRECT = "correct"
CANCEL = "cancel"
DESTROY = "destroy"
FILE = "file"
DRAFT = "draft"
NUMBER = "number"
SEND = "send"
ARRIVE = "arrive"
ATTACH = "attach"
STAMPED = "stamped"  # stamped late by the stamp job: its text can now be extracted

_LOG = IndexChange.__table__  # type: ignore[attr-defined]
# compiled once: a registration runs it under the write lock (``service.receiving.record``)
_APPEND = Prepared(insert(_LOG).values(letter_id=bindparam("letter_id"), reason=bindparam("reason")))


def record_change(session: Session, letters: Iterable[Letter | int], reason: str) -> None:
    """Append the letters to the change log (one INSERT) in the session's transaction.

    A ``Letter`` object is also marked ``pending`` (its ``index_status``, what the letter page shows until a
    replica has indexed it), in the UPDATE its change makes anyway; a bare id is a letter inserted in this
    transaction, which is ``pending`` already.
    """
    ids: list[int] = []
    for letter in letters:
        if isinstance(letter, Letter):
            assert letter.id is not None
            letter.index_status = PENDING
            session.add(letter)
            ids.append(letter.id)
        else:
            ids.append(letter)
    if ids:
        _APPEND.many(session.connection(), [{"letter_id": i, "reason": reason} for i in ids])


def as_utc(value: object) -> datetime:
    """A time read from the database as an aware UTC datetime (SQLite answers naive UTC or text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime), value
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def db_now(session: Session) -> datetime:
    """The database's clock, the one the log's ``at`` is written with (nodes' clocks may differ)."""
    return as_utc(session.connection().execute(text("SELECT CURRENT_TIMESTAMP")).scalar())


def log_head(session: Session) -> int:
    """The highest entry in the log now (0: empty)."""
    return int(session.connection().execute(select(func.coalesce(func.max(_LOG.c.id), 0))).scalar() or 0)
