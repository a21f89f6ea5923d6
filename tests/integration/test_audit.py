"""The audit trail on SQLite and PostgreSQL: append-only in the database, hash-chained, verified by the CLI, and
readable by the auditor (issue "Who may see what", acceptance 3 and 4)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from service.app import create_app
from service.context import Saraban
from service.kit.thai import local
from tests.cli import run_saraban
from tests.conftest import MakeSaraban, login, registry_id
from tests.samples import thai_letter_pdf


@dataclass
class Env:
    app: Saraban
    db_url: str
    client: TestClient
    letter_id: int
    attachment_id: int


def verify_cli(env: Env, tmp: Path) -> subprocess.CompletedProcess[str]:
    """`saraban audit verify` as an operator runs it (in this process: tests/cli.py), against this app's data dir
    and database and no other SARABAN_* setting."""
    environ = {
        "SARABAN_DATA_DIR": str(env.app.settings.data_dir),
        "SARABAN_DATABASE_URL": env.db_url,
        "COLUMNS": "250",
        "NO_COLOR": "1",
    }
    return run_saraban(["audit", "verify"], env=environ, cwd=tmp)


@pytest.fixture
def env(make_saraban: MakeSaraban, any_db: str) -> Iterator[Env]:
    app = make_saraban(any_db)
    with TestClient(create_app(app)) as c:
        h = login(c, "central")
        reg = registry_id(c, h, "central")
        r = c.post(
            f"/api/v1/registries/{reg}/receive",
            headers=h,
            data={"meta": json.dumps({"sender": "สพฐ.", "subject": "ทดสอบบันทึกการใช้งาน"})},
            files=[("files", ("letter.pdf", thai_letter_pdf(), "application/pdf"))],
        )
        assert r.status_code == 201, r.text
        body = r.json()
        yield Env(app, any_db, c, body["letter_id"], body["attachments"][0]["id"])


def sql(env: Env, statement: str, **params: Any) -> None:
    with env.app.engine.begin() as conn:
        conn.execute(text(statement), params)


def rows(env: Env) -> list[dict[str, Any]]:
    with env.app.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(text("SELECT * FROM auditevent ORDER BY seq"))]


def chain_ok(env: Env) -> bool:
    """The same check in-process (the CLI is exercised on every failure above and below)."""
    from service.audit import verify_chain

    with env.app.tx() as uow:
        return verify_chain(uow.session).ok


def drop_triggers(env: Env) -> None:
    if env.app.engine.dialect.name == "postgresql":
        sql(env, "DROP TRIGGER auditevent_append_only ON auditevent")
    else:
        sql(env, "DROP TRIGGER auditevent_no_update")
        sql(env, "DROP TRIGGER auditevent_no_delete")


def test_database_refuses_update_and_delete(env: Env) -> None:
    assert len(rows(env)) >= 2
    with pytest.raises(Exception, match="append-only"):
        sql(env, "UPDATE auditevent SET detail = '{}' WHERE seq = 1")
    with pytest.raises(Exception, match="append-only"):
        sql(env, "UPDATE auditevent SET actor = 'someone' WHERE seq = 2")
    with pytest.raises(Exception, match="append-only"):
        sql(env, "DELETE FROM auditevent WHERE seq = 1")
    if env.app.engine.dialect.name == "postgresql":
        with pytest.raises(Exception, match="append-only"):
            sql(env, "TRUNCATE auditevent")
    assert len(rows(env)) >= 2


def test_cli_verify_names_the_tampered_row(env: Env, tmp_path: Path) -> None:
    c = env.client
    h = login(c, "central")
    assert c.get(f"/api/v1/letters/{env.letter_id}", headers=h).status_code == 200
    assert c.get(f"/api/v1/attachments/{env.attachment_id}/content", headers=h).status_code == 200
    assert c.get(f"/api/v1/letters/{env.letter_id + 99}", headers=h).status_code == 404

    ok = verify_cli(env, tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "intact" in ok.stdout
    events = rows(env)
    n = len(events)
    assert n >= 5
    drop_triggers(env)

    # 1. a row's detail altered
    mid = events[n // 2]
    sql(env, "UPDATE auditevent SET detail = :d WHERE seq = :s", d='{"reason":"nothing happened"}', s=mid["seq"])
    bad = verify_cli(env, tmp_path)
    assert bad.returncode != 0
    assert f"event {mid['seq']} was altered" in bad.stdout, bad.stdout
    sql(env, "UPDATE auditevent SET detail = :d WHERE seq = :s", d=mid["detail"], s=mid["seq"])
    assert chain_ok(env)  # put back byte for byte, the chain holds again

    # 2. a row's actor altered
    second = events[1]
    sql(env, "UPDATE auditevent SET actor = 'admin' WHERE seq = :s", s=second["seq"])
    bad = verify_cli(env, tmp_path)
    assert bad.returncode != 0 and f"event {second['seq']} was altered" in bad.stdout, bad.stdout
    sql(env, "UPDATE auditevent SET actor = :a WHERE seq = :s", a=second["actor"], s=second["seq"])

    # 3. the last row deleted: the chain head still remembers it
    last = events[-1]
    sql(env, "DELETE FROM auditevent WHERE seq = :s", s=last["seq"])
    bad = verify_cli(env, tmp_path)
    assert bad.returncode != 0 and f"events after {last['seq'] - 1} are missing" in bad.stdout, bad.stdout
    cols = ", ".join(last)
    sql(env, f"INSERT INTO auditevent ({cols}) VALUES ({', '.join(':' + k for k in last)})", **last)
    assert chain_ok(env)

    # 4. a middle row deleted
    sql(env, "DELETE FROM auditevent WHERE seq = :s", s=mid["seq"])
    bad = verify_cli(env, tmp_path)
    assert bad.returncode != 0 and f"event {mid['seq']} is missing" in bad.stdout, bad.stdout

    # 5. a row re-hashed by a forger who does not rewrite the rest of the chain
    sql(env, "INSERT INTO auditevent ({}) VALUES ({})".format(cols, ", ".join(":" + k for k in mid)), **mid)
    from service.audit.chain import _hashed_fields, event_hash
    from service.models import AuditEvent

    with env.app.tx() as uow:
        row = uow.session.get(AuditEvent, mid["seq"])
        assert row is not None
        forged = {**row.model_dump(), "actor": "admin"}
    sql(
        env,
        "UPDATE auditevent SET actor = 'admin', hash = :h WHERE seq = :s",
        h=event_hash(_hashed_fields(forged)),
        s=mid["seq"],
    )
    bad = verify_cli(env, tmp_path)
    # the forged row's own keyed checkpoint no longer matches its hash (before the next row's link is looked at)
    assert bad.returncode != 0 and f"event {mid['seq']} fails its keyed checkpoint" in bad.stdout, bad.stdout


def test_a_rechained_forgery_fails_verify(env: Env, tmp_path: Path) -> None:
    """Issue 10, finding 17: rewriting event N and recomputing every later hash and the head passed `audit verify`;
    the keyed checkpoints (HMAC, key outside the database) catch it."""
    from service.audit.chain import GENESIS, _hashed_fields, event_hash

    c = env.client
    h = login(c, "central")
    for _ in range(3):
        assert c.get(f"/api/v1/letters/{env.letter_id}", headers=h).status_code == 200
    assert verify_cli(env, tmp_path).returncode == 0
    from sqlmodel import col, select

    from service.models import AuditEvent

    with env.app.tx() as uow:
        events = [e.model_dump() for e in uow.session.exec(select(AuditEvent).order_by(col(AuditEvent.seq)))]
    drop_triggers(env)
    target = events[len(events) // 2]["seq"]
    prev = GENESIS
    for ev in events:  # the forger rewrites event `target` and re-chains everything after it, head included
        if ev["seq"] == target:
            ev["actor"] = "nobody"
        ev["prev_hash"] = prev
        ev["hash"] = event_hash(_hashed_fields(ev))
        sql(
            env,
            "UPDATE auditevent SET actor = :a, prev_hash = :p, hash = :h WHERE seq = :s",
            a=ev["actor"],
            p=ev["prev_hash"],
            h=ev["hash"],
            s=ev["seq"],
        )
        prev = ev["hash"]
    sql(env, "UPDATE audithead SET last_hash = :h WHERE id = 1", h=prev)
    bad = verify_cli(env, tmp_path)
    assert bad.returncode != 0
    assert f"event {target} fails its keyed checkpoint" in bad.stdout, bad.stdout
    # Even with the per-event checkpoints stripped, the head's checkpoint refuses the re-chained chain.
    sql(env, "UPDATE auditevent SET mac = NULL")
    bad = verify_cli(env, tmp_path)
    assert bad.returncode != 0 and "chain head fails its keyed checkpoint" in bad.stdout, bad.stdout


def test_views_and_downloads_are_audited_for_the_auditor(env: Env) -> None:
    c = env.client
    clerk, auditor, officer = login(c, "central"), login(c, "auditor"), login(c, "officer")
    assert c.get(f"/api/v1/letters/{env.letter_id}", headers=clerk).status_code == 200
    assert c.get(f"/api/v1/attachments/{env.attachment_id}/content", headers=clerk).status_code == 200
    assert c.get(f"/api/v1/attachments/{env.attachment_id}/stamped", headers=clerk).status_code == 200
    # the web page too
    c.post("/login", data={"username": "central", "password": "saraban-demo"}, follow_redirects=False)
    assert c.get(f"/letters/{env.letter_id}").status_code == 200
    c.cookies.clear()

    today = local(env.app.clock()).date()
    q = f"letter_id={env.letter_id}&since={today.isoformat()}&until={today.isoformat()}"
    r = c.get(f"/api/v1/audit/events?{q}", headers=auditor)
    assert r.status_code == 200, r.text
    events = r.json()
    for e in events:
        assert {"seq", "at", "actor", "action", "object_type", "object_id"} <= e.keys()
        assert e["letter_id"] == env.letter_id
    got = [(e["actor"], e["action"], e["object_type"]) for e in events]
    assert ("central", "register", "registration") in got
    assert got.count(("central", "view", "letter")) == 2  # API and web page
    downloads = [e for e in events if e["action"] == "download"]
    assert [(d["object_id"], d["detail"]["rendition"]) for d in downloads] == [
        (str(env.attachment_id), "original"),
        (str(env.attachment_id), "stamped"),
    ]
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(seqs)

    # the period filter: a window before today holds none of them; a datetime window around now holds them all
    yesterday = (today - timedelta(days=1)).isoformat()
    assert c.get(f"/api/v1/audit/events?letter_id={env.letter_id}&until={yesterday}", headers=auditor).json() == []
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert c.get(f"/api/v1/audit/events?letter_id={env.letter_id}&since={tomorrow}", headers=auditor).json() == []
    now = local(env.app.clock())
    window = f"since={(now - timedelta(hours=1)).isoformat()}&until={(now + timedelta(hours=1)).isoformat()}"
    r = c.get(f"/api/v1/audit/events?letter_id={env.letter_id}&{window}".replace("+", "%2B"), headers=auditor)
    assert [e["seq"] for e in r.json()] == seqs

    # CSV export: API and web page
    r = c.get(f"/api/v1/audit/events?letter_id={env.letter_id}&format=csv", headers=auditor)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = r.text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("seq,at,actor,action") and len(lines) == len(events) + 1
    c.post("/login", data={"username": "auditor", "password": "saraban-demo"}, follow_redirects=False)
    r = c.get("/audit/export")
    assert r.status_code == 200 and "download" in r.text and r.headers["content-type"].startswith("text/csv")
    assert c.get("/audit").status_code == 200
    c.cookies.clear()

    # anyone else: 403, audited as permission_denied
    for h in (clerk, officer, login(c, "admin"), login(c, "director")):
        r = c.get("/api/v1/audit/events", headers=h)
        assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")
        assert c.get("/api/v1/audit/events?format=csv", headers=h).status_code == 403
    c.post("/login", data={"username": "central", "password": "saraban-demo"}, follow_redirects=False)
    assert c.get("/audit/export").status_code == 403
    assert c.get("/audit").status_code == 403
    c.cookies.clear()
    denied = [e for e in c.get("/api/v1/audit/events", headers=auditor).json() if e["action"] == "permission_denied"]
    assert {e["actor"] for e in denied} >= {"central", "officer", "admin", "director"}


def test_verify_is_clean_after_concurrent_activity(env: Env, tmp_path: Path) -> None:
    """Many writers through the real app (threads): the chain stays linear and verifies."""
    from concurrent.futures import ThreadPoolExecutor

    c = env.client
    h = login(c, "central")

    def read(_: int) -> int:
        return c.get(f"/api/v1/letters/{env.letter_id}", headers=h).status_code

    with ThreadPoolExecutor(6) as pool:
        assert set(pool.map(read, range(30))) == {200}
    assert chain_ok(env)
    out = verify_cli(env, tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr


def test_the_audit_key_file_is_made_once_and_private(tmp_path: Path) -> None:
    """Without SARABAN_AUDIT_KEY the key lives in the data directory: created on first start, mode 0600, reused."""
    from service.audit.chain import load_key

    path = tmp_path / "data" / "audit.key"
    first = load_key("", path)
    assert len(first) == 64 and (path.stat().st_mode & 0o777) == 0o600
    assert load_key("", path) == first
    assert load_key("configured-key", path) == b"configured-key"
