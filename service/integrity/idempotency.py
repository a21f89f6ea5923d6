"""``Idempotency-Key``: a create retried after a lost answer returns the first answer and creates nothing new.

The key is the client's (any printable ASCII up to 255 characters), scoped to the actor. The first request's route
and a hash of what it sent are kept with its answer (``IdempotencyRecord``); a retry with the same key and the
same request gets that answer again (the same status and body); the same key with a different request is refused
(422 ``idempotency_key_reused``).

Receiving writes the answer in the registration's own transaction (:func:`remember`), so a registration and its
answer are kept together or not at all; a concurrent duplicate fails on the unique key and gets the first answer.
Other creates claim the key first (:func:`claim`: a row without an answer yet), do their work, then record the
answer (:func:`complete`); a failed request releases its claim (:func:`release`), so it may be retried.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from service.context import Saraban
from service.kit.clock import from_db, to_db
from service.kit.errors import Conflict, InvalidInput
from service.models import IdempotencyRecord

_KEY = re.compile(r"[\x21-\x7e]{1,255}")
PENDING = 0
STALE_CLAIM = timedelta(minutes=10)
"""A claim without an answer this old belongs to a request that never finished: a retry may take it over."""


class KeyReused(InvalidInput):
    code = "idempotency_key_reused"
    title = "Idempotency-Key reused for a different request"


class KeyInFlight(Conflict):
    code = "idempotency_key_in_flight"
    title = "A request with this Idempotency-Key is still being processed"


@dataclass(frozen=True)
class Claim:
    actor_id: int
    key: str
    route: str
    request_hash: str


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any


def make_claim(actor_id: int, key: str | None, route: str, *parts: bytes | str) -> Claim | None:
    """The claim of a request that sent ``key`` (None without one); ``parts``: what identifies the request."""
    if key is None:
        return None
    if not _KEY.fullmatch(key):
        raise InvalidInput(
            "the Idempotency-Key header must be 1 to 255 printable ASCII characters",
            thai="ค่า Idempotency-Key ต้องเป็นอักขระ ASCII ที่พิมพ์ได้ 1 ถึง 255 ตัว",
        )
    digest = hashlib.sha256(route.encode())
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big") + data)
    return Claim(actor_id=actor_id, key=key, route=route, request_hash=digest.hexdigest())


def body_hash(body: Any) -> str:
    return json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)


def _row(session: Session, claim: Claim) -> IdempotencyRecord | None:
    return session.exec(
        select(IdempotencyRecord).where(
            IdempotencyRecord.actor_id == claim.actor_id, IdempotencyRecord.key == claim.key
        )
    ).first()


def _check_same(row: IdempotencyRecord, claim: Claim) -> None:
    if row.request_hash != claim.request_hash or row.route != claim.route:
        raise KeyReused(
            "this Idempotency-Key was used for a different request; use a new key for a new request",
            thai="ค่า Idempotency-Key นี้เคยใช้กับคำขออื่นแล้ว โปรดใช้ค่าใหม่สำหรับคำขอใหม่",
        )


def replay(app: Saraban, claim: Claim) -> Answer | None:
    """The first answer to this claim's key, or None when there is none yet (or only a stale claim)."""
    with app.tx(readonly=True) as uow:
        row = _row(uow.session, claim)
    if row is None:
        return None
    _check_same(row, claim)
    if row.status == PENDING:
        if app.clock() - from_db(row.created_at) > STALE_CLAIM:
            return None
        raise KeyInFlight(
            "a request with this Idempotency-Key is still being processed; retry later",
            thai="คำขอที่ใช้ค่า Idempotency-Key นี้กำลังดำเนินการอยู่ โปรดลองใหม่ภายหลัง",
        )
    return Answer(row.status, json.loads(row.body))


def remember(session: Session, claim: Claim, answer: Answer, *, now: Any) -> None:
    """Keep the answer in the create's own transaction (a concurrent duplicate fails on the unique key)."""
    row = _row(session, claim)
    if row is not None and row.status == PENDING:  # a stale claim taken over
        session.delete(row)
        session.flush()
    session.add(
        IdempotencyRecord(
            actor_id=claim.actor_id,
            key=claim.key,
            route=claim.route,
            request_hash=claim.request_hash,
            status=answer.status,
            body=json.dumps(answer.body, ensure_ascii=False),
            created_at=to_db(now),
        )
    )
    session.flush()


def update_body(app: Saraban, claim: Claim, body: Any) -> None:
    """The answer as finally sent (what was added after the commit, such as the stamped copy)."""
    with app.tx() as uow:
        row = _row(uow.session, claim)
        if row is not None:
            row.body = json.dumps(body, ensure_ascii=False)
            uow.session.add(row)


def claim(app: Saraban, c: Claim) -> Answer | None:
    """Hold the key for a request about to run; the first answer instead when there is one."""
    first = replay(app, c)
    if first is not None:
        return first
    try:
        with app.tx() as uow:
            remember(uow.session, c, Answer(PENDING, None), now=app.clock())
    except IntegrityError:  # a concurrent request with the same key got there first
        return replay(app, c)
    return None


def complete(app: Saraban, c: Claim, answer: Answer) -> None:
    with app.tx() as uow:
        row = _row(uow.session, c)
        if row is not None:
            row.status, row.body = answer.status, json.dumps(answer.body, ensure_ascii=False)
            uow.session.add(row)


def release(app: Saraban, c: Claim) -> None:
    """Forget the claim of a request that failed (nothing was created): a retry runs anew."""
    with app.tx() as uow:
        uow.session.execute(
            delete(IdempotencyRecord).where(
                col(IdempotencyRecord.actor_id) == c.actor_id,
                col(IdempotencyRecord.key) == c.key,
                col(IdempotencyRecord.status) == PENDING,
            )
        )
