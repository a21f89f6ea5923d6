"""The inbox over the API with an injected clock (acceptance 4 end to end): overdue and pending views, counts per
tab, the order (most urgent, then oldest), a configured holiday, a letter routed after office hours, deliver-by, and
another source of items added beside the routed letters."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from service.access.rule import Actor
from service.app import create_app
from service.config import Settings
from service.context import Saraban, build
from service.demo import seed_demo
from service.kit.migrate import upgrade
from service.models import Unit
from service.routing import inbox as inbox_module
from service.routing.inbox import InboxItem
from tests.conftest import login


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def bkk(text: str) -> datetime:
    """``"2026-04-03 10:00"`` Bangkok time, as UTC."""
    return (datetime.fromisoformat(text) - timedelta(hours=7)).replace(tzinfo=UTC)


@pytest.fixture(scope="module", autouse=True)
def cheap_passwords() -> Iterator[None]:
    from argon2 import PasswordHasher

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("service.auth.core._hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        yield


@pytest.fixture
def env(tmp_path: Path) -> Iterator[tuple[Saraban, TestClient, Clock]]:
    s = Settings(
        data_dir=tmp_path / "var",
        token_ttl_minutes=60 * 24 * 90,
        holidays=[date(2026, 4, 6), date(2026, 4, 13), date(2026, 4, 14), date(2026, 4, 15)],
        _env_file=None,  # type: ignore[call-arg]
    )
    (tmp_path / "var").mkdir()
    upgrade(s.sqlalchemy_url)
    app = build(s, with_indexer=False)
    clock = Clock(bkk("2026-04-01 08:00"))
    app.clock = clock
    with app.tx() as uow:
        seed_demo(uow.session, now=clock())
    with TestClient(create_app(app)) as c:
        yield app, c, clock
    app.engine.dispose()


def test_overdue_and_pending_views_follow_the_clock(env: tuple[Saraban, TestClient, Clock]) -> None:
    app, c, clock = env
    h = {u: login(c, u) for u in ("central", "group", "group2")}
    reg = {r["code"]: r["id"] for r in c.get("/api/v1/registries", headers=h["central"]).json()}
    with app.tx() as uow:
        units = {u.code: u.id for u in uow.session.exec(select(Unit))}

    def send(at: str, subject: str, *, unit: str = "promotion", due: str | None = None, **meta: Any) -> int:
        clock.now = bkk(at)
        r = c.post(
            f"/api/v1/registries/{reg['central']}/receive",
            headers=h["central"],
            data={"meta": json.dumps({"sender": "สพฐ.", "subject": subject, **meta}, ensure_ascii=False)},
        )
        assert r.status_code == 201, r.text
        body = {"to_unit_id": units[unit], "instruction": "ดำเนินการ", "due_at": due}
        r = c.post(f"/api/v1/letters/{r.json()['letter_id']}/routes", headers=h["central"], json=body)
        assert r.status_code == 201, r.text
        return int(r.json()["id"])

    # Thursday 2 April 2026 … (Mon 6 April is a holiday)
    most = send("2026-04-02 10:00", "ด่วนที่สุด เช้าวันพฤหัส", urgency="ด่วนที่สุด")  # due Thu 2 Apr 16.30
    late = send("2026-04-02 18:00", "ด่วนที่สุด หลังเลิกงาน", urgency="ด่วนที่สุด")  # counts from Fri: due Fri 16.30
    urgent = send("2026-04-02 11:00", "ด่วน วันพฤหัส", urgency="ด่วน")  # Fri, (Mon holiday), Tue 7 Apr 16.30
    normal = send("2026-04-02 09:00", "ปกติ ส่งภายในวันศุกร์", deliver_by="2026-04-03T12:00:00+07:00")  # Fri 12.00
    due = send("2026-04-02 09:30", "ปกติ กำหนดเสร็จ", due="2026-04-10T12:00:00")  # office time, Fri 10 Apr
    other = send("2026-04-02 09:45", "ของกลุ่มนโยบาย", unit="policy", urgency="ด่วนที่สุด")

    def view(name: str, who: str = "group", **params: Any) -> dict[str, Any]:
        r = c.get("/api/v1/inbox", headers=h[who], params={"view": name, **params})
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    def ids(name: str, **params: Any) -> list[int]:
        return [i["route_id"] for i in view(name, **params)["items"]]

    # Thursday 16.00: nothing is late yet; most urgent first, then oldest
    clock.now = bkk("2026-04-02 16:00")
    everything = view("all")
    assert [i["route_id"] for i in everything["items"]] == [most, late, urgent, normal, due]
    assert everything["total"] == 5 and everything["counts"]["register"] == 5
    assert everything["counts"]["overdue"] == 0 and ids("overdue") == []
    assert other not in ids("all")
    first = everything["items"][0]
    assert set(first) >= {
        "route_id",
        "letter_id",
        "state",
        "subject",
        "urgency_level",
        "routed_at",
        "due_at",
        "overdue",
        "returned_reason",
    }
    assert first["urgency_level"] == 4 and first["state"] == "sent" and first["returned_reason"] is None
    assert [i["due_at"] for i in everything["items"]][-1] == "2026-04-10T12:00:00+07:00"

    # Thursday 16.31: the morning's ด่วนที่สุด is late; the one routed after hours is not
    clock.now = bkk("2026-04-02 16:31")
    assert ids("overdue") == [most]
    # Friday 12.01: the deliver-by of the ปกติ letter has passed
    clock.now = bkk("2026-04-03 12:01")
    assert ids("overdue") == [most, normal]
    # Friday 16.31: the one that arrived after hours is late too
    clock.now = bkk("2026-04-03 16:31")
    assert ids("overdue") == [most, late, normal]
    # Monday 6 April, a holiday, evening: ด่วน (two working days) is not late yet
    clock.now = bkk("2026-04-06 20:00")
    assert ids("overdue") == [most, late, normal]
    assert view("all")["counts"]["overdue"] == 3
    # Tuesday 16.31: now it is; the one with a due date set is not (Friday 10 April)
    clock.now = bkk("2026-04-07 16:31")
    assert ids("overdue") == [most, late, urgent, normal]
    clock.now = bkk("2026-04-10 12:01")
    assert ids("overdue") == [most, late, urgent, normal, due]
    # older than N days
    assert ids("older", days=7) == [most, late, urgent, normal, due]
    assert ids("older", days=30) == []

    # registered: no longer waiting to be registered, now waiting to be acted on (still late)
    r = c.post(f"/api/v1/routes/{most}/register", headers=h["group"])
    assert r.status_code == 201, r.text
    now = view("all")
    assert now["counts"]["register"] == 4 and now["counts"]["act"] == 1 and ids("act") == [most]
    assert most in ids("overdue")
    # the central registry follows up what it sent: who holds it, late or not
    following = {i["route_id"]: i for i in view("following", "central")["items"]}
    assert set(following) == {most, late, urgent, normal, due, other}
    assert following[most]["to"] == "กลุ่มส่งเสริมฯ" and following[most]["overdue"] is True
    assert following[most]["state"] == "registered"
    holders = view("following", "central")["holders"]
    assert [(x["name"], x["count"], x["overdue"]) for x in holders] == [
        ("กลุ่มส่งเสริมฯ", 5, 5),
        ("กลุ่มนโยบายและแผน", 1, 1),
    ]


def test_another_source_adds_its_items(env: tuple[Saraban, TestClient, Clock], monkeypatch: pytest.MonkeyPatch) -> None:
    """The outgoing capability's electronic deliveries join the same inbox by adding a source."""
    _app, c, clock = env
    h = login(c, "group")

    def deliveries(_session: Session, actor: Actor, _now: datetime) -> list[InboxItem]:
        if actor.username != "group":
            return []
        return [
            InboxItem(
                source="delivery",
                item_id=7,
                letter_id=99,
                waiting="register",
                state="delivered",
                subject="หนังสือจากโรงเรียน",
                urgency_level=4,
                routed_at=bkk("2026-04-01 07:00"),
            )
        ]

    monkeypatch.setattr(inbox_module, "INBOX_SOURCES", [*inbox_module.INBOX_SOURCES, deliveries])
    clock.now = bkk("2026-04-01 18:00")
    body = c.get("/api/v1/inbox", headers=h).json()
    assert body["total"] == 1 and body["counts"]["register"] == 1 and body["counts"]["overdue"] == 1
    (item,) = body["items"]
    assert (item["source"], item["item_id"], item["route_id"], item["overdue"]) == ("delivery", 7, None, True)


def test_the_inbox_on_the_command_line(env: tuple[Saraban, TestClient, Clock], monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.cli import run_saraban

    app, c, _clock = env
    h = login(c, "central")
    reg = {r["code"]: r["id"] for r in c.get("/api/v1/registries", headers=h).json()}
    with app.tx() as uow:
        policy = uow.session.exec(select(Unit).where(Unit.code == "policy")).one().id
    r = c.post(
        f"/api/v1/registries/{reg['central']}/receive",
        headers=h,
        data={"meta": json.dumps({"sender": "สพฐ.", "subject": "สำรวจแผนปฏิบัติการ", "urgency": "ด่วนที่สุด"})},
    )
    letter = r.json()["letter_id"]
    route = c.post(f"/api/v1/letters/{letter}/routes", headers=h, json={"to_unit_id": policy}).json()["id"]
    c.post(f"/api/v1/routes/{route}/return", headers=login(c, "group2"), json={"reason": "ไม่ใช่งานของกลุ่ม"})
    env_ = {"SARABAN_DATA_DIR": str(app.settings.data_dir), "COLUMNS": "200"}
    result = run_saraban(["inbox", "central", "--view", "returned"], env=env_, cwd=app.settings.data_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "returned 1" in result.stdout and "สำรวจแผนปฏิบัติการ" in result.stdout
    assert "ไม่ใช่งานของกลุ่ม" in result.stdout
    assert run_saraban(["inbox", "nobody-here"], env=env_, cwd=app.settings.data_dir).returncode == 1
