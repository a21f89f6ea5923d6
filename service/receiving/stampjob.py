"""The stamp made later: a bounded background job for main documents registered "not stamped: too complex".

A request stamps within the request budgets (``SARABAN_STAMP_MAX_*``); a letter over them is registered unstamped
(``stamp_status = "too_complex"``). This job (a thread of the index worker, ``saraban worker``, which ``saraban
serve`` supervises; or ``saraban stamp-job`` on its own) takes
such attachments a few at a time and tries each once more with the larger job budgets (``SARABAN_STAMP_JOB_*``),
in a child process of its own that the kernel bounds as well: CPU time (``RLIMIT_CPU``) and address space
(``RLIMIT_AS``), and a wall-clock timeout after which it is killed. A bomb therefore costs one bounded child, never
the job or a server.

The outcome is permanent and audited (the job is the actor, ``stamp_job``): the stamped copy recorded and
``stamp_status`` cleared (``stamp_completed``), or ``stamp_status = "stamp_failed"`` (``stamp_failed``, with why),
which no run picks again. ``saraban verify --repair`` still tries any unstamped main document on demand.

Every app node runs the job over the one shared database (README "Scale-out"), so a job first claims an attachment
(:func:`claim`: one conditional UPDATE, atomic on SQLite and PostgreSQL alike) and stamps only what it holds. The
claim is a lease longer than the child's own timeout: a node that dies holding one loses it, and another node's job
takes the attachment over once it has lapsed.

    python -m service.receiving.stampjob ATTACHMENT_ID [CLAIMER]    the child: settings as JSON on stdin
"""

from __future__ import annotations

import logging
import os
import resource
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, or_, update
from sqlmodel import Session, col, select

from service import audit
from service.config import Settings
from service.context import Saraban, build
from service.indexing.changes import STAMPED, record_change
from service.models import Attachment, Letter, Registration, Registry, Rendition, Unit
from service.pdf.budget import Budget
from service.receiving.flow import TOO_COMPLEX, StampJob, kind_of, stamp_attachment

log = logging.getLogger(__name__)

STAMP_FAILED = "stamp_failed"
JOB_ACTOR = "stamp_job"
MIB = 1024 * 1024
LEASE_MARGIN = timedelta(seconds=60)


def job_budget(settings: Settings) -> Budget:
    """The job's budgets: larger than a request's, still bounded (``SARABAN_STAMP_JOB_*``)."""
    return Budget(
        content_bytes=settings.stamp_job_content_mb * MIB,
        operators=settings.stamp_job_operators,
        pixels=settings.stamp_job_pixels,
        seconds=settings.stamp_job_seconds,
    )


def child_timeout(settings: Settings) -> float:
    """The wall-clock bound of one child: the interpreter's start, then the budget's own clock."""
    return settings.stamp_job_seconds * 2 + 30


def claim_lease(settings: Settings) -> timedelta:
    """How long a claim holds: longer than the child it covers may run, so only a dead node's claim lapses."""
    return timedelta(seconds=child_timeout(settings)) + LEASE_MARGIN


def new_claimer(settings: Settings) -> str:
    """This job's name in ``stamp_claimed_by``: the node, the process and a random part (two jobs in one process
    are two claimers)."""
    return f"{settings.node_id or os.uname().nodename}"[:40] + f"/{os.getpid()}/{secrets.token_hex(4)}"


@dataclass
class JobReport:
    stamped: list[int] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def _unclaimed(now: datetime) -> Any:
    """No job holds it: never claimed, released, or the claim has lapsed."""
    until = col(Attachment.stamp_claimed_until)
    return or_(until.is_(None), until <= now)


def waiting(session: Session, *, limit: int, now: datetime | None = None) -> list[StampJob]:
    """Main documents registered over the request budgets, oldest first, with what their stamp shows (``now``:
    only those no job holds a claim on at that moment)."""
    query = select(Attachment).where(Attachment.stamp_status == TOO_COMPLEX)
    if now is not None:
        query = query.where(_unclaimed(now))
    atts = session.exec(query.order_by(col(Attachment.id)).limit(limit)).all()
    return [job for att in atts if (job := job_of(session, att)) is not None]


def claim(app: Saraban, attachment_id: int, *, claimer: str) -> bool:
    """Take a waiting attachment for this job, or learn that another holds it: one conditional UPDATE (the
    database lets one of two concurrent ones through), so two nodes never stamp the same attachment at once."""
    now = app.clock()
    with app.tx() as uow:
        done = uow.session.execute(
            update(Attachment)
            .where(col(Attachment.id) == attachment_id, col(Attachment.stamp_status) == TOO_COMPLEX, _unclaimed(now))
            .values(stamp_claimed_by=claimer, stamp_claimed_until=now + claim_lease(app.settings))
        )
        assert isinstance(done, CursorResult)
        return done.rowcount == 1


def release(app: Saraban, attachment_id: int, *, claimer: str) -> None:
    """Give a claim back (only this job's own: one that lapsed and was taken over stays with its new holder)."""
    with app.tx() as uow:
        uow.session.execute(
            update(Attachment)
            .where(col(Attachment.id) == attachment_id, col(Attachment.stamp_claimed_by) == claimer)
            .values(stamp_claimed_by="", stamp_claimed_until=None)
        )


def job_of(session: Session, att: Attachment) -> StampJob | None:
    """What the stamp of this attachment shows: the letter's first registration, its registry's unit."""
    row = session.exec(
        select(Registration, Registry)
        .join(Registry, col(Registry.id) == Registration.registry_id)
        .where(Registration.letter_id == att.letter_id)
        .order_by(col(Registration.id))
        .limit(1)
    ).first()
    if row is None or att.id is None:
        return None
    reg, registry = row
    unit = session.get(Unit, registry.unit_id)
    name = (unit.short_name or unit.name) if unit else ""
    return StampJob(att.id, att.sha256, kind_of(att.media_type), name, reg.number, reg.registered_at)


def start_stamp_job(app: Saraban, stop: threading.Event) -> threading.Thread:
    """The job as a thread of a long-running process (the index worker): it only waits on its children."""
    thread = threading.Thread(target=run_stamp_job, args=(app,), kwargs={"once": False, "stop": stop}, daemon=True)
    thread.name = "stamp job"
    thread.start()
    return thread


def stamp_waiting(app: Saraban, *, limit: int = 5, stop: threading.Event | None = None) -> JobReport:
    """One round: up to ``limit`` waiting attachments, each in its own bounded child process."""
    report = JobReport()
    claimer = new_claimer(app.settings)
    with app.tx(readonly=True) as uow:
        jobs = waiting(uow.session, limit=limit, now=app.clock())
    for job in jobs:
        if stop is not None and stop.is_set():
            break
        if not claim(app, job.attachment_id, claimer=claimer):
            continue  # another node's job holds it (or has finished it since the list was read)
        reason = _run_child(app, job.attachment_id, claimer=claimer)
        if _stamped(app, job.attachment_id):
            settled = _settle(app, job, "", "stamp_completed", "", claimer=claimer)
            if settled:
                report.stamped.append(job.attachment_id)
        else:
            settled = _settle(app, job, STAMP_FAILED, "stamp_failed", reason, claimer=claimer)
            if settled:
                report.failed.append(f"attachment {job.attachment_id}: {reason}")
    return report


def run_stamp_job(app: Saraban, *, once: bool, stop: threading.Event | None = None) -> JobReport:
    """Rounds every ``SARABAN_STAMP_JOB_INTERVAL`` seconds until stopped (``once``: until none is waiting)."""
    total = JobReport()
    pause = stop.wait if stop is not None else time.sleep
    while not (stop is not None and stop.is_set()):
        report = stamp_waiting(app, stop=stop)
        total.stamped += report.stamped
        total.failed += report.failed
        if once and not (report.stamped or report.failed):
            break
        if not (report.stamped or report.failed):
            pause(app.settings.stamp_job_interval)
    return total


def _limits(settings: Settings) -> None:
    """The child's first act: the kernel's bounds on itself (CPU seconds, then SIGXCPU/SIGKILL; the address
    space), before it opens the file. Set there rather than between fork and exec, which is unsafe in the job's
    thread (``saraban worker``)."""
    cpu = int(settings.stamp_job_seconds) + 5
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    memory = settings.stamp_job_memory_mb * MIB
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))


def _run_child(app: Saraban, attachment_id: int, *, claimer: str) -> str:
    """Stamp one attachment in a bounded child process; "" when it ran to its end, or why it did not."""
    s = app.settings
    timeout = child_timeout(s)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "service.receiving.stampjob", str(attachment_id), claimer],
            input=s.model_dump_json().encode(),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"stopped after {timeout:g} s"
    said = done.stdout.decode("utf-8", "replace").strip().splitlines()
    if done.returncode < 0:
        return f"stopped by the system ({signal.Signals(-done.returncode).name}: a CPU or memory bound)"
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
        return f"exited with {done.returncode}: {tail[0][:300]}"
    return said[-1] if said else ""


def _stamped(app: Saraban, attachment_id: int) -> bool:
    with app.tx(readonly=True) as uow:
        rows = uow.session.exec(
            select(Rendition).where(Rendition.attachment_id == attachment_id, Rendition.kind == "stamped")
        ).all()
        return any(app.store.exists(r.sha256) for r in rows)


def _settle(app: Saraban, job: StampJob, status: str, action: str, reason: str, *, claimer: str) -> bool:
    """The outcome, kept: the status (never picked again unless ``too_complex``) and the audit event; the claim
    released. Nothing is kept (False) when the claim is no longer this job's: the job that took it over settles."""
    with app.tx() as uow:
        att = uow.session.get(Attachment, job.attachment_id, with_for_update=True)
        if att is None or att.stamp_claimed_by != claimer:
            log.warning(
                "attachment %s: the claim was taken over; its outcome is left to the job that holds it",
                job.attachment_id,
            )
            return False
        att.stamp_status = status
        att.stamp_claimed_by, att.stamp_claimed_until = "", None
        uow.session.add(att)
        if not status:  # stamped: the text that was skipped while it was too complex is indexed now
            letter = uow.session.get(Letter, att.letter_id)
            record_change(uow.session, [letter] if letter is not None else [], STAMPED)
        detail: dict[str, Any] = {"reason": reason[:500]} if reason else {}
        audit.record(
            uow.session,
            at=app.clock(),
            action=action,
            actor_name=JOB_ACTOR,
            object_type="attachment",
            object_id=job.attachment_id,
            letter_id=att.letter_id,
            filename=att.filename,
            **detail,
        )
    log.info("attachment %s: %s %s", job.attachment_id, action, reason)
    return True


def child_main(attachment_id: int, claimer: str = "") -> None:
    """The child: the app from the settings on stdin, one stamp within the job budgets; prints why not.
    ``claimer``: the job that claimed the attachment; the child stamps only while that claim stands."""
    settings = Settings.model_validate_json(sys.stdin.buffer.read())
    _limits(settings)
    app = build(settings, with_indexer=False)
    with app.tx(readonly=True) as uow:
        att = uow.session.get(Attachment, attachment_id)
        held = att is not None and (not claimer or att.stamp_claimed_by == claimer)
        job = job_of(uow.session, att) if att is not None and held and att.stamp_status == TOO_COMPLEX else None
    if job is None:
        print("not waiting for a stamp" if held else "claimed by another stamp job")
        return
    outcome = stamp_attachment(app, job, budget=job_budget(settings))
    print("" if outcome.rendition is not None else f"{outcome.status}: {outcome.reason}"[:500])
    app.engine.dispose()


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3) or not sys.argv[1].isdigit():
        raise SystemExit(__doc__)
    child_main(int(sys.argv[1]), *sys.argv[2:3])
