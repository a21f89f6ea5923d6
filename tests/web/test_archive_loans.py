"""Loans over the API with an injected clock (ระเบียบงานสารบรรณ หมวด 3 ส่วนที่ 2): request → approve → hand out with a
due date → return; a loan past its due date is on the overdue list and returning it clears it; an outsider may be
recorded as having looked or copied, never as a borrower; the loan card prints."""

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
from service.context import Saraban
from service.models import AuditEvent, Loan
from tests.archive_kit import MovableClock, complete_journey, file_letters, receive, use_clock
from tests.conftest import MakeSaraban, login


@pytest.fixture
def office(make_saraban: MakeSaraban) -> Iterator[tuple[Saraban, TestClient, MovableClock, dict[str, Any]]]:
    app = make_saraban()
    clock = use_clock(app, date(2025, 12, 20))
    with TestClient(create_app(app)) as client:
        central, records = login(client, "central"), login(client, "records")
        letter = receive(client, central, subject="ทะเบียนครุภัณฑ์ประจำปี")
        complete_journey(app, letter["letter_id"], date(2025, 12, 1))
        [item] = file_letters(client, records, [letter["letter_id"]], file_code="03.01").json()["items"]
        yield app, client, clock, item


def test_a_loan_past_its_due_date_is_overdue_until_returned(office: Any) -> None:
    app, client, clock, item = office
    officer, records, director = login(client, "officer"), login(client, "records"), login(client, "director")
    # the officer cannot read this central letter: asking to borrow it finds nothing
    assert client.post(f"/api/v1/archive/items/{item['id']}/loans", headers=officer, json={}).status_code == 404
    central = login(client, "central")
    r = client.post(
        f"/api/v1/archive/items/{item['id']}/loans",
        headers=central,
        json={"position": "เจ้าพนักงานธุรการ", "purpose": "ตรวจสอบครุภัณฑ์"},
    )
    assert r.status_code == 201, r.text
    loan = r.json()
    assert loan["state"] == "requested" and loan["borrower_name"] == "นางสาวณัฐภัสสร คำฟู"

    # not handed out before approval; approval by the head (configuration), not the records officer
    r = client.post(f"/api/v1/archive/loans/{loan['id']}/hand-out", headers=records, json={})
    assert r.status_code == 409 and r.json()["code"] == "loan_step_not_allowed"
    assert client.post(f"/api/v1/archive/loans/{loan['id']}/approve", headers=records).status_code == 403
    assert client.post(f"/api/v1/archive/loans/{loan['id']}/approve", headers=director).json()["state"] == "approved"

    r = client.post(
        f"/api/v1/archive/loans/{loan['id']}/hand-out",
        headers=records,
        json={"due_on": "๒๗ ธ.ค. ๒๕๖๘", "received_by": "นางสาวณัฐภัสสร คำฟู"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "out" and r.json()["due_on"] == "2025-12-27"
    assert client.get(f"/api/v1/archive/items/{item['id']}", headers=records).json()["on_loan"] is True
    assert client.get("/api/v1/archive/loans/overdue", headers=records).json() == []

    clock.set(date(2025, 12, 27))  # due today: not yet overdue
    records = login(client, "records")
    assert client.get("/api/v1/archive/loans/overdue", headers=records).json() == []
    clock.set(date(2026, 1, 3))  # across the new year
    records = login(client, "records")
    [late] = client.get("/api/v1/archive/loans/overdue", headers=records).json()
    assert late["id"] == loan["id"] and late["overdue"] is True and late["days_overdue"] == 7
    assert late["borrower_name"] == "นางสาวณัฐภัสสร คำฟู" and late["file_code"] == "03.01"
    # the borrower sees their own loans only; others see none
    assert [x["id"] for x in client.get("/api/v1/archive/loans", headers=login(client, "central")).json()] == [
        loan["id"]
    ]
    assert client.get("/api/v1/archive/loans", headers=login(client, "group")).json() == []

    r = client.post(
        f"/api/v1/archive/loans/{loan['id']}/return", headers=records, json={"returned_by": "นางสาวณัฐภัสสร คำฟู"}
    )
    assert r.status_code == 200 and r.json()["state"] == "returned" and r.json()["overdue"] is False
    assert client.get("/api/v1/archive/loans/overdue", headers=records).json() == []
    again = client.post(f"/api/v1/archive/loans/{loan['id']}/return", headers=records, json={})
    assert again.status_code == 409

    card = client.get(f"/api/v1/archive/items/{item['id']}/loan-card", headers=records)
    assert card.status_code == 200 and card.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(card.content)).pages)
    assert "บัตรยืมหนังสือ" in text and "03.01" in text

    with app.tx() as uow:
        actions = [e.action for e in uow.session.exec(select(AuditEvent).order_by(col(AuditEvent.seq)))]
    for step in ("loan_request", "loan_approve", "loan_hand_out", "loan_return"):
        assert step in actions


def test_an_outsider_views_or_copies_but_never_borrows(office: Any) -> None:
    app, client, _, item = office
    records = login(client, "records")
    r = client.post(
        f"/api/v1/archive/items/{item['id']}/outsider-access",
        headers=records,
        json={"kind": "borrow", "name": "นายภายนอก ผู้มาติดต่อ", "organisation": "บริษัทตัวอย่าง จำกัด"},
    )
    assert r.status_code == 422 and r.json()["code"] == "outsider_cannot_borrow"
    with app.tx() as uow:
        assert uow.session.exec(select(Loan)).first() is None
    for kind in ("view", "copy"):
        r = client.post(
            f"/api/v1/archive/items/{item['id']}/outsider-access",
            headers=records,
            json={"kind": kind, "name": "นายภายนอก ผู้มาติดต่อ", "purpose": "ขอตรวจดูหลักฐาน"},
        )
        assert r.status_code == 201, r.text
        assert r.json()["kind"] == kind and r.json()["state"] == "recorded"
        assert r.json()["borrower_kind"] == "outsider"
    # recorded, not lent: nothing to hand out, nothing overdue
    rows = client.get("/api/v1/archive/loans", headers=records, params={"item_id": item["id"]}).json()
    assert {x["state"] for x in rows} == {"recorded"}
    assert client.post(f"/api/v1/archive/loans/{rows[0]['id']}/hand-out", headers=records, json={}).status_code == 409
    assert (
        client.post(
            f"/api/v1/archive/items/{item['id']}/outsider-access",
            headers=login(client, "central"),
            json={"kind": "view", "name": "x"},
        ).status_code
        == 403
    )


def test_a_lent_item_is_not_lent_twice(office: Any) -> None:
    _, client, _, item = office
    records, director, central = login(client, "records"), login(client, "director"), login(client, "central")
    first, second = (
        client.post(f"/api/v1/archive/items/{item['id']}/loans", headers=central, json={}).json() for _ in range(2)
    )
    for loan in (first, second):
        client.post(f"/api/v1/archive/loans/{loan['id']}/approve", headers=director)
    assert client.post(f"/api/v1/archive/loans/{first['id']}/hand-out", headers=records, json={}).status_code == 200
    r = client.post(f"/api/v1/archive/loans/{second['id']}/hand-out", headers=records, json={})
    assert r.status_code == 409 and r.json()["code"] == "item_out"
    assert client.post(f"/api/v1/archive/loans/{first['id']}/return", headers=records, json={}).status_code == 200
    past = client.post(f"/api/v1/archive/loans/{second['id']}/hand-out", headers=records, json={"due_on": "2025-12-01"})
    assert past.status_code == 422 and past.json()["code"] == "due_before_hand_out"
    assert (
        client.post(f"/api/v1/archive/loans/{second['id']}/hand-out", headers=records, json={}).json()["due_on"]
        == "2025-12-27"
    )  # SARABAN_LOAN_DAYS (7) after the hand-out
