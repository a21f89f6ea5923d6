"""E-mail to outside parties through a real SMTP server (``aiosmtpd``, started here): sent after the commit with the
letter's files, the message-id and time recorded; a server that is down is recorded as a failure and a later send
retries it; ลับที่สุด never goes by e-mail."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlmodel import select

from service.app import create_app
from service.models import AuditEvent, OutgoingRecipient
from tests.conftest import MakeSaraban, free_port, login, registry_id
from tests.publicids import internal_id
from tests.samples import thai_letter_pdf


class Inbox:
    """An aiosmtpd handler that keeps what it is given."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # the name aiosmtpd calls
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), msg))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def _send(
    client: TestClient, h: dict[str, str], registry: str, recipients: list[dict[str, Any]], **fields: Any
) -> tuple[int, Any]:
    body = {
        "registry_id": registry_id(client, h, registry),
        "subject": "ขอเชิญร่วมงานวันครู",
        "recipients": recipients,
        **fields,
    }
    r = client.post("/api/v1/outgoing", headers=h, json=body)
    assert r.status_code == 201, r.text
    letter_id = r.json()["letter_id"]
    r = client.post(
        f"/api/v1/outgoing/{letter_id}/files",
        headers=h,
        files=[("files", ("หนังสือเชิญ.pdf", thai_letter_pdf(), "application/pdf"))],
    )
    assert r.status_code == 201, r.text
    r = client.post(f"/api/v1/outgoing/{letter_id}/issue", headers=h)
    assert r.status_code == 200, r.text
    r = client.post(f"/api/v1/outgoing/{letter_id}/send", headers=h)
    assert r.status_code == 200, r.text
    return letter_id, r.json()


def test_email_goes_through_smtp_with_message_id_and_time(make_saraban: MakeSaraban, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    app = make_saraban(smtp_host="127.0.0.1", smtp_port=port, smtp_from="saraban@khonkaen5.go.th")
    with TestClient(create_app(app)) as client:
        h = login(client, "central")
        letter_id, sent = _send(
            client,
            h,
            "office-send",
            [
                {"name": "บริษัท ตัวอย่าง จำกัด", "email": "info@example.co.th"},
                {"name": "สพฐ.", "address": "ถนนราชดำเนินนอก กรุงเทพฯ"},
            ],
        )
        [mail, post] = sent["outside"]
        assert post["state"] == "posted"
        assert mail["state"] == "emailed" and mail["message_id"].endswith("@khonkaen5.go.th>") and mail["sent_at"]
        [(sender, to, msg)] = inbox.messages
        assert sender == "saraban@khonkaen5.go.th" and to == ["info@example.co.th"]
        assert msg["Message-ID"] == mail["message_id"]
        assert msg["Subject"] == "ที่ ศธ ๐๔๐๔๕/๑ เรื่อง ขอเชิญร่วมงานวันครู"
        body = msg.get_body(preferencelist=("plain",))
        assert body is not None and "เรียน บริษัท ตัวอย่าง จำกัด" in body.get_content()
        [attachment] = list(msg.iter_attachments())
        assert attachment.get_filename() == "หนังสือเชิญ.pdf"
        assert attachment.get_content() == thai_letter_pdf()
        # recorded: the message-id and the time, in the letter's status and the audit trail
        status = client.get(f"/api/v1/outgoing/{letter_id}/deliveries", headers=h).json()
        [mail_status] = [o for o in status["outside"] if o["kind"] == "email"]
        assert mail_status["message_id"] == mail["message_id"] and mail_status["sent_at"]
        with app.tx() as uow:
            events = uow.session.exec(select(AuditEvent).where(AuditEvent.action == "email_sent")).all()
            assert len(events) == 1 and mail["message_id"] in events[0].detail
        # sending again does not send the e-mail twice
        assert client.post(f"/api/v1/outgoing/{letter_id}/send", headers=h).status_code == 200
        assert len(inbox.messages) == 1


def test_a_server_that_is_down_is_a_recorded_failure_retried_later(make_saraban: MakeSaraban) -> None:
    port = free_port()  # nothing listens here yet
    app = make_saraban(smtp_host="127.0.0.1", smtp_port=port, smtp_timeout_seconds=5)
    with TestClient(create_app(app)) as client:
        h = login(client, "central")
        letter_id, sent = _send(client, h, "office-send", [{"name": "ผู้รับ", "email": "someone@example.org"}])
        [mail] = sent["outside"]
        assert mail["state"] == "failed" and mail["message_id"] is None and "Error" in mail["error"]
        with app.tx() as uow:
            row = uow.session.exec(
                select(OutgoingRecipient).where(OutgoingRecipient.letter_id == internal_id(app, letter_id))
            ).one()
            assert row.state == "failed" and row.error
        inbox = Inbox()
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            r = client.post(f"/api/v1/outgoing/{letter_id}/send", headers=h)
            assert r.status_code == 200, r.text
            [retried] = r.json()["outside"]
            assert retried["state"] == "emailed" and retried["message_id"]
            assert len(inbox.messages) == 1
        finally:
            controller.stop()


def test_top_secret_never_by_email(make_saraban: MakeSaraban, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    app = make_saraban(smtp_host="127.0.0.1", smtp_port=port)
    with TestClient(create_app(app)) as client:
        h = login(client, "secret")
        body = {
            "registry_id": registry_id(client, h, "office-secret-send"),
            "subject": "ลับที่สุด",
            "secrecy": "ลับที่สุด",
            "recipients": [{"name": "ผู้รับ", "email": "someone@example.org"}],
        }
        r = client.post("/api/v1/outgoing", headers=h, json=body)
        assert r.status_code == 422 and r.json()["code"] == "top_secret_not_electronic"
        assert inbox.messages == []
