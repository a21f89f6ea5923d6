"""`saraban audit verify` over a long chain while registrations go on (issue 10, finding 6).

    uv run python bench/audit_verify.py                    # SQLite in a temp data dir, 300,000 events
    uv run python bench/audit_verify.py --events 50000
    uv run python bench/audit_verify.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

Builds a chain of ``--events`` audit events (hashes and keyed checkpoints as ``audit.record`` makes them, written
in bulk), starts the server (``saraban serve``, its own process), measures metadata-only registrations one after
another before, and then while ``saraban audit verify`` walks the chain in another process. Prints the verify time
and the registrations' p50/p95/max in both phases. Target: p95 during verify < 100 ms (verify used to hold the
write gate for the whole walk: 18.4 s for one registration over 300k events).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")
os.environ.setdefault("PYTHAINLP_OFFLINE", "1")

from register import Server, meta_json, pct, saraban_command, token  # noqa: E402
from sqlalchemy import insert, update  # noqa: E402

from service.audit.chain import _hashed_fields, checkpoint, event_hash  # noqa: E402
from service.config import Settings  # noqa: E402
from service.context import build  # noqa: E402
from service.demo import seed_demo  # noqa: E402
from service.kit.migrate import upgrade  # noqa: E402
from service.models import AuditEvent, AuditHead  # noqa: E402


def build_chain(settings: Settings, events: int) -> float:
    """The demo office plus ``events`` events appended to its chain; returns the seconds it took."""
    t0 = time.perf_counter()
    upgrade(settings.sqlalchemy_url)
    app = build(settings, with_indexer=False)
    with app.tx() as uow:
        seed_demo(uow.session, now=app.clock())
    with app.tx() as uow:
        head = uow.session.get(AuditHead, 1)
        assert head is not None
        seq, prev = head.last_seq, head.last_hash
    start = datetime.now(UTC) - timedelta(days=365)
    batch: list[dict[str, object]] = []
    table = AuditEvent.__table__  # type: ignore[attr-defined]
    with app.engine.begin() as conn:
        for i in range(events):
            seq += 1
            values: dict[str, object] = {
                "seq": seq,
                "at": start + timedelta(seconds=i * 60),
                "actor_id": 2,
                "actor": "central",
                "action": "letter_viewed",
                "object_type": "letter",
                "object_id": str(i % 5000 + 1),
                "letter_id": None,
                "ip": "10.0.0.8",
                "detail": json.dumps({"n": i}),
                "prev_hash": prev,
            }
            values["hash"] = prev = event_hash(_hashed_fields(values))
            values["mac"] = checkpoint(app.audit_key, seq, prev)
            batch.append(values)
            if len(batch) == 10_000:
                conn.execute(insert(table), batch)
                batch = []
        if batch:
            conn.execute(insert(table), batch)
        mac = checkpoint(app.audit_key, seq, prev)
        head_table = AuditHead.__table__  # type: ignore[attr-defined]
        conn.execute(update(head_table).where(head_table.c.id == 1).values(last_seq=seq, last_hash=prev, mac=mac))
    app.engine.dispose()
    return time.perf_counter() - t0


def register_once(client: httpx.Client, reg: int, i: int) -> float:
    t0 = time.perf_counter()
    r = client.post(f"/api/v1/registries/{reg}/receive", files=[("meta", (None, meta_json(i), "application/json"))])
    r.raise_for_status()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=300_000)
    ap.add_argument("--database-url", default="")
    ap.add_argument("--baseline", type=int, default=100, help="registrations before verify starts")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="saraban-bench-audit-") as tmp:
        data_dir = Path(tmp) / "var"
        data_dir.mkdir()
        os.environ["SARABAN_AUDIT_KEY"] = os.environ.get("SARABAN_AUDIT_KEY", "bench-audit-key")
        settings = Settings(data_dir=data_dir, database_url=args.database_url, _env_file=None)
        took = build_chain(settings, args.events)
        print(f"chain of {args.events:,} events built in {took:.1f} s")
        server = Server(data_dir=data_dir, database_url=args.database_url, workers=1, max_file_mb=50,
                        index_mode="worker")  # fmt: skip
        try:
            headers = {"Authorization": f"Bearer {token(server.url)}"}
            with httpx.Client(base_url=server.url, headers=headers, timeout=120) as client:
                reg = next(r["id"] for r in client.get("/api/v1/registries").json() if r["code"] == "central")
                before = [register_once(client, reg, i) for i in range(args.baseline)]
                env = {**server.env}
                t0 = time.perf_counter()
                verify = subprocess.Popen([*saraban_command(), "audit", "verify"], env=env, cwd=tmp,
                                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
                during: list[float] = []
                i = args.baseline
                while verify.poll() is None:
                    during.append(register_once(client, reg, i))
                    i += 1
                verify_s = time.perf_counter() - t0
                out = (verify.stdout.read() if verify.stdout else "").strip()
        finally:
            server.stop()
        print(f"audit verify: {verify_s:.1f} s, exit {verify.returncode}: {out}")
        for name, lat in (("before verify", before), ("during verify", during)):
            lat = lat or [0.0]
            print(
                f"registrations {name:<14} n={len(lat):>5}  p50 {pct(lat, 0.5) * 1000:7.1f} ms  "
                f"p95 {pct(lat, 0.95) * 1000:7.1f} ms  max {max(lat) * 1000:7.1f} ms"
            )
        ok = verify.returncode == 0 and pct(during or [0.0], 0.95) < 0.100
        print("target p95 < 100 ms during verify:", "met" if ok else "NOT met")


if __name__ == "__main__":
    main()
