# ruff: noqa: E501  (the table of illegal steps reads best one case per line)
"""The journey over the API (issue "Distribute and follow up"): acceptance 2 (two groups, two numbers), 3 (a returned
letter back in the central inbox), 5 (illegal steps refused, nothing changed; nobody outside sees the letter).

The clock is injected: every step happens at a moment the test chose.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, func, select

from service.app import create_app
from service.config import Settings
from service.context import Saraban, build
from service.demo import seed_demo
from service.kit.migrate import upgrade
from service.models import LetterAccess, Registration, Unit, User
from tests.conftest import login
from tests.publicids import internal_id
from tests.samples import thai_letter_pdf


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 23, 2, 0, tzinfo=UTC)  # Monday 09.00 in Bangkok

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


USERS = ("central", "group", "officer", "director", "group2", "officer2", "records", "auditor")


@dataclass
class Office:
    app: Saraban
    client: TestClient
    clock: Clock
    h: dict[str, dict[str, str]] = field(default_factory=dict)
    unit: dict[str, int] = field(default_factory=dict)
    user: dict[str, int] = field(default_factory=dict)
    registry: dict[str, int] = field(default_factory=dict)

    def post(self, who: str, path: str, body: dict[str, Any] | None = None) -> Any:
        self.clock.advance(minutes=5)
        return self.client.post(path, headers=self.h[who], json=body)

    def get(self, who: str, path: str, **params: Any) -> Any:
        return self.client.get(path, headers=self.h[who], params=params)

    def receive(self, who: str, registry: str, subject: str, **meta: Any) -> int:
        self.clock.advance(minutes=5)
        r = self.client.post(
            f"/api/v1/registries/{self.registry[registry]}/receive",
            headers=self.h[who],
            data={"meta": json.dumps({"sender": "สพฐ.", "subject": subject, **meta}, ensure_ascii=False)},
            files=[("files", ("letter.pdf", thai_letter_pdf(subject=subject), "application/pdf"))],
        )
        assert r.status_code == 201, r.text
        return int(r.json()["letter_id"])

    def route(self, who: str, letter_id: int, **body: Any) -> list[int]:
        r = self.post(who, f"/api/v1/letters/{letter_id}/routes", {"instruction": "ดำเนินการ", **body})
        assert r.status_code == 201, r.text
        assert {"id", "letter_id", "state"} <= r.json().keys() and r.json()["state"] == "sent"
        return [x["id"] for x in r.json()["routes"]]

    def step(self, who: str, route_id: int, step: str, body: dict[str, Any] | None = None, status: int = 200) -> Any:
        r = self.post(who, f"/api/v1/routes/{route_id}/{step}", body)
        assert r.status_code == status, r.text
        return r.json()

    def inbox(self, who: str, view: str = "all") -> dict[str, Any]:
        r = self.get(who, "/api/v1/inbox", view=view)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    def items(self, who: str, letter_id: int, view: str = "all") -> list[dict[str, Any]]:
        """The inbox items of one letter (other tests' letters share the office)."""
        r = self.get(who, "/api/v1/inbox", view=view, limit=500)
        assert r.status_code == 200, r.text
        return [i for i in r.json()["items"] if i["letter_id"] == letter_id]

    def timeline(self, who: str, letter_id: int) -> dict[str, Any]:
        r = self.get(who, f"/api/v1/letters/{letter_id}/timeline")
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body


def _office(app: Saraban) -> Iterator[Office]:
    clock = Clock()
    app.clock = clock
    with TestClient(create_app(app)) as c:
        office = Office(app, c, clock)
        office.h = {u: login(c, u) for u in USERS}
        with app.tx() as uow:
            office.unit = {u.code: u.id for u in uow.session.exec(select(Unit)) if u.id}
            office.user = {u.username: u.id for u in uow.session.exec(select(User)) if u.id}
        office.registry = {r["code"]: r["id"] for r in c.get("/api/v1/registries", headers=office.h["central"]).json()}
        yield office


@pytest.fixture(scope="module", autouse=True)
def cheap_passwords() -> Iterator[None]:
    """Argon2 at production cost takes ~0.5 s a sign-in (tests/web/test_auth.py runs the real hasher)."""
    from argon2 import PasswordHasher

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("service.auth.core._hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        yield


def _new_app(root: Path, database_url: str = "") -> Saraban:
    s = Settings(data_dir=root, database_url=database_url, token_ttl_minutes=60 * 24 * 60, _env_file=None)  # type: ignore[call-arg]
    root.mkdir(parents=True, exist_ok=True)
    upgrade(s.sqlalchemy_url)
    app = build(s, with_indexer=False)
    with app.tx() as uow:
        seed_demo(uow.session, now=app.clock())
    return app


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory, cheap_passwords: None) -> Iterator[Office]:
    """One office for the module: each test works on letters of its own."""
    app = _new_app(tmp_path_factory.mktemp("office"))
    yield from _office(app)
    app.engine.dispose()


@pytest.fixture
def office_any_db(tmp_path: Path, any_db: str) -> Iterator[Office]:
    app = _new_app(tmp_path / "var", any_db)
    yield from _office(app)
    app.engine.dispose()


# ---------------------------------------------------------------------------------------------- acceptance 2


def test_two_groups_each_register_it_under_their_own_number(office_any_db: Office) -> None:
    o = office_any_db
    # the policy group's register already has a letter of its own this year: its numbers run independently
    o.receive("group2", "policy-receive", "หนังสือของกลุ่มนโยบายและแผนเอง")
    letter = o.receive("central", "central", "ขอเชิญประชุมเชิงปฏิบัติการจัดทำแผนพัฒนาการศึกษา")
    to_promotion, to_policy = o.route(
        "central", letter, to_unit_ids=[o.unit["promotion"], o.unit["policy"]], instruction="พิจารณาดำเนินการ"
    )
    assert [i["waiting"] for i in o.items("group", letter)] == ["register"]
    assert [i["waiting"] for i in o.items("group2", letter)] == ["register"]

    first = o.step("group", to_promotion, "register", status=201)["registration"]
    o.clock.advance(hours=2)
    second = o.step("group2", to_policy, "register", status=201)["registration"]
    assert set(first) >= {"id", "registry_id", "year", "number", "registered_at"}
    assert (first["registry_id"], first["number"]) == (o.registry["promotion-receive"], 1)
    assert (second["registry_id"], second["number"]) == (o.registry["policy-receive"], 2)
    assert first["year"] == second["year"] == 2569

    with o.app.tx() as uow:
        regs = uow.session.exec(select(Registration).where(Registration.letter_id == internal_id(o.app, letter))).all()
    assert sorted(r.registry_id for r in regs) == sorted(
        o.registry[c] for c in ("central", "promotion-receive", "policy-receive")
    )

    # the central registry sees, per group, when it was registered and under which number
    routes = {r["id"]: r for r in o.timeline("central", letter)["routes"]}
    assert routes[to_promotion]["registered_at"] == first["registered_at"]
    assert routes[to_policy]["registered_at"] == second["registered_at"]
    assert routes[to_promotion]["registration"]["number"] == 1 and routes[to_policy]["registration"]["number"] == 2
    assert routes[to_policy]["registered_by"] == "นางวันเพ็ญ ศรีสุข"
    (entry,) = o.get("central", f"/api/v1/registries/{o.registry['central']}/entries").json()["entries"]
    assert "ส่ง กลุ่มส่งเสริมฯ (ลงรับ เลขที่ 1 23 มี.ค. 2569" in entry["action"], entry["action"]
    assert "ส่ง กลุ่มนโยบายและแผน (ลงรับ เลขที่ 2 23 มี.ค. 2569" in entry["action"], entry["action"]
    # the same column in the CSV and the printed register
    csv_text = o.get("central", f"/api/v1/registries/{o.registry['central']}/entries", format="csv").text
    assert "ส่ง กลุ่มส่งเสริมฯ (ลงรับ เลขที่ 1" in csv_text and "ส่ง กลุ่มนโยบายและแผน (ลงรับ เลขที่ 2" in csv_text
    pdf = o.get("central", f"/api/v1/registries/{o.registry['central']}/entries", format="pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    if shutil.which("pdftotext"):
        printed = subprocess.run(["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True).stdout
        flat = re.sub(r"\s+", "", printed.decode())
        assert "ส่งกลุ่มส่งเสริมฯ" in flat and "ส่งกลุ่มนโยบายและแผน" in flat, flat
    # each group's register lists it under its own number
    promo = o.get("group", f"/api/v1/registries/{o.registry['promotion-receive']}/entries").json()["entries"]
    policy = o.get("group2", f"/api/v1/registries/{o.registry['policy-receive']}/entries").json()["entries"]
    assert [(e["letter_id"], e["number"]) for e in promo] == [(letter, 1)]
    assert (letter, 2) in [(e["letter_id"], e["number"]) for e in policy]
    # and nothing waits for either clerk to register any more
    assert o.items("group", letter, "register") == [] and o.items("group2", letter, "register") == []


# ---------------------------------------------------------------------------------------------- acceptance 3


def test_a_returned_letter_is_back_in_the_central_inbox_with_its_reason(office: Office) -> None:
    o = office
    letter = o.receive("central", "central", "ขอความร่วมมือสำรวจข้อมูลครูอัตราจ้าง", urgency="ด่วน")
    (route,) = o.route("central", letter, to_unit_id=o.unit["policy"])
    assert o.items("central", letter, "returned") == []
    returned_before = o.inbox("central", "returned")["counts"]["returned"]
    o.step("group2", route, "return", {"reason": "เป็นงานของกลุ่มบริหารงานบุคคล"})

    returned = o.inbox("central", "returned")
    assert returned["counts"]["returned"] == returned_before + 1
    (item,) = o.items("central", letter, "returned")
    assert item["route_id"] == route and item["letter_id"] == letter
    assert item["state"] == "returned" and item["waiting"] == "returned"
    assert item["returned_reason"] == "เป็นงานของกลุ่มบริหารงานบุคคล"
    assert item["overdue"] is False
    assert item in o.items("central", letter, "all")
    assert o.items("group2", letter) == []  # no longer the group's to do
    events = o.timeline("central", letter)["events"]
    assert [e["action"] for e in events] == ["receive", "route", "return"]
    assert events[-1]["reason"] == "เป็นงานของกลุ่มบริหารงานบุคคล" and events[-1]["actor"] == "นางวันเพ็ญ ศรีสุข"

    # the central registry takes it back and routes it to the right group
    o.step("central", route, "recall")
    assert o.items("central", letter, "returned") == []
    o.route("central", letter, to_unit_id=o.unit["personnel"])


# ---------------------------------------------------------------------------------------------- acceptance 5


def _snapshot(o: Office, letter: int) -> Any:
    with o.app.tx() as uow:
        regs = uow.session.exec(
            select(func.count()).select_from(Registration).where(Registration.letter_id == internal_id(o.app, letter))
        ).one()
        readers = sorted(
            uow.session.exec(select(LetterAccess.principal).where(LetterAccess.letter_id == internal_id(o.app, letter)))
        )
    journey = o.timeline("central", letter)
    for r in journey["routes"]:
        r.pop("held_seconds")  # grows with the clock
    return journey, regs, readers


@dataclass(frozen=True)
class Illegal:
    name: str
    setup: tuple[str, ...]  # steps done first (see _journey)
    who: str
    route: str  # which route: unit (central → promotion), person (group → officer), policy (central → policy)
    step: str
    status: int
    reason: str
    body: dict[str, Any] | None = None


# fmt: off
ILLEGAL = [
    Illegal("acknowledge twice", ("register", "assign", "acknowledge"), "officer", "person", "acknowledge", 409, "already_acknowledged"),
    Illegal("a group registers twice", ("register",), "group", "unit", "register", 409, "already_registered"),
    Illegal("complete before receiving", ("register", "assign"), "officer", "person", "complete", 409, "not_received", {"action": "ทำแล้ว"}),
    Illegal("forward before registering", (), "group", "unit", "forward", 409, "not_received", {"to_user_id": "officer"}),
    Illegal("forward a completed routing", ("register", "complete_unit"), "group", "unit", "forward", 409, "ended", {"to_user_id": "officer"}),
    Illegal("complete a completed routing", ("register", "assign", "acknowledge", "complete"), "officer", "person", "complete", 409, "ended", {"action": "อีกครั้ง"}),
    Illegal("recall a recalled routing", ("recall",), "central", "unit", "recall", 409, "ended"),
    Illegal("a recalled routing is gone for the group", ("recall",), "group", "unit", "register", 404, ""),
    Illegal("return a completed routing", ("register", "complete_unit"), "group", "unit", "return", 409, "ended", {"reason": "x"}),
    Illegal("recall after the group registered", ("register",), "central", "unit", "recall", 409, "already_acted"),
    Illegal("acknowledge a routing to a unit", (), "group", "unit", "acknowledge", 409, "units_register"),
    Illegal("register a routing to a person", ("register", "assign"), "officer", "person", "register", 409, "persons_acknowledge"),
    Illegal("return what was forwarded", ("register", "assign"), "group", "unit", "return", 409, "waiting_on_forwarded", {"reason": "ไม่ใช่"}),
    Illegal("act on a returned routing", ("return",), "group", "unit", "register", 409, "returned"),
    Illegal("another group registers it", (), "group2", "unit", "register", 403, "not_recipient"),
    Illegal("the group clerk acknowledges for the officer", ("register", "assign"), "group", "person", "acknowledge", 403, "not_recipient"),
    Illegal("the officer completes the routing of the group", ("register", "assign", "acknowledge"), "officer", "unit", "complete", 403, "not_recipient", {"action": "x"}),
    Illegal("someone else recalls it", (), "group", "unit", "recall", 403, "not_sender"),
    Illegal("the director recalls the routing of the registry", (), "director", "unit", "recall", 403, "not_sender"),
    Illegal("the officer of the other group cannot even see it", (), "officer2", "unit", "register", 404, ""),
]
# fmt: on


def _journey(o: Office, steps: tuple[str, ...]) -> tuple[int, dict[str, int]]:
    letter = o.receive("central", "central", "แจ้งแนวทางการดำเนินงานโครงการอาหารกลางวัน")
    unit, policy = o.route("central", letter, to_unit_ids=[o.unit["promotion"], o.unit["policy"]])
    ids = {"unit": unit, "policy": policy}
    for s in steps:
        if s == "register":
            o.step("group", unit, "register", status=201)
        elif s == "assign":
            r = o.post(
                "group", f"/api/v1/routes/{unit}/forward", {"to_user_id": o.user["officer"], "instruction": "ดำเนินการ"}
            )
            assert r.status_code == 201, r.text
            ids["person"] = r.json()["id"]
        elif s == "acknowledge":
            o.step("officer", ids["person"], "acknowledge")
        elif s == "complete":
            o.step("officer", ids["person"], "complete", {"action": "แจ้งโรงเรียนในสังกัดแล้ว"})
        elif s == "complete_unit":
            o.step("group", unit, "complete", {"action": "ทราบ เวียนแจ้งในกลุ่มแล้ว"})
        elif s == "recall":
            o.step("central", unit, "recall")
        elif s == "return":
            o.step("group", unit, "return", {"reason": "ไม่ใช่งานของกลุ่ม"})
    return letter, ids


@pytest.mark.parametrize("case", ILLEGAL, ids=lambda c: c.name)
def test_an_illegal_step_is_refused_and_changes_nothing(office: Office, case: Illegal) -> None:
    o = office
    letter, ids = _journey(o, case.setup)
    before = _snapshot(o, letter)
    body = dict(case.body or {})
    if "to_user_id" in body:
        body["to_user_id"] = o.user[str(body["to_user_id"])]
    r = o.post(case.who, f"/api/v1/routes/{ids[case.route]}/{case.step}", body or None)
    assert r.status_code == case.status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["status"] == case.status and problem["detail_th"]
    if case.reason:
        assert problem["reason"] == case.reason
    assert _snapshot(o, letter) == before


def test_routing_it_again_to_who_still_holds_it_is_refused(office: Office) -> None:
    o = office
    letter, _ids = _journey(o, ("register",))
    before = _snapshot(o, letter)
    r = o.post("central", f"/api/v1/letters/{letter}/routes", {"to_unit_id": o.unit["promotion"]})
    assert r.status_code == 409 and r.json()["reason"] == "already_routed"
    assert _snapshot(o, letter) == before


def test_only_heads_write_instructions(office: Office) -> None:
    o = office
    letter, _ids = _journey(o, ("register", "assign", "acknowledge"))
    before = _snapshot(o, letter)
    for who in ("officer", "group", "central"):
        r = o.post(who, f"/api/v1/letters/{letter}/instructions", {"text": "ดำเนินการ"})
        assert r.status_code == 403 and r.json()["reason"] == "not_head", (who, r.text)
    assert _snapshot(o, letter) == before
    r = o.post("director", f"/api/v1/letters/{letter}/instructions", {"text": "ทราบ ให้กลุ่มส่งเสริมฯ ดำเนินการ"})
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "นายประเสริฐ ผู้นำ" and r.json()["position"] == "ผู้อำนวยการ สพป.ขอนแก่น เขต ๕"


def test_nobody_outside_the_journey_sees_the_letter(office: Office) -> None:
    o = office
    letter = o.receive("central", "central", "QZJOURNEYX เรื่องของกลุ่มส่งเสริม")
    (unit,) = o.route("central", letter, to_unit_id=o.unit["promotion"])
    o.step("group", unit, "register", status=201)
    r = o.post("group", f"/api/v1/routes/{unit}/forward", {"to_user_id": o.user["officer"]})
    person = r.json()["id"]
    o.step("officer", person, "acknowledge")
    for outsider in ("group2", "officer2"):
        for view in ("all", "register", "acknowledge", "act", "following", "returned", "overdue", "older"):
            inbox = o.get(outsider, "/api/v1/inbox", view=view, limit=500).json()
            assert letter not in [i["letter_id"] for i in inbox["items"]], (outsider, view)
            assert "QZJOURNEYX" not in json.dumps(inbox, ensure_ascii=False)
        assert letter not in [x["id"] for x in o.get(outsider, "/api/v1/letters", limit=500).json()["letters"]]
        for path in (
            f"/api/v1/letters/{letter}",
            f"/api/v1/letters/{letter}/timeline",
            f"/api/v1/routes/{unit}",
            f"/api/v1/routes/{person}",
        ):
            assert o.get(outsider, path).status_code == 404, (outsider, path)
    # those in it see it where they should
    assert [i["route_id"] for i in o.items("officer", letter)] == [person]
    assert [i["route_id"] for i in o.items("group", letter, "following")] == [person]
    assert [i["route_id"] for i in o.items("central", letter, "following")] == [unit]


def test_a_recalled_routing_no_longer_lets_the_group_read_the_letter(office: Office) -> None:
    o = office
    letter = o.receive("central", "central", "ส่งผิดกลุ่ม")
    (route,) = o.route("central", letter, to_unit_id=o.unit["policy"])
    assert o.get("group2", f"/api/v1/letters/{letter}").status_code == 200
    assert len(o.items("group2", letter)) == 1
    o.step("central", route, "recall")
    assert o.get("group2", f"/api/v1/letters/{letter}").status_code == 404
    assert o.items("group2", letter) == []
    assert o.step("central", route, "recall", status=409)["reason"] == "ended"


# ---------------------------------------------------------------------------------------------- the whole journey


def test_the_whole_journey_over_the_api(office: Office) -> None:
    o = office
    letter = o.receive("central", "central", "ขอความอนุเคราะห์ข้อมูลนักเรียนทุนการศึกษา", urgency="ด่วนมาก")
    (unit,) = o.route("central", letter, to_unit_id=o.unit["promotion"], instruction="ดำเนินการตามระเบียบ")
    o.clock.advance(minutes=30)
    o.step("group", unit, "register", status=201)
    o.clock.advance(minutes=10)
    r = o.post("group", f"/api/v1/letters/{letter}/routes", {"to_user_ids": [o.user["officer"]], "instruction": "ด่วน"})
    assert r.status_code == 201, r.text
    person = r.json()["id"]
    assert r.json()["routes"][0]["parent_id"] == unit  # the group clerk's routing is a forward of the group's
    assert o.get("group", f"/api/v1/routes/{unit}").json()["state"] == "forwarded"
    o.clock.advance(hours=1)
    o.step("officer", person, "acknowledge")
    o.clock.advance(hours=3)
    done = o.step("officer", person, "complete", {"action": "แจ้งโรงเรียนในสังกัดจัดส่งข้อมูลแล้ว"})
    assert done["state"] == "completed" and done["action"] == "แจ้งโรงเรียนในสังกัดจัดส่งข้อมูลแล้ว"
    # the group's routing ends with its officer's
    assert o.get("central", f"/api/v1/routes/{unit}").json()["state"] == "completed"
    assert o.items("officer", letter) == [] and o.items("group", letter) == []
    r = o.post("director", f"/api/v1/letters/{letter}/instructions", {"text": "ทราบ ขอบคุณ"})
    assert r.status_code == 201

    events = o.timeline("director", letter)["events"]
    assert [(e["action"], e["actor"]) for e in events] == [
        ("receive", "นางสาวณัฐภัสสร คำฟู"),
        ("route", "นางสาวณัฐภัสสร คำฟู"),
        ("register", "นางสมศรี ใจดี"),
        ("forward", "นางสมศรี ใจดี"),
        ("acknowledge", "นายสมชาย ตั้งใจ"),
        ("complete", "นายสมชาย ตั้งใจ"),
        ("complete", "กลุ่มส่งเสริมฯ"),
        ("instruct", "นายประเสริฐ ผู้นำ"),
    ]
    assert all(e["at"] for e in events)
    took = {(e["action"], e.get("to")): e["took_seconds"] for e in events}
    assert took[("register", "กลุ่มส่งเสริมฯ")] == 35 * 60  # sent, then 30 minutes and the 5 of the request
    assert took[("acknowledge", "นายสมชาย ตั้งใจ")] == 65 * 60
    assert took[("complete", "นายสมชาย ตั้งใจ")] == 185 * 60

    from service.routing.queries import journey_completed_on

    with o.app.tx() as uow:
        assert journey_completed_on(uow.session, internal_id(o.app, letter)) is not None
        assert (
            uow.session.exec(
                select(func.count())
                .select_from(Registration)
                .where(col(Registration.letter_id) == internal_id(o.app, letter))
            ).one()
            == 2
        )
