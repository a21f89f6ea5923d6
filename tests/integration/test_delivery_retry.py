"""A circular to a few hundred units, sent again and again: every unit gets it exactly once, on SQLite and
PostgreSQL — the same request retried with its Idempotency-Key (the first answer), retried without one (the send
runs again and adds nothing), two sends at once, and the unique (letter, unit) refusing a second delivery written
past the use-case. Every recipient's inbox shows the letter right after the send.

Issue "Scale" (16), acceptance 5: nothing delivered twice when the request is retried.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select

from service.app import create_app
from service.context import Saraban
from service.demo import DEMO_PASSWORD
from service.models import AuditEvent, Delivery, RecipientGroup, RecipientGroupMember, Registry, Unit
from service.users.core import create_user
from tests.conftest import MakeSaraban, login, registry_id
from tests.publicids import internal_id

UNITS = 300
GROUP = "โรงเรียนทั้งหมด (ทดสอบส่งซ้ำ)"


@pytest.fixture
def app(make_saraban: MakeSaraban, any_db: str) -> Saraban:
    """The demo office plus ``UNITS`` schools with their receive registers in one saved group, and a clerk for the
    first, the middle and the last of them."""
    saraban = make_saraban(any_db)
    now = datetime.now(UTC)
    with saraban.tx() as uow:
        s = uow.session
        conn = s.connection()
        unit_t, registry_t = Unit.__table__, Registry.__table__  # type: ignore[attr-defined]
        conn.execute(
            insert(unit_t),
            [
                {"code": f"retry-{i:04d}", "name": f"โรงเรียนทดสอบที่ {i}", "short_name": f"รร.{i}", "internal": True}
                for i in range(1, UNITS + 1)
            ],
        )
        ids = list(s.exec(select(Unit.id).where(col(Unit.code).startswith("retry-")).order_by(col(Unit.id))))
        conn.execute(
            insert(registry_t),
            [
                {"code": f"retry-{i:04d}-receive", "name": "ทะเบียนหนังสือรับ", "kind": "receive", "unit_id": u}
                for i, u in enumerate(ids, start=1)
            ],
        )
        group = RecipientGroup(name=GROUP, created_at=now)
        s.add(group)
        s.flush()
        conn.execute(
            insert(RecipientGroupMember.__table__),  # type: ignore[attr-defined]
            [{"group_id": group.id, "unit_id": u} for u in ids],
        )
        for i in (1, UNITS // 2, UNITS):
            create_user(
                s,
                username=f"retry{i}",
                password=DEMO_PASSWORD,
                roles=[(f"retry-{i:04d}", "central_clerk")],
                now=now,
                check_policy=False,
            )
    return saraban


@pytest.fixture
def client(app: Saraban) -> Iterator[TestClient]:
    with TestClient(create_app(app)) as c:
        yield c


def ok(r: Any) -> Any:
    assert r.status_code == 200, r.text
    return r.json()


def circular(client: TestClient, h: dict[str, str]) -> int:
    groups = ok(client.get("/api/v1/recipient-groups", headers=h))
    group = next(g["id"] for g in groups if g["name"] == GROUP)
    r = client.post(
        "/api/v1/outgoing",
        headers=h,
        json={
            "registry_id": registry_id(client, h, "office-circular"),
            "subject": "แจ้งปฏิทินการศึกษา",
            "recipients": [{"group_id": group}],
        },
    )
    assert r.status_code == 201, r.text
    letter_id = int(r.json()["letter_id"])
    ok(client.post(f"/api/v1/outgoing/{letter_id}/issue", headers=h))
    return letter_id


def deliveries(app: Saraban, letter_id: int) -> list[int]:
    with app.tx(readonly=True) as uow:
        return list(uow.session.exec(select(Delivery.unit_id).where(Delivery.letter_id == internal_id(app, letter_id))))


def send_events(app: Saraban, letter_id: int) -> list[dict[str, Any]]:
    with app.tx(readonly=True) as uow:
        rows = uow.session.exec(
            select(AuditEvent).where(AuditEvent.letter_id == internal_id(app, letter_id), AuditEvent.action == "send")
        ).all()
        return [json.loads(e.detail) for e in rows]


def test_a_retried_send_delivers_to_nobody_twice(app: Saraban, client: TestClient) -> None:
    central = login(client, "central")
    letter_id = circular(client, central)
    key = {**central, "Idempotency-Key": "send-retry-1"}

    first = ok(client.post(f"/api/v1/outgoing/{letter_id}/send", headers=key))
    assert len(first["deliveries"]) == UNITS
    units = deliveries(app, letter_id)
    assert len(units) == len(set(units)) == UNITS

    # the same request again (a client that lost the answer): the first answer, nothing done
    assert ok(client.post(f"/api/v1/outgoing/{letter_id}/send", headers=key)) == first
    # sent again without a key: the send runs, finds every delivery there and adds none
    again = ok(client.post(f"/api/v1/outgoing/{letter_id}/send", headers=central))
    assert again["deliveries"] == first["deliveries"]
    assert sorted(deliveries(app, letter_id)) == sorted(units)
    # one audit event a send, with the count, not one a recipient
    events = send_events(app, letter_id)
    assert [(e["units"], e["new_deliveries"]) for e in events] == [(UNITS, UNITS), (UNITS, 0)]

    # every recipient's inbox shows it right after (the first, the middle and the last school)
    for i in (1, UNITS // 2, UNITS):
        items = ok(client.get("/api/v1/deliveries/incoming", headers=login(client, f"retry{i}")))["items"]
        assert [item["letter_id"] for item in items] == [letter_id]

    # the sender's status: each recipient once
    status = ok(client.get(f"/api/v1/outgoing/{letter_id}/deliveries", headers=central))
    assert len(status["deliveries"]) == len({d["unit_id"] for d in status["deliveries"]}) == UNITS
    assert status["counts"]["delivered"] == UNITS


def test_two_sends_at_once_deliver_once(app: Saraban, client: TestClient) -> None:
    central = login(client, "central")
    letter_id = circular(client, central)
    barrier = threading.Barrier(2)
    answers: list[int] = []

    def send() -> None:
        barrier.wait()
        answers.append(client.post(f"/api/v1/outgoing/{letter_id}/send", headers=central).status_code)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == [200, 200]
    units = deliveries(app, letter_id)
    assert len(units) == len(set(units)) == UNITS
    assert sorted(e["new_deliveries"] for e in send_events(app, letter_id)) == [0, UNITS]


def test_the_database_refuses_a_second_delivery_to_a_unit(app: Saraban, client: TestClient) -> None:
    """Not only the send's own check: the unique (letter, unit) stops any writer."""
    central = login(client, "central")
    letter_id = circular(client, central)
    ok(client.post(f"/api/v1/outgoing/{letter_id}/send", headers=central))
    with app.tx(readonly=True) as uow:
        one = uow.session.exec(select(Delivery).where(Delivery.letter_id == internal_id(app, letter_id))).first()
        assert one is not None
        row = {
            "letter_id": one.letter_id,
            "unit_id": one.unit_id,
            "secret": one.secret,
            "state": "delivered",
            "delivered_at": one.delivered_at,
            "delivered_by": one.delivered_by,
            "returned_reason": "",
        }
    with pytest.raises(IntegrityError), app.tx() as uow:
        uow.session.connection().execute(insert(Delivery.__table__), [row])  # type: ignore[attr-defined]
    with app.tx(readonly=True) as uow:
        n = uow.session.exec(select(func.count()).where(Delivery.letter_id == internal_id(app, letter_id))).one()
    assert n == UNITS
