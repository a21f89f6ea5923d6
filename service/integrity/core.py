"""Fixity: every recorded object is present with its hash; objects nobody refers to are listed (a sweeper); every
registered letter's main document carries exactly one receive stamp; what a crash left in the scratch directory is
listed (and removed at start and by ``--repair``). ``--sample N``: the hashes of N objects picked at random."""

from __future__ import annotations

import random
import shutil
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import select

from service.context import Saraban
from service.models import Attachment, Rendition
from service.receiving.flow import main_documents

LEFTOVER_AGE_SECONDS = 600
"""A scratch file untouched this long is no upload in progress (an upload writes as its bytes arrive)."""
_EOF = b"%%EOF"


@dataclass
class StoreReport:
    checked: int = 0
    problems: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    unstamped: list[str] = field(default_factory=list)
    """Main documents left unstamped for a recorded reason (over a budget, cannot take a stamp)."""
    leftovers: list[str] = field(default_factory=list)


def verify_store(app: Saraban, *, sample: int | None = None, rng: random.Random | None = None) -> StoreReport:
    """The whole check, or with ``sample`` only the hashes of that many objects picked at random (a quick
    periodic fixity check: no orphans, stamps or leftovers)."""
    report = StoreReport()
    lid, aid = app.public_ids.letters.encode, app.public_ids.attachments.encode  # as people see them
    with app.tx() as uow:
        atts = [
            (f"attachment {aid(a.id or 0)} ({a.filename}) of letter {lid(a.letter_id)}", a.sha256, a.size)
            for a in uow.session.exec(select(Attachment))
        ]
        rends = [
            (f"{r.kind} copy {r.id} of attachment {aid(r.attachment_id)}", r.sha256, r.size)
            for r in uow.session.exec(select(Rendition))
        ]
    objects = atts + rends
    if sample is not None:
        objects = (rng or random.SystemRandom()).sample(objects, min(max(sample, 0), len(objects)))
    known: set[str] = set()
    for label, sha, size in objects:
        known.add(sha)
        report.checked += 1
        stored = app.store.size(sha)
        if stored is None:
            report.problems.append(f"{label}: object {sha} is missing")
        elif stored != size:
            report.problems.append(f"{label}: object {sha} has {stored} bytes, {size} recorded")
        elif app.store.hash_of(sha) != sha:
            report.problems.append(f"{label}: object {sha} was altered (hash mismatch)")
    if sample is not None:
        return report
    report.orphans = sorted(k for k in app.store.keys() if k not in known)  # noqa: SIM118 (a store, not a dict)
    _check_stamps(app, report)
    report.leftovers = [f"{p} ({_describe(p)})" for p in leftovers(app)]
    return report


def _check_stamps(app: Saraban, report: StoreReport) -> None:
    """Each registered letter's main document has one stamped copy holding one stamp; no other file of the
    letter has one."""
    with app.tx(readonly=True) as uow:
        s = uow.session
        mains = {att.id: att for att, _reg, _registry in main_documents(s)}
        stamped = list(s.exec(select(Rendition, Attachment).join(Attachment).where(Rendition.kind == "stamped")))
    lid, aid = app.public_ids.letters.encode, app.public_ids.attachments.encode
    by_letter: dict[int, list[int]] = defaultdict(list)
    stamped_of: dict[int, Rendition] = {}
    for rendition, att in stamped:
        assert att.id is not None
        by_letter[att.letter_id].append(att.id)
        stamped_of[att.id] = rendition
    for letter_id, att_ids in sorted(by_letter.items()):
        if len(att_ids) > 1:
            report.problems.append(
                f"letter {lid(letter_id)}: {len(att_ids)} files carry a receive stamp "
                f"(attachments {', '.join(str(aid(i)) for i in sorted(att_ids))}); only its main document should"
            )
    for att_id, att in sorted(mains.items(), key=lambda kv: kv[0] or 0):
        label = f"attachment {aid(att_id or 0)} ({att.filename}) of letter {lid(att.letter_id)}"
        copy = stamped_of.get(att_id or 0)
        if copy is None or not app.store.exists(copy.sha256):
            if att.stamp_status in ("too_complex", "unstampable", "stamp_failed"):
                report.unstamped.append(f"{label}: not stamped ({att.stamp_status})")
            else:
                report.problems.append(f"{label}: the main document lacks its receive stamp (verify --repair)")
            continue
        count = _stamps_in(app, copy.sha256, att)
        if count > 1:
            report.problems.append(f"{label}: its stamped copy {copy.sha256} carries {count} stamps")


def _stamps_in(app: Saraban, stamped_sha: str, att: Attachment) -> int:
    """The incremental updates a stamped copy adds: one per stamp. A PDF's copy is the original followed by the
    update(s); an image's copy is a one-page PDF (one end-of-file marker of its own) followed by them."""
    skip = att.size if att.media_type == "application/pdf" else 0
    count, seen, tail = 0, 0, b""
    for chunk in app.store.iter_chunks(stamped_sha):
        if seen + len(chunk) <= skip:
            seen += len(chunk)
            continue
        part = chunk[max(skip - seen, 0) :]
        seen += len(chunk)
        window = tail + part
        count += window.count(_EOF) - tail.count(_EOF)
        tail = window[-(len(_EOF) - 1) :]
    return count if skip else count - 1


# ---------------------------------------------------------------------------------------------- crash leftovers


def leftovers(app: Saraban, *, before: float | None = None) -> list[Path]:
    """Scratch files a crash left behind: entries of the data dir's ``tmp`` (staged uploads ``staged-*.part``,
    stamping directories) and a local store's half-written ``.incoming-*`` files, last touched before ``before``
    (a time stamp; default: ``LEFTOVER_AGE_SECONDS`` ago)."""
    cutoff = before if before is not None else time.time() - LEFTOVER_AGE_SECONDS
    found: list[Path] = []
    if app.tmp_dir.is_dir():
        found += [p for p in app.tmp_dir.iterdir() if _mtime(p) < cutoff]
    root = app.settings.store_path
    if app.settings.store == "local" and root.is_dir():
        found += [p for p in root.glob("*/*/.incoming-*") if _mtime(p) < cutoff]
    return sorted(found)


def clean_leftovers(app: Saraban, *, before: float | None = None) -> list[Path]:
    """Remove :func:`leftovers`; returns what was removed."""
    removed = []
    for path in leftovers(app, before=before):
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        except FileNotFoundError:
            continue
        removed.append(path)
    return removed


def _mtime(path: Path) -> float:
    try:
        return path.lstat().st_mtime
    except FileNotFoundError:
        return float("inf")


def _describe(path: Path) -> str:
    try:
        st = path.lstat()
    except FileNotFoundError:
        return "gone"
    age = max(0, int(time.time() - st.st_mtime))
    return f"{st.st_size} bytes, untouched for {age} s"
