"""Reading the audit trail: filtered by period and letter, hidden where it speaks of what the reader may not see."""

from __future__ import annotations

import io
import json
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from service.access.policy import Action, require
from service.access.queries import visible_letter_ids
from service.access.roles import SECRET_KINDS, Role
from service.access.rule import Actor
from service.audit.chain import Where, record
from service.kit import csvsafe
from service.kit.thai import local
from service.models import AuditEvent, Letter, Registry


def list_events(
    session: Session,
    actor: Actor,
    *,
    letter_id: int | None,
    since: datetime | None,
    until: datetime | None,
    now: datetime,
    where: Where | None = None,
    limit: int = 10_000,
    asked: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """The events an auditor may read, oldest first; reading the trail is itself recorded.

    ``since``/``until`` are UTC bounds (``until`` exclusive); ``asked`` is what the reader typed, for the record.
    """
    require(actor, Action.READ_AUDIT)
    stmt = select(AuditEvent).order_by(col(AuditEvent.seq))
    if letter_id is not None:
        stmt = stmt.where(AuditEvent.letter_id == letter_id)
    if since:
        stmt = stmt.where(AuditEvent.at >= since)
    if until:
        stmt = stmt.where(AuditEvent.at < until)
    # Events about secret letters and secret registries stay with those who may see them.
    hidden = select(Letter.id).where(Letter.secrecy > 0).where(col(Letter.id).not_in(visible_letter_ids(actor)))
    stmt = stmt.where((col(AuditEvent.letter_id).is_(None)) | col(AuditEvent.letter_id).not_in(hidden))
    secret_registries = [
        str(r.id)
        for r in session.exec(select(Registry).where(col(Registry.kind).in_(sorted(SECRET_KINDS))))
        if not actor.has_role(Role.SECRET_REGISTRAR, r.unit_id)
    ]
    if secret_registries:
        stmt = stmt.where(
            (col(AuditEvent.object_type) != "registry") | col(AuditEvent.object_id).not_in(secret_registries)
        )
    rows = session.exec(stmt.limit(limit)).all()
    record(
        session,
        at=now,
        action="audit_export",
        actor=actor,
        where=where,
        letter_id=None,
        filter_letter_id=letter_id,
        **(asked or {}),
        rows=len(rows),
    )
    return [
        {
            "seq": e.seq,
            "at": local(e.at).isoformat(),
            "actor": e.actor,
            "actor_id": e.actor_id,
            "action": e.action,
            "object_type": e.object_type,
            "object_id": e.object_id,
            "letter_id": e.letter_id,
            "ip": e.ip,
            "detail": json.loads(e.detail),
            "hash": e.hash,
        }
        for e in rows
    ]


def events_csv(events: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    buf.write("\ufeff")
    w = csvsafe.writer(buf)
    cols = ["seq", "at", "actor", "action", "object_type", "object_id", "letter_id", "ip", "detail", "hash"]
    w.writerow(cols)
    for e in events:
        w.writerow([json.dumps(e[c], ensure_ascii=False) if c == "detail" else e[c] for c in cols])
    return buf.getvalue()
