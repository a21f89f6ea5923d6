"""Stored objects found altered: marked (``ObjectFault``), audited, and refused from then on."""

from __future__ import annotations

import logging

from service import audit
from service.access.rule import Actor
from service.context import Saraban
from service.kit.clock import to_db
from service.kit.errors import ObjectAltered
from service.models import ObjectFault

log = logging.getLogger(__name__)


def refuse_if_altered(app: Saraban, sha256: str) -> None:
    """Raise :class:`ObjectAltered` when the object was found altered before."""
    with app.tx(readonly=True) as uow:
        fault = uow.session.get(ObjectFault, sha256)
    if fault is not None:
        raise ObjectAltered(
            f"the stored file {sha256} was altered (found {fault.found_at:%Y-%m-%d %H:%M} UTC): it is not served",
            thai="ไฟล์ที่เก็บไว้ถูกเปลี่ยนแปลง (ค่า SHA-256 ไม่ตรงกับที่บันทึกไว้) ระบบจึงไม่ส่งไฟล์นี้ โปรดแจ้งผู้ดูแลระบบ",
        )


def record_altered(
    app: Saraban, sha256: str, *, actual: str, actor: Actor | None, where: audit.Where | None, path: str = ""
) -> None:
    """Mark the object as altered and audit the finding (its own transaction: the download had none)."""
    log.error("stored object %s was altered: its bytes hash to %s; the download was aborted", sha256, actual)
    now = app.clock()
    with app.tx() as uow:
        if uow.session.get(ObjectFault, sha256) is None:
            uow.session.add(ObjectFault(sha256=sha256, found_at=to_db(now), detail=f"served bytes hash to {actual}"))
        audit.record(
            uow.session,
            at=now,
            action="object_altered",
            actor=actor,
            object_type="object",
            object_id=sha256,
            where=where,
            sha256=sha256,
            actual_sha256=actual,
            path=path,
        )
