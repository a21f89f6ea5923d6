"""What the archive's tests share: a movable clock, letters received and completed, an office's file plan."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlmodel import select

from service.context import Saraban
from service.models import Routing, User
from tests.conftest import login, registry_id
from tests.publicids import internal_id
from tests.samples import thai_letter_pdf

BANGKOK = ZoneInfo("Asia/Bangkok")


class MovableClock:
    """The injected clock: set it to an office day and hour; signing in again after a jump (tokens expire)."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment

    def set(self, day: date, hour: int = 10) -> None:
        self.moment = datetime.combine(day, time(hour), tzinfo=BANGKOK)


def use_clock(app: Saraban, day: date) -> MovableClock:
    clock = MovableClock(datetime.combine(day, time(10), tzinfo=BANGKOK))
    app.clock = clock
    return clock


def receive(
    client: TestClient,
    headers: dict[str, str],
    *,
    subject: str,
    pdf: bytes | None = None,
    letter_date: str = "๒๓ มีนาคม ๒๕๖๕",
) -> dict[str, Any]:
    meta = {
        "letter_no": "ศธ ๐๔๐๔๕/๑๒๓",
        "letter_date": letter_date,
        "sender": "สำนักงานคณะกรรมการการศึกษาขั้นพื้นฐาน",
        "recipient": "ผู้อำนวยการสำนักงานเขตพื้นที่การศึกษา",
        "subject": subject,
        "letter_type": "external",
        "urgency": "ปกติ",
        "channel": "paper",
    }
    data = pdf if pdf is not None else thai_letter_pdf(subject=subject)
    r = client.post(
        f"/api/v1/registries/{registry_id(client, headers, 'central')}/receive",
        headers=headers,
        files=[
            ("meta", (None, json.dumps(meta, ensure_ascii=False))),
            ("files", ("letter.pdf", data, "application/pdf")),
        ],
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def complete_journey(app: Saraban, letter_id: int, on: date) -> None:
    """The journey's end as the routing branch records it: a route in state ``completed`` with its time.
    ``letter_id`` is the public id the API answered."""
    letter_id = internal_id(app, letter_id)
    with app.tx() as uow:
        s = uow.session
        user = s.exec(select(User).where(User.username == "central")).one()
        at = datetime.combine(on, time(15), tzinfo=BANGKOK).astimezone(UTC)
        assert user.id is not None
        s.add(
            Routing(
                letter_id=letter_id,
                from_user_id=user.id,
                to_user_id=user.id,
                routed_at=at,
                state="completed",
                completed_at=at,
            )
        )


def open_journey(app: Saraban, letter_id: int) -> None:
    letter_id = internal_id(app, letter_id)  # the API's public id
    with app.tx() as uow:
        s = uow.session
        user = s.exec(select(User).where(User.username == "central")).one()
        assert user.id is not None
        s.add(Routing(letter_id=letter_id, from_user_id=user.id, to_user_id=user.id, routed_at=app.clock()))


def ids_by_code(client: TestClient, headers: dict[str, str]) -> tuple[dict[str, int], dict[str, int]]:
    """(retention class id by code, file code id by code)."""
    classes = {c["code"]: c["id"] for c in client.get("/api/v1/retention-classes", headers=headers).json()}
    files = {f["code"]: f["id"] for f in client.get("/api/v1/file-codes", headers=headers).json()}
    return classes, files


def file_letters(
    client: TestClient,
    headers: dict[str, str],
    letter_ids: list[int],
    *,
    cls: str = "general",
    file_code: str = "01.01",
    completed_on: str | None = None,
) -> Any:
    classes, files = ids_by_code(client, headers)
    return client.post(
        "/api/v1/archive/files",
        headers=headers,
        json={
            "letter_ids": letter_ids,
            "file_code_id": files[file_code],
            "retention_class_id": classes[cls],
            "location": "ห้องเก็บเอกสาร ตู้ ๒ ชั้น ๓ กล่อง ๕",
            "completed_on": completed_on,
        },
    )


def relogin(client: TestClient, *names: str) -> dict[str, dict[str, str]]:
    return {n: login(client, n) for n in names}
