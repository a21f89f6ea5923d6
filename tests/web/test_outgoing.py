"""Sending over the real app (SQLite, the demo office with its 30 schools): series and their numbers across a year
boundary, drafts, files, issuing, reservations and cancellations, the number report, electronic delivery to the
schools and their registration, replies, and bad input that must change nothing.

Issue "Send: outgoing numbers, circulars and orders, and delivery", acceptance 1, 3, 4 and 6.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select

from service.app import create_app
from service.context import Saraban
from service.demo import ALL_SCHOOLS_GROUP, DEMO_PASSWORD
from service.models import (
    Attachment,
    Delivery,
    Letter,
    LetterAccess,
    NumberCounter,
    NumberReservation,
    Registration,
    Registry,
    Unit,
)
from service.users.core import create_user
from tests.conftest import MakeSaraban, login, needs_poppler, registry_id
from tests.samples import thai_letter_pdf

BANGKOK = ZoneInfo("Asia/Bangkok")
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=BANGKOK)  # B.E. 2569

Headers = dict[str, str]


class Clock:
    """The app's injected clock, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def app(make_saraban: MakeSaraban, clock: Clock) -> Saraban:
    saraban = make_saraban()
    saraban.clock = clock
    return saraban


@pytest.fixture
def client(app: Saraban) -> Iterator[TestClient]:
    with TestClient(create_app(app)) as c:
        yield c


def ok(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


def group_id(client: TestClient, h: Headers) -> int:
    groups = ok(client.get("/api/v1/recipient-groups", headers=h))
    return int(next(g["id"] for g in groups if g["name"] == ALL_SCHOOLS_GROUP))


def school_ids(app: Saraban) -> list[int]:
    with app.tx() as uow:
        rows = uow.session.exec(select(Unit).where(Unit.code.startswith("school-")).order_by(Unit.id)).all()  # type: ignore[attr-defined]
        return [u.id for u in rows if u.id is not None]


def draft(client: TestClient, h: Headers, registry: int, *, status: int = 201, **fields: Any) -> Any:
    body: dict[str, Any] = {
        "registry_id": registry,
        "subject": "ขอเชิญประชุมผู้บริหารสถานศึกษา",
        "letter_type": "external",
        "urgency": "ด่วน",
        "secrecy": 0,
        "recipients": [{"name": "ผู้อำนวยการโรงเรียนเอกชน", "address": "๑๒๓ ถนนมะลิวัลย์ ชุมแพ ขอนแก่น ๔๐๑๓๐"}],
        "replies_to_letter_id": None,
    }
    body.update(fields)
    return ok(client.post("/api/v1/outgoing", headers=h, json=body), status)


def issue(client: TestClient, h: Headers, letter_id: int, *, status: int = 200, **body: Any) -> Any:
    return ok(client.post(f"/api/v1/outgoing/{letter_id}/issue", headers=h, json=body or None), status)


def issue_new(client: TestClient, h: Headers, registry: int, **fields: Any) -> Any:
    return issue(client, h, draft(client, h, registry, **fields)["letter_id"])


def reserve(client: TestClient, h: Headers, registry: int, reason: str, *, hours: float) -> Any:
    body = {"reason": reason, "expires_at": (NOW + timedelta(hours=hours)).isoformat()}
    return ok(client.post(f"/api/v1/registries/{registry}/reservations", headers=h, json=body), 201)


def counts(app: Saraban) -> dict[str, int]:
    """What a refused request must not have changed."""
    with app.tx() as uow:
        s = uow.session

        def n(model: Any) -> int:
            return int(s.exec(select(func.count()).select_from(model)).one())

        return {
            "letters": n(Letter),
            "registrations": n(Registration),
            "deliveries": n(Delivery),
            "reservations": n(NumberReservation),
            "counted": int(s.exec(select(func.coalesce(func.sum(NumberCounter.last_number), 0))).one()),
        }


# ---------------------------------------------------------------------------------------------- registries


def test_registries_list_the_send_side_series(client: TestClient) -> None:
    group = login(client, "group")
    kinds = {r["code"]: r["kind"] for r in ok(client.get("/api/v1/registries", headers=group))}
    assert {kinds[f"promotion-{k}"] for k in ("send", "circular", "order", "announcement")} == {
        "send",
        "circular",
        "order",
        "announcement",
    }
    assert kinds["office-send"] == "send"
    assert "office-secret-send" not in kinds  # a secret register exists only for its registrar
    secret = {r["code"]: r["kind"] for r in ok(client.get("/api/v1/registries", headers=login(client, "secret")))}
    assert secret["office-secret-send"] == "secret_send"
    groups = ok(client.get("/api/v1/recipient-groups", headers=group))
    assert [(g["name"], len(g["unit_ids"])) for g in groups] == [(ALL_SCHOOLS_GROUP, 30)]


# ---------------------------------------------------------------------------------------------- acceptance 1

EVE = datetime(2025, 12, 31, 23, 59, tzinfo=BANGKOK)  # B.E. 2568, its last minute
NEW_YEAR = datetime(2026, 1, 1, 0, 1, tzinfo=BANGKOK).astimezone(UTC)  # still 31 Dec in UTC

# (moment, series, expected ที่ in Arabic digits): each series restarts on 1 January, office time
YEAR_TABLE = [
    (EVE, "send", "ศธ 04045/1"),
    (EVE, "send", "ศธ 04045/2"),
    (EVE, "circular", "ศธ 04045/ว 1"),
    (EVE, "order", "1/2568"),
    (EVE, "announcement", "1/2568"),
    (EVE, "send", "ศธ 04045/3"),  # the circular and the order took no ordinary number
    (NEW_YEAR, "circular", "ศธ 04045/ว 1"),  # circular #1 of the year…
    (NEW_YEAR, "send", "ศธ 04045/1"),  # …did not consume an ordinary number
    (NEW_YEAR, "order", "1/2569"),
    (NEW_YEAR, "order", "2/2569"),
    (NEW_YEAR, "send", "ศธ 04045/2"),
    (NEW_YEAR, "circular", "ศธ 04045/ว 2"),
    (NEW_YEAR, "announcement", "1/2569"),
]


@pytest.mark.parametrize("digits", ["arabic", "thai"])
def test_series_numbers_across_the_year_boundary(make_saraban: MakeSaraban, digits: str) -> None:
    clock = Clock(EVE)
    app = make_saraban(stamp_digits=digits)
    app.clock = clock
    to_digits = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙") if digits == "thai" else {}
    with TestClient(create_app(app)) as client:
        h = login(client, "central")
        got = []
        for moment, series, expected in YEAR_TABLE:
            clock.now = moment
            result = issue_new(client, h, registry_id(client, h, f"office-{series}"))
            got.append(result["letter_no"])
            assert result["letter_no"] == expected.translate(to_digits), (moment, series)
            assert result["registration"]["year"] == (2568 if moment is EVE else 2569)
        assert len(got) == len(YEAR_TABLE)
        # the letter carries its ที่ and its date (office time), and is found by its number however typed
        letter = ok(client.get(f"/api/v1/letters/{result['letter_id']}", headers=h))
        assert letter["letter_date"] == "2026-01-01"
        assert letter["letter_no_normalised"] == "1/2569"  # the announcement, whatever its digits


def test_group_prints_its_offices_letter_code(client: TestClient) -> None:
    h = login(client, "group")
    result = issue_new(client, h, registry_id(client, h, "promotion-circular"))
    assert result["letter_no"] == "ศธ ๐๔๐๔๕/ว ๑"  # the group has no code of its own; digits Thai by default


# ---------------------------------------------------------------------------------------------- the flow


def test_draft_files_issue_send_register_follow(app: Saraban, client: TestClient, clock: Clock) -> None:
    group = login(client, "group")
    send_reg = registry_id(client, group, "promotion-send")
    # a received letter to answer
    received = ok(
        client.post(
            f"/api/v1/registries/{registry_id(client, group, 'promotion-receive')}/receive",
            headers=group,
            files={"meta": (None, '{"sender": "สพฐ.", "subject": "ขอข้อมูลนักเรียนทุน", "letter_no": "ศธ 04006/ว 567"}')},
        ),
        201,
    )
    gid = group_id(client, group)
    made = draft(
        client,
        group,
        send_reg,
        subject="ส่งข้อมูลนักเรียนทุน",
        recipients=[{"group_id": gid}, {"name": "นายสมศักดิ์ ภายนอก", "email": "somsak@example.org"}],
        replies_to_letter_id=received["letter_id"],
    )
    assert made["state"] == "draft"
    letter_id = made["letter_id"]
    # the signed PDF before the number
    pdf = thai_letter_pdf()
    up = ok(
        client.post(
            f"/api/v1/outgoing/{letter_id}/files",
            headers=group,
            files=[("files", ("หนังสือตอบ.pdf", pdf, "application/pdf"))],
        ),
        201,
    )
    assert [a["filename"] for a in up["attachments"]] == ["หนังสือตอบ.pdf"]
    # sending before the number is refused
    assert client.post(f"/api/v1/outgoing/{letter_id}/send", headers=group).status_code == 409
    issued = issue(client, group, letter_id)
    assert issued["letter_no"] == "ศธ ๐๔๐๔๕/๑"
    assert issued["registration"] == {
        "id": issued["registration"]["id"],
        "registry_id": send_reg,
        "year": 2569,
        "number": 1,
    }
    sent = ok(client.post(f"/api/v1/outgoing/{letter_id}/send", headers=group))
    schools = school_ids(app)
    assert sorted(d["unit_id"] for d in sent["deliveries"]) == schools
    assert {d["state"] for d in sent["deliveries"]} == {"delivered"}
    assert [(o["kind"], o["state"]) for o in sent["outside"]] == [("email", "recorded")]  # no SMTP configured
    # a retried send creates no second delivery
    again = ok(client.post(f"/api/v1/outgoing/{letter_id}/send", headers=group))
    assert sorted(d["id"] for d in again["deliveries"]) == sorted(d["id"] for d in sent["deliveries"])

    # the school clerk finds it, opens it, registers it with one click
    school = login(client, "school1")
    incoming = ok(client.get("/api/v1/deliveries/incoming", headers=school))
    assert incoming["total"] == 1
    item = incoming["items"][0]
    assert item["letter_id"] == letter_id and item["route_id"] is None and item["state"] == "delivered"
    assert item["subject"] == "ส่งข้อมูลนักเรียนทุน" and item["urgency_level"] == 2 and item["overdue"] is False
    # the same letter waits in the clerk's inbox, beside what was routed to them
    inbox = ok(client.get("/api/v1/inbox", headers=school))
    assert [(i["letter_id"], i["route_id"]) for i in inbox["items"]] == [(letter_id, None)]
    opened = ok(client.get(f"/api/v1/deliveries/{item['delivery_id']}", headers=school))
    assert opened["state"] == "opened" and opened["letter"]["letter_no"] == "ศธ ๐๔๐๔๕/๑"
    clock.now = NOW + timedelta(hours=2)
    reg = ok(client.post(f"/api/v1/deliveries/{item['delivery_id']}/register", headers=school))
    assert reg["state"] == "registered" and reg["registration"]["number"] == 1
    assert reg["registration"]["registry_code"] == "school-01-receive"
    assert ok(client.get("/api/v1/deliveries/incoming", headers=school))["total"] == 0
    # the school's receive register holds the very letter, with the sender's ที่; its files are the sender's
    entries = ok(client.get(f"/api/v1/registries/{reg['registration']['registry_id']}/entries", headers=school))
    assert [(e["number"], e["letter_id"], e["letter_no"]) for e in entries["entries"]] == [(1, letter_id, "ศธ ๐๔๐๔๕/๑")]
    seen = ok(client.get(f"/api/v1/letters/{letter_id}", headers=school))
    assert seen["channel"] == "electronic"
    assert [a["id"] for a in seen["attachments"]] == [up["attachments"][0]["id"]]
    with app.tx() as uow:
        assert uow.session.exec(select(func.count()).select_from(Attachment)).one() == 1  # not copied
    r = client.get(f"/api/v1/attachments/{up['attachments'][0]['id']}/content", headers=school)
    assert r.status_code == 200 and r.content == pdf
    # another school's clerk does not see a delivery that is not theirs
    other = login(client, "school2")
    assert client.get(f"/api/v1/deliveries/{item['delivery_id']}", headers=other).status_code in (403, 404)

    # the sender follows each recipient
    status = ok(client.get(f"/api/v1/outgoing/{letter_id}/deliveries", headers=group))
    by_unit = {d["unit_id"]: d for d in status["deliveries"]}
    assert by_unit[schools[0]]["state"] == "registered"
    assert by_unit[schools[0]]["receive_number"] == 1
    assert by_unit[schools[0]]["registered_at"].startswith("2026-03-02T11:30")
    assert by_unit[schools[1]]["state"] == "delivered" and by_unit[schools[1]]["receive_number"] is None
    assert status["counts"]["registered"] == 1 and status["counts"]["not_registered"] == 29
    # a recipient does not follow the sender's deliveries
    assert client.get(f"/api/v1/outgoing/{letter_id}/deliveries", headers=school).status_code == 403

    # a reply links both letters; each letter's view shows the other
    reply = ok(client.get(f"/api/v1/letters/{letter_id}", headers=group))
    assert reply["replies_to"]["id"] == received["letter_id"]
    original = ok(client.get(f"/api/v1/letters/{received['letter_id']}", headers=group))
    assert [x["id"] for x in original["replied_by"]] == [letter_id]
    assert original["replied_by"][0]["letter_no"] == "ศธ ๐๔๐๔๕/๑"
    # the school may not see the letter it answers (not theirs)
    assert seen["replies_to"] is None
    # once sent, the files no longer change
    r = client.post(
        f"/api/v1/outgoing/{letter_id}/files", headers=group, files=[("files", ("late.pdf", pdf, "application/pdf"))]
    )
    assert r.status_code == 409


# ---------------------------------------------------------------------------------------------- acceptance 3


def _school_clerks(app: Saraban, count: int) -> list[str]:
    """Clerks for the first ``count`` schools (the demo has two; the rest are made here)."""
    names = ["school1", "school2"]
    with app.tx() as uow:
        for i in range(3, count + 1):
            create_user(
                uow.session,
                username=f"clerk{i}",
                password=DEMO_PASSWORD,
                roles=[(f"school-{i:02d}", "central_clerk")],
                now=NOW,
                check_policy=False,
            )
            names.append(f"clerk{i}")
    return names[:count]


def test_thirty_schools_twelve_register(app: Saraban, client: TestClient, clock: Clock) -> None:
    group = login(client, "group")
    made = draft(
        client,
        group,
        registry_id(client, group, "promotion-circular"),
        subject="แจ้งปฏิทินการศึกษา",
        recipients=[{"group_id": group_id(client, group)}],
    )
    letter_id = made["letter_id"]
    issued = issue(client, group, letter_id)
    assert issued["letter_no"] == "ศธ ๐๔๐๔๕/ว ๑"
    sent = ok(client.post(f"/api/v1/outgoing/{letter_id}/send", headers=group))  # one request for all 30
    assert len(sent["deliveries"]) == 30
    schools = school_ids(app)
    clerks = _school_clerks(app, 12)
    times = {}
    for i, name in enumerate(clerks):
        clock.now = NOW + timedelta(minutes=10 * (i + 1))
        h = login(client, name)
        [item] = ok(client.get("/api/v1/deliveries/incoming", headers=h))["items"]
        reg = ok(client.post(f"/api/v1/deliveries/{item['delivery_id']}/register", headers=h))
        assert reg["registration"]["number"] == 1  # each school's own receive register
        times[schools[i]] = clock.now
    status = ok(client.get(f"/api/v1/outgoing/{letter_id}/deliveries", headers=group))
    registered = [d for d in status["deliveries"] if d["state"] == "registered"]
    waiting = [d for d in status["deliveries"] if d["state"] != "registered"]
    assert len(registered) == 12 and len(waiting) == 18
    for d in registered:
        assert d["receive_number"] == 1 and d["receive_year"] == 2569
        assert datetime.fromisoformat(d["registered_at"]) == times[d["unit_id"]]
    assert {d["unit_id"] for d in registered} == set(schools[:12])
    assert all(d["receive_number"] is None and d["registered_at"] is None for d in waiting)
    assert status["counts"] == {"delivered": 18, "opened": 0, "registered": 12, "returned": 0, "not_registered": 18}


# ---------------------------------------------------------------------------------------------- acceptance 4


def test_cancelled_and_expired_numbers_stay_marked_and_are_never_issued_again(
    app: Saraban, client: TestClient, clock: Clock
) -> None:
    h = login(client, "central")
    reg = registry_id(client, h, "office-send")
    first = issue_new(client, h, reg)  # 1
    second = issue_new(client, h, reg)  # 2, cancelled below
    expiring = reserve(client, h, reg, "หนังสือลงนามแล้ว รอบันทึก", hours=24)
    assert expiring["number"] == 3
    kept = reserve(client, h, reg, "คำสั่งด่วน", hours=24 * 30)
    assert kept["number"] == 4
    reserved_cancelled = reserve(client, h, reg, "จองผิด", hours=24 * 30)
    assert reserved_cancelled["number"] == 5

    cancel = ok(
        client.post(
            f"/api/v1/registries/{reg}/numbers/2/cancel", headers=h, json={"reason": "พิมพ์ผิด ออกหนังสือใหม่", "year": 2569}
        )
    )
    assert cancel["status"] == "cancelled" and cancel["letter_id"] == second["letter_id"]
    ok(client.post(f"/api/v1/registries/{reg}/numbers/5/cancel", headers=h, json={"reason": "จองซ้ำ", "year": "๒๕๖๙"}))
    # cancelling again is refused
    assert (
        client.post(
            f"/api/v1/registries/{reg}/numbers/2/cancel", headers=h, json={"reason": "อีกครั้ง", "year": 2569}
        ).status_code
        == 409
    )
    # a letter whose number was cancelled is not sent
    assert client.post(f"/api/v1/outgoing/{second['letter_id']}/send", headers=h).status_code == 409

    clock.now = NOW + timedelta(days=2)  # reservation 3 has expired
    h = login(client, "central")  # a new day, a new sign-in
    late = draft(client, h, reg)
    before = counts(app)
    r = client.post(f"/api/v1/outgoing/{late['letter_id']}/issue", headers=h, json={"reservation_id": expiring["id"]})
    assert r.status_code == 422 and r.json()["code"] == "reservation_refused"
    assert "หมดอายุ" in r.json()["detail_th"]
    assert counts(app) == before  # nothing taken
    # the kept reservation is used by a letter: its number and its date
    used = issue(client, h, late["letter_id"], reservation_id=kept["id"])
    assert used["letter_no"] == "ศธ ๐๔๐๔๕/๔" and used["registration"]["number"] == 4
    # the next number is 6: 2 (cancelled), 3 (expired) and 5 (cancelled) are never issued again
    nxt = issue_new(client, h, reg)
    assert nxt["registration"]["number"] == 6

    report = ok(client.get(f"/api/v1/registries/{reg}/numbers", headers=h, params={"year": 2569}))
    status = {n["number"]: n["status"] for n in report["numbers"]}
    assert status == {1: "issued", 2: "cancelled", 3: "expired", 4: "used", 5: "cancelled", 6: "issued"}
    assert report["gaps"] == [] and report["duplicates"] == [] and report["ok"] is True
    by = {n["number"]: n for n in report["numbers"]}
    assert by[2]["cancel_reason"] == "พิมพ์ผิด ออกหนังสือใหม่" and by[2]["cancelled_by"] == "central"
    assert by[2]["letter_id"] == second["letter_id"]
    assert by[3]["reason"] == "หนังสือลงนามแล้ว รอบันทึก" and by[3]["reserved_by"] == "central"
    assert by[4]["letter_id"] == late["letter_id"] and by[1]["letter_id"] == first["letter_id"]
    # the auditor reads the report too
    assert ok(client.get(f"/api/v1/registries/{reg}/numbers", headers=login(client, "auditor")))["ok"] is True
    assert client.get(f"/api/v1/registries/{reg}/numbers", headers=login(client, "group")).status_code == 403

    # the send register shows every number, the cancelled ones with their reason
    entries = ok(client.get(f"/api/v1/registries/{reg}/entries", headers=h, params={"year": 2569}))["entries"]
    rows = {e["number"]: e for e in entries}
    assert sorted(rows) == [1, 2, 3, 4, 5, 6]
    assert rows[2]["status"] == "cancelled" and "พิมพ์ผิด ออกหนังสือใหม่" in rows[2]["remarks"]
    assert rows[3]["status"] == "expired" and rows[5]["status"] == "cancelled" and "จองซ้ำ" in rows[5]["remarks"]
    assert rows[4]["status"] == "" and rows[4]["letter_no"] == "ศธ ๐๔๐๔๕/๔"
    csv_text = client.get(f"/api/v1/registries/{reg}/entries", headers=h, params={"format": "csv"}).text
    assert csv_text.lstrip("\ufeff").startswith("เลขทะเบียนส่ง,ที่,ลงวันที่,จาก,ถึง,เรื่อง,การปฏิบัติ,หมายเหตุ")
    pdf = client.get(f"/api/v1/registries/{reg}/entries", headers=h, params={"format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


# ---------------------------------------------------------------------------------------------- acceptance 6


def test_bad_input_is_refused_and_changes_nothing(app: Saraban, client: TestClient, clock: Clock) -> None:
    group = login(client, "group")
    central = login(client, "central")
    send_reg = registry_id(client, group, "promotion-send")
    base = counts(app)

    def refused(r: Any, status: int, code: str | None = None) -> dict[str, Any]:
        assert r.status_code == status, r.text
        body: dict[str, Any] = r.json()
        assert body["detail_th"] and body["detail"]
        if code:
            assert body["code"] == code
        return body

    def post(h: Headers, **fields: Any) -> Any:
        body = {"registry_id": send_reg, "subject": "ทดสอบ", "recipients": [{"unit_id": school_ids(app)[0]}]}
        body.update(fields)
        return client.post("/api/v1/outgoing", headers=h, json=body)

    # unknown recipients
    refused(post(group, recipients=[{"unit_id": 99999}]), 422, "unknown_recipient")
    refused(post(group, recipients=[{"group_id": 99999}]), 422, "unknown_recipient")
    with app.tx() as uow:
        outside = uow.session.exec(select(Unit).where(Unit.code == "obec")).one().id
    refused(post(group, recipients=[{"unit_id": outside}]), 422, "unknown_recipient")  # outside: by post or e-mail
    refused(post(group, recipients=[]), 422)
    refused(post(group, recipients=[{"unit_id": 1, "email": "a@example.org"}]), 422)
    refused(post(group, recipients=[{"name": "x", "email": "not-an-address"}]), 422)
    refused(post(group, subject=""), 422)
    refused(post(group, replies_to_letter_id=99999), 422)
    # ลับที่สุด never electronically nor by e-mail (and a secret letter not from an ordinary series)
    secret = login(client, "secret")
    secret_reg = registry_id(client, secret, "office-secret-send")
    refused(post(secret, registry_id=secret_reg, secrecy="ลับที่สุด"), 422, "top_secret_not_electronic")
    refused(
        post(secret, registry_id=secret_reg, secrecy=3, recipients=[{"name": "สพฐ.", "email": "x@obec.go.th"}]),
        422,
        "top_secret_not_electronic",
    )
    refused(
        post(secret, registry_id=secret_reg, secrecy=3, recipients=[{"group_id": group_id(client, group)}]),
        422,
        "top_secret_not_electronic",
    )
    refused(post(group, secrecy="ลับ"), 422, "secret_requires_secret_registry")
    # another unit's series
    refused(post(central), 403)
    refused(post(group, registry_id=registry_id(client, group, "promotion-receive")), 422)
    assert counts(app) == base

    # ลับที่สุด by post is fine; it is numbered in the secret series and never sent electronically
    made = ok(
        post(
            secret,
            registry_id=secret_reg,
            secrecy=3,
            recipients=[{"name": "ผู้อำนวยการ สพฐ.", "address": "ถนนราชดำเนินนอก กรุงเทพฯ"}],
        ),
        201,
    )
    issue(client, secret, made["letter_id"])
    sent = ok(client.post(f"/api/v1/outgoing/{made['letter_id']}/send", headers=secret))
    assert sent["deliveries"] == [] and sent["outside"][0]["state"] == "posted"

    # issuing twice
    letter = ok(post(group), 201)["letter_id"]
    first = issue(client, group, letter)
    base = counts(app)
    again = refused(client.post(f"/api/v1/outgoing/{letter}/issue", headers=group), 409, "conflict")
    assert first["letter_no"] in again["detail_th"]
    # a reservation of another unit, of another series, or after expiry
    other = reserve(client, central, registry_id(client, central, "office-send"), "สำรอง", hours=24)
    circ = reserve(client, group, registry_id(client, group, "promotion-circular"), "สำรอง ว", hours=24)
    fresh = ok(post(group), 201)["letter_id"]
    base = counts(app)
    body = refused(
        client.post(f"/api/v1/outgoing/{fresh}/issue", headers=group, json={"reservation_id": other["id"]}),
        422,
        "reservation_refused",
    )
    assert "หน่วยงานอื่น" in body["detail_th"]
    refused(client.post(f"/api/v1/outgoing/{fresh}/issue", headers=group, json={"reservation_id": circ["id"]}), 422)
    refused(client.post(f"/api/v1/outgoing/{fresh}/issue", headers=group, json={"reservation_id": 99999}), 422)
    own = reserve(client, group, send_reg, "รอลงนาม", hours=1)
    base = counts(app)
    clock.now = NOW + timedelta(hours=2)
    refused(client.post(f"/api/v1/outgoing/{fresh}/issue", headers=group, json={"reservation_id": own["id"]}), 422)
    assert counts(app) == base
    # reserving and cancelling: a reason is required; an expiry in the past is refused; numbers not yet taken
    refused(client.post(f"/api/v1/registries/{send_reg}/reservations", headers=group, json={"reason": "  "}), 422)
    refused(
        client.post(
            f"/api/v1/registries/{send_reg}/reservations",
            headers=group,
            json={"reason": "x", "expires_at": (NOW - timedelta(days=1)).isoformat()},
        ),
        422,
    )
    refused(client.post(f"/api/v1/registries/{send_reg}/numbers/1/cancel", headers=group, json={"year": 2569}), 422)
    refused(
        client.post(
            f"/api/v1/registries/{send_reg}/numbers/1/cancel", headers=group, json={"reason": "", "year": 2569}
        ),
        422,
    )
    refused(
        client.post(
            f"/api/v1/registries/{send_reg}/numbers/999/cancel", headers=group, json={"reason": "ไม่มีเลขนี้", "year": 2569}
        ),
        404,
    )
    refused(
        client.post(
            f"/api/v1/registries/{send_reg}/numbers/1/cancel",
            headers=central,
            json={"reason": "ไม่ใช่หน่วยของฉัน", "year": 2569},
        ),
        403,
    )
    # a receive register is not a series
    refused(
        client.post(
            f"/api/v1/registries/{registry_id(client, group, 'promotion-receive')}/reservations",
            headers=group,
            json={"reason": "x"},
        ),
        422,
    )
    # a received letter is not registered into a send register
    refused(
        client.post(
            f"/api/v1/registries/{send_reg}/receive",
            headers=group,
            files={"meta": (None, '{"sender": "สพฐ.", "subject": "ผิดทะเบียน"}')},
        ),
        403,
    )
    assert counts(app) == base


# ---------------------------------------------------------------------------------------------- secret letters


def test_secret_letters_reach_only_the_recipients_secret_registrar(app: Saraban, client: TestClient) -> None:
    schools = school_ids(app)
    with app.tx() as uow:
        s = uow.session
        s.add(Registry(code="school-01-secret", name="ทะเบียนหนังสือรับลับ", kind="secret_receive", unit_id=schools[0]))
        create_user(
            s,
            username="school1secret",
            password=DEMO_PASSWORD,
            clearance=2,
            roles=[("school-01", "secret_registrar")],
            now=NOW,
            check_policy=False,
        )
    secret = login(client, "secret")
    reg = registry_id(client, secret, "office-secret-send")
    # a school without a secret register cannot take it
    body = {"registry_id": reg, "subject": "เรื่องลับ", "secrecy": "ลับมาก", "recipients": [{"unit_id": schools[1]}]}
    made = ok(client.post("/api/v1/outgoing", headers=secret, json=body), 201)
    issue(client, secret, made["letter_id"])
    before = counts(app)
    r = client.post(f"/api/v1/outgoing/{made['letter_id']}/send", headers=secret)
    assert r.status_code == 422 and "ทะเบียนหนังสือรับลับ" in r.json()["detail_th"]
    assert counts(app) == before

    body["recipients"] = [{"unit_id": schools[0]}]
    made = ok(client.post("/api/v1/outgoing", headers=secret, json=body), 201)
    assert issue(client, secret, made["letter_id"])["letter_no"] == "ศธ ๐๔๐๔๕/๒"
    [delivery] = ok(client.post(f"/api/v1/outgoing/{made['letter_id']}/send", headers=secret))["deliveries"]
    # the school's ordinary clerk neither sees nor takes it
    clerk = login(client, "school1")
    assert ok(client.get("/api/v1/deliveries/incoming", headers=clerk))["total"] == 0
    assert client.get(f"/api/v1/deliveries/{delivery['id']}", headers=clerk).status_code == 404
    assert client.post(f"/api/v1/deliveries/{delivery['id']}/register", headers=clerk).status_code == 404
    assert client.get(f"/api/v1/letters/{made['letter_id']}", headers=clerk).status_code == 404
    # its secret registrar does, into the secret register
    registrar = login(client, "school1secret")
    [item] = ok(client.get("/api/v1/deliveries/incoming", headers=registrar))["items"]
    assert item["secret"] is True
    reg_result = ok(client.post(f"/api/v1/deliveries/{item['delivery_id']}/register", headers=registrar))
    assert reg_result["registration"]["registry_code"] == "school-01-secret"
    with app.tx() as uow:
        stmt = select(LetterAccess.principal).where(LetterAccess.letter_id == made["letter_id"])
        tokens = set(uow.session.exec(stmt))
    assert all(t.startswith("secret:") for t in tokens), tokens


def test_email_to_an_outside_party_is_recorded_without_smtp(client: TestClient) -> None:
    h = login(client, "central")
    made = draft(
        client,
        h,
        registry_id(client, h, "office-send"),
        recipients=[{"name": "บริษัท ตัวอย่าง จำกัด", "email": "info@example.co.th"}],
    )
    issue(client, h, made["letter_id"])
    sent = ok(client.post(f"/api/v1/outgoing/{made['letter_id']}/send", headers=h))
    [mail] = sent["outside"]
    assert mail["state"] == "recorded" and mail["message_id"] is None and mail["sent_at"]


# ---------------------------------------------------------------------------------------------- returns and papers


def _pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "paper.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, timeout=60)
    return out.stdout.decode("utf-8")


@needs_poppler
def test_return_and_the_paper_delivery_pages(app: Saraban, client: TestClient, tmp_path: Path) -> None:
    group = login(client, "group")
    schools = school_ids(app)
    made = draft(
        client,
        group,
        registry_id(client, group, "promotion-send"),
        subject="ขอความร่วมมือสำรวจข้อมูล",
        recipients=[
            {"unit_id": schools[0]},
            {"unit_id": schools[1]},
            {"name": "ผู้อำนวยการโรงเรียนเอกชนสมหวัง", "address": "๙๙ หมู่ ๓ ตำบลชุมแพ อำเภอชุมแพ"},
            {"name": "นายกเทศมนตรีเมืองชุมแพ", "address": "สำนักงานเทศบาลเมืองชุมแพ", "copy": True},
        ],
    )
    letter_id = made["letter_id"]
    issue(client, group, letter_id)
    ok(client.post(f"/api/v1/outgoing/{letter_id}/send", headers=group))

    school = login(client, "school2")
    [item] = ok(client.get("/api/v1/deliveries/incoming", headers=school))["items"]
    d = item["delivery_id"]
    r = client.post(f"/api/v1/deliveries/{d}/return", headers=school, json={"reason": " "})
    assert r.status_code == 422 and r.json()["detail_th"] == "กรุณาระบุเหตุผลที่ส่งคืน"
    back = ok(client.post(f"/api/v1/deliveries/{d}/return", headers=school, json={"reason": "ไม่ใช่หนังสือของโรงเรียน"}))
    assert back["state"] == "returned"
    assert client.post(f"/api/v1/deliveries/{d}/return", headers=school, json={"reason": "ซ้ำ"}).status_code == 409
    assert client.post(f"/api/v1/deliveries/{d}/register", headers=school).status_code == 409
    assert ok(client.get("/api/v1/deliveries/incoming", headers=school))["total"] == 0
    status = ok(client.get(f"/api/v1/outgoing/{letter_id}/deliveries", headers=group))
    [returned] = [x for x in status["deliveries"] if x["state"] == "returned"]
    assert returned["unit_id"] == schools[1] and returned["returned_reason"] == "ไม่ใช่หนังสือของโรงเรียน"
    assert status["counts"]["returned"] == 1

    book = client.get(f"/api/v1/outgoing/{letter_id}/delivery-book.pdf", headers=group)
    assert book.status_code == 200 and book.headers["content-type"] == "application/pdf"
    text = _pdf_text(book.content, tmp_path)
    assert "สมุดส่งหนังสือ" in text and "ผู้อำนวยการโรงเรียนเอกชนสมหวัง" in text and "ศธ ๐๔๐๔๕/๑" in text
    assert "ลงชื่อ" in text and "สำเนา" in text  # (pdftotext splits the marks of ผู้รับ)
    sheet = client.get(f"/api/v1/outgoing/{letter_id}/address-sheet.pdf", headers=group)
    text = _pdf_text(sheet.content, tmp_path)
    assert "ใบจ่าหน้าซอง" in text and "เรียน ผู้อำนวยการโรงเรียนเอกชนสมหวัง" in text and "นายกเทศมนตรีเมืองชุมแพ" in text
    # the recipient school does not print the sender's papers
    assert client.get(f"/api/v1/outgoing/{letter_id}/delivery-book.pdf", headers=school).status_code in (403, 404)
