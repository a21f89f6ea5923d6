"""Signing in and being refused (issue "Who may see what", acceptance 5): wrong passwords, lock-out, expired,
idle and revoked tokens, forged CSRF tokens and missing cookies are refused with clear errors, audited, and change
no data."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, func, select

from service.app import create_app
from service.context import Saraban
from service.demo import DEMO_PASSWORD
from service.models import AuditEvent, Letter, Membership, NumberCounter, Registration, User
from tests.conftest import MakeSaraban, login, registry_id


class Clock:
    """The app's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 23, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@dataclass
class Env:
    app: Saraban
    client: TestClient
    clock: Clock


@pytest.fixture
def env(make_saraban: MakeSaraban) -> Iterator[Env]:
    app = make_saraban(login_max_failures=3, login_lock_minutes=15, token_ttl_minutes=120, session_idle_minutes=30)
    clock = Clock()
    app.clock = clock
    with TestClient(create_app(app)) as c:
        yield Env(app, c, clock)


def events(env: Env, action: str) -> list[AuditEvent]:
    with env.app.tx() as uow:
        return list(
            uow.session.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(col(AuditEvent.seq))).all()
        )


def counts(env: Env) -> dict[str, Any]:
    """The data a refusal must not touch."""
    with env.app.tx() as uow:
        s = uow.session
        return {
            "letters": s.exec(select(func.count()).select_from(Letter)).one(),
            "registrations": s.exec(select(func.count()).select_from(Registration)).one(),
            "users": s.exec(select(func.count()).select_from(User)).one(),
            "memberships": s.exec(select(func.count()).select_from(Membership)).one(),
            "counters": sorted((n.registry_id, n.year, n.last_number) for n in s.exec(select(NumberCounter))),
            "passwords": sorted(u.password_hash for u in s.exec(select(User))),
        }


def assert_problem(r: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert body["status"] == status and body["detail"] and body["detail_th"]
    if code:
        assert body["code"] == code, body
    return body


def receive(c: TestClient, h: dict[str, str], reg: int, subject: str = "ทดสอบ") -> Any:
    return c.post(
        f"/api/v1/registries/{reg}/receive",
        headers=h,
        data={"meta": json.dumps({"sender": "สพฐ.", "subject": subject})},
        files=[("files", ("file", b"", "x/y"))],
    )


def web_login(c: TestClient, username: str, password: str = DEMO_PASSWORD) -> str:
    """Sign in through the form; returns the session's CSRF token."""
    r = c.post("/login", data={"username": username, "password": password, "next": "/password"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    m = re.search(r'name="csrf" value="([^"]+)"', c.get("/password").text)
    assert m
    return m.group(1)


# ---------------------------------------------------------------------------------------------- passwords


def test_wrong_password_is_refused_and_audited(env: Env) -> None:
    c, before = env.client, counts(env)
    r = c.post("/api/v1/auth/token", data={"username": "central", "password": "wrong-password"})
    body = assert_problem(r, 401, "bad_credentials")
    assert "password" in body["detail"]
    # an unknown user gets the very same answer (no user enumeration)
    r2 = c.post("/api/v1/auth/token", data={"username": "no-such-user", "password": "wrong-password"})
    assert r2.json()["detail"] == body["detail"] and r2.json()["code"] == body["code"]
    # the web form: a Thai message on the login page, 401
    r3 = c.post("/login", data={"username": "central", "password": "nope-nope-nope"}, follow_redirects=False)
    assert r3.status_code == 401 and "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง" in r3.text
    assert "saraban_session" not in r3.cookies
    failed = events(env, "sign_in_failed")
    assert [(e.actor, json.loads(e.detail)["reason"], json.loads(e.detail)["channel"]) for e in failed] == [
        ("central", "bad_credentials", "api"),
        ("no-such-user", "bad_credentials", "api"),
        ("central", "bad_credentials", "session"),
    ]
    # and the auditor reads them
    seen = env.client.get("/api/v1/audit/events", headers=login(c, "auditor")).json()
    assert [e["actor"] for e in seen if e["action"] == "sign_in_failed"] == ["central", "no-such-user", "central"]
    after = counts(env)
    assert after == before


def test_lock_out_after_too_many_failures(env: Env) -> None:
    c = env.client
    for _ in range(3):  # login_max_failures=3
        assert_problem(
            c.post("/api/v1/auth/token", data={"username": "group", "password": "bad-bad-bad"}), 401, "bad_credentials"
        )
    # locked: even the right password is refused, with its own clear error
    body = assert_problem(
        c.post("/api/v1/auth/token", data={"username": "group", "password": DEMO_PASSWORD}), 401, "account_locked"
    )
    assert "too many" in body["detail"]
    r = c.post("/login", data={"username": "group", "password": DEMO_PASSWORD}, follow_redirects=False)
    assert r.status_code == 401 and "ระงับชั่วคราว" in r.text
    reasons = [json.loads(e.detail)["reason"] for e in events(env, "sign_in_failed")]
    assert reasons == ["bad_credentials"] * 3 + ["account_locked"] * 2
    # another user is not affected
    login(c, "central")
    env.clock.advance(minutes=14)
    assert_problem(
        c.post("/api/v1/auth/token", data={"username": "group", "password": DEMO_PASSWORD}), 401, "account_locked"
    )
    env.clock.advance(minutes=2)
    login(c, "group")  # the lock has passed


def test_change_password_then_the_old_one_is_refused(env: Env) -> None:
    c = env.client
    h = login(c, "officer")
    other = login(c, "officer")
    # wrong current password: refused, nothing changed
    before = counts(env)
    assert_problem(
        c.post(
            "/api/v1/auth/password",
            headers=h,
            json={"old_password": "not-my-password", "new_password": "a-new-long-password"},
        ),
        401,
    )
    assert_problem(
        c.post("/api/v1/auth/password", headers=h, json={"old_password": DEMO_PASSWORD, "new_password": "short"}),
        422,
        "invalid_input",
    )
    assert counts(env) == before
    r = c.post(
        "/api/v1/auth/password", headers=h, json={"old_password": DEMO_PASSWORD, "new_password": "a-new-long-password"}
    )
    assert r.status_code == 200, r.text
    assert [e.actor for e in events(env, "password_changed")] == ["officer"]
    assert_problem(
        c.post("/api/v1/auth/token", data={"username": "officer", "password": DEMO_PASSWORD}), 401, "bad_credentials"
    )
    # every token of the user was signed out
    assert_problem(c.get("/api/v1/me", headers=h), 401, "token_invalid")
    assert_problem(c.get("/api/v1/me", headers=other), 401, "token_invalid")
    assert login(c, "officer", "a-new-long-password")


def test_admin_creates_users_and_resets_passwords_others_may_not(env: Env) -> None:
    c = env.client
    admin = login(c, "admin")
    new = {
        "username": "clerk2",
        "password": "clerk2-password",
        "full_name": "ธุรการ ๒",
        "roles": [{"unit": "policy", "role": "group_clerk"}],
    }
    before = counts(env)
    for name in ("central", "group", "director", "records", "secret", "auditor", "officer"):
        h = login(c, name)
        assert_problem(c.post("/api/v1/users", headers=h, json=new), 403, "forbidden")
        assert_problem(c.post("/api/v1/users/2/password", headers=h, json={"password": "another-password"}), 403)
    assert counts(env) == before
    denied = events(env, "permission_denied")
    assert len(denied) == 14 and all("administrators only" in e.detail for e in denied)

    r = c.post("/api/v1/users", headers=admin, json=new)
    assert r.status_code == 201, r.text
    uid = r.json()["id"]
    h = login(c, "clerk2", "clerk2-password")
    assert [r["role"] for r in c.get("/api/v1/me", headers=h).json()["roles"]] == ["group_clerk"]
    assert_problem(c.post("/api/v1/users", headers=admin, json=new), 409, "conflict")
    assert_problem(c.post("/api/v1/users", headers=admin, json={**new, "username": "x2", "password": "short"}), 422)

    # reset: the old password and the user's tokens stop working; the lock is lifted
    for _ in range(3):
        c.post("/api/v1/auth/token", data={"username": "clerk2", "password": "wrong-wrong"})
    r = c.post(f"/api/v1/users/{uid}/password", headers=admin, json={"password": "reset-password-1"})
    assert r.status_code == 200, r.text
    assert_problem(c.get("/api/v1/me", headers=h), 401, "token_invalid")
    assert_problem(c.post("/api/v1/auth/token", data={"username": "clerk2", "password": "clerk2-password"}), 401)
    assert login(c, "clerk2", "reset-password-1")
    assert_problem(c.post("/api/v1/users/99999/password", headers=admin, json={"password": "reset-password-1"}), 404)
    by_admin = [e for e in events(env, "user_created") if e.actor_id is not None]
    assert [(e.actor, e.object_id) for e in by_admin] == [("admin", str(uid))]
    resets = [(e.actor, e.object_id) for e in events(env, "password_reset")]
    assert resets == [("admin", str(uid))]


# ---------------------------------------------------------------------------------------------- tokens


def test_missing_and_unknown_bearer_tokens(env: Env) -> None:
    c = env.client
    before = counts(env)
    reg = registry_id(c, login(c, "central"), "central")
    for headers in (
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer not-a-token"},
    ):
        r = c.get("/api/v1/letters", headers=headers)
        assert_problem(r, 401)
        assert r.headers["www-authenticate"] == "Bearer"
        assert_problem(receive(c, headers, reg), 401)
    refused = events(env, "auth_refused")
    assert len(refused) == 8
    assert {json.loads(e.detail)["reason"] for e in refused} == {"missing bearer token", "unknown token"}
    assert counts(env) == before


def test_expired_token_is_refused(env: Env) -> None:
    c = env.client
    h = login(c, "central")
    reg = registry_id(c, h, "central")
    env.clock.advance(minutes=119)
    assert c.get("/api/v1/me", headers=h).status_code == 200
    env.clock.advance(minutes=1)  # token_ttl_minutes=120
    before = counts(env)
    body = assert_problem(c.get("/api/v1/me", headers=h), 401, "token_invalid")
    assert body["detail"] == "token expired"
    assert_problem(receive(c, h, reg), 401, "token_invalid")
    assert counts(env) == before
    assert [json.loads(e.detail)["reason"] for e in events(env, "auth_refused")] == ["token expired"] * 2
    assert login(c, "central")  # signing in again works


def test_revoked_token_is_refused(env: Env) -> None:
    c = env.client
    h, keep = login(c, "central"), login(c, "central")
    reg = registry_id(c, h, "central")
    assert c.post("/api/v1/auth/revoke", headers=h).json() == {"revoked": True}
    before = counts(env)
    body = assert_problem(c.get("/api/v1/letters", headers=h), 401, "token_invalid")
    assert body["detail"] == "token revoked"
    assert_problem(receive(c, h, reg), 401)
    assert_problem(c.post("/api/v1/auth/revoke", headers=h), 401)
    assert counts(env) == before
    assert [e.actor for e in events(env, "token_revoked")] == ["central"]
    assert "token revoked" in [json.loads(e.detail)["reason"] for e in events(env, "auth_refused")]
    # only that token: the user's other token still works
    assert receive(c, keep, reg).status_code == 201


def test_a_revocation_elsewhere_takes_effect_within_the_cache_ttl(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process (a second worker, the CLI) revokes a token behind this process's back: the bearer cache
    may honour it for at most its TTL, then the full check refuses it and audits the refusal."""
    from service.auth.core import BEARER_CACHE

    monkeypatch.setattr(BEARER_CACHE, "ttl", 0.3)
    c = env.client
    h = login(c, "central")
    assert c.get("/api/v1/me", headers=h).status_code == 200  # checked and cached
    with env.app.tx() as uow:  # what another process's revocation looks like from here: a row change, no clear()
        from service.models import AuthToken

        for row in uow.session.exec(select(AuthToken)):
            row.revoked_at = env.clock.now
            uow.session.add(row)
    time.sleep(0.4)
    body = assert_problem(c.get("/api/v1/me", headers=h), 401, "token_invalid")
    assert body["detail"] == "token revoked"


def test_expiry_is_checked_even_for_a_cached_token(env: Env) -> None:
    c = env.client
    h = login(c, "central")
    env.clock.advance(minutes=119)
    assert c.get("/api/v1/me", headers=h).status_code == 200  # now in the cache
    env.clock.advance(minutes=1)
    body = assert_problem(c.get("/api/v1/me", headers=h), 401, "token_invalid")
    assert body["detail"] == "token expired"


def test_a_bearer_token_is_not_a_session_and_back(env: Env) -> None:
    c = env.client
    h = login(c, "central")
    api_secret = h["Authorization"].split()[1]
    c.cookies.set("saraban_session", api_secret)
    r = c.get("/password", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    c.cookies.clear()
    web_login(c, "central")
    session = c.cookies.get("saraban_session")
    c.cookies.clear()
    assert_problem(c.get("/api/v1/me", headers={"Authorization": f"Bearer {session}"}), 401, "token_invalid")


# ---------------------------------------------------------------------------------------------- web sessions


def test_missing_cookie_redirects_to_login_and_is_audited(env: Env) -> None:
    c = env.client
    reg = registry_id(c, login(c, "central"), "central")
    before = counts(env)
    for path in ("/", f"/registers/{reg}", "/letters/1", "/attachments/1/content", "/audit", "/password"):
        r = c.get(path, follow_redirects=False)
        assert r.status_code == 303, path
        assert r.headers["location"].startswith("/login?next="), r.headers["location"]
    r = c.post(
        f"/registers/{reg}/receive",
        data={"sender": "x", "subject": "y", "csrf": "x"},
        files=[("files", ("file", b"", "x/y"))],
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    r = c.post("/logout", data={"csrf": "x"}, follow_redirects=False)
    assert r.status_code == 303
    assert counts(env) == before
    refused = [e for e in events(env, "auth_refused") if json.loads(e.detail)["reason"] == "missing session cookie"]
    assert len(refused) == 8
    assert {json.loads(e.detail)["path"] for e in refused} >= {"/", f"/registers/{reg}", "/audit"}
    # the login page says why, in Thai, for an expired session
    assert "เซสชันหมดอายุ" in c.get("/login?reason=token_invalid").text


def test_forged_csrf_is_refused_and_registers_nothing(env: Env) -> None:
    c = env.client
    h = login(c, "central")
    reg = registry_id(c, h, "central")
    csrf = web_login(c, "central")
    before = counts(env)
    form = {"sender": "สพฐ.", "subject": "ปลอม CSRF"}
    for forged in ({"csrf": "forged-token"}, {"csrf": ""}, {}, {"csrf": csrf[:-1] + ("A" if csrf[-1] != "A" else "B")}):
        r = c.post(
            f"/registers/{reg}/receive",
            data={**form, **forged},
            files=[("files", ("file", b"", "x/y"))],
            follow_redirects=False,
        )
        assert r.status_code == 403, (forged, r.status_code)
        assert "แบบฟอร์มหมดอายุหรือไม่ถูกต้อง" in r.text
    # another user's valid CSRF token does not work with this session either
    other = TestClient(c.app)
    other_csrf = web_login(other, "group")
    r = c.post(
        f"/registers/{reg}/receive",
        data={**form, "csrf": other_csrf},
        files=[("files", ("file", b"", "x/y"))],
        follow_redirects=False,
    )
    assert r.status_code == 403
    # logout with a forged token: refused, and the session still lives
    r = c.post("/logout", data={"csrf": "forged-token"}, follow_redirects=False)
    assert r.status_code == 403
    assert c.get("/password", follow_redirects=False).status_code == 200
    # password change with a forged token: refused
    r = c.post(
        "/password",
        data={"old_password": DEMO_PASSWORD, "new_password": "hijacked-password", "csrf": "forged-token"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert counts(env) == before
    denied = events(env, "permission_denied")
    assert len(denied) == 7 and all("CSRF" in json.loads(e.detail)["reason"] for e in denied)
    assert {e.actor for e in denied} == {"central"}

    # the genuine token works: one letter registered, then logout ends the session
    r = c.post(
        f"/registers/{reg}/receive",
        data={**form, "csrf": csrf},
        files=[("files", ("file", b"", "x/y"))],
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/letters/")
    assert counts(env)["letters"] == before["letters"] + 1
    assert c.post("/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    assert c.get("/password", follow_redirects=False).status_code == 303


def test_idle_session_times_out(env: Env) -> None:
    c = env.client
    web_login(c, "records")
    old = c.cookies.get("saraban_session")
    env.clock.advance(minutes=20)
    assert c.get("/password", follow_redirects=False).status_code == 200  # slides the idle timer
    env.clock.advance(minutes=20)
    assert c.get("/password", follow_redirects=False).status_code == 200  # 40 min since sign-in, 20 idle
    env.clock.advance(minutes=30)  # session_idle_minutes=30
    r = c.get("/password", follow_redirects=False)
    assert r.status_code == 303 and "reason=token_invalid" in r.headers["location"]
    reasons = [json.loads(e.detail)["reason"] for e in events(env, "auth_refused")]
    assert reasons == ["session idle too long"]
    # the session stays dead even if its cookie is replayed
    c.cookies.set("saraban_session", old or "")
    assert c.get("/password", follow_redirects=False).status_code == 303


def test_session_expires_even_when_busy(env: Env) -> None:
    c = env.client
    web_login(c, "records")
    for _ in range(12):  # busy every 10 minutes, but the session lives token_ttl_minutes=120 at most
        env.clock.advance(minutes=10)
        r = c.get("/password", follow_redirects=False)
    assert r.status_code == 303
    assert [json.loads(e.detail)["reason"] for e in events(env, "auth_refused")] == ["token expired"]
