"""The background stamp job (issue 10: "the stamp made later by a bounded background job — never an unbounded
request"): letters registered "not stamped: too complex" are tried once more with the job's larger budgets, each
in a child process the kernel bounds; the outcome is kept and audited, and a true bomb is marked and left.
"""

from __future__ import annotations

import json
import resource
import threading
import time
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import select

from service.app import create_app
from service.context import Saraban, build
from service.kit.clock import system_clock
from service.models import Attachment, AuditEvent, IndexChange, Rendition
from service.receiving.flow import restamp_missing
from service.receiving.stampjob import STAMP_FAILED, JobReport, claim, claim_lease, run_stamp_job, stamp_waiting
from tests.bombs import flate_bomb_pdf, pixel_bomb_png
from tests.conftest import MakeSaraban, dispose, login, registry_id
from tests.publicids import internal_attachment_id, internal_id

BUDGETS: dict[str, Any] = {
    # a request: 8 MiB of content, 50,000 operators, 25 million pixels, 5 s
    "stamp_max_operators": 50_000,
    # the job: 16 MiB of content, 2 million operators, 200 million pixels, 60 s (and the kernel's 1.5 GB)
    "stamp_job_content_mb": 16,
    "stamp_job_operators": 2_000_000,
    "stamp_job_pixels": 200_000_000,
    "stamp_job_seconds": 60.0,
}


def register(app: Saraban, client: TestClient, h: dict[str, str], name: str, data: bytes, media: str) -> dict[str, Any]:
    """The receive answer, with each attachment's ``id`` the internal key the job reports (``public_id`` kept)."""
    meta = {"sender": "สพฐ.", "subject": f"ทดสอบ {name}", "letter_type": "external"}
    r = client.post(
        f"/api/v1/registries/{registry_id(client, h, 'central')}/receive",
        headers=h,
        files=[("meta", (None, json.dumps(meta, ensure_ascii=False))), ("files", (name, data, media))],
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    for att in body["attachments"]:
        att["public_id"], att["id"] = att["id"], internal_attachment_id(app, att["id"])
    return body


def status_of(app: Saraban, attachment_id: int) -> tuple[str, int]:
    with app.tx(readonly=True) as uow:
        att = uow.session.get(Attachment, attachment_id)
        assert att is not None
        copies = uow.session.exec(
            select(Rendition).where(Rendition.attachment_id == attachment_id, Rendition.kind == "stamped")
        ).all()
        return att.stamp_status, len(copies)


def events(app: Saraban, action: str) -> list[AuditEvent]:
    with app.tx(readonly=True) as uow:
        return list(uow.session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def test_the_job_stamps_what_fits_its_budget_and_marks_the_bombs(make_saraban: MakeSaraban) -> None:
    app = make_saraban(**BUDGETS)
    with TestClient(create_app(app)) as client:
        h = login(client, "central")
        # ~2 MB of path operators (about 280,000): over a request's 50,000, within the job's 2 million
        heavy = register(app, client, h, "heavy.pdf", flate_bomb_pdf(2), "application/pdf")["attachments"][0]
        # ~150 MB of operators: over the job's 16 MiB of content too
        bomb_letter = register(app, client, h, "bomb.pdf", flate_bomb_pdf(150), "application/pdf")
        bomb = bomb_letter["attachments"][0]
        # 169 million pixels: over a request's 25 million, within the job's 200 million
        pixels = register(app, client, h, "pixels.png", pixel_bomb_png(13000), "image/png")["attachments"][0]
        for att in (heavy, bomb, pixels):
            assert att["stamp_status"] == "too_complex", att

        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.monotonic()
        report = stamp_waiting(app, limit=10)
        took = time.monotonic() - started
        grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024

        assert report.stamped == [heavy["id"], pixels["id"]], report
        assert len(report.failed) == 1, report
        assert status_of(app, heavy["id"]) == ("", 1)
        assert status_of(app, pixels["id"]) == ("", 1)
        assert status_of(app, bomb["id"]) == (STAMP_FAILED, 0)
        (failed,) = events(app, "stamp_failed")
        assert failed.object_id == str(bomb["id"]) and failed.actor == "stamp_job"
        assert "decodes to more than allowed" in json.loads(failed.detail)["reason"], failed.detail
        completed = events(app, "stamp_completed")
        assert sorted(e.object_id for e in completed) == sorted([str(heavy["id"]), str(pixels["id"])])
        # what was stamped late goes back to the index (its text was skipped while too complex); the bomb does not
        with app.tx() as uow:
            relogged = uow.session.exec(select(IndexChange.letter_id).where(IndexChange.reason == "stamped")).all()
        assert len(relogged) == 2 and internal_id(app, bomb_letter["letter_id"]) not in relogged, relogged
        # the job itself stayed small and bounded: the bombs were opened in the children, within their timeouts
        assert grown_mb < 64, grown_mb
        assert took < 3 * (2 * BUDGETS["stamp_job_seconds"] + 30), took

        # the letter says why there is no stamp
        letter = client.get(f"/api/v1/letters/{bomb_letter['letter_id']}", headers=h).json()
        (shown,) = [a for a in letter["attachments"] if a["id"] == bomb["public_id"]]
        assert shown["stamp_status"] == STAMP_FAILED and "ไม่ได้ประทับตรา" in shown["stamp_status_th"]

        # the outcome is permanent: nothing is waiting, a second run tries nothing
        again = run_stamp_job(app, once=True)
        assert again.stamped == [] and again.failed == []
        assert len(events(app, "stamp_failed")) == 1


def test_the_kernel_bounds_a_child_that_outgrows_its_memory(make_saraban: MakeSaraban) -> None:
    """Within every budget but not within the address space the job gives its child (450 MB: the interpreter
    and its libraries take most of it): the child dies of it, the attachment is marked, the job goes on."""
    app = make_saraban(**{**BUDGETS, "stamp_job_memory_mb": 450})
    with TestClient(create_app(app)) as client:
        h = login(client, "central")
        pixels = register(app, client, h, "pixels.png", pixel_bomb_png(13000), "image/png")["attachments"][0]
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report = stamp_waiting(app)
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024 < 64
    assert report.stamped == [] and len(report.failed) == 1, report
    assert status_of(app, pixels["id"]) == (STAMP_FAILED, 0)
    (failed,) = events(app, "stamp_failed")
    assert "MemoryError" in json.loads(failed.detail)["reason"], failed.detail


def test_verify_lists_a_failed_stamp_as_unstamped_for_a_reason(make_saraban: MakeSaraban) -> None:
    app = make_saraban(**{**BUDGETS, "stamp_job_content_mb": 1})
    with TestClient(create_app(app)) as client:
        h = login(client, "central")
        att = register(app, client, h, "heavy.pdf", flate_bomb_pdf(2), "application/pdf")["attachments"][0]
    assert stamp_waiting(app).failed
    assert status_of(app, att["id"]) == (STAMP_FAILED, 0)
    # `verify --repair` still tries it on demand, with the request's budgets: it stays unstamped, reported
    assert restamp_missing(app).failed


def another_node(app: Saraban, *, later: timedelta = timedelta(0)) -> Saraban:
    """A second app node over the same database and object store (README "Scale-out"); ``later``: its clock ahead."""
    return build(app.settings, clock=lambda: system_clock() + later, with_indexer=False)


def heavy_letters(app: Saraban, count: int) -> list[int]:
    """``count`` main documents over a request's operators and within the job's: each waits for the job."""
    with TestClient(create_app(app)) as client:
        h = login(client, "central")
        ids = [
            register(app, client, h, f"heavy{n}.pdf", flate_bomb_pdf(1), "application/pdf")["attachments"][0]["id"]
            for n in range(count)
        ]
    assert all(status_of(app, i) == ("too_complex", 0) for i in ids)
    return ids


def claim_of(app: Saraban, attachment_id: int) -> tuple[str, Any]:
    with app.tx(readonly=True) as uow:
        att = uow.session.get(Attachment, attachment_id)
        assert att is not None
        return att.stamp_claimed_by, att.stamp_claimed_until


def test_two_nodes_stamp_each_waiting_attachment_once(make_saraban: MakeSaraban, any_db: str) -> None:
    """Both nodes' jobs read the same waiting list at once; the claim lets one job through per attachment."""
    app = make_saraban(any_db, **BUDGETS)
    ids = heavy_letters(app, 3)
    nodes = [app, another_node(app)]
    reports: list[JobReport] = [JobReport(), JobReport()]
    together = threading.Barrier(2)

    def job(n: int) -> None:
        together.wait()
        reports[n] = stamp_waiting(nodes[n], limit=10)

    threads = [threading.Thread(target=job, args=(n,)) for n in range(2)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=600)
    finally:
        dispose(nodes[1])
    assert not any(t.is_alive() for t in threads)
    assert reports[0].failed == reports[1].failed == [], reports
    assert sorted(reports[0].stamped + reports[1].stamped) == sorted(ids), reports  # each once, none twice
    assert reports[0].stamped and reports[1].stamped, reports  # and the two jobs shared the work
    for i in ids:
        assert status_of(app, i) == ("", 1)
        assert claim_of(app, i) == ("", None)  # released
    completed = events(app, "stamp_completed")
    assert sorted(int(e.object_id) for e in completed) == sorted(ids)


def test_a_dead_nodes_claim_lapses_and_another_job_takes_it_over(make_saraban: MakeSaraban, any_db: str) -> None:
    app = make_saraban(any_db, **BUDGETS)
    (att,) = heavy_letters(app, 1)
    # a node claims the attachment and dies before it stamps it
    assert claim(app, att, claimer="node-a/1/dead")
    assert not claim(app, att, claimer="node-b/2/alive")  # a claim holds against every other job
    assert stamp_waiting(app) == JobReport()
    assert status_of(app, att) == ("too_complex", 0)

    # once the lease has run out, another node's job takes it over and stamps it
    later = another_node(app, later=claim_lease(app.settings) + timedelta(seconds=1))
    try:
        report = stamp_waiting(later)
    finally:
        dispose(later)
    assert report.stamped == [att] and report.failed == [], report
    assert status_of(app, att) == ("", 1)
    assert claim_of(app, att) == ("", None)
    assert [int(e.object_id) for e in events(app, "stamp_completed")] == [att]


def test_repair_leaves_what_a_node_is_stamping_to_that_node(make_saraban: MakeSaraban) -> None:
    """`saraban verify --repair` claims a waiting attachment as the job does: one a node's job holds is reported
    and left alone; one nobody holds is claimed for the repair and given back after."""
    app = make_saraban(**BUDGETS)
    held, free = heavy_letters(app, 2)
    assert claim(app, held, claimer="node-a/1/stamping")
    report = restamp_missing(app)
    assert any("stamp job is stamping it now" in line for line in report.failed), report
    assert status_of(app, held) == ("too_complex", 0)
    assert claim_of(app, held)[0] == "node-a/1/stamping"  # still that node's
    assert claim_of(app, free) == ("", None)  # the repair's own claim, given back
