"""The permission matrix (issue "Who may see what"): every role × every route and page × secrecy × own/other unit.

The expected outcome of every cell comes from ONE table, written by hand below (``TABLE``) — never from the
service's own rule functions. The matrix is generated from it; every response body of every user is then searched
for what that user must not learn: the subject marker and the file hash of each letter they may not see
(in JSON, CSV, HTML, and PDF text via pdftotext). ``total`` of the letter list is the count of letters the table
says the user sees, so a secret letter does not show even as a number.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select

from service.app import create_app
from service.config import Settings
from service.context import Saraban, build
from service.demo import DEMO_PASSWORD
from service.models import Letter, Registration
from service.users.core import create_user
from tests.conftest import DatabaseTemplates, need
from tests.samples import thai_letter_pdf

# ================================================================================================ the table
#
# Letters (set up below):
#   C   ordinary, central registry (office), registered by `central`
#   P   ordinary, promotion-receive, registered by `group` (the group clerk's own unit)
#   Y   ordinary, policy-receive, registered by `policy` (another group)
#   R   ordinary, policy-receive, routed by `policy` to `officer` (a promotion officer)
#   S1  ลับ, secret registry, registered by `secret`, routed to `director` (clearance 1)
#   S2  ลับมาก, secret registry (routing it to `director` is refused: clearance 1 < 2)
#   S3  ลับที่สุด, secret registry
# Registries: cen = central, sec = secret, pro = promotion-receive, pol = policy-receive,
#   oth = each of admin-group-, personnel-, finance-, supervision-receive.
# Users: the demo roles, `policy` (group_clerk@policy, created here) and `nobody` (no role, clearance 3).
#
# Columns: letters the user sees | reading a register (API json/csv/pdf and the web page) |
#          registering an ordinary letter | registering a ลับ letter | GET audit events | POST users
TABLE = """
user     | sees         | read  cen sec pro pol oth | rcv0 cen sec pro pol oth | rcv1 cen sec pro pol oth | audit users
admin    | -            |       403 403 403 403 403 |      403 403 403 403 403 |      403 403 403 403 403 | 403   201
central  | C            |       200 404 403 403 403 |      201 404 403 403 403 |      422 404 403 403 403 | 403   403
group    | P            |       403 404 200 403 403 |      403 404 201 403 403 |      403 404 422 403 403 | 403   403
officer  | R            |       403 404 403 403 403 |      403 404 403 403 403 |      403 404 403 403 403 | 403   403
director | C P Y R S1   |       200 404 200 200 200 |      403 404 403 403 403 |      403 404 403 403 403 | 403   403
records  | C            |       200 404 403 403 403 |      403 404 403 403 403 |      403 404 403 403 403 | 403   403
secret   | S1 S2 S3     |       403 200 403 403 403 |      403 422 403 403 403 |      403 201 403 403 403 | 403   403
auditor  | C P Y R      |       200 404 200 200 200 |      403 404 403 403 403 |      403 404 403 403 403 | 200   403
policy   | Y R          |       403 404 403 200 403 |      403 404 403 201 403 |      403 404 403 422 403 | 403   403
nobody   | -            |       403 404 403 403 403 |      403 404 403 403 403 |      403 404 403 403 403 | 403   403
"""

LETTERS = ("C", "P", "Y", "R", "S1", "S2", "S3")
SECRET_LETTERS = ("S1", "S2", "S3")
REG_COLS = ("cen", "sec", "pro", "pol", "oth")
REG_CODES = {
    "central": "cen",
    "secret": "sec",
    "promotion-receive": "pro",
    "policy-receive": "pol",
    "admin-group-receive": "oth",
    "personnel-receive": "oth",
    "finance-receive": "oth",
    "supervision-receive": "oth",
}
# The demo's schools and send-side series (the issue "Send"): every one of them is known to all but the secret one.
SENDING_CODES = {
    *(f"school-{i:02d}-receive" for i in range(1, 31)),
    *(f"{unit}-{kind}" for unit in ("office", "promotion") for kind in ("send", "circular", "order", "announcement")),
    "office-secret-send",
}


@dataclass(frozen=True)
class Expect:
    sees: frozenset[str]
    read: dict[str, int]
    rcv0: dict[str, int]
    rcv1: dict[str, int]
    audit: int
    users: int


def _parse(table: str) -> dict[str, Expect]:
    rows: dict[str, Expect] = {}
    for line in table.strip().splitlines()[1:]:
        name, sees, read, rcv0, rcv1, last = (part.split() for part in line.split("|"))
        n = [int(x) for x in read], [int(x) for x in rcv0], [int(x) for x in rcv1]
        rows[name[0]] = Expect(
            sees=frozenset(s for s in sees if s != "-"),
            read=dict(zip(REG_COLS, n[0], strict=True)),
            rcv0=dict(zip(REG_COLS, n[1], strict=True)),
            rcv1=dict(zip(REG_COLS, n[2], strict=True)),
            audit=int(last[0]),
            users=int(last[1]),
        )
    return rows


EXPECT = _parse(TABLE)
USERS = tuple(EXPECT)
MARK = {"C": "QZCENX", "P": "QZPROX", "Y": "QZPOLX", "R": "QZRTEX", "S1": "QZSE1X", "S2": "QZSE2X", "S3": "QZSE3X"}
SECRECY = {"S1": "ลับ", "S2": "ลับมาก", "S3": "ลับที่สุด"}
# Where each letter is registered (register column) — used to know which rows a readable register must show.
HOME = {
    "C": "central",
    "P": "promotion-receive",
    "Y": "policy-receive",
    "R": "policy-receive",
    "S1": "secret",
    "S2": "secret",
    "S3": "secret",
}


def test_table_is_well_formed() -> None:
    assert set(USERS) == {
        "admin",
        "central",
        "group",
        "officer",
        "director",
        "records",
        "secret",
        "auditor",
        "policy",
        "nobody",
    }
    for e in EXPECT.values():
        assert e.sees <= set(LETTERS)


# ================================================================================================ the world


def new_app(root: Path, templates: DatabaseTemplates) -> Saraban:
    """The demo office (a copy of the session's seeded database) and two more users.

    Passwords are hashed at the suite's cheap argon2 cost (tests/conftest.py): this module signs in 20 times per
    app and tests access, not hashing."""
    s = Settings(data_dir=root, _env_file=None)  # type: ignore[call-arg]
    templates.copy_sqlite(root)
    app = build(s, with_indexer=False)
    with app.tx() as uow:
        create_user(
            uow.session,
            username="policy",
            password=DEMO_PASSWORD,
            full_name="ธุรการกลุ่มนโยบาย",
            roles=[("policy", "group_clerk")],
            now=app.clock(),
            check_policy=False,
        )
        create_user(
            uow.session,
            username="nobody",
            password=DEMO_PASSWORD,
            clearance=3,
            roles=[],
            now=app.clock(),
            check_policy=False,
        )
    return app


@dataclass
class Who:
    name: str
    client: TestClient
    h: dict[str, str]
    csrf: str


def sign_in(app: Any, name: str, clients: ExitStack) -> Who:
    c = clients.enter_context(TestClient(app))  # entered: one event loop for all its requests, not one each
    r = c.post("/api/v1/auth/token", data={"username": name, "password": DEMO_PASSWORD})
    assert r.status_code == 200, r.text
    h = {"Authorization": f"Bearer {r.json()['access_token']}"}
    r = c.post(
        "/login", data={"username": name, "password": DEMO_PASSWORD, "next": "/password"}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    page = c.get("/password")
    m = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert m, page.text
    return Who(name, c, h, m.group(1))


@dataclass
class World:
    app: Saraban
    who: dict[str, Who]
    reg: dict[str, int]  # registry code -> id
    letter: dict[str, int] = field(default_factory=dict)  # key -> letter id
    att: dict[str, int] = field(default_factory=dict)  # key -> attachment id
    sha: dict[str, str] = field(default_factory=dict)  # key -> attachment sha256
    number: dict[str, int] = field(default_factory=dict)  # key -> registration number
    routed: dict[str, int] = field(default_factory=dict)  # what routing answered


def receive(w: Who, registry: int, meta: dict[str, Any], pdf: bytes | None = None) -> httpx.Response:
    files = [("files", ("letter.pdf", pdf, "application/pdf"))] if pdf else [("files", ("file", b"", "x/y"))]
    return w.client.post(
        f"/api/v1/registries/{registry}/receive", headers=w.h, data={"meta": json.dumps(meta)}, files=files
    )


def user_id(world: World, name: str) -> int:
    for u in world.who["admin"].client.get("/api/v1/users", headers=world.who["admin"].h).json():
        if u["username"] == name:
            return int(u["id"])
    raise LookupError(name)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, database_templates: DatabaseTemplates) -> Iterator[World]:
    with ExitStack() as clients:
        yield from _world(tmp_path_factory, database_templates, clients)


@pytest.fixture
def clients() -> Iterator[ExitStack]:
    with ExitStack() as stack:
        yield stack


def _world(
    tmp_path_factory: pytest.TempPathFactory, database_templates: DatabaseTemplates, clients: ExitStack
) -> Iterator[World]:
    app = new_app(tmp_path_factory.mktemp("matrix"), database_templates)
    asgi = create_app(app)
    who = {name: sign_in(asgi, name, clients) for name in USERS}
    regs = {
        r["code"]: int(r["id"]) for r in who["admin"].client.get("/api/v1/registries", headers=who["admin"].h).json()
    }
    world = World(app=app, who=who, reg=regs)
    by = {"C": "central", "P": "group", "Y": "policy", "R": "policy", "S1": "secret", "S2": "secret", "S3": "secret"}
    for key in LETTERS:
        subject = f"ทดสอบสิทธิ์ {MARK[key]} เรื่องของ {key}"
        meta = {
            "letter_no": f"ศธ 04045/{len(world.letter) + 1}",
            "sender": f"ผู้ส่ง {MARK[key]}",
            "subject": subject,
            "secrecy": SECRECY.get(key, "none"),
        }
        r = receive(who[by[key]], regs[HOME[key]], meta, thai_letter_pdf(subject=subject))
        assert r.status_code == 201, (key, r.text)
        body = r.json()
        world.letter[key] = body["letter_id"]
        world.att[key] = body["attachments"][0]["id"]
        world.sha[key] = body["attachments"][0]["sha256"]
        world.number[key] = body["registration"]["number"]
        assert body["attachments"][0]["stamped_id"], key
    officer, director = user_id(world, "officer"), user_id(world, "director")
    for key, actor, to in (("R", "policy", officer), ("S1", "secret", director), ("S2", "secret", director)):
        r = who[actor].client.post(
            f"/api/v1/letters/{world.letter[key]}/routes",
            headers=who[actor].h,
            json={"to_user_id": to, "instruction": "ดำเนินการ"},
        )
        world.routed[key] = r.status_code
    yield world
    app.engine.dispose()


# ================================================================================================ the setup


def test_secret_registry_has_its_own_numbers(world: World) -> None:
    """Acceptance 2: registered by `secret` in the secret registry, numbered 1, 2, 3 in that registry."""
    assert [world.number[k] for k in SECRET_LETTERS] == [1, 2, 3]
    assert world.number["C"] == 1 and world.number["P"] == 1
    assert (world.number["Y"], world.number["R"]) == (1, 2)
    # the next ordinary number in the central registry does not count the secret letters
    assert world.routed == {"R": 201, "S1": 201, "S2": 403}


# ================================================================================================ the matrix


@dataclass(frozen=True)
class Cell:
    user: str
    method: str
    path: str
    expected: int
    channel: str  # api | web
    kind: str  # what the body is: json | csv | pdf | html | file
    note: str = ""


def cells(world: World) -> list[Cell]:
    """Generate every (user, route, object) with its expected status from TABLE."""
    out: list[Cell] = []
    for u in USERS:
        e = EXPECT[u]
        add = out.append
        add(Cell(u, "GET", "/api/v1/letters?limit=500", 200, "api", "json", "list"))
        add(Cell(u, "GET", "/api/v1/registries", 200, "api", "json", "registries"))
        add(Cell(u, "GET", "/api/v1/letters/999999", 404, "api", "json", "missing"))
        for key in LETTERS:
            seen = key in e.sees
            lid, aid = world.letter[key], world.att[key]
            add(Cell(u, "GET", f"/api/v1/letters/{lid}", 200 if seen else 404, "api", "json", key))
            add(Cell(u, "GET", f"/api/v1/attachments/{aid}/content", 200 if seen else 404, "api", "pdf", key))
            add(Cell(u, "GET", f"/api/v1/attachments/{aid}/stamped", 200 if seen else 404, "api", "pdf", key))
            add(Cell(u, "GET", f"/letters/{lid}", 200 if seen else 404, "web", "html", key))
            add(Cell(u, "GET", f"/attachments/{aid}/content", 200 if seen else 404, "web", "pdf", key))
            add(Cell(u, "GET", f"/attachments/{aid}/stamped", 200 if seen else 404, "web", "pdf", key))
        for code, col in REG_CODES.items():
            rid, status = world.reg[code], e.read[col]
            for fmt in ("json", "csv", "pdf"):
                add(Cell(u, "GET", f"/api/v1/registries/{rid}/entries?format={fmt}", status, "api", fmt, code))
            add(Cell(u, "GET", f"/registers/{rid}", status, "web", "html", code))
            # the empty receive form names the registry only; a secret registry is unknown to outsiders
            add(Cell(u, "GET", f"/registers/{rid}/receive", 404 if e.read[col] == 404 else 200, "web", "html", code))
        add(Cell(u, "GET", "/audit", e.audit, "web", "html", "audit"))
        add(Cell(u, "GET", "/audit/export?format=json", e.audit, "web", "json", "audit"))
    return out


def _text(resp: httpx.Response, kind: str, tmp: Path) -> str:
    """The body as text a person could read: PDFs through pdftotext."""
    if resp.content.startswith(b"%PDF"):
        pdf = tmp / "body.pdf"
        pdf.write_bytes(resp.content)
        out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True)
        return out.stdout.decode("utf-8", "replace") + "\n" + resp.content.decode("latin-1")
    return resp.text


def run_cell(world: World, cell: Cell) -> httpx.Response:
    w = world.who[cell.user]
    headers = w.h if cell.channel == "api" else {}
    return w.client.request(cell.method, cell.path, headers=headers, follow_redirects=False)


@pytest.fixture(scope="module")
def matrix(world: World, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run every read cell once, then the audit reads and the admin-only write: statuses and bodies per user."""
    need(shutil.which("pdftotext") is not None, "pdftotext (poppler-utils) is needed for the PDF leak checks")
    tmp = tmp_path_factory.mktemp("bodies")
    generated = cells(world)
    results: list[tuple[Cell, int, str]] = []
    for cell in generated:
        r = run_cell(world, cell)
        results.append((cell, r.status_code, _text(r, cell.kind, tmp)))
    # last, so the audit trail holds every event above
    for u in USERS:
        w, e = world.who[u], EXPECT[u]
        for fmt, kind in (("json", "json"), ("csv", "csv")):
            cell = Cell(u, "GET", f"/api/v1/audit/events?format={fmt}", e.audit, "api", kind, "audit")
            r = run_cell(world, cell)
            results.append((cell, r.status_code, r.text))
        body = {"username": f"made-by-{u}", "password": "a-long-password-1", "roles": []}
        r = w.client.post("/api/v1/users", headers=w.h, json=body)
        results.append((Cell(u, "POST", "/api/v1/users", e.users, "api", "json", "users"), r.status_code, r.text))
    return {"results": results}


def test_matrix_statuses(matrix: dict[str, Any]) -> None:
    results: list[tuple[Cell, int, str]] = matrix["results"]
    wrong = [
        f"{c.user:9} {c.method} {c.path} [{c.note}] expected {c.expected}, got {got}"
        for c, got, _ in results
        if got != c.expected
    ]
    print(f"\npermission matrix: {len(results)} read/admin cells")
    assert not wrong, f"{len(wrong)} of {len(results)} cells wrong:\n" + "\n".join(wrong)


def test_matrix_no_leaks(world: World, matrix: dict[str, Any]) -> None:
    """No body a user receives names, by subject marker or file hash, a letter the table says they may not see."""
    leaks = []
    for cell, _status, text in matrix["results"]:
        hidden = [k for k in LETTERS if k not in EXPECT[cell.user].sees]
        for k in hidden:
            for token in (MARK[k], world.sha[k]):
                if token in text:
                    leaks.append(f"{cell.user} {cell.path}: {k} ({token[:12]})")
    assert not leaks, "\n".join(leaks)


def test_matrix_positive_controls(world: World, matrix: dict[str, Any]) -> None:
    """The leak search is not blind: where a letter is visible, its marker is found in every format."""
    found: dict[tuple[str, str], bool] = {}
    for cell, status, text in matrix["results"]:
        if status != 200:
            continue
        for k in EXPECT[cell.user].sees:
            if cell.note == HOME[k] or cell.note == k:
                found.setdefault((cell.user, f"{cell.path} {k}"), MARK[k] in text)
    missing = [f"{u}: {p}" for (u, p), ok in found.items() if not ok and "/receive" not in p]
    assert not missing, "\n".join(missing)
    assert len(found) > 100


def test_letter_list_counts_only_what_the_table_allows(world: World) -> None:
    """`total` is the number of letters the user may see — a secret letter does not show even as a count."""
    for u in USERS:
        w = world.who[u]
        body = w.client.get("/api/v1/letters?limit=500", headers=w.h).json()
        want = {world.letter[k] for k in EXPECT[u].sees}
        assert body["total"] == len(want), u
        assert {x["id"] for x in body["letters"]} == want, u


def test_registers_show_exactly_the_visible_rows(world: World) -> None:
    for u in USERS:
        w, e = world.who[u], EXPECT[u]
        for code, col in REG_CODES.items():
            if e.read[col] != 200:
                continue
            body = w.client.get(f"/api/v1/registries/{world.reg[code]}/entries", headers=w.h).json()
            want = {world.letter[k] for k in e.sees if HOME[k] == code}
            assert {x["letter_id"] for x in body["entries"]} == want, (u, code)


def test_registry_list_hides_the_secret_registry(world: World) -> None:
    for u in USERS:
        w = world.who[u]
        codes = {r["code"] for r in w.client.get("/api/v1/registries", headers=w.h).json()}
        knows_secret = EXPECT[u].read["sec"] != 404
        secret = {"secret", "office-secret-send"}
        assert codes == (set(REG_CODES) | SENDING_CODES) - (set() if knows_secret else secret), u


def test_group_clerk_never_reads_another_groups_letter(world: World) -> None:
    for clerk, own, other in (("group", "P", ("Y", "R")), ("policy", "Y", ("P",))):
        w = world.who[clerk]
        assert w.client.get(f"/api/v1/letters/{world.letter[own]}", headers=w.h).status_code == 200
        for k in other:
            assert w.client.get(f"/api/v1/letters/{world.letter[k]}", headers=w.h).status_code == 404
            assert w.client.get(f"/api/v1/attachments/{world.att[k]}/content", headers=w.h).status_code == 404


def test_hidden_letter_is_indistinguishable_from_a_missing_one(world: World) -> None:
    """A secret letter's 404 says nothing more than a letter that never existed."""
    w = world.who["auditor"]
    for k in SECRET_LETTERS:
        lid = world.letter[k]
        hidden = w.client.get(f"/api/v1/letters/{lid}", headers=w.h).json()
        missing = w.client.get("/api/v1/letters/987654", headers=w.h).json()
        for body, n in ((hidden, lid), (missing, 987654)):
            body["detail"] = body["detail"].replace(str(n), "N")
            body["instance"] = body["instance"].replace(str(n), "N")
        assert hidden == missing


def test_secret_letters_never_reach_the_auditor_through_the_audit_trail(world: World) -> None:
    """Events carrying a secret letter's id stay with those who may see it (acceptance 1 and 2)."""
    w = world.who["auditor"]
    events = w.client.get("/api/v1/audit/events", headers=w.h).json()
    secret_ids = {world.letter[k] for k in SECRET_LETTERS}
    assert not [e for e in events if e["letter_id"] in secret_ids]
    # …while the secret registrar, who may see them, finds nothing hidden from... nobody but the auditor reads
    # the trail: the trail of an ordinary letter is there.
    assert [e for e in events if e["letter_id"] == world.letter["C"] and e["action"] == "register"]


def test_auditor_does_not_learn_the_size_of_the_secret_registry(world: World) -> None:
    """Register exports are audited with their row count; for the secret registry that count is itself secret."""
    s = world.who["secret"]
    assert s.client.get(f"/api/v1/registries/{world.reg['secret']}/entries", headers=s.h).status_code == 200
    w = world.who["auditor"]
    events = w.client.get("/api/v1/audit/events", headers=w.h).json()
    about_secret = [e for e in events if e["object_type"] == "registry" and e["object_id"] == str(world.reg["secret"])]
    assert not about_secret, about_secret[-1]


def test_auditor_does_not_learn_of_refused_secret_routes(world: World) -> None:
    """Routing ลับมาก to the director was refused (setup); the refusal names a secret letter and its level, so
    the audit trail keeps it from the auditor as it keeps the letter."""
    w = world.who["auditor"]
    events = w.client.get("/api/v1/audit/events", headers=w.h).json()
    s2 = world.letter["S2"]
    bad = [e for e in events if f"/letters/{s2}/" in json.dumps(e.get("detail", {}))]
    assert not bad, bad


# ================================================================================================ registering


def test_receive_matrix(tmp_path: Path, database_templates: DatabaseTemplates, clients: ExitStack) -> None:
    """Every user × every registry × (ordinary, ลับ) through the API and the web form; refusals register nothing."""
    app = new_app(tmp_path / "rcv", database_templates)
    asgi = create_app(app)
    who = {name: sign_in(asgi, name, clients) for name in USERS}
    regs = {
        r["code"]: int(r["id"]) for r in who["admin"].client.get("/api/v1/registries", headers=who["admin"].h).json()
    }
    wrong, cells_run, expected_new = [], 0, 0
    for u in USERS:
        w = who[u]
        for code, col in REG_CODES.items():
            for secrecy, want in (("none", EXPECT[u].rcv0[col]), ("ลับ", EXPECT[u].rcv1[col])):
                meta = {"sender": "สพฐ.", "subject": f"รับ {u} {code} {secrecy}", "secrecy": secrecy}
                r = receive(w, regs[code], meta)
                cells_run += 1
                if r.status_code != want:
                    wrong.append(f"API {u} {code} {secrecy}: expected {want}, got {r.status_code} {r.text[:120]}")
                if want != 201:
                    assert r.headers["content-type"].startswith("application/problem+json"), r.text
                form = {**meta, "csrf": w.csrf}
                r = w.client.post(
                    f"/registers/{regs[code]}/receive",
                    data=form,
                    files=[("files", ("file", b"", "x/y"))],
                    follow_redirects=False,
                )
                cells_run += 1
                web_want = 303 if want == 201 else want
                if r.status_code != web_want:
                    wrong.append(f"web {u} {code} {secrecy}: expected {web_want}, got {r.status_code}")
                expected_new += 2 if want == 201 else 0
    print(f"\nreceive matrix: {cells_run} cells")
    assert not wrong, "\n".join(wrong)
    with app.tx() as uow:
        letters = uow.session.exec(select(func.count()).select_from(Letter)).one()
        regs_n = uow.session.exec(select(func.count()).select_from(Registration)).one()
        secret_numbers = sorted(
            uow.session.exec(select(Registration.number).where(Registration.registry_id == regs["secret"])).all()
        )
    assert letters == regs_n == expected_new
    # the secret registry numbered its own two letters 1, 2 (API then web)
    assert secret_numbers == [1, 2]
    # …and `central` and `auditor` get 404 for them and see them in no list
    s = who["secret"]
    secret_ids = [
        e["letter_id"]
        for e in s.client.get(f"/api/v1/registries/{regs['secret']}/entries", headers=s.h).json()["entries"]
    ]
    assert len(secret_ids) == 2
    for u in ("central", "auditor"):
        w = who[u]
        for lid in secret_ids:
            assert w.client.get(f"/api/v1/letters/{lid}", headers=w.h).status_code == 404
            assert w.client.get(f"/letters/{lid}").status_code == 404
        listed = {x["id"] for x in w.client.get("/api/v1/letters?limit=500", headers=w.h).json()["letters"]}
        assert not listed & set(secret_ids)
    app.engine.dispose()
