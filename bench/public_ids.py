"""A secret letter's id against an id that names nothing: the time of ``GET /api/v1/letters/{id}`` (issue 10,
finding 11).

    uv run python bench/public_ids.py                  # SQLite in a temp data dir, 1000 requests of each
    uv run python bench/public_ids.py --requests 3000 --database-url postgresql+psycopg://postgres@127.0.0.1:5432/ids_bench

In process (FastAPI's test client, no network): the demo office, a secret letter registered by ``secret`` and a
few ordinary ones; then ``auditor`` (who may not read it) asks for the secret letter's public id and for a public id
whose key the database could hold but no letter has, interleaved, ``--requests`` times each. Prints the wall and
CPU time per request of each, their difference and the spread (a difference within the noise of the two is what
the one-query reading rule aims at: both ask the database the same single question). A third column times an id
past the database's keys (answered without a query).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")
os.environ.setdefault("PYTHAINLP_OFFLINE", "1")

from fastapi.testclient import TestClient  # noqa: E402
from sqlmodel import Session, col, select  # noqa: E402

from service.access.queries import actor_principals, get_visible_letter  # noqa: E402
from service.access.rule import Actor  # noqa: E402
from service.app import create_app  # noqa: E402
from service.auth.core import load_actor  # noqa: E402
from service.config import Settings  # noqa: E402
from service.context import build  # noqa: E402
from service.demo import DEMO_PASSWORD, seed_demo  # noqa: E402
from service.kit.errors import NotFound  # noqa: E402
from service.kit.migrate import upgrade  # noqa: E402
from service.models import Letter, LetterAccess, User  # noqa: E402


def login(c: TestClient, user: str) -> dict[str, str]:
    r = c.post("/api/v1/auth/token", data={"username": user, "password": DEMO_PASSWORD})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def receive(c: TestClient, h: dict[str, str], code: str, **meta: object) -> int:
    regs = c.get("/api/v1/registries", headers=h).json()
    rid = next(r["id"] for r in regs if r["code"] == code)
    r = c.post(
        f"/api/v1/registries/{rid}/receive",
        headers=h,
        data={"meta": json.dumps({"sender": "สพฐ.", "subject": "หนังสือทดสอบ", **meta})},
    )
    r.raise_for_status()
    return int(r.json()["letter_id"])


def two_queries(session: Session, actor: Actor, letter_id: int) -> Letter:
    """The reading rule's single-letter check as it was before finding 11: the letter, then its access row."""
    letter = session.get(Letter, letter_id)
    if letter is None:
        raise NotFound("letter not found")
    principals = sorted(actor_principals(actor))
    hit = session.exec(
        select(LetterAccess.letter_id).where(
            LetterAccess.letter_id == letter_id, col(LetterAccess.principal).in_(principals)
        )
    ).first()
    if hit is None:
        raise NotFound("letter not found")
    return letter


def check_alone(app: object, secret: int, missing: int, n: int) -> None:
    """The check by itself, old and new, secret and missing, interleaved: CPU time per call."""
    saraban = app  # a Saraban
    times: dict[str, list[float]] = {}
    with saraban.tx() as uow:  # type: ignore[attr-defined]
        user = uow.session.exec(select(User).where(User.username == "auditor")).one()
        actor = load_actor(uow.session, user)
        for _ in range(n):
            for how, check in (("two queries", two_queries), ("one query", get_visible_letter)):
                for name, lid in (("secret", secret), ("missing", missing)):
                    uow.session.expunge_all()
                    t0 = time.process_time()
                    with contextlib.suppress(NotFound):
                        check(uow.session, actor, lid)
                    times.setdefault(f"{how:<11} {name}", []).append(time.process_time() - t0)
    print(f"the reading rule's check alone (CPU, {n} each, interleaved)")
    for key, values in times.items():
        print(f"  {key:<20} mean {statistics.mean(values) * 1e6:7.1f} µs")
    for how in ("two queries", "one query"):
        d = statistics.mean(times[f"{how:<11} secret"]) - statistics.mean(times[f"{how:<11} missing"])
        print(f"  {how}: secret - missing {d * 1e6:+.1f} µs")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--database-url", default="")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="ids-bench-") as tmp:
        settings = Settings(
            data_dir=Path(tmp), database_url=args.database_url, index_mode="worker", password_time_cost=1
        )
        upgrade(settings.sqlalchemy_url)
        app = build(settings, with_indexer=False)
        with app.tx() as uow:
            seed_demo(uow.session, now=app.clock())
        with TestClient(create_app(app)) as c:
            central = login(c, "central")
            for i in range(20):
                receive(c, central, "central", subject=f"หนังสือ {i}")
            secret = receive(c, login(c, "secret"), "secret", subject="เรื่องลับ", secrecy="ลับ")
            ids = app.public_ids.letters
            inside = ids.decode(secret)
            assert inside is not None
            missing = ids.encode(inside + 1000)
            far = next(p for p in range(10**9, 10**9 + 1000) if ids.decode(p) is None)
            auditor = login(c, "auditor")
            cases = {"secret": secret, "missing": missing, "past the keys": far}
            wall: dict[str, list[float]] = {k: [] for k in cases}
            cpu: dict[str, list[float]] = {k: [] for k in cases}
            for _ in range(20):  # warm-up
                for lid in cases.values():
                    c.get(f"/api/v1/letters/{lid}", headers=auditor)
            for _ in range(args.requests):
                for name, lid in cases.items():
                    t0, c0 = time.perf_counter(), time.process_time()
                    r = c.get(f"/api/v1/letters/{lid}", headers=auditor)
                    cpu[name].append(time.process_time() - c0)
                    wall[name].append(time.perf_counter() - t0)
                    assert r.status_code == 404, r.text
        check_alone(app, ids.decode(secret) or 0, ids.decode(missing) or 0, args.requests)
    print(f"GET /api/v1/letters/{{id}} as auditor, {args.requests} each, interleaved; load {os.getloadavg()}")
    for name in cases:
        w, p = wall[name], cpu[name]
        print(
            f"  {name:<14} wall median {statistics.median(w) * 1e3:7.3f} ms  mean {statistics.mean(w) * 1e3:7.3f} ms"
            f"  stdev {statistics.stdev(w) * 1e3:6.3f} ms   cpu mean {statistics.mean(p) * 1e3:7.3f} ms"
        )
    diff = statistics.median(wall["secret"]) - statistics.median(wall["missing"])
    noise = statistics.stdev(wall["missing"]) / (len(wall["missing"]) ** 0.5)
    print(f"  secret - missing: median {diff * 1e6:+.1f} µs (standard error of the mean ±{noise * 1e6:.1f} µs)")


if __name__ == "__main__":
    main()
