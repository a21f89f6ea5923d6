"""The audit trail: append-only, every event carrying the hash of the one before (every create, number, route, view
and download is recorded)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlmodel import Session, col, select

from service.access.rule import Actor
from service.kit.clock import to_db
from service.kit.db import Prepared
from service.models import AuditEvent, AuditHead

GENESIS = "0" * 64


@dataclass(frozen=True)
class Where:
    """Where a request came from."""

    ip: str = ""


def event_hash(fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


_HASHED = (
    "seq",
    "at",
    "actor_id",
    "actor",
    "action",
    "object_type",
    "object_id",
    "letter_id",
    "ip",
    "detail",
    "prev_hash",
)


def _hashed_fields(values: dict[str, Any]) -> dict[str, Any]:
    """What an event's hash covers; ``at`` as naive UTC in ISO form, whatever the driver returned."""
    fields = {k: values[k] for k in _HASHED}
    fields["at"] = to_db(values["at"]).isoformat(timespec="microseconds")
    return fields


_HEAD = AuditHead.__table__  # type: ignore[attr-defined]
_EVENT = AuditEvent.__table__  # type: ignore[attr-defined]
_READ_HEAD = Prepared(select(_HEAD.c.last_seq, _HEAD.c.last_hash).where(_HEAD.c.id == 1).with_for_update())
_MOVE_HEAD = Prepared(
    update(_HEAD).where(_HEAD.c.id == 1).values(last_seq=bindparam("seq"), last_hash=bindparam("event_hash"))
)
_APPEND = Prepared(insert(_EVENT).values({c.name: bindparam(c.name, type_=c.type) for c in _EVENT.columns}))


def record(
    session: Session,
    *,
    at: datetime,
    action: str,
    actor: Actor | None = None,
    actor_name: str = "",
    object_type: str = "",
    object_id: str | int = "",
    letter_id: int | None = None,
    where: Where | None = None,
    **detail: Any,
) -> int:
    """Append one event inside the caller's transaction and return its sequence number; the head row serialises
    writers on every engine.

    Every request writes one event, most of them while holding the write lock, so it is three prepared
    statements (``Prepared``) rather than an ORM object. Pending ORM rows are flushed first, so the event may
    refer to them.
    """
    session.flush()
    conn = session.connection()
    last_seq, last_hash = _READ_HEAD.rows(conn, {})[0]
    values: dict[str, Any] = {
        "seq": last_seq + 1,
        "at": to_db(at),
        "actor_id": actor.id if actor else None,
        "actor": actor.username if actor else actor_name,
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "letter_id": letter_id,
        "ip": (where.ip if where else "")[:64],
        "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str),
        "prev_hash": last_hash,
    }
    values["hash"] = event_hash(_hashed_fields(values))
    _APPEND.rows(conn, values)
    _MOVE_HEAD.rows(conn, {"seq": values["seq"], "event_hash": values["hash"]})
    return int(values["seq"])


@dataclass(frozen=True)
class ChainReport:
    events: int
    problem: str | None  # the first broken link, named; None when the chain holds
    seq: int | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify_chain(session: Session) -> ChainReport:
    """Walk the chain in order and name the first broken link (a sweeper: reports, never raises)."""
    expected_seq, expected_prev, count = 1, GENESIS, 0
    rows: Iterator[AuditEvent] = iter(
        session.exec(select(AuditEvent).order_by(col(AuditEvent.seq)).execution_options(yield_per=2000))
    )
    for ev in rows:
        count += 1
        if ev.seq != expected_seq:
            return ChainReport(count, f"event {expected_seq} is missing (deleted?) before event {ev.seq}", expected_seq)
        if ev.prev_hash != expected_prev:
            return ChainReport(count, f"event {ev.seq} does not link to event {ev.seq - 1}", ev.seq)
        if event_hash(_hashed_fields({k: getattr(ev, k) for k in _HASHED})) != ev.hash:
            return ChainReport(count, f"event {ev.seq} was altered (hash mismatch)", ev.seq)
        expected_seq, expected_prev = ev.seq + 1, ev.hash
    head = session.get(AuditHead, 1)
    if head is not None and (head.last_seq != expected_seq - 1 or head.last_hash != expected_prev):
        return ChainReport(
            count, f"events after {expected_seq - 1} are missing: the chain head is at {head.last_seq}", expected_seq
        )
    return ChainReport(count, None)
