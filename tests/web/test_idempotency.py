"""Issue 10, finding 16 (second half): a client whose connection died after the server committed retries safely
with an ``Idempotency-Key``: the same key and request by the same actor return the first answer (status and body)
and register nothing new; the same key with another request is refused (422 problem+json). On main a retry
registered the letter a second time (and took a second number)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select

from service.app import create_app
from service.context import Saraban
from service.models import IdempotencyRecord, Letter, Outgoing, Registration, Routing, Unit
from tests.conftest import MakeSaraban, login, registry_id
from tests.samples import thai_letter_pdf


def _count(app: Saraban, model: type) -> int:
    with app.tx() as uow:
        return int(uow.session.exec(select(func.count()).select_from(model)).one())


def _receive(client: TestClient, h: dict[str, str], reg: int, subject: str, key: str | None) -> Any:
    headers = {**h, **({"Idempotency-Key": key} if key else {})}
    return client.post(
        f"/api/v1/registries/{reg}/receive",
        headers=headers,
        data={"meta": json.dumps({"sender": "สพฐ.", "subject": subject}, ensure_ascii=False)},
        files=[("files", ("a.pdf", thai_letter_pdf(pages=1), "application/pdf"))],
    )


@pytest.fixture
def clerk(client: TestClient) -> tuple[TestClient, dict[str, str], int]:
    h = login(client, "central")
    return client, h, registry_id(client, h, "central")


def test_a_retried_receive_returns_the_first_answer(
    clerk: tuple[TestClient, dict[str, str], int], saraban: Saraban
) -> None:
    client, h, reg = clerk
    first = _receive(client, h, reg, "ขอเชิญประชุม", "receive-0001")
    assert first.status_code == 201, first.text
    letters, numbers = _count(saraban, Letter), _count(saraban, Registration)
    again = _receive(client, h, reg, "ขอเชิญประชุม", "receive-0001")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.json()["attachments"][0]["stamped_id"] is not None  # the answer as it was sent, stamp included
    assert (_count(saraban, Letter), _count(saraban, Registration)) == (letters, numbers)
    with saraban.tx() as uow:
        row = uow.session.exec(select(IdempotencyRecord)).one()
        assert row.key == "receive-0001" and len(row.request_hash) == 64 and row.status == 201


def test_the_same_key_with_another_request_is_refused(
    clerk: tuple[TestClient, dict[str, str], int], saraban: Saraban
) -> None:
    client, h, reg = clerk
    assert _receive(client, h, reg, "เรื่องแรก", "k-1").status_code == 201
    letters = _count(saraban, Letter)
    other = _receive(client, h, reg, "เรื่องอื่น", "k-1")
    assert other.status_code == 422
    assert other.headers["content-type"].startswith("application/problem+json")
    assert other.json()["code"] == "idempotency_key_reused"
    assert _count(saraban, Letter) == letters


def test_without_a_key_each_request_registers(clerk: tuple[TestClient, dict[str, str], int], saraban: Saraban) -> None:
    client, h, reg = clerk
    letters = _count(saraban, Letter)
    assert _receive(client, h, reg, "ซ้ำ", None).status_code == 201
    assert _receive(client, h, reg, "ซ้ำ", None).status_code == 201
    assert _count(saraban, Letter) == letters + 2


def test_a_bad_key_is_refused(clerk: tuple[TestClient, dict[str, str], int]) -> None:
    client, h, reg = clerk
    assert _receive(client, h, reg, "x", "k" * 300).status_code == 422
    assert _receive(client, h, reg, "x", "has space").status_code == 422


def test_a_key_is_the_actor_s_own(clerk: tuple[TestClient, dict[str, str], int], saraban: Saraban) -> None:
    """Another actor's request with the same key is not answered with the first actor's letter."""
    client, h, reg = clerk
    mine = _receive(client, h, reg, "ของสารบรรณกลาง", "shared-key")
    assert mine.status_code == 201
    secret = login(client, "secret")
    secret_reg = registry_id(client, secret, "secret")
    r = client.post(
        f"/api/v1/registries/{secret_reg}/receive",
        headers={**secret, "Idempotency-Key": "shared-key"},
        data={"meta": json.dumps({"sender": "สพฐ.", "subject": "ลับ", "secrecy": "ลับ"}, ensure_ascii=False)},
    )
    assert r.status_code == 201, r.text
    assert r.json()["letter_id"] != mine.json()["letter_id"]
    assert _count(saraban, IdempotencyRecord) == 2


def test_a_retried_draft_and_route_return_the_first_answer(
    clerk: tuple[TestClient, dict[str, str], int], saraban: Saraban
) -> None:
    client, h, reg = clerk
    send = registry_id(client, h, "office-send")
    body = {
        "registry_id": send,
        "subject": "ขอเชิญประชุม",
        "letter_type": "external",
        "recipients": [{"name": "ผู้อำนวยการโรงเรียนเอกชน", "address": "ขอนแก่น"}],
    }
    key = {**h, "Idempotency-Key": "draft-1"}
    first = client.post("/api/v1/outgoing", headers=key, json=body)
    assert first.status_code == 201, first.text
    drafts = _count(saraban, Outgoing)
    again = client.post("/api/v1/outgoing", headers=key, json=body)
    assert (again.status_code, again.json()) == (201, first.json())
    assert _count(saraban, Outgoing) == drafts
    assert client.post("/api/v1/outgoing", headers=key, json={**body, "subject": "อื่น"}).status_code == 422

    letter = _receive(client, h, reg, "ส่งต่อ", None).json()["letter_id"]
    with saraban.tx() as uow:
        policy = uow.session.exec(select(Unit).where(Unit.code == "policy")).one().id
    key = {**h, "Idempotency-Key": "route-1"}
    first = client.post(f"/api/v1/letters/{letter}/routes", headers=key, json={"to_unit_id": policy})
    assert first.status_code == 201, first.text
    routes = _count(saraban, Routing)
    again = client.post(f"/api/v1/letters/{letter}/routes", headers=key, json={"to_unit_id": policy})
    assert (again.status_code, again.json()) == (201, first.json())
    assert _count(saraban, Routing) == routes


def test_a_failed_request_does_not_hold_its_key(clerk: tuple[TestClient, dict[str, str], int]) -> None:
    client, h, _ = clerk
    key = {**h, "Idempotency-Key": "draft-fails"}
    body = {"registry_id": 999999, "subject": "x", "letter_type": "external", "recipients": [{"name": "a"}]}
    assert client.post("/api/v1/outgoing", headers=key, json=body).status_code in (404, 422)
    send = registry_id(client, h, "office-send")
    body = {**body, "registry_id": send, "recipients": [{"name": "a", "address": "b"}]}
    assert client.post("/api/v1/outgoing", headers=key, json=body).status_code == 201


def test_a_retry_returns_the_first_answer_on_either_database(make_saraban: MakeSaraban, any_db: str) -> None:
    app = make_saraban(any_db)
    with TestClient(create_app(app)) as client:
        h = login(client, "central")
        reg = registry_id(client, h, "central")
        first = _receive(client, h, reg, "ฐานข้อมูล", "db-key")
        assert first.status_code == 201, first.text
        letters = _count(app, Letter)
        again = _receive(client, h, reg, "ฐานข้อมูล", "db-key")
        assert (again.status_code, again.json()) == (201, first.json())
        assert _count(app, Letter) == letters
        assert _receive(client, h, reg, "อื่น", "db-key").status_code == 422
