"""Administrators manage users from the web; others are refused; forms need the session's CSRF token."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from service.demo import DEMO_PASSWORD


def _signed_in(client: TestClient, username: str) -> str:
    r = client.post("/login", data={"username": username, "password": DEMO_PASSWORD}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get("/password")
    m = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert m
    return m.group(1)


def test_admin_creates_user_and_resets_password(client: TestClient) -> None:
    csrf = _signed_in(client, "admin")
    r = client.post(
        "/admin/users",
        data={
            "username": "somsri",
            "password": "a-long-password",
            "unit": "policy",
            "role": "group_clerk",
            "full_name": "สมศรี",
            "clearance": "0",
            "csrf": csrf,
        },
    )
    assert r.status_code == 200 and "สร้างผู้ใช้ somsri แล้ว" in r.text
    weak = client.post(
        "/admin/users", data={"username": "x1", "password": "short", "unit": "policy", "role": "officer", "csrf": csrf}
    )
    assert weak.status_code == 422 and "รหัสผ่านต้องยาว" in weak.text
    forged = client.post(
        "/admin/users",
        data={"username": "x2", "password": "a-long-password", "unit": "policy", "role": "officer", "csrf": "forged"},
    )
    assert forged.status_code == 403
    token = client.post("/api/v1/auth/token", data={"username": "somsri", "password": "a-long-password"})
    assert token.status_code == 200
    uid = next(
        u["id"]
        for u in client.get("/api/v1/users", headers={"Authorization": f"Bearer {token.json()['access_token']}"}).json()
        if u["username"] == "somsri"
    )
    r = client.post(f"/admin/users/{uid}/password", data={"password": "another-long-one", "csrf": csrf})
    assert "ตั้งรหัสผ่านใหม่แล้ว" in r.text
    assert (
        client.post("/api/v1/auth/token", data={"username": "somsri", "password": "a-long-password"}).status_code == 401
    )
    assert (
        client.post("/api/v1/auth/token", data={"username": "somsri", "password": "another-long-one"}).status_code
        == 200
    )
    assert "x2" not in client.get("/admin/users").text


def test_non_admin_is_refused(client: TestClient) -> None:
    _signed_in(client, "central")
    assert client.get("/admin/users").status_code == 403
