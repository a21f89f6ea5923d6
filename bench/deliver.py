"""Electronic delivery benchmark over real HTTP: one circular sent to a saved group of thousands of recipient units.

    uv run python bench/deliver.py                      # SQLite in a temp data dir, 3,000 recipient units
    uv run python bench/deliver.py --recipients 30000 \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/deliver_bench   # OBEC: every school at once

Seeds the demo office plus ``--recipients`` (alias ``--units``) units of the installation, each with its receive
register, all in one saved recipient group, and a clerk for a few of them; starts the server (``saraban serve``) as
its own process; then, as the central clerk, drafts a circular to the group, issues its number and times
``POST /outgoing/{id}/send`` with an ``Idempotency-Key`` (targets on this machine: <= 2 s for 3,000 recipients,
<= 10 s for 30,000 on PostgreSQL), retries it with the same key (the first answer again) and without one (the send
runs again and adds nothing), checks in the sender's status that every recipient has exactly one delivery, and
measures, for the sampled recipient clerks (the first, the middle and the last unit among them), how long
``GET /api/v1/deliveries/incoming`` takes to answer with the letter in it. The database must be empty (a
PostgreSQL one: create it first, drop it after).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")
os.environ.setdefault("PYTHAINLP_OFFLINE", "1")

from sqlalchemy import insert, select  # noqa: E402

from service.config import Settings  # noqa: E402
from service.context import build  # noqa: E402
from service.demo import DEMO_PASSWORD, seed_demo  # noqa: E402
from service.kit.migrate import upgrade  # noqa: E402
from service.models import RecipientGroup, RecipientGroupMember, Registry, Unit  # noqa: E402
from service.users.core import create_user  # noqa: E402

GROUP = "หน่วยงานผู้รับทั้งหมด (ทดสอบ)"


def seed(settings: Settings, units: int, clerks: int) -> list[str]:
    """The demo office, ``units`` recipient units with their registers in one group, clerks for a sample."""
    upgrade(settings.sqlalchemy_url)
    app = build(settings, with_indexer=False)
    now = datetime.now(UTC)
    with app.tx() as uow:
        s = uow.session
        seed_demo(s, now=now)
        conn = s.connection()
        unit_t, registry_t = Unit.__table__, Registry.__table__  # type: ignore[attr-defined]
        conn.execute(
            insert(unit_t),
            [
                {
                    "code": f"bench-{i:05d}",
                    "name": f"โรงเรียนทดสอบที่ {i}",
                    "short_name": f"รร.ทดสอบ {i}",
                    "parent_id": None,
                    "internal": True,
                    "letter_code": None,
                }
                for i in range(1, units + 1)
            ],
        )
        ids = [
            row[0]
            for row in conn.execute(select(unit_t.c.id).where(unit_t.c.code.like("bench-%")).order_by(unit_t.c.id))
        ]
        conn.execute(
            insert(registry_t),
            [
                {"code": f"bench-{i:05d}-receive", "name": "ทะเบียนหนังสือรับ", "kind": "receive", "unit_id": uid}
                for i, uid in enumerate(ids, start=1)
            ],
        )
        group = RecipientGroup(name=GROUP, created_at=now)
        s.add(group)
        s.flush()
        conn.execute(insert(RecipientGroupMember.__table__), [{"group_id": group.id, "unit_id": uid} for uid in ids])  # type: ignore[attr-defined]
        # the first, the middle and the last unit, the rest spread evenly between them
        spread = {1 + (units - 1) * k // max(clerks - 1, 1) for k in range(clerks)}
        sample = sorted(({1, units // 2 or 1, units} | spread) & set(range(1, units + 1)))[: max(clerks, 3)]
        names = []
        for i in sample:
            name = f"bench{i}"
            create_user(
                s,
                username=name,
                password=DEMO_PASSWORD,
                roles=[(f"bench-{i:05d}", "central_clerk")],
                now=now,
                check_policy=False,
            )
            names.append(name)
    app.engine.dispose()
    return names


def token(http: httpx.Client, username: str) -> dict[str, str]:
    r = http.post("/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--recipients",
        "--units",
        dest="units",
        type=int,
        default=3000,
        help="recipient units in the group (default 3000; --units is the old name)",
    )
    parser.add_argument("--clerks", type=int, default=5, help="recipient clerks sampled for inbox latency")
    parser.add_argument("--database-url", default="", help="default: SQLite in a temp data dir")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="saraban-deliver-") as tmp:
        data_dir = Path(tmp) / "var"
        data_dir.mkdir()
        settings = Settings(data_dir=data_dir, database_url=args.database_url, _env_file=None)  # type: ignore[call-arg]
        t0 = time.perf_counter()
        clerks = seed(settings, args.units, args.clerks)
        print(f"seeded {args.units} recipient units in {time.perf_counter() - t0:.1f} s")

        sock_port = _free_port()
        env = {
            **os.environ,
            "SARABAN_DATA_DIR": str(data_dir),
            "SARABAN_DATABASE_URL": args.database_url,
            "SARABAN_INDEX_MODE": "worker",
        }
        script = Path(sys.executable).parent / "saraban"
        cmd = [str(script) if script.exists() else "saraban", "serve", "--port", str(sock_port)]
        log = (Path(tmp) / "server.log").open("wb")
        server = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{sock_port}"
            _wait(base, server, Path(tmp) / "server.log")
            with httpx.Client(base_url=base, timeout=120) as http:
                h = token(http, "central")
                regs = {r["code"]: r["id"] for r in http.get("/api/v1/registries", headers=h).json()}
                group_id = next(
                    g["id"] for g in http.get("/api/v1/recipient-groups", headers=h).json() if g["name"] == GROUP
                )
                r = http.post(
                    "/api/v1/outgoing",
                    headers=h,
                    json={
                        "registry_id": regs["office-circular"],
                        "subject": "แจ้งปฏิทินการศึกษา ปีการศึกษา ๒๕๖๙",
                        "urgency": "ด่วน",
                        "recipients": [{"group_id": group_id}],
                    },
                )
                r.raise_for_status()
                letter_id = r.json()["letter_id"]
                r = http.post(f"/api/v1/outgoing/{letter_id}/issue", headers=h)
                r.raise_for_status()
                print(f"circular {r.json()['letter_no']} to {args.units} units")

                clerk_headers = {name: token(http, name) for name in clerks}  # signed in before, not timed
                key = {**h, "Idempotency-Key": f"deliver-bench-{letter_id}"}
                t = time.perf_counter()
                r = http.post(f"/api/v1/outgoing/{letter_id}/send", headers=key)
                send_s = time.perf_counter() - t
                r.raise_for_status()
                count = len(r.json()["deliveries"])
                for name, ch in clerk_headers.items():  # right after: each sampled school's inbox shows it
                    items = http.get("/api/v1/deliveries/incoming", headers=ch).json()["items"]
                    assert any(i["letter_id"] == letter_id for i in items), f"{name}'s inbox lacks the circular"
                end_s = time.perf_counter() - t
                target = 2.0 if args.units <= 3000 else 10.0
                verdict = "OK" if send_s <= target or args.units not in (3000, 30000) else "SLOW"
                print(f"send: {count} deliveries in one request, {send_s:.3f} s (target <= {target:.0f} s: {verdict})")
                print(f"end to end (the send, then each of {len(clerks)} sampled inboxes showing it): {end_s:.3f} s")
                t = time.perf_counter()
                r = http.post(f"/api/v1/outgoing/{letter_id}/send", headers=key)
                r.raise_for_status()
                assert len(r.json()["deliveries"]) == count
                print(f"send retried with the same Idempotency-Key (the first answer): {time.perf_counter() - t:.3f} s")
                t = time.perf_counter()
                r = http.post(f"/api/v1/outgoing/{letter_id}/send", headers=h)
                r.raise_for_status()
                assert len(r.json()["deliveries"]) == count
                print(f"send again without a key (runs again, adds nothing): {time.perf_counter() - t:.3f} s")
                t = time.perf_counter()
                r = http.get(f"/api/v1/outgoing/{letter_id}/deliveries", headers=h)
                r.raise_for_status()
                status = r.json()["deliveries"]
                print(f"sender's status of {len(status)} recipients: {time.perf_counter() - t:.3f} s")
                units = [d["unit_id"] for d in status]
                assert count == args.units == len(units) == len(set(units)), "a recipient missed or delivered twice"
                print(f"every one of the {len(units)} recipient units has exactly one delivery")

                latencies = []
                for name, ch in clerk_headers.items():
                    times = []
                    for _ in range(20):
                        t = time.perf_counter()
                        items = http.get("/api/v1/deliveries/incoming", headers=ch).json()["items"]
                        times.append(time.perf_counter() - t)
                        assert any(i["letter_id"] == letter_id for i in items), name
                    latencies.append(statistics.median(times))
                    print(
                        f"  {name}: incoming p50 {statistics.median(times) * 1000:.1f} ms, "
                        f"max {max(times) * 1000:.1f} ms"
                    )
                print(
                    f"per-recipient inbox latency after the send: median {statistics.median(latencies) * 1000:.1f} ms "
                    f"over {len(clerks)} recipient clerks"
                )
        finally:
            server.terminate()
            server.wait(timeout=30)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 180  # a busy machine starts the server's processes slowly
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-2000:]
    raise SystemExit(f"the server did not start:\n{tail}")


if __name__ == "__main__":
    main()
