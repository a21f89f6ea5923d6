"""Fixity: every recorded object is present with its hash; objects nobody refers to are listed (a sweeper)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import select

from service.context import Saraban
from service.models import Attachment, Rendition


@dataclass
class StoreReport:
    checked: int = 0
    problems: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)


def verify_store(app: Saraban) -> StoreReport:
    report = StoreReport()
    with app.tx() as uow:
        atts = [
            (f"attachment {a.id} ({a.filename}) of letter {a.letter_id}", a.sha256, a.size)
            for a in uow.session.exec(select(Attachment))
        ]
        rends = [
            (f"{r.kind} copy {r.id} of attachment {r.attachment_id}", r.sha256, r.size)
            for r in uow.session.exec(select(Rendition))
        ]
    known: set[str] = set()
    for label, sha, size in atts + rends:
        known.add(sha)
        report.checked += 1
        stored = app.store.size(sha)
        if stored is None:
            report.problems.append(f"{label}: object {sha} is missing")
        elif stored != size:
            report.problems.append(f"{label}: object {sha} has {stored} bytes, {size} recorded")
        elif app.store.hash_of(sha) != sha:
            report.problems.append(f"{label}: object {sha} was altered (hash mismatch)")
    report.orphans = sorted(k for k in app.store.keys() if k not in known)  # noqa: SIM118 (a store, not a dict)
    return report
