"""Receive numbers (เลขรับ): consecutive per registry and B.E. year, never lost, never handed out twice.

Acceptance: 8 concurrent clients x 50 registrations over real HTTP get exactly 1..400, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from service.access.rule import Actor
from service.app import create_app
from service.audit import Where
from service.auth.core import load_actor
from service.context import Saraban
from service.demo import DEMO_PASSWORD
from service.kit.uploads import Upload
from service.letters.input import LetterIn, parse_letter_meta
from service.models import Letter, Registration, Registry, User
from service.receiving.flow import prepare_receipt, register_received
from service.receiving.record import Received, StoredFile, draft_receipt, plan_receipt, record_receipt
from service.registers.numbering import next_number
from tests.conftest import LiveServer, MakeSaraban, login, registry_id

BANGKOK = ZoneInfo("Asia/Bangkok")
CLIENTS = 8
PER_CLIENT = 50


def _token(base: str, username: str = "central") -> dict[str, str]:
    r = httpx.post(f"{base}/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD}, timeout=30)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_concurrent_clients_get_exactly_1_to_400(live_server: Callable[..., LiveServer], any_db: str) -> None:
    server = live_server(any_db)
    base = server.url
    headers = [_token(base) for _ in range(CLIENTS)]
    assert len({h["Authorization"] for h in headers}) == CLIENTS  # a token of its own per client
    regs = httpx.get(f"{base}/api/v1/registries", headers=headers[0], timeout=30).json()
    reg = next(r["id"] for r in regs if r["code"] == "central")

    numbers: list[list[int]] = [[] for _ in range(CLIENTS)]
    years: set[int] = set()
    errors: list[str] = []
    start = threading.Barrier(CLIENTS)

    def work(i: int) -> None:
        try:
            with httpx.Client(base_url=base, headers=headers[i], timeout=120) as http:
                start.wait()
                for j in range(PER_CLIENT):
                    meta = {"sender": f"ผู้ส่ง {i}", "subject": f"เรื่องที่ {i}-{j}", "letter_no": f"ศธ {i}/{j}"}
                    r = http.post(f"/api/v1/registries/{reg}/receive", files={"meta": (None, json.dumps(meta))})
                    if r.status_code != 201:
                        errors.append(f"client {i} request {j}: {r.status_code} {r.text[:300]}")
                        return
                    numbers[i].append(r.json()["registration"]["number"])
                    years.add(r.json()["registration"]["year"])
        except Exception as exc:  # reported below
            errors.append(f"client {i}: {exc!r}")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert not errors, errors[:5]
    flat = [n for ns in numbers for n in ns]
    assert len(flat) == CLIENTS * PER_CLIENT
    assert sorted(flat) == list(range(1, CLIENTS * PER_CLIENT + 1))
    for ns in numbers:  # each client saw its own numbers rise
        assert ns == sorted(ns)
    assert len(years) == 1

    # The register agrees: 400 rows numbered 1..400, one letter each.
    [year] = years
    r = httpx.get(f"{base}/api/v1/registries/{reg}/entries", params={"year": year}, headers=headers[0], timeout=60)
    assert r.status_code == 200, r.text
    entries = r.json()["entries"]
    assert [e["number"] for e in entries] == list(range(1, CLIENTS * PER_CLIENT + 1))
    assert len({e["letter_id"] for e in entries}) == CLIENTS * PER_CLIENT


# ---------------------------------------------------------------------------------------------- rollback


def _actor(app: Saraban, username: str) -> Actor:
    with app.tx() as uow:
        user = uow.session.exec(select(User).where(User.username == username)).one()
        return load_actor(uow.session, user)


def _registry(app: Saraban, code: str) -> int:
    with app.tx() as uow:
        reg = uow.session.exec(select(Registry).where(Registry.code == code)).one()
        assert reg.id is not None
        return reg.id


def _meta(subject: str = "ทดสอบเลขรับ") -> Any:
    return parse_letter_meta({"sender": "สพฐ.", "subject": subject})


class Crash(Exception):
    pass


def receive_letter(
    session: Any, *, actor: Actor, registry_id: int, data: LetterIn, files: list[StoredFile], now: datetime
) -> Received:
    """The steps ``service.receiving.flow.register_received`` takes (plan, draft, record), in the caller's
    transaction, so a test can fail the transaction after the number was taken."""
    plan = plan_receipt(session, actor, registry_id, data.secrecy)
    return record_receipt(session, draft_receipt(plan, actor=actor, data=data, files=files, now=now))


@pytest.mark.parametrize("db", ["sqlite", "postgres"])
def test_failed_transaction_consumes_no_number(
    make_saraban: MakeSaraban, request: pytest.FixtureRequest, db: str
) -> None:
    url = "" if db == "sqlite" else request.getfixturevalue("pg_url")
    app = make_saraban(url)
    actor = _actor(app, "central")
    reg = _registry(app, "central")
    with app.tx() as uow:
        first = receive_letter(
            uow.session, actor=actor, registry_id=reg, data=_meta("ฉบับแรก"), files=[], now=app.clock()
        )
    assert first.registration.number == 1

    with pytest.raises(Crash), app.tx() as uow:
        doomed = receive_letter(
            uow.session, actor=actor, registry_id=reg, data=_meta("ฉบับที่ล้มเหลว"), files=[], now=app.clock()
        )
        assert doomed.registration.number == 2
        raise Crash("the request failed after the number was taken")

    with app.tx() as uow:  # nothing of it survived
        assert uow.session.exec(select(Letter).where(Letter.subject == "ฉบับที่ล้มเหลว")).first() is None
        assert len(uow.session.exec(select(Registration)).all()) == 1

    with app.tx() as uow:
        again = receive_letter(
            uow.session, actor=actor, registry_id=reg, data=_meta("ฉบับถัดไป"), files=[], now=app.clock()
        )
    assert again.registration.number == 2  # the rolled-back 2 was not lost

    # and over HTTP the next one is 3
    with TestClient(create_app(app)) as client:
        h = login(client, "central")
        r = client.post(
            f"/api/v1/registries/{reg}/receive",
            headers=h,
            files={"meta": (None, json.dumps({"sender": "สพฐ.", "subject": "ทาง HTTP"}))},
        )
        assert r.status_code == 201, r.text
        assert r.json()["registration"]["number"] == 3


def test_failed_write_of_the_production_path_consumes_no_number(make_saraban: MakeSaraban, any_db: str) -> None:
    """The path every registration takes (``register_received``: prepare, then the write in its own transaction),
    failed after the number was taken, leaves no trace; the next registration gets that number."""
    app = make_saraban(any_db)
    actor = _actor(app, "central")
    reg = _registry(app, "central")
    draft = prepare_receipt(app, actor=actor, registry_id=reg, data=_meta("ฉบับที่ล้มเหลว"), upload=Upload())
    with pytest.raises(Crash), app.tx() as uow:
        assert record_receipt(uow.session, draft).registration.number == 1
        raise Crash("the request failed after the number was taken")
    with app.tx() as uow:
        assert uow.session.exec(select(Registration)).first() is None
    result = register_received(
        app, actor=actor, registry_id=reg, data=_meta("ฉบับถัดไป"), upload=Upload(), where=Where(ip="127.0.0.1")
    )
    assert result["registration"]["number"] == 1


# ---------------------------------------------------------------------------------------------- next_number


def test_next_number_per_registry_and_year(make_saraban: MakeSaraban, any_db: str) -> None:
    app = make_saraban(any_db)
    central, promotion = _registry(app, "central"), _registry(app, "promotion-receive")
    with app.tx() as uow:
        s = uow.session
        assert [next_number(s, registry_id=central, year=2568) for _ in range(3)] == [1, 2, 3]
        assert next_number(s, registry_id=promotion, year=2568) == 1
        assert next_number(s, registry_id=central, year=2569) == 1
        assert next_number(s, registry_id=promotion, year=2568) == 2
        assert next_number(s, registry_id=central, year=2568) == 4
    with app.tx() as uow:  # committed: a later transaction continues
        assert next_number(uow.session, registry_id=central, year=2568) == 5
        assert next_number(uow.session, registry_id=central, year=2569) == 2
    with pytest.raises(Crash), app.tx() as uow:
        assert next_number(uow.session, registry_id=central, year=2568) == 6
        raise Crash
    with app.tx() as uow:
        assert next_number(uow.session, registry_id=central, year=2568) == 6


def test_year_change_restarts_at_one_in_bangkok_time(make_saraban: MakeSaraban, any_db: str) -> None:
    app = make_saraban(any_db)
    eve = datetime(2025, 12, 31, 23, 59, tzinfo=BANGKOK)  # B.E. 2568, the last minute
    # 00:01 on 1 January in Bangkok is still 31 December in UTC: the year must follow the office's clock.
    new_year = datetime(2026, 1, 1, 0, 1, tzinfo=BANGKOK).astimezone(UTC)
    assert new_year.year == 2025
    app.clock = lambda: eve
    with TestClient(create_app(app)) as client:
        h = login(client, "central")
        reg = registry_id(client, h, "central")

        def post(subject: str) -> dict[str, Any]:
            r = client.post(
                f"/api/v1/registries/{reg}/receive",
                headers=h,
                files={"meta": (None, json.dumps({"sender": "สพฐ.", "subject": subject}))},
            )
            assert r.status_code == 201, r.text
            registration: dict[str, Any] = r.json()["registration"]
            return registration

        eve_regs = [post("ก"), post("ข"), post("ค")]
        assert [(p["year"], p["number"]) for p in eve_regs] == [(2568, 1), (2568, 2), (2568, 3)]
        app.clock = lambda: new_year
        first = post("ปีใหม่")
        assert (first["year"], first["number"]) == (2569, 1)
        assert first["registered_at"].startswith("2026-01-01T00:01")
        assert post("ปีใหม่ ๒")["number"] == 2
        # another registry has its own counter in the new year too
        group = registry_id(client, h, "promotion-receive")
        gh = login(client, "group")
        r = client.post(
            f"/api/v1/registries/{group}/receive",
            headers=gh,
            files={"meta": (None, json.dumps({"sender": "สพฐ.", "subject": "กลุ่ม"}))},
        )
        assert r.status_code == 201, r.text
        assert (r.json()["registration"]["year"], r.json()["registration"]["number"]) == (2569, 1)

        old = client.get(f"/api/v1/registries/{reg}/entries", params={"year": 2568}, headers=h).json()["entries"]
        new = client.get(f"/api/v1/registries/{reg}/entries", params={"year": 2569}, headers=h).json()["entries"]
        assert [e["number"] for e in old] == [1, 2, 3]
        assert [e["number"] for e in new] == [1, 2]


# ---------------------------------------------------------------------------------------------- the write path


@pytest.mark.parametrize("db", ["sqlite", "postgres"])
def test_registration_rows_read_back_as_written(
    make_saraban: MakeSaraban, request: pytest.FixtureRequest, db: str
) -> None:
    """The registration is written by prepared statements on the DB-API cursor (``service.db.Prepared``):
    dates, times, Thai text and defaults must read back through the ORM exactly, and the audit event's hash
    must verify from the stored row."""
    from service.audit import verify_chain
    from service.models import Attachment, AuditEvent, LetterAccess

    url = "" if db == "sqlite" else request.getfixturevalue("pg_url")
    app = make_saraban(url)
    actor = _actor(app, "central")
    reg = _registry(app, "central")
    data = parse_letter_meta(
        {
            "letter_no": "ศธ ๐๔๐๔๕/๑๒๓",
            "letter_date": "๒๓ มีนาคม ๒๕๖๕",
            "sender": "สพฐ.",
            "recipient": "ผอ.สพป.",
            "subject": "ขอเชิญประชุม",
            "summary": "สรุป",
            "urgency": "ด่วนที่สุด",
            "deliver_by": "2026-11-22T09:30:00+07:00",
            "channel": "e-mail",
            "remarks": "หมายเหตุ",
        }
    )
    files = [StoredFile(f"ไฟล์{i}.pdf", f"{i:064x}", 1000 + i, "application/pdf", "pdf", i + 1) for i in range(2)]
    now = datetime(2026, 11, 21, 23, 59, 58, 123456, tzinfo=UTC)  # already 22 Nov in Bangkok
    with app.tx() as uow:
        got = receive_letter(uow.session, actor=actor, registry_id=reg, data=data, files=files, now=now)
    assert got.registration.year == 2569 and got.registration.number == 1

    with app.tx() as uow:
        s = uow.session
        letter = s.get(Letter, got.letter.id)
        assert letter is not None
        assert letter.model_dump() == got.letter.model_dump()
        assert letter.letter_date is not None and letter.letter_date.isoformat() == "2022-03-23"
        assert letter.deliver_by == datetime(2026, 11, 22, 2, 30, tzinfo=UTC)
        assert letter.created_at == now
        assert letter.index_status == "pending" and letter.urgency == 4 and letter.channel == "email"
        registration = s.get(Registration, got.registration.id)
        assert registration is not None and registration.model_dump() == got.registration.model_dump()
        assert registration.cancelled is False and registration.action == ""
        atts = s.exec(select(Attachment).where(Attachment.letter_id == letter.id).order_by(Attachment.position)).all()
        assert [a.model_dump() for a in atts] == [a.model_dump() for a in got.attachments]
        assert [a.filename for a in atts] == ["ไฟล์0.pdf", "ไฟล์1.pdf"]
        readers = s.exec(select(LetterAccess.principal).where(LetterAccess.letter_id == letter.id)).all()
        assert sorted(readers) == sorted(plan_receipt(s, actor, reg, 0).principals) != []
        event = s.exec(select(AuditEvent).where(AuditEvent.letter_id == letter.id)).one()
        assert event.action == "register" and event.at == now
        assert json.loads(event.detail)["number"] == 1
        assert verify_chain(s).ok
