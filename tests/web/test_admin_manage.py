"""The administrator's screens (issue 14): accounts deactivated and reactivated (never deleted), unlocked, renamed,
given roles in several units; units; registries. Every change is audited, and a non-administrator is refused (403)
with nothing changed."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from service.auth.core import load_actor
from service.context import Saraban
from service.demo import DEMO_PASSWORD
from service.models import AuditEvent, GrantRequest, Membership, NumberCounter, Registry, Unit, User
from service.registers.numbering import YearClosed, next_number
from service.users.offices import close_year
from tests.conftest import MakeSaraban, login


def _signed_in(client: TestClient, username: str) -> str:
    r = client.post("/login", data={"username": username, "password": DEMO_PASSWORD}, follow_redirects=False)
    assert r.status_code == 303
    m = re.search(r'name="csrf" value="([^"]+)"', client.get("/password").text)
    assert m
    return m.group(1)


def _user(saraban: Saraban, username: str) -> User:
    with saraban.tx() as uow:
        user = uow.session.exec(select(User).where(User.username == username)).one()
        uow.session.expunge(user)
        return user


def _actions(saraban: Saraban) -> list[str]:
    with saraban.tx() as uow:
        return [e.action for e in uow.session.exec(select(AuditEvent).order_by(col(AuditEvent.seq)))]


def _roles(saraban: Saraban, user_id: int) -> set[tuple[int, str]]:
    with saraban.tx() as uow:
        return {(m.unit_id, m.role) for m in uow.session.exec(select(Membership).where(Membership.user_id == user_id))}


def _unit_id(saraban: Saraban, code: str) -> int:
    with saraban.tx() as uow:
        uid = uow.session.exec(select(Unit.id).where(Unit.code == code)).one()
        assert uid is not None
        return uid


def test_deactivate_stops_sign_in_and_tokens_and_reactivate_restores(saraban: Saraban, client: TestClient) -> None:
    officer = _user(saraban, "officer")
    other = TestClient(client.app)
    token = login(other, "officer")
    assert other.get("/api/v1/units", headers=token).status_code == 200
    csrf = _signed_in(client, "admin")
    page = client.get(f"/admin/users/{officer.id}")
    assert page.status_code == 200 and "ระงับบัญชี" in page.text
    r = client.post(f"/admin/users/{officer.id}/deactivate", data={"csrf": csrf})
    assert r.status_code == 200 and "ระงับบัญชีแล้ว" in r.text and "ถูกระงับ" in r.text
    assert other.get("/api/v1/units", headers=token).status_code == 401  # the token stopped working
    refused = other.post("/api/v1/auth/token", data={"username": "officer", "password": DEMO_PASSWORD})
    assert refused.status_code == 401
    assert _user(saraban, "officer").active is False  # kept, not deleted
    assert "user_deactivated" in _actions(saraban)
    assert "ถูกระงับ" in client.get("/admin/users").text
    r = client.post(f"/admin/users/{officer.id}/reactivate", data={"csrf": csrf})
    assert r.status_code == 200 and "เปิดใช้บัญชีแล้ว" in r.text
    assert other.post("/api/v1/auth/token", data={"username": "officer", "password": DEMO_PASSWORD}).status_code == 200
    assert "user_reactivated" in _actions(saraban)
    # the administrator cannot lock themselves out; a forged form changes nothing
    me = _user(saraban, "admin")
    r = client.post(f"/admin/users/{me.id}/deactivate", data={"csrf": csrf})
    assert r.status_code == 409 and "ไม่สามารถระงับบัญชีของตนเองได้" in r.text
    assert client.post(f"/admin/users/{officer.id}/deactivate", data={"csrf": "forged"}).status_code == 403
    assert _user(saraban, "officer").active is True


def test_unlock_a_locked_account(saraban: Saraban, client: TestClient) -> None:
    other = TestClient(client.app)
    for _ in range(6):
        other.post("/api/v1/auth/token", data={"username": "officer", "password": "wrong-password!"})
    locked = other.post("/api/v1/auth/token", data={"username": "officer", "password": DEMO_PASSWORD})
    assert locked.status_code == 401 and locked.json()["code"] == "account_locked"
    officer = _user(saraban, "officer")
    csrf = _signed_in(client, "admin")
    assert "ถูกล็อกชั่วคราว" in client.get(f"/admin/users/{officer.id}").text
    r = client.post(f"/admin/users/{officer.id}/unlock", data={"csrf": csrf})
    assert r.status_code == 200 and "ปลดล็อกบัญชีแล้ว" in r.text and "ถูกล็อกชั่วคราว" not in r.text
    assert other.post("/api/v1/auth/token", data={"username": "officer", "password": DEMO_PASSWORD}).status_code == 200
    assert "user_unlocked" in _actions(saraban)


def test_roles_in_several_units_and_name(saraban: Saraban, client: TestClient) -> None:
    group = _user(saraban, "group")
    assert group.id is not None
    promotion, policy = _unit_id(saraban, "promotion"), _unit_id(saraban, "policy")
    csrf = _signed_in(client, "admin")
    r = client.post(f"/admin/users/{group.id}/roles", data={"unit": "promotion", "role": "officer", "csrf": csrf})
    assert r.status_code == 200 and "เพิ่มบทบาทแล้ว" in r.text
    r = client.post(f"/admin/users/{group.id}/roles", data={"unit": "policy", "role": "officer", "csrf": csrf})
    assert _roles(saraban, group.id) == {(promotion, "group_clerk"), (promotion, "officer"), (policy, "officer")}
    again = client.post(f"/admin/users/{group.id}/roles", data={"unit": "policy", "role": "officer", "csrf": csrf})
    assert again.status_code == 409 and "มีบทบาทนี้" in again.text
    bad = client.post(f"/admin/users/{group.id}/roles", data={"unit": "policy", "role": "king", "csrf": csrf})
    assert bad.status_code == 422 and "ไม่รู้จักบทบาท" in bad.text
    with saraban.tx() as uow:
        mid = uow.session.exec(
            select(Membership.id).where(Membership.user_id == group.id, Membership.unit_id == policy)
        ).one()
    r = client.post(f"/admin/users/{group.id}/roles/{mid}/remove", data={"csrf": csrf})
    assert r.status_code == 200 and "นำบทบาทออกแล้ว" in r.text
    assert _roles(saraban, group.id) == {(promotion, "group_clerk"), (promotion, "officer")}
    r = client.post(
        f"/admin/users/{group.id}/edit", data={"full_name": "นางสมศรี ใจดีมาก", "clearance": "0", "csrf": csrf}
    )
    assert r.status_code == 200 and _user(saraban, "group").full_name == "นางสมศรี ใจดีมาก"
    acts = _actions(saraban)
    assert {"membership_added", "membership_removed", "user_updated"} <= set(acts)


def test_secret_grants_still_need_the_head(saraban: Saraban, client: TestClient) -> None:
    """Raising clearance and the secret registrar's role from these screens are requests (two-person rule)."""
    officer = _user(saraban, "officer")
    assert officer.id is not None
    csrf = _signed_in(client, "admin")
    r = client.post(
        f"/admin/users/{officer.id}/edit", data={"full_name": officer.full_name, "clearance": "2", "csrf": csrf}
    )
    assert r.status_code == 200 and "รอหัวหน้าส่วนราชการอนุมัติ" in r.text
    r = client.post(
        f"/admin/users/{officer.id}/roles", data={"unit": "office", "role": "secret_registrar", "csrf": csrf}
    )
    assert "รอหัวหน้าส่วนราชการอนุมัติ" in r.text
    assert _user(saraban, "officer").clearance == 0
    assert all(role != "secret_registrar" for _, role in _roles(saraban, officer.id))
    with saraban.tx() as uow:
        assert len(uow.session.exec(select(GrantRequest).where(GrantRequest.user_id == officer.id)).all()) == 2
    # lowering needs no approval
    secret = _user(saraban, "secret")
    client.post(f"/admin/users/{secret.id}/edit", data={"full_name": secret.full_name, "clearance": "1", "csrf": csrf})
    assert _user(saraban, "secret").clearance == 1


def test_the_last_administrator_keeps_the_role(saraban: Saraban, client: TestClient) -> None:
    admin = _user(saraban, "admin")
    csrf = _signed_in(client, "admin")
    with saraban.tx() as uow:
        mid = uow.session.exec(select(Membership.id).where(Membership.user_id == admin.id)).one()
    r = client.post(f"/admin/users/{admin.id}/roles/{mid}/remove", data={"csrf": csrf})
    assert r.status_code == 409 and "ผู้ดูแลระบบอย่างน้อยหนึ่งคน" in r.text
    assert admin.id is not None and _roles(saraban, admin.id)


def test_user_api(saraban: Saraban, client: TestClient) -> None:
    admin = login(client, "admin")
    officer = _user(saraban, "officer")
    r = client.patch(
        f"/api/v1/users/{officer.id}", json={"active": False, "full_name": "นายสมชาย ตั้งใจยิ่ง"}, headers=admin
    )
    assert r.status_code == 200 and r.json()["active"] is False and r.json()["full_name"] == "นายสมชาย ตั้งใจยิ่ง"
    listed = {u["username"]: u for u in client.get("/api/v1/users", headers=admin).json()}
    assert listed["officer"]["active"] is False
    r = client.post(f"/api/v1/users/{officer.id}/roles", json={"unit": "policy", "role": "officer"}, headers=admin)
    assert r.status_code == 201
    r = client.post(
        f"/api/v1/users/{officer.id}/roles", json={"unit": "office", "role": "secret_registrar"}, headers=admin
    )
    assert r.status_code == 202 and r.json()["pending_request"]
    mid = next(m["membership_id"] for m in client.get("/api/v1/users", headers=admin).json()
               if m["username"] == "officer" for m in m["roles"] if m["role"] == "officer")  # fmt: skip
    assert client.delete(f"/api/v1/users/{officer.id}/roles/{mid}", headers=admin).status_code == 200
    assert client.post(f"/api/v1/users/{officer.id}/unlock", headers=admin).status_code == 200
    assert client.patch("/api/v1/users/99999999999", json={"active": True}, headers=admin).status_code == 422
    assert client.patch(f"/api/v1/users/{officer.id}", json={"clearance": 9}, headers=admin).status_code == 422


def test_non_admin_is_refused_and_nothing_changes(saraban: Saraban, client: TestClient) -> None:
    officer = _user(saraban, "officer")
    assert officer.id is not None
    before_roles, before_audit = _roles(saraban, officer.id), len(_actions(saraban))
    csrf = _signed_in(client, "director")
    assert client.get(f"/admin/users/{officer.id}").status_code == 403
    for path, data in [
        ("deactivate", {}),
        ("unlock", {}),
        ("edit", {"full_name": "x", "clearance": "0"}),
        ("roles", {"unit": "policy", "role": "officer"}),
    ]:
        assert client.post(f"/admin/users/{officer.id}/{path}", data={**data, "csrf": csrf}).status_code == 403
    token = login(TestClient(client.app), "central")
    assert client.patch(f"/api/v1/users/{officer.id}", json={"active": False}, headers=token).status_code == 403
    assert client.post(f"/api/v1/users/{officer.id}/roles", json={"unit": "policy", "role": "officer"},
                       headers=token).status_code == 403  # fmt: skip
    after = _user(saraban, "officer")
    assert after.active and after.full_name == officer.full_name and _roles(saraban, officer.id) == before_roles
    assert not {"user_deactivated", "user_updated", "membership_added"} & set(_actions(saraban)[before_audit:])


# ---------------------------------------------------------------------------------------------- units


def test_units_listed_created_and_edited(saraban: Saraban, client: TestClient) -> None:
    csrf = _signed_in(client, "admin")
    page = client.get("/admin/units")
    assert page.status_code == 200 and "กลุ่มนโยบายและแผน" in page.text and "หน่วยงานภายนอก" in page.text
    r = client.post(
        "/admin/units",
        data={
            "code": "school-ban-kham",
            "name": "โรงเรียนบ้านคำ",
            "kind": "school",
            "short_name": "รร.บ้านคำ",
            "letter_code": "ศธ 04045.123",
            "address": "หมู่ ๓ ตำบลบ้านคำ อำเภอชนบท จังหวัดขอนแก่น ๔๐๑๘๐",
            "internal": "true",
            "csrf": csrf,
        },
    )
    assert r.status_code == 200 and "เพิ่มหน่วยงาน โรงเรียนบ้านคำ แล้ว" in r.text and "โรงเรียนในสังกัด" in r.text
    r = client.post(
        "/admin/units",
        data={"code": "pao-kk", "name": "องค์การบริหารส่วนจังหวัดขอนแก่น", "kind": "outside", "csrf": csrf},
    )
    assert r.status_code == 200
    r = client.post(
        "/admin/units",
        data={"code": "audit-group", "name": "หน่วยตรวจสอบภายใน", "kind": "group", "parent": "office", "csrf": csrf},
    )
    assert r.status_code == 200
    office = _unit_id(saraban, "office")
    with saraban.tx() as uow:
        school = uow.session.exec(select(Unit).where(Unit.code == "school-ban-kham")).one()
        outside = uow.session.exec(select(Unit).where(Unit.code == "pao-kk")).one()
        group = uow.session.exec(select(Unit).where(Unit.code == "audit-group")).one()
        assert (school.kind, school.internal, school.letter_code) == ("school", True, "ศธ 04045.123")
        assert "ขอนแก่น" in school.address
        assert (outside.internal, group.internal, group.parent_id) == (False, True, office)
        school_id = school.id
    dup = client.post("/admin/units", data={"code": "pao-kk", "name": "ซ้ำ", "kind": "outside", "csrf": csrf})
    assert dup.status_code == 409 and "มีหน่วยงานรหัส pao-kk อยู่แล้ว" in dup.text
    bad = client.post("/admin/units", data={"code": "two words", "name": "x", "kind": "outside", "csrf": csrf})
    assert bad.status_code == 422 and "รหัสต้องเป็นคำเดียว" in bad.text
    r = client.post(
        f"/admin/units/{school_id}",
        data={"name": "โรงเรียนบ้านคำ (ประชาสามัคคี)", "letter_code": "ศธ 04045.124", "address": "ที่อยู่ใหม่", "csrf": csrf},
    )
    assert r.status_code == 200 and "บันทึกการแก้ไขแล้ว" in r.text and "ประชาสามัคคี" in r.text
    with saraban.tx() as uow:
        again = uow.session.get(Unit, school_id)
        assert again is not None and (again.letter_code, again.address) == ("ศธ 04045.124", "ที่อยู่ใหม่")
    # the new group takes members at once
    group_user = _user(saraban, "officer2")
    r = client.post(
        f"/admin/users/{group_user.id}/roles", data={"unit": "audit-group", "role": "officer", "csrf": csrf}
    )
    assert "เพิ่มบทบาทแล้ว" in r.text
    assert {"unit_created", "unit_updated"} <= set(_actions(saraban))
    units = {u["code"]: u for u in client.get("/api/v1/units", headers=login(client, "admin")).json()}
    assert units["school-ban-kham"]["kind"] == "school"


def test_units_api(saraban: Saraban, client: TestClient) -> None:
    admin = login(client, "admin")
    r = client.post("/api/v1/units", json={"code": "sch-9", "name": "โรงเรียนเก้า", "kind": "school"}, headers=admin)
    assert r.status_code == 201 and r.json()["internal"] is True
    uid = r.json()["id"]
    r = client.put(f"/api/v1/units/{uid}", json={"name": "โรงเรียนเก้าเลี้ยว", "address": "ขอนแก่น"}, headers=admin)
    assert r.status_code == 200 and r.json()["name"] == "โรงเรียนเก้าเลี้ยว"
    assert (
        client.post("/api/v1/units", json={"code": "x", "name": "x", "kind": "planet"}, headers=admin).status_code
        == 422
    )
    assert client.put("/api/v1/units/99999999", json={"name": "x"}, headers=admin).status_code == 404


def test_non_admin_cannot_manage_units(saraban: Saraban, client: TestClient) -> None:
    policy = _unit_id(saraban, "policy")
    csrf = _signed_in(client, "central")
    assert client.get("/admin/units").status_code == 403
    assert client.get(f"/admin/units/{policy}").status_code == 403
    r = client.post("/admin/units", data={"code": "evil", "name": "x", "kind": "outside", "csrf": csrf})
    assert r.status_code == 403
    assert client.post(f"/admin/units/{policy}", data={"name": "ถูกแก้", "csrf": csrf}).status_code == 403
    token = login(TestClient(client.app), "director")
    assert (
        client.post("/api/v1/units", json={"code": "evil", "name": "x", "kind": "outside"}, headers=token).status_code
        == 403
    )
    assert client.put(f"/api/v1/units/{policy}", json={"name": "ถูกแก้"}, headers=token).status_code == 403
    with saraban.tx() as uow:
        assert uow.session.exec(select(Unit).where(Unit.code == "evil")).first() is None
        unit = uow.session.get(Unit, policy)
        assert unit is not None and unit.name == "กลุ่มนโยบายและแผน"
    assert not {"unit_created", "unit_updated"} & set(_actions(saraban))


# ---------------------------------------------------------------------------------------------- registries


def _receive(client: TestClient, headers: dict[str, str], reg: int, subject: str) -> Any:
    meta = {
        "letter_no": f"ศธ ๐๔๐๔๕/{subject}",
        "letter_date": "๒๓ มีนาคม ๒๕๖๘",
        "sender": "สำนักงานคณะกรรมการการศึกษาขั้นพื้นฐาน",
        "subject": subject,
        "letter_type": "external",
        "channel": "paper",
    }
    return client.post(
        f"/api/v1/registries/{reg}/receive",
        headers=headers,
        files=[("meta", (None, json.dumps(meta, ensure_ascii=False)))],
    )


def test_registries_created_renamed_and_a_year_closed(saraban: Saraban, client: TestClient) -> None:
    csrf = _signed_in(client, "admin")
    page = client.get("/admin/registries")
    assert page.status_code == 200 and "ทะเบียนหนังสือรับ (สารบรรณกลาง)" in page.text
    r = client.post(
        "/admin/registries",
        data={"code": "policy-send", "name": "ทะเบียนหนังสือส่ง กลุ่มนโยบายและแผน", "kind": "send", "unit": "policy",
              "csrf": csrf},
    )  # fmt: skip
    assert r.status_code == 200 and "สร้างทะเบียนหนังสือส่ง กลุ่มนโยบายและแผนแล้ว" in r.text
    dup = client.post(
        "/admin/registries", data={"code": "policy-send", "name": "x", "kind": "send", "unit": "policy", "csrf": csrf}
    )
    assert dup.status_code == 409 and "มีทะเบียนรหัส policy-send อยู่แล้ว" in dup.text
    bad = client.post(
        "/admin/registries", data={"code": "y", "name": "y", "kind": "diary", "unit": "policy", "csrf": csrf}
    )
    assert bad.status_code == 422 and "ประเภททะเบียนไม่ถูกต้อง" in bad.text
    outside = client.post(
        "/admin/registries", data={"code": "z", "name": "z", "kind": "receive", "unit": "obec", "csrf": csrf}
    )
    assert outside.status_code == 422 and "หน่วยงานภายนอก" in outside.text
    with saraban.tx() as uow:
        central_id = uow.session.exec(select(Registry.id).where(Registry.code == "central")).one() or 0
        assert uow.session.exec(select(Registry).where(Registry.code == "policy-send")).one().kind == "send"
    r = client.post(f"/admin/registries/{central_id}/rename", data={"name": "ทะเบียนรับ สารบรรณกลาง", "csrf": csrf})
    assert r.status_code == 200 and "เปลี่ยนชื่อทะเบียนแล้ว" in r.text and "ทะเบียนรับ สารบรรณกลาง" in r.text

    # close the year: the numbers stay, the next registration in that year is a Thai 409
    clerk = login(TestClient(client.app), "central")
    first = _receive(client, clerk, central_id, "ก่อนปิดปี")
    assert first.status_code == 201, first.text
    year = first.json()["registration"]["year"]
    # without the confirming tick nothing is closed: closing cannot be undone
    unticked = client.post(f"/admin/registries/{central_id}/close", data={"year": f"{year}", "csrf": csrf})
    assert unticked.status_code == 422 and "ทำเครื่องหมายยืนยัน" in unticked.text
    still_open = _receive(client, clerk, central_id, "ยังเปิดอยู่")
    assert still_open.status_code == 201, still_open.text
    r = client.post(f"/admin/registries/{central_id}/close", data={"year": f"{year}", "confirm": "1", "csrf": csrf})
    assert r.status_code == 200 and f"ปิดทะเบียนประจำปี พ.ศ. {year} แล้ว" in r.text and "ปิดแล้ว" in r.text
    refused = _receive(client, clerk, central_id, "หลังปิดปี")
    assert refused.status_code == 409
    body = refused.json()
    assert body["code"] == "year_closed" and f"ปิดทะเบียนประจำปี พ.ศ. {year}" in body["detail_th"]
    again = client.post(f"/admin/registries/{central_id}/close", data={"year": f"{year}", "confirm": "1", "csrf": csrf})
    assert again.status_code == 409 and "ไว้แล้ว" in again.text
    # another registry's year stays open
    promo = _receive(client, login(TestClient(client.app), "group"), _registry_id(saraban, "promotion-receive"), "ก")
    assert promo.status_code == 201, promo.text
    # a year not begun yet can be closed too (Thai digits accepted); the register keeps its numbers
    r = client.post(f"/admin/registries/{central_id}/close", data={"year": "๒๖๐๐", "confirm": "on", "csrf": csrf})
    assert r.status_code == 200
    with saraban.tx() as uow:
        counter = uow.session.get(NumberCounter, (central_id, year))
        last = still_open.json()["registration"]["number"]
        assert counter is not None and counter.closed and counter.last_number == last
        assert uow.session.get(NumberCounter, (central_id, 2600)) is not None
    assert {"registry_created", "registry_renamed", "registry_year_closed"} <= set(_actions(saraban))


def _registry_id(saraban: Saraban, code: str) -> int:
    with saraban.tx() as uow:
        rid = uow.session.exec(select(Registry.id).where(Registry.code == code)).one()
        assert rid is not None
        return rid


def test_registries_api(saraban: Saraban, client: TestClient) -> None:
    admin = login(client, "admin")
    r = client.post(
        "/api/v1/registries",
        json={"code": "finance-order", "name": "ทะเบียนคำสั่ง", "kind": "order", "unit": "finance"},
        headers=admin,
    )
    assert r.status_code == 201
    rid = r.json()["id"]
    r = client.patch(f"/api/v1/registries/{rid}", json={"name": "ทะเบียนคำสั่ง กลุ่มการเงิน"}, headers=admin)
    assert r.status_code == 200 and r.json()["name"] == "ทะเบียนคำสั่ง กลุ่มการเงิน"
    r = client.post(f"/api/v1/registries/{rid}/close-year", json={"year": 2568}, headers=admin)
    assert r.status_code == 200 and r.json() == {"registry_id": rid, "year": 2568, "last_number": 0, "closed": True}
    assert client.post(f"/api/v1/registries/{rid}/close-year", json={"year": 99999}, headers=admin).status_code == 422
    assert client.patch("/api/v1/registries/99999999", json={"name": "x"}, headers=admin).status_code == 404


def test_non_admin_cannot_manage_registries(saraban: Saraban, client: TestClient) -> None:
    central_id = _registry_id(saraban, "central")
    csrf = _signed_in(client, "central")
    assert client.get("/admin/registries").status_code == 403
    r = client.post(
        "/admin/registries", data={"code": "evil", "name": "x", "kind": "receive", "unit": "office", "csrf": csrf}
    )
    assert r.status_code == 403
    assert client.post(f"/admin/registries/{central_id}/rename", data={"name": "ถูกแก้", "csrf": csrf}).status_code == 403
    assert client.post(f"/admin/registries/{central_id}/close", data={"year": "2569", "csrf": csrf}).status_code == 403
    token = login(TestClient(client.app), "director")
    assert client.patch(f"/api/v1/registries/{central_id}", json={"name": "ถูกแก้"}, headers=token).status_code == 403
    r = client.post(f"/api/v1/registries/{central_id}/close-year", json={"year": 2569}, headers=token)
    assert r.status_code == 403
    with saraban.tx() as uow:
        assert uow.session.exec(select(Registry).where(Registry.code == "evil")).first() is None
        reg = uow.session.get(Registry, central_id)
        assert reg is not None and reg.name == "ทะเบียนหนังสือรับ (สารบรรณกลาง)"
        assert not any(c.closed for c in uow.session.exec(select(NumberCounter)))
    assert not {"registry_created", "registry_renamed", "registry_year_closed"} & set(_actions(saraban))


def test_a_closed_year_hands_out_no_number_on_both_databases(make_saraban: MakeSaraban, any_db: str) -> None:
    """The counter's one statement refuses a closed year on SQLite and PostgreSQL alike; other years go on."""
    app = make_saraban(any_db)
    rid = _registry_id(app, "central")
    with app.tx() as uow:
        assert next_number(uow.session, registry_id=rid, year=2569) == 1
        admin = load_actor(uow.session, uow.session.exec(select(User).where(User.username == "admin")).one())
        close_year(uow.session, actor=admin, registry_id=rid, year=2569, now=app.clock())
    with pytest.raises(YearClosed), app.tx() as uow:
        next_number(uow.session, registry_id=rid, year=2569)
    with app.tx() as uow:
        assert next_number(uow.session, registry_id=rid, year=2570) == 1
        counter = uow.session.get(NumberCounter, (rid, 2569))
        assert counter is not None and counter.closed and counter.last_number == 1
