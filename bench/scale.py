"""PostgreSQL at the size of a province, then of OBEC: do an office's figures stay flat as the installation grows?

    uv run python bench/scale.py                          # 100,000 and 1,000,000 letters, side by side
    uv run python bench/scale.py --sizes 20000,100000 --requests 50 --search-sizes 20000
    uv run python bench/scale.py --keep                   # keep the databases (scale_bench_100k, scale_bench_1m)
    uv run python bench/scale.py --reuse                  # measure databases kept by an earlier --keep run

One database per size (``scale_bench_<size>`` beside ``--database-url``), migrated, seeded with the demo office and
loaded by COPY. The installation grows the way OBEC does: by area offices, not by one office's mail. Every office
(the demo office first, then ``สพป. … เขต k`` offices with six groups, clerks and officers each) has three B.E. years
of mail: a year's central receive register of 10,000 letters, a send register of 2,500 and a secret one of 100; the
current year is this year up to now, the last 1,000 letters of each office are still on their way (as in
``bench/inbox.py``), everything older is done. Letters are written in arrival order across all offices, so one
office's letters lie scattered among the others' as they would on disk. Each received letter is routed to one or
two groups and on to officers (about three routing steps a letter), each gets its readers (``letteraccess``) and
its audit events (register + one per route, hash-chained as ``audit.record`` chains them, so the chain verifies).
Subjects, senders and printed numbers come from the evaluation corpus (``eval/corpus.py``): real Thai phrasing.

Then, on one server (``saraban serve --workers 2``) per database, the two sizes measured alternately (the same
minute, so the machine's load hits both alike), as the demo office's people:

- registration: metadata-only registrations one after another into the central register (real HTTP, duplicate
  check on), per second and p50/p95;
- the register page of the central register's current year: the first page and a deep page (``per=50``);
- the inbox (``bench/inbox.py``'s cases);
- the number report of the central register's current year (``GET /registries/{id}/numbers``);
- search on the node's replica: the Whoosh index built from the loaded database with the engine's bulk path
  (``SearchIndex.add_new`` over ``indexer.build_docs``), at ``--search-sizes`` (the build rate is printed).

Prints p50/p95 for each, the load average, and a table of p95 at each size with the ratio (target: within 2×).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")
os.environ.setdefault("PYTHAINLP_OFFLINE", "1")

from bench.inbox import CASES as INBOX_CASES  # noqa: E402
from bench.inbox import (  # noqa: E402
    Office,
    Server,
    _plain,
    _unit_state,
    drop_database,
    group_registered_at,
    measure,
    routing_row,
    sign_in,
    sizes_arg,
)
from bench.register import meta_json, pct  # noqa: E402
from eval.corpus import SENDER_CODES, generate  # noqa: E402
from search import SearchIndex  # noqa: E402
from service.audit.chain import HASHED_FIELDS, _hashed_fields, checkpoint, event_hash  # noqa: E402
from service.config import Settings  # noqa: E402
from service.context import build  # noqa: E402
from service.demo import seed_demo  # noqa: E402
from service.indexing.indexer import build_docs  # noqa: E402
from service.kit.migrate import upgrade  # noqa: E402

# one office's mail in one B.E. year, by register
CENTRAL_A_YEAR = 10_000
SEND_A_YEAR = 2_500
SECRET_A_YEAR = 100
YEARS = 3
OPEN = 1_000  # the office's current work: letters of the current year still on their way
GROUPS_PER_OFFICE = 6
OFFICERS_PER_GROUP = 3
PROVINCES = ("ขอนแก่น", "อุดรธานี", "นครราชสีมา", "เชียงใหม่", "สงขลา", "ลำปาง", "เลย", "พะเยา", "แพร่", "สุรินทร์")
GROUP_NAMES = (
    "กลุ่มอำนวยการ",
    "กลุ่มส่งเสริมการจัดการศึกษา",
    "กลุ่มนโยบายและแผน",
    "กลุ่มบริหารงานบุคคล",
    "กลุ่มบริหารงานการเงินและสินทรัพย์",
    "กลุ่มนิเทศ ติดตามและประเมินผลการจัดการศึกษา",
)
INSTRUCTIONS = ("ดำเนินการ", "ทราบและดำเนินการ", "พิจารณาเสนอ", "แจ้งโรงเรียนในสังกัด", "เพื่อทราบ")


def office_letters() -> int:
    return YEARS * (CENTRAL_A_YEAR + SEND_A_YEAR + SECRET_A_YEAR)


def plan_offices(total: int, per_office: int) -> list[float]:
    """How much of a full office's mail each office holds so that they add up to ``total`` letters: whole offices,
    the last one partly (the demo office is the first)."""
    if total <= 0 or per_office <= 0:
        return []
    full, rest = divmod(total, per_office)
    return [1.0] * full + ([rest / per_office] if rest else [])


def ratio(small: float, large: float) -> float:
    """How many times the figure at the large size is the one at the small size (1.0 = flat)."""
    return large / small if small > 0 else float("inf")


# ---------------------------------------------------------------------------------------------- the offices


@dataclass
class Place:
    """One office as the loader needs it."""

    office: int
    groups: list[int]
    clerk: int  # the central clerk
    group_clerk: dict[int, int]
    officers: dict[int, list[int]]
    secret_clerk: int
    central: int  # registries
    send: int
    secret: int
    ancestors: tuple[int, ...] = ()
    open_routes: list[int] = field(default_factory=list)


def demo_place(conn: psycopg.Connection[Any]) -> Place:
    office = Office(conn)  # bench/inbox.py's: the demo office plus a clerk and ten officers per group
    regs = dict(conn.execute("SELECT code, id FROM registry").fetchall())
    users = dict(conn.execute('SELECT username, id FROM "user"').fetchall())
    return Place(
        office=office.office,
        groups=office.groups,
        clerk=office.central,
        group_clerk=office.clerk,
        officers=office.officers,
        secret_clerk=users["secret"],
        central=regs["central"],
        send=regs["office-send"],
        secret=regs["secret"],
    )


def add_offices(conn: psycopg.Connection[Any], count: int) -> list[Place]:
    """``count`` more area offices of this installation, each with its groups, registers and people."""
    one = conn.execute("SELECT max(id) FROM unit").fetchone()
    unit_id = int(one[0]) if one else 0
    user_id = int(conn.execute('SELECT max(id) FROM "user"').fetchone()[0])  # type: ignore[index]
    reg_id = int(conn.execute("SELECT max(id) FROM registry").fetchone()[0])  # type: ignore[index]
    hash_ = conn.execute("SELECT password_hash FROM \"user\" WHERE username = 'officer'").fetchone()[0]  # type: ignore[index]
    now = datetime.now(UTC)
    units, users, members, registries, places = [], [], [], [], []

    def person(name: str, full: str, unit: int, role: str, clearance: int = 0) -> int:
        nonlocal user_id
        user_id += 1
        users.append((user_id, name, full, hash_, now, clearance, True, 0))
        members.append((user_id, unit, role))
        return user_id

    def registry(code: str, name: str, kind: str, unit: int) -> int:
        nonlocal reg_id
        reg_id += 1
        registries.append((reg_id, code, name, kind, unit))
        return reg_id

    for k in range(count):
        unit_id += 1
        office = unit_id
        province = PROVINCES[k % len(PROVINCES)]
        name = f"สำนักงานเขตพื้นที่การศึกษาประถมศึกษา{province} เขต {k // len(PROVINCES) + 1}"
        units.append(
            (
                office,
                f"area-{k}",
                name,
                f"สพป.{province} เขต {k // len(PROVINCES) + 1}",
                None,
                "office",
                f"ศธ 04{100 + k:03d}",
            )
        )
        groups = []
        for g, gname in enumerate(GROUP_NAMES):
            unit_id += 1
            groups.append(unit_id)
            units.append((unit_id, f"area-{k}-g{g}", gname, gname, office, "group", None))
        place = Place(
            office=office,
            groups=groups,
            clerk=person(f"area-{k}-central", f"สารบรรณกลาง เขต {k}", office, "central_clerk"),
            group_clerk={g: person(f"area-{k}-clerk-{g}", f"ธุรการกลุ่ม {g}", g, "group_clerk") for g in groups},
            officers={
                g: [
                    person(f"area-{k}-officer-{g}-{j}", f"เจ้าหน้าที่ {g}-{j}", g, "officer")
                    for j in range(OFFICERS_PER_GROUP)
                ]
                for g in groups
            },
            secret_clerk=person(f"area-{k}-secret", f"นายทะเบียนลับ เขต {k}", office, "secret_registrar", 3),
            central=registry(f"area-{k}-central", f"ทะเบียนหนังสือรับ (สารบรรณกลาง) {name}", "receive", office),
            send=registry(f"area-{k}-send", f"ทะเบียนหนังสือส่ง {name}", "send", office),
            secret=registry(f"area-{k}-secret", f"ทะเบียนหนังสือรับลับ {name}", "secret_receive", office),
        )
        places.append(place)
    with conn.cursor() as cur:
        for sql, rows in (
            (
                "COPY unit (id, code, name, short_name, parent_id, kind, letter_code, internal, address) FROM STDIN",
                [(*u, True, "") for u in units],
            ),
            (
                'COPY "user" (id, username, full_name, password_hash, created_at, clearance, active, failed_logins) '
                "FROM STDIN",
                users,
            ),
            ("COPY membership (user_id, unit_id, role) FROM STDIN", members),
            ("COPY registry (id, code, name, kind, unit_id) FROM STDIN", registries),
        ):
            with cur.copy(sql) as cp:
                for row in rows:
                    cp.write_row(row)
        for table in ("unit", '"user"', "membership", "registry"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    conn.commit()
    return places


# ---------------------------------------------------------------------------------------------- the mail


@dataclass(frozen=True)
class Stream:
    """One register's year of one office: ``count`` letters numbered 1 … count in arrival order."""

    place: Place
    kind: str  # central | send | secret
    year_be: int
    count: int
    current: bool  # this year: the last OPEN letters of the central register are still on their way


def streams(places: Sequence[Place], shares: Sequence[float], now: datetime) -> list[Stream]:
    out = []
    this_year = now.year + 543
    for place, share in zip(places, shares, strict=True):
        for back in range(YEARS):
            year_be = this_year - back
            for kind, a_year in (("central", CENTRAL_A_YEAR), ("send", SEND_A_YEAR), ("secret", SECRET_A_YEAR)):
                n = round(a_year * share)
                if n:
                    out.append(Stream(place, kind, year_be, n, back == 0))
    return out


def arrival(stream: Stream, k: int, now: datetime) -> datetime:
    """When letter ``k`` (1-based) of the stream arrived: spread over its year; in the current year's central
    register the last OPEN letters over the last five days (the current work), the others before them."""
    year = stream.year_be - 543
    start = datetime(year, 1, 1, 1, 30, tzinfo=UTC)
    if not stream.current:
        end = datetime(year, 12, 31, 10, 0, tzinfo=UTC)
        return start + (end - start) * ((k - 0.5) / stream.count)
    open_ = min(OPEN, stream.count // 2) if stream.kind == "central" else 0
    if k > stream.count - open_:
        return now - timedelta(hours=(stream.count - k) * 120 / open_ + 0.5)
    end = now - timedelta(days=6)
    return start + (end - start) * ((k - 0.5) / max(1, stream.count - open_))


class Pool:
    """Realistic Thai letters to draw from (the evaluation corpus's topics, senders and schools)."""

    def __init__(self, n: int = 3000) -> None:
        self.items = [
            (c.subject, c.summary, c.sender, c.recipient, c.code, c.letter_type, c.channel) for c in generate(n, seed=7)
        ]
        self.codes = [code for code, _ in SENDER_CODES]


class Writer:
    """Rows of every table for a run of letters, as COPY text, plus the audit chain's running head."""

    def __init__(self, seq: int, prev: str, key: bytes) -> None:
        self.seq, self.prev, self.key = seq, prev, key
        self.bufs: dict[str, io.StringIO] = {t: io.StringIO() for t in COLUMNS}
        self.events = 0

    def row(self, table: str, *values: object) -> None:
        self.bufs[table].write("\t".join(["\\N" if v is None else v if v.__class__ is str else str(v) for v in values]))
        self.bufs[table].write("\n")

    def event(
        self, at: datetime, actor: int, name: str, action: str, otype: str, oid: int, letter: int, **detail: Any
    ) -> None:
        self.seq += 1
        values: dict[str, Any] = {
            "seq": self.seq,
            "at": at,
            "actor_id": actor,
            "actor": name,
            "action": action,
            "object_type": otype,
            "object_id": str(oid),
            "letter_id": letter,
            "ip": "10.0.0.8",
            "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str),
            "prev_hash": self.prev,
        }
        values["hash"] = self.prev = event_hash(_hashed_fields(values))
        values["mac"] = checkpoint(self.key, self.seq, self.prev)
        values["detail"] = values["detail"].replace("\\", "\\\\")  # COPY's text format
        self.row("auditevent", *[values[c] for c in AUDIT_COLUMNS])
        self.events += 1

    def flush(self, conn: psycopg.Connection[Any]) -> None:
        with conn.cursor() as cur:
            for table, columns in COLUMNS.items():
                buf = self.bufs[table]
                buf.seek(0)
                with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as cp:
                    while chunk := buf.read(1 << 20):
                        cp.write(chunk)
        self.bufs = {t: io.StringIO() for t in COLUMNS}


AUDIT_COLUMNS = (*HASHED_FIELDS, "hash", "mac")  # the chain's hashed fields, its hash and its key's mac
COLUMNS = {
    "letter": "id, letter_no, letter_no_norm, letter_date, sender, recipient, subject, summary, letter_type, "
    "urgency, deliver_by, secrecy, channel, remarks, created_at, created_by, index_status",
    "registration": "id, letter_id, registry_id, year, number, registered_at, registered_by, action, remarks, "
    "cancelled",
    "letteraccess": "letter_id, principal",
    "routing": "id, letter_id, from_user_id, from_unit_id, parent_id, to_unit_id, to_user_id, instruction, "
    "due_at, routed_at, state, state_at, registered_at, registered_by, registration_id, acknowledged_at, "
    "acknowledged_by, returned_at, returned_by, returned_reason, forwarded_at, completed_at, completed_by, "
    "action_taken, recalled_at, recalled_by",
    "auditevent": ", ".join(AUDIT_COLUMNS),
}


def load(
    conn: psycopg.Connection[Any],
    all_streams: Sequence[Stream],
    *,
    now: datetime,
    key: bytes,
    rng: random.Random,
    progress: bool = True,
) -> tuple[int, int, int]:
    """Every letter of the streams in arrival order (ids follow time, offices interleaved). Returns (letters,
    routing steps, audit events)."""
    pool = Pool()
    order: list[tuple[datetime, int, int]] = []
    for s, stream in enumerate(all_streams):
        order.extend((arrival(stream, k, now), s, k) for k in range(1, stream.count + 1))
    order.sort()
    head = conn.execute("SELECT last_seq, last_hash FROM audithead WHERE id = 1").fetchone()
    assert head is not None
    w = Writer(int(head[0]), str(head[1]), key)
    letter_id = int(conn.execute("SELECT coalesce(max(id), 0) FROM letter").fetchone()[0])  # type: ignore[index]
    route_id = int(conn.execute("SELECT coalesce(max(id), 0) FROM routing").fetchone()[0])  # type: ignore[index]
    reg_id = int(conn.execute("SELECT coalesce(max(id), 0) FROM registration").fetchone()[0])  # type: ignore[index]
    routes = 0
    t0 = time.perf_counter()
    for done, (arrived, s, k) in enumerate(order, 1):
        stream = all_streams[s]
        p = stream.place
        letter_id += 1
        reg_id += 1
        subject, summary, sender, recipient, code, letter_type, channel = pool.items[letter_id % len(pool.items)]
        secrecy = rng.choice((1, 1, 1, 2, 3)) if stream.kind == "secret" else 0
        urgency = rng.choice((1, 1, 1, 1, 2, 2, 3, 4))
        registry = {"central": p.central, "send": p.send, "secret": p.secret}[stream.kind]
        clerk = p.secret_clerk if stream.kind == "secret" else p.clerk
        serial = letter_id % 40_000 + 1
        if stream.kind == "send":
            sender, code, recipient = "สำนักงานเขตพื้นที่การศึกษา", f"ศธ 04{p.office % 1000:03d}", "ผู้อำนวยการโรงเรียน"
        letter_no = f"{code}/{serial}"
        w.row(
            "letter",
            letter_id,
            letter_no,
            f"{code.replace(' ', '')}/{serial}".lower(),
            arrived.date(),
            sender,
            recipient,
            subject,
            summary,
            letter_type,
            urgency,
            None,
            secrecy,
            channel,
            "",
            arrived,
            clerk,
            "indexed",
        )
        w.row("registration", reg_id, letter_id, registry, stream.year_be, k, arrived, clerk, "", "", "f")
        w.event(
            arrived,
            clerk,
            "clerk",
            "register",
            "registration",
            reg_id,
            letter_id,
            registry=registry,
            year=stream.year_be,
            number=k,
            attachments=[],
        )
        if stream.kind == "secret":
            tokens = {f"secret:{p.office}:{secrecy}"}
        else:
            tokens = {f"unit:{p.office}", f"tree:{p.office}", "auditor", *(f"tree:{a}" for a in p.ancestors)}
        if stream.kind == "central":
            is_open = stream.current and k > stream.count - min(OPEN, stream.count // 2)
            for g in rng.sample(p.groups, rng.choice((1, 1, 2))):
                route_id += 1
                routes += 1
                unit_route = route_id
                tokens |= {f"unit:{g}", f"tree:{g}"}
                sent = arrived + timedelta(minutes=20)
                state = _unit_state(rng) if is_open else "completed"
                reg_at = group_registered_at(sent, state)
                instruction = rng.choice(INSTRUCTIONS)
                w.row(
                    "routing",
                    *routing_row(
                        unit_route,
                        letter_id,
                        from_user=clerk,
                        from_unit=p.office,
                        to_unit=g,
                        group_clerk=p.group_clerk[g],
                        instruction=instruction,
                        sent=sent,
                        state=state,
                    ),
                )
                w.event(
                    sent,
                    clerk,
                    "clerk",
                    "route",
                    "letter",
                    letter_id,
                    letter_id,
                    route_id=unit_route,
                    to_unit_id=g,
                    to_user_id=None,
                    parent_id=None,
                )
                if state not in ("forwarded", "completed"):
                    continue
                assert reg_at is not None
                person = rng.choice(p.officers[g])
                tokens.add(f"user:{person}:0")
                route_id += 1
                routes += 1
                p_sent = reg_at + timedelta(minutes=10)
                p_state = rng.choice(("sent", "acknowledged")) if state == "forwarded" else "completed"
                w.row(
                    "routing",
                    *routing_row(
                        route_id,
                        letter_id,
                        from_user=p.group_clerk[g],
                        from_unit=g,
                        parent_id=unit_route,
                        to_user=person,
                        instruction=instruction,
                        sent=p_sent,
                        state=p_state,
                    ),
                )
                w.event(
                    p_sent,
                    p.group_clerk[g],
                    "group-clerk",
                    "route",
                    "letter",
                    letter_id,
                    letter_id,
                    route_id=route_id,
                    to_unit_id=None,
                    to_user_id=person,
                    parent_id=unit_route,
                )
        for t in sorted(tokens):
            w.row("letteraccess", letter_id, t)
        if done % 50_000 == 0 or done == len(order):
            w.flush(conn)
            if progress:
                rate = done / (time.perf_counter() - t0)
                print(f"    {done:,} / {len(order):,} letters ({rate:,.0f}/s)", flush=True)
    with conn.cursor() as cur:
        for table in ("letter", "registration", "routing"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        for stream in all_streams:
            registry = {"central": stream.place.central, "send": stream.place.send, "secret": stream.place.secret}[
                stream.kind
            ]
            cur.execute(
                "INSERT INTO numbercounter (registry_id, year, last_number, closed) VALUES (%s, %s, %s, false) "
                "ON CONFLICT (registry_id, year) DO UPDATE SET last_number = excluded.last_number",
                (registry, stream.year_be, stream.count),
            )
        cur.execute(
            "UPDATE audithead SET last_seq = %s, last_hash = %s, mac = %s WHERE id = 1",
            (w.seq, w.prev, checkpoint(key, w.seq, w.prev)),
        )
    conn.commit()
    return len(order), routes, w.events


def database_url(admin_url: str, size: int) -> str:
    label = f"{size // 1_000_000}m" if size % 1_000_000 == 0 else f"{size // 1000}k"
    return admin_url.rsplit("/", 1)[0] + f"/scale_bench_{label}"


def build_database(admin_url: str, size: int, work: Path, key: bytes) -> str:
    """A fresh database of ``size`` letters (dropped first if there); returns its URL."""

    url = database_url(admin_url, size)
    drop_database(admin_url, url)
    with psycopg.connect(_plain(admin_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{url.rsplit("/", 1)[1]}"')
    t0 = time.perf_counter()
    upgrade(url)
    app = build(Settings(data_dir=work, database_url=url, _env_file=None), with_indexer=False)  # type: ignore[call-arg]
    with app.tx() as uow:
        seed_demo(uow.session, now=app.clock())
    app.engine.dispose()
    now = datetime.now(UTC)
    rng = random.Random(size)
    with psycopg.connect(_plain(url)) as conn:
        demo = demo_place(conn)
        shares = plan_offices(size, office_letters())
        places = [demo, *add_offices(conn, len(shares) - 1)]
        letters, routes, events = load(conn, streams(places, shares, now), now=now, key=key, rng=rng)
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")  # what autovacuum does after a day's work
    print(
        f"  {url.rsplit('/', 1)[1]}: {letters:,} letters of {len(places)} offices, {routes:,} routing steps, "
        f"{events:,} audit events loaded in {time.perf_counter() - t0:.0f} s (load {os.getloadavg()[0]:.1f})",
        flush=True,
    )
    return url


# ---------------------------------------------------------------------------------------------- the index


BUILT = "scale-bench-built"  # written beside a replica once its build is complete (--reuse keeps it)


def build_index(url: str, index_dir: Path, work: Path, *, procs: int) -> tuple[int, float]:
    """The node's replica built from the database: ``indexer.build_docs`` in batches into ``add_new`` (one bulk
    commit). Returns (documents, seconds)."""

    if index_dir.exists():
        shutil.rmtree(index_dir)
    app = build(Settings(data_dir=work, database_url=url, _env_file=None), with_indexer=False)  # type: ignore[call-arg]
    with psycopg.connect(_plain(url)) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM letter ORDER BY id")]

    def docs() -> Iterator[Any]:
        t0 = time.perf_counter()
        for start in range(0, len(ids), 2000):
            with app.tx(readonly=True) as uow:
                for doc, _status, _kept in build_docs(uow.session, app.store, ids[start : start + 2000], ocr=False):
                    yield doc
            done = min(start + 2000, len(ids))
            if done % 20_000 == 0 or done == len(ids):
                print(f"    indexed {done:,} / {len(ids):,} ({done / (time.perf_counter() - t0):,.0f}/s)", flush=True)

    t0 = time.perf_counter()
    index = SearchIndex(index_dir, procs=procs, multisegment=procs > 1)
    index.add_new(docs())
    took = time.perf_counter() - t0
    app.engine.dispose()
    (index_dir / BUILT).write_text(f"{len(ids)}\n")
    return len(ids), took


# ---------------------------------------------------------------------------------------------- the measures


def register_many(base: str, registry: int, n: int, first: int) -> list[float]:
    headers = {"Authorization": f"Bearer {sign_in(base, 'central')}"}
    times = []
    with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
        for i in range(first, first + n + 5):
            t0 = time.perf_counter()
            r = client.post(
                f"/api/v1/registries/{registry}/receive",
                files=[("meta", (None, meta_json(i, serial=i), "application/json"))],
            )
            elapsed = time.perf_counter() - t0
            if r.status_code != 201:
                raise SystemExit(f"registration: HTTP {r.status_code} {r.text[:300]}")
            if i >= first + 5:
                times.append(elapsed)
    return times


SEARCHES = (
    ("search: one word", "ทุนการศึกษา"),
    ("search: two words", "ประชุม โรงเรียน"),
    ("search: phrase", '"ขอความร่วมมือ"'),
)  # and the printed number of a letter of the demo office's central register (Node.letter_no)


@dataclass
class Node:
    size: int
    url: str
    work: Path
    server: Server | None = None
    registry: int = 0
    year_be: int = 0
    registered: int = 0
    letter_no: str = ""  # a printed number the central clerk finds (the register's 1,000th newest loaded letter)
    searchable: bool = False
    figures: dict[str, list[float]] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, times: list[float], note: str = "") -> None:
        self.figures.setdefault(name, []).extend(times)
        if note:
            self.notes[name] = note


def measure_round(node: Node, requests: int, registrations: int) -> None:
    assert node.server is not None
    base = node.server.url
    times = register_many(base, node.registry, registrations, 10_000_000 + node.registered)
    node.registered += registrations + 5
    node.add("registration (metadata only, one clerk)", times, f"{len(times) / sum(times):.0f}/s")
    token = sign_in(base, "central")
    reg = f"/api/v1/registries/{node.registry}/entries?year={node.year_be}&per=50"
    times, body = measure(base, token, f"{reg}&page=1", requests)
    node.add("register page: first page (50 rows)", times, f"{body['total']:,} rows")
    deep = max(1, int(body["total"]) // 50 - 20)
    times, _ = measure(base, token, f"{reg}&page={deep}", requests)
    node.add("register page: deep page", times, f"page {deep}")
    for name, who, path in INBOX_CASES:
        times, body = measure(base, sign_in(base, who), path, requests)
        node.add(f"inbox: {name}", times, f"{body['total']} items")
    times, body = measure(
        base, token, f"/api/v1/registries/{node.registry}/numbers?year={node.year_be}", max(5, requests // 10)
    )
    node.add("number report (central register, this year)", times, f"{len(body['numbers']):,} numbers")
    if node.searchable:
        for name, q in (*SEARCHES, ("search: letter number", node.letter_no)):
            times, body = measure(base, token, f"/api/v1/search?q={urllib.parse.quote(q)}", requests)
            node.add(name, times, f"{body.get('total', 0):,} hits")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--database-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        help="an administrative PostgreSQL URL: the databases are created beside it",
    )
    ap.add_argument("--sizes", default="100000,1000000", help="letters of the installation at each measurement")
    ap.add_argument("--search-sizes", default="100000,1000000", help="sizes whose replica is built and searched")
    ap.add_argument("--requests", type=int, default=100, help="requests per case, size and round")
    ap.add_argument("--registrations", type=int, default=100, help="registrations per size and round")
    ap.add_argument("--rounds", type=int, default=2, help="rounds of measures, alternating the sizes")
    ap.add_argument("--procs", type=int, default=2, help="index-building processes")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--keep", action="store_true", help="keep the databases and indexes")
    ap.add_argument("--reuse", action="store_true", help="measure the databases (and indexes) kept by --keep")
    ap.add_argument("--build-only", action="store_true", help="build (with --reuse: complete) and keep; no measures")
    args = ap.parse_args()
    sizes, search_sizes = sizes_arg(args.sizes), set(sizes_arg(args.search_sizes))
    os.environ["SARABAN_AUDIT_KEY"] = key = os.environ.get("SARABAN_AUDIT_KEY", "scale-bench-audit-key")
    root = Path(tempfile.gettempdir()) / "saraban-scale-bench"
    print(f"sizes {sizes}; cpus {os.cpu_count()}; load {' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
    nodes: list[Node] = []
    try:
        for size in sizes:
            work = root / str(size)
            if not args.reuse:
                shutil.rmtree(work, ignore_errors=True)
                work.mkdir(parents=True)
                url = build_database(args.database_url, size, work, key.encode())
            else:
                url = database_url(args.database_url, size)
            node = Node(size, url, work)
            if size in search_sizes:
                if not args.reuse or not (work / "index" / BUILT).exists():
                    docs, took = build_index(url, work / "index", work, procs=args.procs)
                    print(
                        f"  replica of {docs:,} letters built in {took:.0f} s ({docs / took:,.0f} letters/s, "
                        f"load {os.getloadavg()[0]:.1f})",
                        flush=True,
                    )
                node.searchable = True
            with psycopg.connect(_plain(url)) as conn:
                node.registry = int(conn.execute("SELECT id FROM registry WHERE code = 'central'").fetchone()[0])  # type: ignore[index]
                node.registered = int(conn.execute("SELECT count(*) FROM letter").fetchone()[0])  # type: ignore[index]
                node.letter_no = str(
                    conn.execute(
                        "SELECT l.letter_no FROM registration r JOIN letter l ON l.id = r.letter_id"
                        " WHERE r.registry_id = %s AND l.index_status = 'indexed'"  # the bench's own stay pending
                        " ORDER BY r.id DESC OFFSET 1000 LIMIT 1",
                        (node.registry,),
                    ).fetchone()[0]  # type: ignore[index]
                )
            node.year_be = datetime.now(UTC).year + 543
            nodes.append(node)
        if args.build_only:
            return
        for node in nodes:
            node.server = Server(database_url=node.url, data_dir=node.work, workers=args.workers)
        for r in range(args.rounds):
            for node in nodes if r % 2 == 0 else reversed(nodes):
                print(f"round {r + 1}, {node.size:,} letters (load {os.getloadavg()[0]:.1f})", flush=True)
                measure_round(node, args.requests, args.registrations)
    finally:
        for node in nodes:
            if node.server is not None:
                node.server.stop()
        if not (args.keep or args.build_only):
            for node in nodes:
                drop_database(args.database_url, node.url)
            shutil.rmtree(root, ignore_errors=True)
    if not args.build_only:
        report(nodes)


def report(nodes: list[Node]) -> None:
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nload average {load}; p50 / p95 in ms")
    head = " | ".join(f"{n.size:,} letters" for n in nodes)
    print(f"| case | {head} | p95 ratio |")
    print("|---|" + "---|" * len(nodes) + "---|")
    for name in nodes[0].figures:
        cells = []
        for n in nodes:
            t = n.figures.get(name)
            cells.append(
                f"{pct(t, 0.5) * 1000:.1f} / {pct(t, 0.95) * 1000:.1f} ({n.notes.get(name, '')})" if t else "–"
            )
        first, last = nodes[0].figures.get(name), nodes[-1].figures.get(name)
        r = f"{ratio(pct(first, 0.95), pct(last, 0.95)):.2f}×" if first and last and len(nodes) > 1 else "–"
        print(f"| {name} | {' | '.join(cells)} | {r} |")


if __name__ == "__main__":
    main()
