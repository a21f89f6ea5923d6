"""The destruction cycle over the API with an injected clock (ระเบียบงานสารบรรณ ข้อ 66–69): the list drawn up inside
the window with only what is due (never permanent or held items), the committee (refused when it does not qualify),
its decisions, the head's approval, the National Archives and their 60 days, execution — refused before approval,
inside the objection window, for held or permanent items, each with its code and no change — then the objects gone
from the store (a shared object kept), the letters gone from search, tombstones answering 410, both chains intact.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlmodel import col, select

from service.app import create_app
from service.audit import verify_chain
from service.context import Saraban
from service.integrity.core import verify_store
from service.models import ArchiveItem, Attachment, AuditEvent, CommitteeMember, Rendition
from tests.archive_kit import complete_journey, file_letters, receive, use_clock
from tests.conftest import MakeSaraban, login
from tests.publicids import internal_id
from tests.samples import thai_letter_pdf

COMMITTEE = [
    {"name": "นายประธาน ตั้งมั่น", "position": "นักจัดการงานทั่วไป", "level": "ชำนาญการพิเศษ", "role": "chair"},
    {"name": "นางกรรมการ หนึ่ง", "position": "นักวิชาการศึกษา", "level": "ชำนาญการ", "role": "member"},
    {"name": "นายกรรมการ สอง", "position": "เจ้าพนักงานธุรการ", "level": "ชำนาญงาน", "role": "member"},
]


class Office:
    def __init__(self, app: Saraban, client: TestClient) -> None:
        self.app, self.client = app, client
        self.clock = use_clock(app, date(2024, 5, 1))
        self.h: dict[str, dict[str, str]] = {}
        self.signin()

    def signin(self) -> None:
        self.h = {n: login(self.client, n) for n in ("central", "records", "director")}

    def at(self, day: date) -> None:
        self.clock.set(day)
        self.signin()

    def post(self, path: str, who: str = "records", **kw: Any) -> Any:
        return self.client.post(f"/api/v1{path}", headers=self.h[who], **kw)

    def get(self, path: str, who: str = "records", **kw: Any) -> Any:
        return self.client.get(f"/api/v1{path}", headers=self.h[who], **kw)

    def letter(self, subject: str, *, pdf: bytes | None = None, cls: str = "routine") -> dict[str, Any]:
        body = receive(self.client, self.h["central"], subject=subject, pdf=pdf)
        complete_journey(self.app, body["letter_id"], date(2024, 5, 2))
        r = file_letters(self.client, self.h["records"], [body["letter_id"]], cls=cls)
        assert r.status_code == 201, r.text
        body["item_id"] = r.json()["items"][0]["id"]
        return body

    def search(self, q: str) -> list[int]:
        assert self.app.indexer is not None and self.app.indexer.wait_idle(60)
        r = self.get("/search", params={"q": q})
        assert r.status_code == 200, r.text
        return [x["letter_id"] for x in r.json()["results"]]

    def snapshot(self) -> tuple[Any, ...]:
        """Everything an execution would change."""
        with self.app.tx() as uow:
            s = uow.session
            return (
                sorted((i.id, i.state, i.keep_until_year) for i in s.exec(select(ArchiveItem))),
                sorted(a.id for a in s.exec(select(Attachment))),
                sorted(r.id for r in s.exec(select(Rendition))),
                sorted(self.app.store.keys()),
            )


@pytest.fixture
def office(make_saraban: MakeSaraban, any_db: str) -> Iterator[Office]:
    """On SQLite and on PostgreSQL."""
    app = make_saraban(any_db, with_indexer=True)
    with TestClient(create_app(app)) as client:
        yield Office(app, client)


def unchanged(o: Office, call: Any) -> Any:
    """``call()`` (a refusal) leaves the items, attachments, renditions and stored objects as they were."""
    assert o.app.indexer is not None and o.app.indexer.wait_idle(60)
    before = o.snapshot()
    result = call()
    assert o.snapshot() == before
    return result


def refused(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert body["code"] == code, body
    assert body["detail_th"]
    return body


def test_the_whole_cycle_with_every_refusal(office: Office) -> None:
    o = office
    shared_pdf = thai_letter_pdf(subject="โครงการฝายชะลอน้ำ")
    a = o.letter("โครงการปลูกป่าชายเลน")  # routine: kept until 2568, due in January 2569
    b = o.letter("โครงการฝายชะลอน้ำ", pdf=shared_pdf)  # due; its original's bytes are also c's
    c = o.letter("รายงานฝายชะลอน้ำ", pdf=shared_pdf, cls="general")  # not due until 2577
    o.letter("ประวัติสำนักงานเขตพื้นที่", cls="permanent")  # ห้ามทำลาย
    e = o.letter("เรื่องร้องเรียนการจัดซื้อ")  # due, but held
    f = o.letter("ขอความร่วมมือสำรวจข้อมูล")  # due; the committee keeps it longer
    assert o.search("ป่าชายเลน") == [a["letter_id"]]
    hold = o.post(f"/archive/items/{e['item_id']}/holds", json={"reason": "อยู่ระหว่างการสอบสวน"}).json()

    # outside the window: nothing is listed
    o.at(date(2025, 12, 30))
    refused(o.post("/archive/destruction-lists"), 409, "outside_window")

    o.at(date(2026, 1, 15))  # B.E. 2569, inside the window
    refused(o.post("/archive/destruction-lists", "director"), 403, "forbidden")
    r = o.post("/archive/destruction-lists")
    assert r.status_code == 201, r.text
    lst = r.json()
    listed = {i["item_id"] for i in lst["items"]}
    assert listed == {a["item_id"], b["item_id"], f["item_id"]}  # not c (not due), d (permanent), e (held)
    assert {i["letter_id"] for i in lst["items"]} == {a["letter_id"], b["letter_id"], f["letter_id"]}
    assert [i["position"] for i in lst["items"]] == [1, 2, 3]
    lid = lst["id"]
    # what is on an open list is not listed twice
    refused(o.post("/archive/destruction-lists"), 409, "nothing_due")

    # before approval: refused, nothing changes
    unchanged(o, lambda: refused(o.post(f"/archive/destruction-lists/{lid}/execute"), 409, "not_approved"))
    refused(o.post(f"/archive/destruction-lists/{lid}/approve", "director"), 409, "committee_missing")
    refused(
        o.post(
            f"/archive/destruction-lists/{lid}/decisions",
            json={"decisions": [{"item_id": a["item_id"], "decision": "destroy"}]},
        ),
        409,
        "committee_missing",
    )

    # a committee that does not qualify is refused, with no change
    too_few = refused(
        o.post(f"/archive/destruction-lists/{lid}/committee", json={"members": COMMITTEE[:2]}),
        422,
        "committee_not_qualified",
    )
    assert too_few["reason"] == "too_few_members"
    low = [*COMMITTEE[:2], {**COMMITTEE[2], "level": "ปฏิบัติงาน"}]
    body = refused(
        o.post(f"/archive/destruction-lists/{lid}/committee", json={"members": low}), 422, "committee_not_qualified"
    )
    assert body["reason"] == "level_not_qualified" and body["unqualified"] == ["นายกรรมการ สอง"]
    no_chair = [{**m, "role": "member"} for m in COMMITTEE]
    assert (
        refused(
            o.post(f"/archive/destruction-lists/{lid}/committee", json={"members": no_chair}),
            422,
            "committee_not_qualified",
        )["reason"]
        == "no_chair"
    )
    with o.app.tx() as uow:
        assert uow.session.exec(select(CommitteeMember)).first() is None
    r = o.post(f"/archive/destruction-lists/{lid}/committee", json={"members": COMMITTEE})
    assert r.status_code == 200, r.text
    assert [m["role"] for m in r.json()["committee"]] == ["chair", "member", "member"]

    refused(o.post(f"/archive/destruction-lists/{lid}/approve", "director"), 409, "undecided_items")
    decisions = [
        {"item_id": a["item_id"], "decision": "destroy"},
        {"item_id": b["item_id"], "decision": "destroy"},
        {"item_id": f["item_id"], "decision": "keep", "keep_until_year": 2568},
    ]
    refused(
        o.post(f"/archive/destruction-lists/{lid}/decisions", json={"decisions": decisions}), 422, "keep_year_not_later"
    )
    refused(
        o.post(
            f"/archive/destruction-lists/{lid}/decisions",
            json={"decisions": [{"item_id": c["item_id"], "decision": "destroy"}]},
        ),
        422,
        "not_on_list",
    )
    decisions[2]["keep_until_year"] = 2575
    r = o.post(f"/archive/destruction-lists/{lid}/decisions", json={"decisions": decisions})
    assert r.status_code == 200, r.text
    assert o.get(f"/archive/items/{f['item_id']}").json()["keep_until_year"] == 2575  # การพิจารณา: เก็บถึง 2575

    refused(o.post(f"/archive/destruction-lists/{lid}/approve"), 403, "forbidden")  # the head approves
    r = o.post(f"/archive/destruction-lists/{lid}/approve", "director")
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "approved"
    refused(
        o.post(f"/archive/destruction-lists/{lid}/decisions", json={"decisions": decisions}), 409, "already_approved"
    )

    refused(o.post(f"/archive/destruction-lists/{lid}/execute"), 409, "archives_not_notified")
    o.at(date(2026, 1, 20))
    r = o.post(f"/archive/destruction-lists/{lid}/archives-notified", json={"date": "๒๐ ม.ค. ๒๕๖๙", "answer": None})
    assert r.status_code == 200, r.text
    assert r.json()["archives_notified_on"] == "2026-01-20"
    assert r.json()["objection_window_ends"] == "2026-03-21"

    # inside the objection window
    o.at(date(2026, 3, 21))
    body = unchanged(
        o, lambda: refused(o.post(f"/archive/destruction-lists/{lid}/execute"), 409, "objection_window_open")
    )
    assert body["objection_window_ends"] == "2026-03-21"

    o.at(date(2026, 3, 22))
    # a hold placed after the listing stops the execution
    late = o.post(f"/archive/items/{a['item_id']}/holds", json={"reason": "ผู้ตรวจเงินแผ่นดินขอตรวจสอบ"}).json()
    body = unchanged(o, lambda: refused(o.post(f"/archive/destruction-lists/{lid}/execute"), 409, "item_held"))
    assert body["item_ids"] == [a["item_id"]]
    assert o.client.delete(f"/api/v1/archive/holds/{late['id']}", headers=o.h["records"]).status_code == 200
    # an item reclassified as permanent (ห้ามทำลาย) stops it too
    classes = {x["code"]: x["id"] for x in o.get("/retention-classes").json()}
    o.client.patch(
        f"/api/v1/archive/items/{b['item_id']}",
        headers=o.h["records"],
        json={"retention_class_id": classes["permanent"]},
    )
    body = unchanged(o, lambda: refused(o.post(f"/archive/destruction-lists/{lid}/execute"), 409, "item_permanent"))
    assert body["item_ids"] == [b["item_id"]]
    o.client.patch(
        f"/api/v1/archive/items/{b['item_id']}", headers=o.h["records"], json={"retention_class_id": classes["routine"]}
    )
    assert o.app.indexer is not None and o.app.indexer.wait_idle(60)
    refused(o.post(f"/archive/destruction-lists/{lid}/execute", "director"), 403, "forbidden")

    # the window has passed: executed
    with o.app.tx() as uow:
        s = uow.session
        a_objects = {
            x.sha256
            for x in s.exec(select(Attachment).where(Attachment.letter_id == internal_id(o.app, a["letter_id"])))
        }
        a_objects |= {
            x.sha256
            for x in s.exec(
                select(Rendition)
                .join(Attachment, col(Attachment.id) == Rendition.attachment_id)
                .where(Attachment.letter_id == internal_id(o.app, a["letter_id"]))
            )
        }
        b_renditions = {
            x.sha256
            for x in s.exec(
                select(Rendition)
                .join(Attachment, col(Attachment.id) == Rendition.attachment_id)
                .where(Attachment.letter_id == internal_id(o.app, b["letter_id"]), Rendition.kind != "text")
            )
        }
    assert len(a_objects) >= 3  # the original, the receive-stamped copy, the keep-until copy (and extracted text)
    shared_sha = b["attachments"][0]["sha256"]
    assert shared_sha == c["attachments"][0]["sha256"]

    r = o.post(f"/archive/destruction-lists/{lid}/execute", json={"method": "ลบไฟล์และย่อยเอกสาร"})
    assert r.status_code == 200, r.text
    result = r.json()
    assert sorted(result["destroyed"]) == sorted([a["letter_id"], b["letter_id"]])
    assert shared_sha in result["objects_kept_shared"] and result["objects_not_removed"] == []
    # checked against the store itself
    for sha in a_objects | b_renditions:
        assert not o.app.store.exists(sha), sha
    assert o.app.store.exists(shared_sha)
    assert (
        o.client.get(f"/api/v1/attachments/{c['attachments'][0]['id']}/content", headers=o.h["records"]).content
        == shared_pdf
    )

    # the letters answer with their tombstones; their files are gone
    r = o.get(f"/letters/{a['letter_id']}")
    assert r.status_code == 410, r.text
    tomb = r.json()["tombstone"]
    assert tomb["subject"] == "โครงการปลูกป่าชายเลน" and tomb["file_code"] == "01.01"
    assert tomb["destruction_list_id"] == lid and tomb["method"] == "ลบไฟล์และย่อยเอกสาร"
    assert tomb["registrations"][0]["registry_code"] == "central"
    assert tomb["registrations"][0]["number"] == a["registration"]["number"]
    assert r.json()["code"] == "letter_destroyed"
    assert o.get(f"/attachments/{a['attachments'][0]['id']}/content").status_code in (404, 410)
    assert o.get(f"/attachments/{a['attachments'][0]['id']}/stamped").status_code in (404, 410)
    assert o.get(f"/letters/{f['letter_id']}").status_code == 200  # kept

    # search no longer finds them; the shared text still finds the kept letter
    assert o.search("ป่าชายเลน") == []
    assert o.search("ฝายชะลอน้ำ") == [c["letter_id"]]

    # the list is done; the items are marked; the chains hold
    refused(o.post(f"/archive/destruction-lists/{lid}/execute"), 409, "already_executed")
    view = o.get(f"/archive/destruction-lists/{lid}").json()
    assert view["state"] == "executed"
    assert {i["item_id"]: i["item_state"] for i in view["items"]} == {
        a["item_id"]: "destroyed",
        b["item_id"]: "destroyed",
        f["item_id"]: "filed",
    }
    assert o.client.delete(f"/api/v1/archive/holds/{hold['id']}", headers=o.h["records"]).status_code == 200
    with o.app.tx() as uow:
        assert verify_chain(uow.session).ok
        actions = [ev.action for ev in uow.session.exec(select(AuditEvent).order_by(col(AuditEvent.seq)))]
    assert actions.count("destroy") == 2 and "destruction_execute" in actions and "destruction_purge" in actions
    report = verify_store(o.app)
    assert report.problems == [] and report.orphans == []


def test_an_answer_from_the_archives_ends_the_wait(office: Office) -> None:
    o = office
    a = o.letter("ขอเชิญร่วมงานกีฬาสี")
    b = o.letter("ขอเชิญร่วมงานวันครู")
    o.at(date(2026, 2, 2))
    lid = o.post("/archive/destruction-lists").json()["id"]
    assert o.post(f"/archive/destruction-lists/{lid}/committee", json={"members": COMMITTEE}).status_code == 200
    o.post(
        f"/archive/destruction-lists/{lid}/decisions",
        json={"decisions": [{"item_id": x["item_id"], "decision": "destroy"} for x in (a, b)]},
    )
    refused(
        o.post(f"/archive/destruction-lists/{lid}/archives-notified", json={"date": "2026-02-02"}), 409, "not_approved"
    )
    assert o.post(f"/archive/destruction-lists/{lid}/approve", "director").status_code == 200
    o.post(f"/archive/destruction-lists/{lid}/archives-notified", json={"date": "2026-02-02", "answer": None})
    o.at(date(2026, 2, 10))
    refused(o.post(f"/archive/destruction-lists/{lid}/execute"), 409, "objection_window_open")
    r = o.post(f"/archive/destruction-lists/{lid}/archives-notified", json={"date": "2026-02-02", "answer": "approved"})
    assert r.json()["archives_answer"] == "approved"
    r = o.post(f"/archive/destruction-lists/{lid}/execute")
    assert r.status_code == 200, r.text
    assert sorted(r.json()["destroyed"]) == sorted([a["letter_id"], b["letter_id"]])

    # บัญชีหนังสือขอทำลาย with the committee's typed names: the signed destruction record
    pdf = o.get(f"/archive/destruction-lists/{lid}/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    for word in ("บัญชีหนังสือขอทำลาย", "รหัสแฟ้ม", "การพิจารณา", "หมายเหตุ", "นายประธาน", "ประธานกรรมการ", "ทำลายเมื่อ"):
        assert word in text, word


def test_an_objection_stops_the_list(office: Office) -> None:
    o = office
    a = o.letter("ขอเชิญร่วมงานกีฬาสี")
    o.at(date(2026, 2, 2))
    lid = o.post("/archive/destruction-lists").json()["id"]
    o.post(f"/archive/destruction-lists/{lid}/committee", json={"members": COMMITTEE})
    o.post(
        f"/archive/destruction-lists/{lid}/decisions",
        json={"decisions": [{"item_id": a["item_id"], "decision": "destroy"}]},
    )
    o.post(f"/archive/destruction-lists/{lid}/approve", "director")
    o.post(f"/archive/destruction-lists/{lid}/archives-notified", json={"date": "2026-02-02", "answer": "objected"})
    o.at(date(2026, 6, 1))
    unchanged(o, lambda: refused(o.post(f"/archive/destruction-lists/{lid}/execute"), 409, "archives_objected"))
    assert o.get(f"/letters/{a['letter_id']}").status_code == 200
