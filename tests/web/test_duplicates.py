"""The duplicate warning (issue 14, acceptance 3): the same ที่ from the same sender, or the same PDF, in the same
registry answers 409 ``possible_duplicate`` (API) or asks for confirmation (web) and registers nothing until
confirmed; a letter the clerk may not read is never named."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlmodel import func, select

from service.app import create_app
from service.context import Saraban
from service.demo import DEMO_PASSWORD
from service.models import AuditEvent, Letter, NumberCounter
from tests.conftest import MakeSaraban, login, registry_id
from tests.publicids import internal_id
from tests.samples import thai_letter_pdf

PDF = thai_letter_pdf(subject="ขอความอนุเคราะห์ข้อมูล")


def _post(
    client: TestClient, h: dict[str, str], reg: int, meta: dict[str, Any], pdf: bytes | None = None
) -> httpx.Response:
    files = [("files", ("letter.pdf", pdf, "application/pdf"))] if pdf is not None else None
    return client.post(
        f"/api/v1/registries/{reg}/receive",
        headers=h,
        data={"meta": json.dumps(meta, ensure_ascii=False)},
        files=files,
    )


def _letters(app: Saraban) -> int:
    with app.tx() as uow:
        return int(uow.session.exec(select(func.count()).select_from(Letter)).one())


def _last_number(app: Saraban) -> int:
    with app.tx() as uow:
        return max((c.last_number for c in uow.session.exec(select(NumberCounter))), default=0)


def test_same_letter_no_from_the_same_sender(make_saraban: MakeSaraban, any_db: str) -> None:
    app = make_saraban(any_db, duplicate_check=True)
    with TestClient(create_app(app)) as client:
        h = login(client, "central")
        reg = registry_id(client, h, "central")
        first = _post(client, h, reg, {"sender": "สพฐ.", "subject": "ฉบับแรก", "letter_no": "ศธ ๐๔๐๐๖/ว ๑๒๓"})
        assert first.status_code == 201, first.text
        count, number = _letters(app), _last_number(app)
        # the same ที่ typed with Arabic digits and other spacing is the same ที่
        again = _post(client, h, reg, {"sender": "สพฐ.", "subject": "ฉบับที่สอง", "letter_no": "ศธ 04006/ว123"})
        assert again.status_code == 409, again.text
        assert again.headers["content-type"].startswith("application/problem+json")
        problem = again.json()
        assert problem["code"] == "possible_duplicate" and problem["detail_th"]
        assert problem["letter_id"] == first.json()["letter_id"]
        assert problem["number"] == first.json()["registration"]["number"] and problem["year"]
        assert problem["earlier"][0]["match"] == "letter_no"
        assert (_letters(app), _last_number(app)) == (count, number)  # nothing registered, no number used
        # another sender, the same ที่: not a duplicate
        other = _post(client, h, reg, {"sender": "ศธจ.ขอนแก่น", "subject": "อื่น", "letter_no": "ศธ ๐๔๐๐๖/ว ๑๒๓"})
        assert other.status_code == 201
        # confirmed: registered
        meta = {"sender": "สพฐ.", "subject": "ฉบับที่สอง", "letter_no": "ศธ 04006/ว123", "confirm_duplicate": True}
        ok = _post(client, h, reg, meta)
        assert ok.status_code == 201, ok.text
        assert ok.json()["registration"]["number"] == number + 2
        with app.tx() as uow:
            (event,) = uow.session.exec(select(AuditEvent).where(AuditEvent.action == "duplicate_confirmed")).all()
        assert json.loads(event.detail)["earlier"] == [
            # the trail keeps the internal key; the API answered its public id
            {
                "letter_id": internal_id(app, first.json()["letter_id"]),
                "number": number,
                "year": problem["year"],
                "match": "letter_no",
            }
        ]


def test_same_pdf_twice_in_the_registry(make_saraban: MakeSaraban, any_db: str) -> None:
    app = make_saraban(any_db, duplicate_check=True)
    with TestClient(create_app(app)) as client:
        h = login(client, "central")
        reg = registry_id(client, h, "central")
        first = _post(client, h, reg, {"sender": "สพฐ.", "subject": "ฉบับแรก"}, PDF)
        assert first.status_code == 201, first.text
        count, number = _letters(app), _last_number(app)
        again = _post(client, h, reg, {"sender": "โรงเรียนบ้านหนองแวง", "subject": "แนบไฟล์เดิม"}, PDF)
        assert again.status_code == 409
        assert again.json()["code"] == "possible_duplicate" and again.json()["earlier"][0]["match"] == "sha256"
        assert (_letters(app), _last_number(app)) == (count, number)
        # a cancelled registration is not a duplicate (the clerk cancelled the bad attempt to register it again)
        rid = first.json()["registration"]["id"]
        assert client.post(f"/api/v1/registrations/{rid}/cancel", headers=h, json={"reason": "ผิด"}).status_code == 200
        assert _post(client, h, reg, {"sender": "โรงเรียนบ้านหนองแวง", "subject": "แนบไฟล์เดิม"}, PDF).status_code == 201
        # the confirmation as a form field works as well
        r = client.post(
            f"/api/v1/registries/{reg}/receive",
            headers=h,
            data={"meta": json.dumps({"sender": "ก", "subject": "ข"}, ensure_ascii=False), "confirm_duplicate": "true"},
            files=[("files", ("letter.pdf", PDF, "application/pdf"))],
        )
        assert r.status_code == 201, r.text


def test_another_registry_is_not_compared(make_saraban: MakeSaraban) -> None:
    """The same file in the central registry and in a group's own register is two registrations, not a slip (and
    the central registry's letter is not the group clerk's to know of)."""
    app = make_saraban(duplicate_check=True)
    with TestClient(create_app(app)) as client:
        central = login(client, "central")
        assert (
            _post(
                client, central, registry_id(client, central, "central"), {"sender": "สพฐ.", "subject": "ก"}, PDF
            ).status_code
            == 201
        )
        group = login(client, "group")
        r = _post(
            client, group, registry_id(client, group, "promotion-receive"), {"sender": "สพฐ.", "subject": "ก"}, PDF
        )
        assert r.status_code == 201, r.text


def test_the_receive_form_asks_for_confirmation(make_saraban: MakeSaraban) -> None:
    app = make_saraban(duplicate_check=True)
    with TestClient(create_app(app)) as client:
        h = login(client, "central")
        reg = registry_id(client, h, "central")
        first = _post(client, h, reg, {"sender": "สพฐ.", "subject": "ฉบับแรก", "letter_no": "ศธ ๐๔๐๐๖/๙"}, PDF)
        assert first.status_code == 201
        client.cookies.clear()
        client.post("/login", data={"username": "central", "password": DEMO_PASSWORD}, follow_redirects=False)
        m = re.search(r'name="csrf" value="([^"]+)"', client.get(f"/registers/{reg}/receive").text)
        assert m
        form = {"csrf": m.group(1), "sender": "สพฐ.", "subject": "ฉบับที่สอง", "letter_no": "ศธ ๐๔๐๐๖/๙"}
        count = _letters(app)
        r = client.post(f"/registers/{reg}/receive", data=form, files=[("files", ("a.pdf", PDF, "application/pdf"))])
        assert r.status_code == 409
        assert 'id="duplicate-warning"' in r.text and 'id="confirm_duplicate"' in r.text
        assert f'href="/letters/{first.json()["letter_id"]}"' in r.text
        assert "ฉบับที่สอง" in r.text  # the form keeps what was typed
        assert _letters(app) == count
        r = client.post(
            f"/registers/{reg}/receive",
            data={**form, "confirm_duplicate": "1"},
            files=[("files", ("a.pdf", PDF, "application/pdf"))],
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        assert _letters(app) == count + 1
