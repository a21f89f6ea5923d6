"""The audit trail: append-only, every event carrying the hash of the one before (every create, number, route, view
and download is recorded)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy import select as sql_select
from sqlmodel import Session, select

from service.access.rule import Actor
from service.kit.clock import to_db
from service.kit.db import Prepared
from service.models import AuditEvent, AuditHead

GENESIS = "0" * 64

# The key of the chain's checkpoints lives outside the database (``SARABAN_AUDIT_KEY`` or a key file in the data
# directory): someone who can rewrite the tables can recompute every plain hash, not these. A transaction carries
# its app's key in ``session.info``; the last key configured in this process is the fallback.
KEY_INFO = "audit_key"
_default_key: bytes = b""


def load_key(configured: str, key_file: Path) -> bytes:
    """The configured key, or the key file's (created on first start: 32 random bytes, hex, mode 0600)."""
    if configured:
        return configured.encode("utf-8")
    key_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another process is writing it this moment
            text = key_file.read_text(encoding="ascii").strip()
            if text:
                return text.encode("ascii")
            time.sleep(0.02)
        raise RuntimeError(f"the audit key file {key_file} is empty") from None
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key + "\n")
    return key.encode("ascii")


def configure_key(key: bytes) -> None:
    global _default_key
    _default_key = key


def _key_of(session: Session) -> bytes:
    key: bytes = session.info.get(KEY_INFO) or _default_key
    if not key:
        raise RuntimeError("no audit key configured (service.context.build sets one)")
    return key


def keyed_digest(session: Session, text: str) -> str:
    """A keyed hash of a text the audit must not show (a search's words): equal texts match, none can be read
    back or guessed from a list without the key."""
    normal = " ".join(text.casefold().split())
    return hmac.new(_key_of(session), f"text:{normal}".encode(), hashlib.sha256).hexdigest()


def checkpoint(key: bytes, seq: int, hash_: str) -> str:
    """The keyed checkpoint of the chain up to event ``seq`` (whose hash is ``hash_``)."""
    return hmac.new(key, f"{seq}:{hash_}".encode("ascii"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Where:
    """Where a request came from."""

    ip: str = ""


def event_hash(fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


HASHED_FIELDS = (
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


def _hashed_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    """What an event's hash covers; ``at`` as naive UTC in ISO form, whatever the driver returned."""
    fields = {k: values[k] for k in HASHED_FIELDS}
    fields["at"] = to_db(values["at"]).isoformat(timespec="microseconds")
    return fields


_HEAD = AuditHead.__table__  # type: ignore[attr-defined]
_EVENT = AuditEvent.__table__  # type: ignore[attr-defined]
_READ_HEAD = Prepared(select(_HEAD.c.last_seq, _HEAD.c.last_hash).where(_HEAD.c.id == 1).with_for_update())
_MOVE_HEAD = Prepared(
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(last_seq=bindparam("seq"), last_hash=bindparam("event_hash"), mac=bindparam("mac"))
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
    values["mac"] = checkpoint(_key_of(session), values["seq"], values["hash"])
    _APPEND.rows(conn, values)
    _MOVE_HEAD.rows(conn, {"seq": values["seq"], "event_hash": values["hash"], "mac": values["mac"]})
    return int(values["seq"])


@dataclass(frozen=True)
class ChainReport:
    events: int
    problem: str | None  # the first broken link, named; None when the chain holds
    seq: int | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify_chain(session: Session, key: bytes | None = None) -> ChainReport:
    """Walk the chain in order up to the head as it was when the walk began, and name the first broken link
    (a sweeper: reports, never raises).

    Each event's keyed checkpoint must match its hash, and the head's its last hash: a forger who rewrites an
    event and recomputes every later hash and the head still cannot make the checkpoints without the key.
    Events written before the chain had a key (no checkpoint) are covered by the first keyed one after them.
    The walk holds no write lock: events at or below the head it read are committed and never change.
    """
    key = key or _key_of(session)
    head = session.get(AuditHead, 1)
    top = head.last_seq if head is not None else None
    expected_seq, expected_prev, count, keyed = 1, GENESIS, 0, False
    stmt = sql_select(_EVENT).order_by(_EVENT.c.seq)
    if top is not None:
        stmt = stmt.where(_EVENT.c.seq <= top)
    # plain rows, streamed: ORM objects cost most of the walk's time over hundreds of thousands of events
    rows: Iterator[Any] = iter(session.connection().execution_options(yield_per=5000).execute(stmt))
    for ev in rows:
        count += 1
        if ev.seq != expected_seq:
            return ChainReport(count, f"event {expected_seq} is missing (deleted?) before event {ev.seq}", expected_seq)
        if ev.prev_hash != expected_prev:
            return ChainReport(count, f"event {ev.seq} does not link to event {ev.seq - 1}", ev.seq)
        if event_hash(_hashed_fields(ev._mapping)) != ev.hash:
            return ChainReport(count, f"event {ev.seq} was altered (hash mismatch)", ev.seq)
        if ev.mac is None:
            if keyed:
                return ChainReport(count, f"event {ev.seq} lost its keyed checkpoint", ev.seq)
        elif not hmac.compare_digest(ev.mac, checkpoint(key, ev.seq, ev.hash)):
            return ChainReport(
                count, f"event {ev.seq} fails its keyed checkpoint (rewritten and re-chained, or another key)", ev.seq
            )
        else:
            keyed = True
        expected_seq, expected_prev = ev.seq + 1, ev.hash
    if head is not None and (head.last_seq != expected_seq - 1 or head.last_hash != expected_prev):
        return ChainReport(
            count, f"events after {expected_seq - 1} are missing: the chain head is at {head.last_seq}", expected_seq
        )
    if (
        head is not None
        and head.last_seq > 0
        and (head.mac is None or not hmac.compare_digest(head.mac, checkpoint(key, head.last_seq, head.last_hash)))
    ):
        return ChainReport(count, "the chain head fails its keyed checkpoint", head.last_seq)
    return ChainReport(count, None)


def seal_head(session: Session, key: bytes) -> bool:
    """Give a chain written before it had a key its first keyed checkpoint (trust on first use, at start-up)."""
    head = session.get(AuditHead, 1)
    if head is None or head.mac is not None or head.last_seq == 0:
        return False
    session.connection().execute(
        update(_HEAD).where(_HEAD.c.id == 1).values(mac=checkpoint(key, head.last_seq, head.last_hash))
    )
    return True
