"""Inbox benchmark over real HTTP on PostgreSQL: does the inbox stay flat as the year grows?

    uv run python bench/inbox.py                      # 20,000 then 200,000 registrations, 5 routing steps each
    uv run python bench/inbox.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    uv run python bench/inbox.py --sizes 20000,200000 --requests 300 --keep

A fresh database is created (and dropped afterwards unless --keep), migrated and seeded with the demo office plus
ten officers and a clerk per group. The year is loaded by COPY: registrations in the central receive register,
each letter routed to two groups and by them to officers (5 routing steps a letter: 1,000,000 at 200,000), with
the readers every route adds. The office's current work is the same at both sizes — the last ``--open`` letters
(about a week's mail) are still on their way (sent, registered, forwarded, acknowledged, returned); everything
older is done. Between the two measurements 180,000 older, completed letters are added: what AMSS++ redraws on
every page and what must not slow the inbox down.

Measured over HTTP (``saraban serve --workers 2``, keep-alive, one client at a time so the latency is the
request's own): the central clerk's inbox (first page and the counts of every tab, with the follow-up of all it
sent), a group clerk's inbox, and an officer's pending list. Target: p95 <= 150 ms at 200,000.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")
os.environ.setdefault("PYTHAINLP_OFFLINE", "1")

from bench.register import free_port, pct, saraban_command  # noqa: E402

PASSWORD = "saraban-demo"
GROUP_CODES = ("admin-group", "promotion", "policy", "personnel", "finance", "supervision")
OFFICERS_PER_GROUP = 10
SUBJECTS = (
    "ขอเชิญประชุมผู้บริหารสถานศึกษา",
    "ขอความร่วมมือสำรวจข้อมูลนักเรียน",
    "แจ้งแนวทางการดำเนินงานโครงการอาหารกลางวัน",
    "ขอความอนุเคราะห์ข้อมูลครูอัตราจ้าง",
    "การประเมินคุณภาพภายนอก",
    "แจ้งผลการคัดเลือกนักเรียนรับทุนพระราชทาน",
)


# ---------------------------------------------------------------------------------------------- the database


def create_database(admin_url: str) -> str:
    name = f"saraban_bench_inbox_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_plain(admin_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def drop_database(admin_url: str, url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(_plain(admin_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


class Office:
    """Ids of the seeded office, and the bench's extra people."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        units = dict(conn.execute("SELECT code, id FROM unit").fetchall())
        users = dict(conn.execute('SELECT username, id FROM "user"').fetchall())
        self.office = units["office"]
        self.groups = [units[c] for c in GROUP_CODES]
        self.central = users["central"]
        self.registry = conn.execute("SELECT id FROM registry WHERE code = 'central'").fetchone()[0]  # type: ignore[index]
        hash_ = conn.execute("SELECT password_hash FROM \"user\" WHERE username = 'officer'").fetchone()[0]  # type: ignore[index]
        now = datetime.now(UTC)
        self.clerk: dict[int, int] = {units["promotion"]: users["group"], units["policy"]: users["group2"]}
        self.officers: dict[int, list[int]] = {
            units["promotion"]: [users["officer"]],
            units["policy"]: [users["officer2"]],
        }
        next_user = int(conn.execute('SELECT max(id) FROM "user"').fetchone()[0]) + 1  # type: ignore[index]
        users_rows, members = [], []
        for g in self.groups:
            if g not in self.clerk:
                self.clerk[g] = next_user
                users_rows.append((next_user, f"clerk-{g}", f"ธุรการกลุ่ม {g}", hash_, now))
                members.append((next_user, g, "group_clerk"))
                next_user += 1
            people = self.officers.setdefault(g, [])
            while len(people) < OFFICERS_PER_GROUP:
                people.append(next_user)
                users_rows.append((next_user, f"officer-{g}-{len(people)}", f"เจ้าหน้าที่ {g}-{len(people)}", hash_, now))
                members.append((next_user, g, "officer"))
                next_user += 1
        with conn.cursor() as cur:
            with cur.copy(
                'COPY "user" (id, username, full_name, password_hash, created_at, clearance, active, failed_logins) '
                "FROM STDIN"
            ) as cp:
                for row in users_rows:
                    cp.write_row((*row, 0, True, 0))
            with cur.copy("COPY membership (user_id, unit_id, role) FROM STDIN") as cp:
                for m in members:
                    cp.write_row(m)
            cur.execute("SELECT setval(pg_get_serial_sequence('\"user\"', 'id'), (SELECT max(id) FROM \"user\"))")
            cur.execute("SELECT setval(pg_get_serial_sequence('membership', 'id'), (SELECT max(id) FROM membership))")
        conn.commit()


def load(
    conn: psycopg.Connection[Any],
    office: Office,
    *,
    first: int,
    count: int,
    total_year: int,
    open_: int,
    start_route_id: int,
    now: datetime,
    rng: random.Random,
) -> int:
    """Letters ``first`` … ``first + count - 1``, registered in the central register. Letter ``i`` of the year
    arrives at a time proportional to ``i`` (over the last 365 days); letters numbered above ``total_year -
    open_`` are the current work (recent, on their way); the others are done. Returns the next routing id."""
    year_be = now.year + 543
    route_id = start_route_id
    letters, regs, access, routes = io.StringIO(), io.StringIO(), io.StringIO(), io.StringIO()

    def line(buf: io.StringIO, *values: object) -> None:
        buf.write("\t".join("\\N" if v is None else str(v) for v in values) + "\n")

    for i in range(first, first + count):
        current = i > total_year - open_
        if current:
            arrived = now - timedelta(hours=(total_year - i) * 120 / open_ + 0.5)  # the last five days
        else:
            arrived = now - timedelta(days=6 + (total_year - open_ - i) * 359 / max(1, total_year - open_))
        subject = f"{SUBJECTS[i % len(SUBJECTS)]} ครั้งที่ {i}"
        urgency = rng.choice((1, 1, 1, 1, 2, 2, 3, 4))
        line(
            letters,
            i,
            f"ศธ 04006/{i}",
            f"ศธ04006/{i}",
            arrived.date(),
            "สพฐ.",
            "",
            subject,
            "",
            "external",
            urgency,
            None,
            0,
            "paper",
            "",
            arrived,
            office.central,
            "indexed",
        )
        line(regs, i, i, office.registry, year_be, i, arrived, office.central, "", "", "f")
        tokens = {f"unit:{office.office}", f"tree:{office.office}", "auditor"}
        for g in rng.sample(office.groups, 2):
            unit_route = route_id
            route_id += 1
            tokens |= {f"unit:{g}", f"tree:{g}"}
            sent = arrived + timedelta(minutes=20)
            state = _unit_state(rng) if current else "completed"
            line(
                routes,
                *routing_row(
                    unit_route,
                    i,
                    from_user=office.central,
                    from_unit=office.office,
                    to_unit=g,
                    group_clerk=office.clerk[g],
                    instruction="ดำเนินการ",
                    sent=sent,
                    state=state,
                ),
            )
            if state in ("forwarded", "completed"):
                for person in rng.sample(office.officers[g], rng.choice((1, 2))):
                    tokens.add(f"user:{person}:0")
                    reg_at = group_registered_at(sent, state)
                    assert reg_at is not None
                    p_state = rng.choice(("sent", "acknowledged")) if state == "forwarded" else "completed"
                    line(
                        routes,
                        *routing_row(
                            route_id,
                            i,
                            from_user=office.clerk[g],
                            from_unit=g,
                            parent_id=unit_route,
                            to_user=person,
                            instruction="ดำเนินการ",
                            sent=reg_at + timedelta(minutes=10),
                            state=p_state,
                        ),
                    )
                    route_id += 1
        for t in sorted(tokens):
            line(access, i, t)
    with conn.cursor() as cur:
        for table, columns, buf in (
            (
                "letter",
                "id, letter_no, letter_no_norm, letter_date, sender, recipient, subject, summary, letter_type, "
                "urgency, deliver_by, secrecy, channel, remarks, created_at, created_by, index_status",
                letters,
            ),
            (
                "registration",
                "id, letter_id, registry_id, year, number, registered_at, registered_by, action, remarks, cancelled",
                regs,
            ),
            ("letteraccess", "letter_id, principal", access),
            (
                "routing",
                "id, letter_id, from_user_id, from_unit_id, parent_id, to_unit_id, to_user_id, instruction, "
                "due_at, routed_at, state, state_at, registered_at, registered_by, registration_id, acknowledged_at, "
                "acknowledged_by, returned_at, returned_by, returned_reason, forwarded_at, completed_at, completed_by, "
                "action_taken, recalled_at, recalled_by",
                routes,
            ),
        ):
            buf.seek(0)
            with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as cp:
                while chunk := buf.read(1 << 20):
                    cp.write(chunk)
        for table in ("letter", "registration", "routing"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        cur.execute(
            "INSERT INTO numbercounter (registry_id, year, last_number) VALUES (%s, %s, %s) "
            "ON CONFLICT (registry_id, year) DO UPDATE SET last_number = excluded.last_number",
            (office.registry, year_be, first + count - 1),
        )
    conn.commit()
    return route_id


def group_registered_at(sent: datetime, state: str) -> datetime | None:
    """When the group's clerk registered a letter routed to the group at ``sent`` (None: not yet, or returned)."""
    return sent + timedelta(hours=1) if state not in ("sent", "returned") else None


def routing_row(
    route_id: int,
    letter_id: int,
    *,
    from_user: int,
    from_unit: int,
    instruction: str,
    sent: datetime,
    state: str,
    to_unit: int | None = None,
    group_clerk: int | None = None,
    parent_id: int | None = None,
    to_user: int | None = None,
) -> tuple[object, ...]:
    """One ``routing`` row as the benches load it (this file and bench/scale.py), in the columns' order: a route to
    a group (``to_unit``, registered or returned by its ``group_clerk``) or one on to an officer (``to_user``, under
    the group's route ``parent_id``); the times of each step follow from ``state``."""
    to_group = to_user is None
    reg_at = group_registered_at(sent, state) if to_group else None
    returned = to_group and state == "returned"
    ack = sent + timedelta(hours=2) if not to_group and state != "sent" else None
    done_at = sent + (timedelta(days=2) if to_group else timedelta(days=1)) if state == "completed" else None
    done_by = to_user if done_at and not to_group else None
    return (
        route_id,
        letter_id,
        from_user,
        from_unit,
        parent_id,
        to_unit,
        to_user,
        instruction,
        None,
        sent,
        state,
        done_at or ack or reg_at or sent,
        reg_at,
        group_clerk if reg_at else None,
        None,
        ack,
        to_user if ack else None,
        sent + timedelta(hours=1) if returned else None,
        group_clerk if returned else None,
        "ไม่ใช่งานของกลุ่ม" if returned else "",
        reg_at if state in ("forwarded", "completed") else None,
        done_at,
        done_by,
        "แจ้งโรงเรียนแล้ว" if done_by else "",
        None,
        None,
    )


def _unit_state(rng: random.Random) -> str:
    return rng.choices(("sent", "registered", "forwarded", "returned", "completed"), (30, 25, 30, 5, 10))[0]


# ---------------------------------------------------------------------------------------------- the server


class Server:
    def __init__(self, *, database_url: str, data_dir: Path, workers: int) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "SARABAN_DATA_DIR": str(data_dir),
            "SARABAN_DATABASE_URL": database_url,
            "SARABAN_INDEX_MODE": "worker",
            "SARABAN_TOKEN_TTL_MINUTES": "600",
        }
        self.log = (data_dir / "server.log").open("wb")
        self.proc = subprocess.Popen(
            [*saraban_command(), "serve", "--port", str(self.port), "--workers", str(workers)],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 600
        while True:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"the server did not start; see {self.log.name}")
            time.sleep(0.3)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def sign_in(base: str, username: str) -> str:
    r = httpx.post(f"{base}/api/v1/auth/token", data={"username": username, "password": PASSWORD}, timeout=60)
    r.raise_for_status()
    return str(r.json()["access_token"])


def measure(base: str, token: str, path: str, n: int) -> tuple[list[float], dict[str, Any]]:
    """``n`` requests one after another on one keep-alive connection, after 10 to warm up."""
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    headers = {"Authorization": f"Bearer {token}"}
    times: list[float] = []
    body: dict[str, Any] = {}
    for k in range(n + 10):
        t0 = time.perf_counter()
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        elapsed = time.perf_counter() - t0
        if resp.status != 200:
            raise SystemExit(f"{path}: HTTP {resp.status} {data[:300]!r}")
        if k >= 10:
            times.append(elapsed)
        else:
            body = json.loads(data)
    conn.close()
    return times, body


CASES = (
    ("central clerk: inbox, first page + counts", "central", "/api/v1/inbox?limit=50"),
    ("central clerk: follow-up of all it sent", "central", "/api/v1/inbox?view=following&limit=50"),
    ("group clerk: inbox, first page + counts", "group", "/api/v1/inbox?limit=50"),
    ("officer: pending list", "officer", "/api/v1/inbox?limit=50"),
)


def run(base: str, n: int) -> dict[str, tuple[float, float, int, int]]:
    out: dict[str, tuple[float, float, int, int]] = {}
    tokens: dict[str, str] = {}
    for name, who, path in CASES:
        tokens.setdefault(who, sign_in(base, who))
        times, body = measure(base, tokens[who], path, n)
        out[name] = (pct(times, 0.5) * 1000, pct(times, 0.95) * 1000, int(body["total"]), len(body["items"]))
    return out


def sizes_arg(text: str) -> list[int]:
    """A comma-separated list of sizes (``100_000`` allowed; an empty list from "")."""
    return [int(part.replace("_", "")) for part in text.split(",") if part]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--database-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        help="an administrative PostgreSQL URL: a fresh database is created beside it",
    )
    ap.add_argument("--sizes", default="20000,200000", help="registrations of the year at each measurement")
    ap.add_argument("--open", type=int, default=1000, help="letters still on their way (the current work)")
    ap.add_argument("--requests", type=int, default=200, help="requests per case per size")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--keep", action="store_true", help="keep the database")
    args = ap.parse_args()

    from service.config import Settings
    from service.context import build
    from service.demo import seed_demo
    from service.kit.migrate import upgrade

    sizes = sizes_arg(args.sizes)
    url = create_database(args.database_url)
    work = Path(tempfile.mkdtemp(prefix="saraban-bench-inbox-"))
    print(
        f"database {url.rsplit('/', 1)[1]}; sizes {sizes}; open letters {args.open}; cpus {os.cpu_count()}; "
        f"load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    results: dict[int, dict[str, tuple[float, float, int, int]]] = {}
    server: Server | None = None
    try:
        upgrade(url)
        app = build(Settings(data_dir=work, database_url=url, _env_file=None), with_indexer=False)  # type: ignore[call-arg]
        with app.tx() as uow:
            seed_demo(uow.session, now=app.clock())
        app.engine.dispose()
        now = datetime.now(UTC)
        rng = random.Random(5)
        total = sizes[-1]
        loaded, route_id = 0, 1
        with psycopg.connect(_plain(url)) as conn:
            office = Office(conn)
            for size in sizes:
                t0 = time.perf_counter()
                # the current work first (the newest letters), then older, completed ones down to the size
                if loaded == 0:
                    route_id = load(
                        conn,
                        office,
                        first=total - size + 1,
                        count=size,
                        total_year=total,
                        open_=args.open,
                        start_route_id=route_id,
                        now=now,
                        rng=rng,
                    )
                else:
                    route_id = load(
                        conn,
                        office,
                        first=total - size + 1,
                        count=size - loaded,
                        total_year=total,
                        open_=args.open,
                        start_route_id=route_id,
                        now=now,
                        rng=rng,
                    )
                loaded = size
                conn.commit()
                conn.autocommit = True
                conn.execute("VACUUM ANALYZE")  # what autovacuum does after a day's work
                conn.autocommit = False
                steps = conn.execute("SELECT count(*) FROM routing").fetchone()[0]  # type: ignore[index]
                regs = conn.execute("SELECT count(*) FROM registration").fetchone()[0]  # type: ignore[index]
                print(
                    f"loaded {regs:,} registrations, {steps:,} routing steps in {time.perf_counter() - t0:.0f} s",
                    flush=True,
                )
                if server is None:
                    server = Server(database_url=url, data_dir=work, workers=args.workers)
                results[size] = run(server.url, args.requests)
                for name, (p50, p95, total_items, page) in results[size].items():
                    print(
                        f"  {name:<44} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  ({total_items} items, {page} shown)",
                        flush=True,
                    )
    finally:
        if server is not None:
            server.stop()
        if not args.keep:
            drop_database(args.database_url, url)
    print()
    head = " | ".join(f"p95 at {s:,}" for s in sizes)
    print(f"| case | {head} | target |")
    print("|---|" + "---|" * len(sizes) + "---|")
    for name, _who, _path in CASES:
        cells = " | ".join(f"{results[s][name][1]:.1f} ms" for s in sizes)
        print(f"| {name} | {cells} | ≤ 150 ms |")


if __name__ == "__main__":
    main()
