"""What one registration costs the server, in CPU instructions: a figure that does not move with the machine.

    uv run python bench/register_cost.py                  # instructions per registration (valgrind's callgrind)
    uv run python bench/register_cost.py --cpu            # CPU ms per registration instead (no valgrind; noisy)
    uv run python bench/register_cost.py --root ../old    # the same for another checkout, for a before/after

The registrations/s of ``bench/register.py`` are real-time figures, and on a shared virtual machine they are as
steady as the machine: on 2026-11-30 identical code gave a server CPU of 1.1 ms a registration in one hour and
2.2 ms in the next. Instructions counted by callgrind are the same from run to run, so a change to the
registration path can be judged in minutes whatever else the machine does.

What is counted: one metadata-only registration (the default shape of ``bench/register.py``) through the whole
ASGI application (middlewares, routing, the form parser, the checks, the SQLite transaction, the answer) on an
embedded-default data directory with the demo office, in one process; not the HTTP server (uvicorn: about 0.09 ms
a request here) nor the client. Two runs, of ``--small`` and ``--large`` registrations after a warm-up, each with
instrumentation switched on after the warm-up: their difference divided by the difference in counts is the cost
of one registration, without start-up, warm-up or exit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
READY = "ready for instrumentation"


def child(root: Path, n: int, warmup: int, pause: float) -> None:
    """Register ``warmup`` letters, say READY (the parent switches callgrind on), register ``n`` more, exit at once."""
    sys.path[:1] = [str(root)]  # not bench/: its search.py would shadow the search package
    from bench.register import PASSWORD, encode_multipart, meta_part
    from service.app import create_app
    from service.config import Settings
    from service.context import build
    from tests.asgi import http_scope

    app = create_app(build(Settings()))

    async def call(method: str, path: str, body: bytes, headers: list[tuple[str, str]]) -> tuple[int, bytes]:
        pending = [{"type": "http.request", "body": body, "more_body": False}]
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return pending.pop(0) if pending else {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = http_scope(method, path, [*headers, ("host", "127.0.0.1")])
        await app(scope, receive, send)
        return int(sent[0]["status"]), b"".join(m.get("body", b"") for m in sent[1:])

    async def main() -> None:
        started = asyncio.Event()

        async def lifespan_send(_: dict[str, Any]) -> None:
            started.set()

        startup = [{"type": "lifespan.startup"}]

        async def lifespan_receive() -> dict[str, Any]:
            if startup:
                return startup.pop()
            await asyncio.Event().wait()  # until the process exits
            return {}

        lifespan = asyncio.create_task(
            app({"type": "lifespan", "asgi": {"version": "3.0"}}, lifespan_receive, lifespan_send)
        )
        await started.wait()
        form = "application/x-www-form-urlencoded"
        status, body = await call(
            "POST", "/api/v1/auth/token", f"username=central&password={PASSWORD}".encode(), [("content-type", form)]
        )
        assert status == 200, body
        auth = ("authorization", f"Bearer {json.loads(body)['access_token']}")
        status, body = await call("GET", "/api/v1/registries", b"", [auth])
        reg = next(r["id"] for r in json.loads(body) if r["code"] == "central")
        path = f"/api/v1/registries/{reg}/receive"

        async def register(i: int) -> None:
            data, ctype = encode_multipart([meta_part(i)])
            status, answer = await call("POST", path, data, [auth, ("content-type", ctype)])
            if status != 201:
                raise SystemExit(f"registration {i}: HTTP {status} {answer[:300]!r}")

        for i in range(warmup):
            await register(i)
        print(READY, flush=True)
        time.sleep(pause)  # the parent switches instrumentation on meanwhile
        t0 = time.process_time()
        for i in range(n):
            await register(warmup + i)
        print(f"cpu_ms {(time.process_time() - t0) * 1000 / max(1, n):.3f}", flush=True)
        lifespan.cancel()

    asyncio.run(main())
    os._exit(0)  # no teardown in the count


def seeded(work: Path, root: Path) -> Path:
    """An embedded-default data directory with the demo office (``saraban demo``)."""
    data = work / "seed"
    env = {**_env(data), "PYTHONPATH": str(root)}
    subprocess.run([sys.executable, "-m", "service", "demo"], cwd=root, env=env, check=True, capture_output=True)
    return data


def _env(data: Path) -> dict[str, str]:
    env = {**os.environ, "SARABAN_DATA_DIR": str(data), "SARABAN_STORE": "local", "SARABAN_INDEX_MODE": "worker"}
    env.setdefault("PYTHAINLP_READ_ONLY", "1")
    env.setdefault("PYTHAINLP_OFFLINE", "1")
    return env


def run(root: Path, data: Path, n: int, warmup: int, *, valgrind: bool, out: Path) -> tuple[int | None, float]:
    """One child run: (instructions counted or None, CPU ms per registration as the child measured it)."""
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        str(n),
        "--warmup",
        str(warmup),
        "--root",
        str(root),
    ]
    if valgrind:
        cmd = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={out}",
            *cmd,
            "--pause",
            "2",
        ]
    proc = subprocess.Popen(cmd, cwd=root, env=_env(data), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    cpu = float("nan")
    for line in proc.stdout:
        if line.strip() == READY and valgrind:
            subprocess.run(["callgrind_control", "--instr=on", str(proc.pid)], check=True, capture_output=True)
        elif line.startswith("cpu_ms "):
            cpu = float(line.split()[1])
    if proc.wait() != 0:
        raise SystemExit(f"the measuring run failed ({proc.returncode}):\n{proc.stderr.read()[-3000:]}")
    if not valgrind:
        return None, cpu
    for line in out.read_text().splitlines():
        if line.startswith("totals:") or line.startswith("summary:"):
            return int(line.split()[1]), cpu
    raise SystemExit(f"no totals in {out}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", type=Path, default=ROOT, help="the checkout to measure (default: this one)")
    ap.add_argument("--small", type=int, default=100, help="registrations counted in the first run")
    ap.add_argument("--large", type=int, default=400, help="registrations counted in the second run")
    ap.add_argument("--warmup", type=int, default=100, help="registrations before counting starts")
    ap.add_argument("--cpu", action="store_true", help="CPU time instead of instructions (without valgrind)")
    ap.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--pause", type=float, default=0.0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    root = args.root.resolve()
    if args.child is not None:
        child(root, args.child, args.warmup, args.pause)
        return
    valgrind = not args.cpu
    if valgrind and (shutil.which("valgrind") is None or shutil.which("callgrind_control") is None):
        raise SystemExit("valgrind is not installed (apt-get install valgrind), or run with --cpu")
    if args.large <= args.small:
        raise SystemExit("--large must be more than --small")
    work = Path(tempfile.mkdtemp(prefix="saraban-cost-"))
    try:
        seed = seeded(work, root)
        runs: dict[int, tuple[int | None, float]] = {}
        for n in (args.small, args.large):  # each on its own copy: both start from the same database
            data = work / f"data-{n}"
            shutil.copytree(seed, data)
            runs[n] = run(root, data, n, args.warmup, valgrind=valgrind, out=work / f"callgrind-{n}.out")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    (small, _), (large, cpu_large) = runs[args.small], runs[args.large]
    print(f"checkout: {root}  (git {_rev(root)})")
    print(f"metadata-only registration through the ASGI app, in-process, SQLite; warm-up {args.warmup}")
    if small is not None and large is not None:
        per = (large - small) / (args.large - args.small)
        print(f"instructions per registration: {per / 1e6:.3f} M  ({args.small} and {args.large} counted)")
    else:
        print(f"CPU per registration: {cpu_large:.3f} ms ({args.large} counted; as steady as the machine)")


def _rev(root: Path) -> str:
    done = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(
        ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True
    )
    return (done.stdout.strip() or "?") + (" with changes" if dirty.stdout.strip() else "")


if __name__ == "__main__":
    main()
