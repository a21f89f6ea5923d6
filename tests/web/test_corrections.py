"""Correcting and cancelling a registration (issue 14, acceptance 2): both versions on the letter and in the audit; a
cancelled number stays in the register, marked, with its reason, and the next registration takes the next number;
a routed letter is refused with 409; only the registry's clerks may do it. API and web pages."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from service.app import create_app
from service.demo import DEMO_PASSWORD
from service.models import AuditEvent, Unit
from service.registers.corrections import change_refusal
from tests.conftest import MakeSaraban, login, registry_id
from tests.samples import thai_letter_pdf


@pytest.mark.parametrize(
    ("cancelled", "states", "expected"),
    [
        (False, [], None),
        (False, ["recalled"], None),  # taken back by the sender: the letter is home again
        (False, ["returned"], None),  # sent back by the recipient: correct it, then route it again
        (False, ["returned", "recalled"], None),
        (False, ["sent"], "routed"),
        (False, ["registered"], "routed"),
        (False, ["acknowledged"], "routed"),
        (False, ["forwarded"], "routed"),
        (False, ["completed"], "routed"),
        (False, ["recalled", "sent"], "routed"),  # recalled once, routed again
        (True, [], "cancelled"),
        (True, ["sent"], "cancelled"),
    ],
)
def test_when_a_registration_may_change(cancelled: bool, states: list[str], expected: str | None) -> None:  # noqa: FBT001
    assert change_refusal(cancelled=cancelled, route_states=states) == expected


def _receive(client: TestClient, h: dict[str, str], reg: int, subject: str, **meta: Any) -> dict[str, Any]:
    body = {"sender": "สพฐ.", "subject": subject, "letter_no": "ศธ ๐๔๐๐๖/๑", **meta}
    r = client.post(
        f"/api/v1/registries/{reg}/receive",
        headers=h,
        data={"meta": json.dumps(body, ensure_ascii=False)},
        files=[("files", ("letter.pdf", thai_letter_pdf(subject=subject), "application/pdf"))],
    )
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


def _sign_in(client: TestClient, username: str) -> str:
    client.cookies.clear()
    r = client.post("/login", data={"username": username, "password": DEMO_PASSWORD}, follow_redirects=False)
    assert r.status_code == 303, r.text
    m = re.search(r'name="csrf" value="([^"]+)"', client.get("/password").text)
    assert m
    return m.group(1)


def test_correction_keeps_both_versions_api(make_saraban: MakeSaraban, any_db: str) -> None:
    app = make_saraban(any_db)
    with TestClient(create_app(app)) as client:
        h = login(client, "central")
        reg = registry_id(client, h, "central")
        got = _receive(client, h, reg, "ขอเชิญประชุมผู้บริหารสถานศึกษ")  # the typo the clerk corrects
        rid = got["registration"]["id"]
        r = client.patch(
            f"/api/v1/registrations/{rid}",
            headers=h,
            json={"subject": "ขอเชิญประชุมผู้บริหารสถานศึกษา", "letter_no": "ศธ ๐๔๐๐๖/๒", "reason": "พิมพ์ผิด"},
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["corrected"] is True and body["status"] == ""
        assert body["letter"]["subject"] == "ขอเชิญประชุมผู้บริหารสถานศึกษา"
        (h1,) = body["history"]
        assert h1["before"] == {"subject": "ขอเชิญประชุมผู้บริหารสถานศึกษ", "letter_no": "ศธ ๐๔๐๐๖/๑"}
        assert h1["after"] == {"subject": "ขอเชิญประชุมผู้บริหารสถานศึกษา", "letter_no": "ศธ ๐๔๐๐๖/๒"}
        assert h1["reason"] == "พิมพ์ผิด"
        # the register marks the row, shows the current values
        entries = client.get(f"/api/v1/registries/{reg}/entries", headers=h).json()["entries"]
        (row,) = [e for e in entries if e["registration_id"] == rid]
        assert row["corrected"] is True and row["subject"] == "ขอเชิญประชุมผู้บริหารสถานศึกษา"
        # the audit has both versions
        with app.tx() as uow:
            events = uow.session.exec(select(AuditEvent).where(AuditEvent.action == "correct_registration")).all()
        (event,) = events
        detail = json.loads(event.detail)
        assert detail["before"]["subject"] == "ขอเชิญประชุมผู้บริหารสถานศึกษ"
        assert detail["after"]["subject"] == "ขอเชิญประชุมผู้บริหารสถานศึกษา"
        # the letter (API) carries the history too
        letter = client.get(f"/api/v1/letters/{got['letter_id']}", headers=h).json()
        assert letter["history"][0]["after"]["letter_no"] == "ศธ ๐๔๐๐๖/๒"
        assert letter["letter_no_normalised"] == "ศธ04006/2"
        # a reason is required; bad input changes nothing
        r = client.patch(f"/api/v1/registrations/{rid}", headers=h, json={"subject": "อื่น"})
        assert r.status_code == 422 and r.json()["detail_th"]
        r = client.patch(f"/api/v1/registrations/{rid}", headers=h, json={"secrecy": 1, "reason": "x"})
        assert r.status_code == 422 and r.json()["detail_th"]
        r = client.patch(f"/api/v1/registrations/{rid}", headers=h, json={"letter_date": "๓๒ มี.ค. ๒๕๖๙", "reason": "x"})
        assert r.status_code == 422 and r.json()["detail_th"]
        again = client.get(f"/api/v1/letters/{got['letter_id']}", headers=h).json()
        assert len(again["history"]) == 1 and again["subject"] == "ขอเชิญประชุมผู้บริหารสถานศึกษา"


def test_cancel_burns_the_number_api(make_saraban: MakeSaraban, any_db: str) -> None:
    app = make_saraban(any_db)
    with TestClient(create_app(app)) as client:
        h = login(client, "central")
        reg = registry_id(client, h, "central")
        first = _receive(client, h, reg, "หนังสือฉบับแรก")
        bad = _receive(client, h, reg, "ลงทะเบียนผิดพลาด")
        n = bad["registration"]["number"]
        assert n == first["registration"]["number"] + 1
        r = client.post(f"/api/v1/registrations/{bad['registration']['id']}/cancel", headers=h, json={})
        assert r.status_code == 422 and r.json()["detail_th"] == "กรุณาระบุเหตุผลที่ยกเลิก"
        r = client.post(
            f"/api/v1/registrations/{bad['registration']['id']}/cancel", headers=h, json={"reason": "ลงซ้ำโดยไม่ตั้งใจ"}
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "cancelled" and r.json()["cancel_reason"] == "ลงซ้ำโดยไม่ตั้งใจ"
        nxt = _receive(client, h, reg, "หนังสือฉบับถัดไป")
        assert nxt["registration"]["number"] == n + 1  # never reused
        entries = client.get(f"/api/v1/registries/{reg}/entries", headers=h).json()["entries"]
        by_number = {e["number"]: e for e in entries}
        assert by_number[n]["status"] == "cancelled" and "ลงซ้ำโดยไม่ตั้งใจ" in by_number[n]["remarks"]
        assert by_number[n + 1]["status"] == ""
        # cancelling twice, or correcting a cancelled registration: 409 with a Thai detail
        again = client.post(
            f"/api/v1/registrations/{bad['registration']['id']}/cancel", headers=h, json={"reason": "x"}
        )
        assert again.status_code == 409 and again.json()["detail_th"]
        fix = client.patch(
            f"/api/v1/registrations/{bad['registration']['id']}", headers=h, json={"subject": "ก", "reason": "ก"}
        )
        assert fix.status_code == 409
        csv_text = client.get(f"/api/v1/registries/{reg}/entries", headers=h, params={"format": "csv"}).text
        assert "ยกเลิก: ลงซ้ำโดยไม่ตั้งใจ" in csv_text


def test_routed_letters_are_refused_with_409(make_saraban: MakeSaraban) -> None:
    app = make_saraban()
    with TestClient(create_app(app)) as client:
        h = login(client, "central")
        reg = registry_id(client, h, "central")
        got = _receive(client, h, reg, "หนังสือที่ส่งต่อแล้ว")
        with app.tx() as uow:
            promotion = uow.session.exec(select(Unit).where(Unit.code == "promotion")).one()
        r = client.post(f"/api/v1/letters/{got['letter_id']}/routes", headers=h, json={"to_unit_id": promotion.id})
        assert r.status_code in (200, 201), r.text
        rid = got["registration"]["id"]
        for path, body in (
            (f"/api/v1/registrations/{rid}/cancel", {"reason": "ผิด"}),
            (f"/api/v1/registrations/{rid}", {"subject": "แก้", "reason": "ผิด"}),
        ):
            resp = (
                client.patch(path, headers=h, json=body)
                if "cancel" not in path
                else client.post(path, headers=h, json=body)
            )
            assert resp.status_code == 409, resp.text
            assert resp.headers["content-type"].startswith("application/problem+json")
            problem = resp.json()
            assert problem["reason"] == "routed" and "ส่งต่อแล้ว" in problem["detail_th"]
        letter = client.get(f"/api/v1/letters/{got['letter_id']}", headers=h).json()
        assert letter["subject"] == "หนังสือที่ส่งต่อแล้ว" and letter["registrations"][0]["cancelled"] is False


@pytest.mark.parametrize("who", ["group", "officer", "director", "auditor", "admin", "records"])
def test_only_the_registry_clerks(make_saraban: MakeSaraban, who: str) -> None:
    app = make_saraban()
    with TestClient(create_app(app)) as client:
        h = login(client, "central")
        got = _receive(client, h, registry_id(client, h, "central"), "หนังสือของสารบรรณกลาง")
        other = login(client, who)
        rid = got["registration"]["id"]
        r = client.patch(f"/api/v1/registrations/{rid}", headers=other, json={"subject": "แก้", "reason": "ลอง"})
        assert r.status_code in (403, 404), r.text  # 404: the letter does not exist for one who may not read it
        assert r.json()["detail_th"]
        r = client.post(f"/api/v1/registrations/{rid}/cancel", headers=other, json={"reason": "ลอง"})
        assert r.status_code in (403, 404)
        assert (
            client.get(f"/api/v1/letters/{got['letter_id']}", headers=h).json()["registrations"][0]["cancelled"]
            is False
        )


def test_correct_and_cancel_on_the_pages(make_saraban: MakeSaraban) -> None:
    app = make_saraban()
    with TestClient(create_app(app)) as client:
        h = login(client, "central")
        reg = registry_id(client, h, "central")
        got = _receive(client, h, reg, "เรื่องที่พิมพ์ผด")
        lid, rid = got["letter_id"], got["registration"]["id"]
        csrf = _sign_in(client, "central")
        page = client.get(f"/letters/{lid}").text
        assert f'id="correct-form-{rid}"' in page and f'id="cancel-form-{rid}"' in page
        forged = client.post(f"/registrations/{rid}/correct", data={"csrf": "forged", "subject": "x", "reason": "x"})
        assert forged.status_code == 403
        r = client.post(
            f"/registrations/{rid}/correct",
            data={"csrf": csrf, "subject": "เรื่องที่พิมพ์ผิด", "sender": "สพฐ.", "reason": "สะกดผิด"},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        page = client.get(r.headers["location"]).text
        assert 'id="changed"' in page and 'id="correction-history"' in page
        history = page[page.index('id="correction-history"') :]
        assert "เรื่องที่พิมพ์ผด" in history and "เรื่องที่พิมพ์ผิด" in history and "สะกดผิด" in history
        register = client.get(f"/registers/{reg}").text
        assert "แก้ไขแล้ว" in register
        r = client.post(
            f"/registrations/{rid}/cancel", data={"csrf": csrf, "reason": "ลงทะเบียนผิดเล่ม"}, follow_redirects=False
        )
        assert r.status_code == 303
        page = client.get(r.headers["location"]).text
        assert "ยกเลิกแล้ว" in page and "ลงทะเบียนผิดเล่ม" in page
        assert f'id="cancel-form-{rid}"' not in page  # nothing more to change
        register = client.get(f"/registers/{reg}").text
        row = register[register.index(f'data-number="{got["registration"]["number"]}"') :].split("</tr>")[0]
        assert "ยกเลิก" in row and "ลงทะเบียนผิดเล่ม" in row
        only_cancelled = client.get(f"/registers/{reg}", params={"status": "cancelled"}).text
        assert "ลงทะเบียนผิดเล่ม" in only_cancelled
        # a refusal on the page is Thai, not a 500
        r = client.post(f"/registrations/{rid}/cancel", data={"csrf": csrf, "reason": "อีกครั้ง"})
        assert r.status_code == 409 and "ยกเลิกแล้ว" in r.text
        # a cancelled letter is the registry's clerks' alone: the auditor finds no such letter (404, Thai)
        _sign_in(client, "auditor")
        audit_page = client.get(f"/letters/{lid}")
        assert audit_page.status_code == 404 and f'id="cancel-form-{rid}"' not in audit_page.text


def test_a_correction_records_only_what_changed(make_saraban: MakeSaraban) -> None:
    """Fields sent unchanged (a date typed in Thai, the deadline as stored) are not recorded as changes."""
    app = make_saraban()
    with TestClient(create_app(app)) as client:
        h = login(client, "central")
        got = _receive(
            client,
            h,
            registry_id(client, h, "central"),
            "เรื่องเดิม",
            letter_date="๒๓ มีนาคม ๒๕๖๘",
            deliver_by="2025-06-20T16:30:00+07:00",
            urgency="ด่วน",
        )
        rid = got["registration"]["id"]
        r = client.patch(
            f"/api/v1/registrations/{rid}",
            headers=h,
            json={
                "subject": "เรื่องใหม่",
                "letter_date": "23 มี.ค. 2568",
                "deliver_by": "2025-06-20T16:30:00+07:00",
                "urgency": "2",
                "reason": "แก้ชื่อเรื่อง",
            },
        )
        assert r.status_code == 200, r.text
        (h1,) = r.json()["history"]
        assert h1["after"] == {"subject": "เรื่องใหม่"}
        r = client.patch(f"/api/v1/registrations/{rid}", headers=h, json={"subject": "เรื่องใหม่", "reason": "ซ้ำ"})
        assert r.status_code == 200 and len(r.json()["history"]) == 1  # nothing changed: nothing recorded
