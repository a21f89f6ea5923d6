"""Registration benchmark over real HTTP: the server runs as its own processes, clients are threads.

    uv run python bench/register.py                       # exactly what `saraban serve --demo` starts (SQLite in
                                                          # a temp data dir, its server processes and index worker)
    uv run python bench/register.py --shape single        # `serve --workers 1 --index-in-process` (debugging shape)
    uv run python bench/register.py --shape external      # SARABAN_INDEX_MODE=worker + a separate `saraban worker`
    uv run python bench/register.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench
    uv run python bench/register.py --workers 3 --clients 8

Measures registrations/s and p50/p95 latency for metadata only with one client and with 8 clients, then (at
``--clients``) a 1-page PDF and a 20-page PDF, then the server's peak RSS growth while one ~200 MB PDF is uploaded
(streamed from disk; psutil samples the server's process tree every 20 ms). Targets: metadata only >= 600/s with
one client and p95 <= 50 ms with 8 clients; 1-page PDF >= 30/s with p95 <= 200 ms at 4 clients; RSS growth
<= 64 MB.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")
os.environ.setdefault("PYTHAINLP_OFFLINE", "1")

PASSWORD = "saraban-demo"
MB = 1024 * 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def machine_speed() -> float:
    """Seconds of a fixed single-thread pure-Python loop (best of 3 of ``sum(range(10**7))``): printed with the
    figures so that runs on different machines can be compared (a quiet 2-core build machine: ~0.35 s)."""
    best = float("inf")
    for _ in range(3):
        t0 = time.process_time()
        sum(range(10**7))
        best = min(best, time.process_time() - t0)
    return best


def saraban_command() -> list[str]:
    script = Path(sys.executable).parent / "saraban"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return ["uv", "run", "saraban"]


# ---------------------------------------------------------------------------------------------- the server


class Server:
    def __init__(self, *, data_dir: Path, database_url: str, workers: int | None, max_file_mb: int, shape: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.shape = shape
        self.env = {
            **os.environ,
            "SARABAN_DATA_DIR": str(data_dir),
            "SARABAN_DATABASE_URL": database_url,
            "SARABAN_MAX_FILE_MB": str(max_file_mb),
            "SARABAN_STORE": "local",
            "SARABAN_HOST": "127.0.0.1",
            "SARABAN_PORT": str(self.port),
        }
        self.env.pop("SARABAN_INDEX_MODE", None)
        if shape == "external":
            self.env["SARABAN_INDEX_MODE"] = "worker"
        self.indexer: subprocess.Popen[bytes] | None = None
        self.log = (data_dir.parent / "server.log").open("wb")
        cmd = [*saraban_command(), "serve", "--demo", "--port", str(self.port)]
        if shape == "single":
            cmd += ["--workers", "1", "--index-in-process"]
        elif workers is not None:
            cmd += ["--workers", str(workers)]
        self.proc = subprocess.Popen(cmd, env=self.env, cwd=data_dir.parent, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 600  # a machine shared with other work starts slowly (demo seed, imports)
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited with {self.proc.returncode}; see {self.log.name}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200 and self.started():
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise SystemExit("server did not start within 600 s")
            time.sleep(0.2)
        if shape == "external":  # as docker-compose.yml runs it: the index worker beside the server
            self.indexer = subprocess.Popen(
                [*saraban_command(), "worker"],
                env=self.env,
                cwd=data_dir.parent,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            # A deployed worker has long finished starting (imports, the Thai dictionary): wait for it, so that
            # its start-up is not counted against the first phase.
            assert self.indexer.stdout is not None
            for line in self.indexer.stdout:
                self.log.write(line)
                if b"indexing worker started" in line:
                    break
            else:
                raise SystemExit(f"the index worker exited with {self.indexer.wait()}; see {self.log.name}")
            threading.Thread(target=shutil.copyfileobj, args=(self.indexer.stdout, self.log), daemon=True).start()

    def started(self) -> bool:
        """Whether every process the server starts is ready: the supervisor of `saraban serve` says so once all
        are (the first server answers /healthz while the others still load, seconds of CPU each, which the first
        phase would share the machine with); one process (`--index-in-process`) is ready when it answers."""
        if self.shape == "single":
            return True
        self.log.flush()
        return b"\nready: " in Path(self.log.name).read_bytes()

    def indexer_processes(self) -> list[psutil.Process]:
        """The index worker: run beside the server, or the supervised child `saraban serve` started."""
        if self.indexer is not None:
            with contextlib.suppress(psutil.NoSuchProcess):
                return [psutil.Process(self.indexer.pid)]
            return []
        return [p for p in self._tree() if self._is_indexer(p)]

    @staticmethod
    def _is_indexer(p: psutil.Process) -> bool:
        with contextlib.suppress(psutil.Error):
            return "worker" in p.cmdline()[-1:]
        return False

    def indexer_cpu_seconds(self) -> float:
        total = 0.0
        for p in self.indexer_processes():
            with contextlib.suppress(psutil.NoSuchProcess):
                t = p.cpu_times()
                total += t.user + t.system
        return total

    def _tree(self) -> list[psutil.Process]:
        try:
            root = psutil.Process(self.proc.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def processes(self) -> list[psutil.Process]:
        """The server's process tree (supervisor and server processes, not the index worker nor what it runs,
        such as pdftotext)."""
        tree = self._tree()
        skip: set[int] = set()
        for p in tree:
            if self._is_indexer(p):
                skip.add(p.pid)
                with contextlib.suppress(psutil.Error):
                    skip.update(c.pid for c in p.children(recursive=True))
        return [p for p in tree if p.pid not in skip]

    def rss(self) -> int:
        total = 0
        for p in self.processes():
            with contextlib.suppress(psutil.NoSuchProcess):
                total += p.memory_info().rss
        return total

    def cpu_seconds(self) -> float:
        """User + system CPU of the server's process tree so far."""
        total = 0.0
        for p in self.processes():
            with contextlib.suppress(psutil.NoSuchProcess):
                t = p.cpu_times()
                total += t.user + t.system
        return total

    def stop(self) -> None:
        if self.indexer is not None:
            self.indexer.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.indexer.wait(timeout=20)
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


# ---------------------------------------------------------------------------------------------- clients


def token(base: str) -> str:
    r = httpx.post(f"{base}/api/v1/auth/token", data={"username": "central", "password": PASSWORD}, timeout=60)
    r.raise_for_status()
    return str(r.json()["access_token"])


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    latencies: list[float]
    errors: int
    server_cpu: float = 0.0  # seconds of server CPU spent in the phase
    indexer_cpu: float = 0.0  # seconds of the index worker's CPU in the phase (it may lag behind)
    client_cpu: float = 0.0  # seconds of this (client) process's CPU in the phase

    @property
    def rate(self) -> float:
        return (self.requests - self.errors) / self.seconds

    def row(self) -> str:
        lat = self.latencies or [0.0]
        return (
            f"{self.name:<22} {self.requests:>6} {self.errors:>4} {self.rate:>9.1f} "
            f"{pct(lat, 0.5) * 1000:>8.1f} {pct(lat, 0.95) * 1000:>8.1f} {max(lat) * 1000:>8.1f} "
            f"{self.server_cpu / max(1, self.requests) * 1000:>8.2f} "
            f"{self.indexer_cpu / max(1, self.requests) * 1000:>8.2f} "
            f"{self.client_cpu / max(1, self.requests) * 1000:>8.2f}"
        )


Part = tuple[str, str | None, bytes, str]  # (field, filename, content, content type)


def encode_multipart(parts: list[Part]) -> tuple[bytes, str]:
    """A multipart/form-data body, built in the client thread before the clock starts."""
    boundary = f"saraban-bench-{uuid.uuid4().hex}"
    chunks: list[bytes] = []
    for field, filename, content, ctype in parts:
        disposition = f'form-data; name="{field}"' + (f'; filename="{filename}"' if filename else "")
        chunks.append(f"--{boundary}\r\nContent-Disposition: {disposition}\r\nContent-Type: {ctype}\r\n\r\n".encode())
        chunks.append(content)
        chunks.append(b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


class KeepAlive:
    """HTTP/1.1 over one keep-alive socket, as lean as a load generator can be in Python.

    ``http.client`` parses every answer's headers with the ``email`` package: of its 0.27 ms of CPU a registration
    (one client, measured here) about 0.17 ms was that parsing, and with one client the client's CPU is part of
    every round trip (the server waits for the next request), so it counted against the server's rate. This one
    reads the status line and the headers it needs (``Content-Length``, ``Transfer-Encoding``, ``Connection``);
    the server's answer is still read whole and checked (``run_phase``). ``--client http.client`` measures with
    the standard library's client instead, for comparison with figures taken before.
    """

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self._open()

    def _open(self) -> None:
        self.sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.file = self.sock.makefile("rb")

    def close(self) -> None:
        self.file.close()
        self.sock.close()

    def request(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.sock.sendall(
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Length: {len(body)}\r\n"
            f"{head}\r\n".encode("latin-1")
            + body
        )
        status_line = self.file.readline(65537)
        parts = status_line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise ConnectionError(f"not an HTTP answer: {status_line[:100]!r}")
        length: int | None = None
        chunked = close = False
        while True:
            line = self.file.readline(65537)
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection":
                close = b"close" in value.lower()
        if chunked:
            chunks = []
            while size := int(self.file.readline(65537).split(b";")[0], 16):
                chunks.append(self.file.read(size))
                self.file.readline(65537)
            while self.file.readline(65537) not in (b"\r\n", b"\n", b""):  # trailers
                pass
            data = b"".join(chunks)
        elif length is not None:
            data = self.file.read(length)
        else:
            data, close = self.file.read(), True
        if close:
            self.close()
            self._open()
        return int(parts[1]), data


class StdlibClient:
    """The same requests through ``http.client`` (``--client http.client``)."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.conn = http.client.HTTPConnection(host, port, timeout=timeout)

    def close(self) -> None:
        self.conn.close()

    def request(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        self.conn.request(method, path, body=body, headers=headers)
        resp = self.conn.getresponse()
        return resp.status, resp.read()


CLIENTS: dict[str, type[KeepAlive] | type[StdlibClient]] = {"keep-alive": KeepAlive, "http.client": StdlibClient}


def run_phase(
    name: str,
    base: str,
    reg: int,
    tokens: list[str],
    n: int,
    parts: Callable[[int], list[Part]],
    warmup: int = 25,
    client: str = "keep-alive",
) -> Result:
    """``len(tokens)`` client threads on keep-alive connections (:class:`KeepAlive`: the load generator should
    cost the 2-core machine as little CPU as possible, like wrk would); the clock of each request starts once its
    body is encoded, so the latency is the server's answer time as the client sees it. Every answer must be a 201
    whose body names the new registration."""
    clients = len(tokens)
    latencies: list[float] = []
    errors: list[str] = []
    counter = iter(range(n))
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    url = urlsplit(base)
    path = f"/api/v1/registries/{reg}/receive"
    connect = CLIENTS[client]

    def work(tok: str) -> None:
        conn = connect(url.hostname or "127.0.0.1", url.port or 80, 300)

        def post(i: int) -> tuple[int, bytes, float]:
            body, ctype = encode_multipart(parts(i))
            headers = {"Authorization": f"Bearer {tok}", "Content-Type": ctype}
            t0 = time.perf_counter()
            status, data = conn.request("POST", path, body, headers)
            return status, data, time.perf_counter() - t0

        try:
            for i in range(warmup):  # connection and first-request costs stay out of the numbers
                post(-1 - i)
            start.wait()
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                status, data, dt = post(i)
                ok = status == 201 and b'"registration"' in data
                with lock:
                    if ok:
                        latencies.append(dt)
                    else:
                        errors.append(f"{status} {data[:200]!r}")
        finally:
            conn.close()

    threads = [threading.Thread(target=work, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    if errors:
        print(f"  {name}: {len(errors)} errors, first: {errors[0]}", file=sys.stderr)
    return Result(name, n, seconds, latencies, len(errors))


# Every request of a run is a letter of its own (warm-ups and phases included): the duplicate warning, on by default,
# would answer 409 to the same ที่ or the same file twice. ``next`` on a count is atomic under the GIL.
_SERIAL = itertools.count(1)


def meta_json(i: int, serial: int | None = None) -> str:
    """A letter's metadata; its printed number takes ``serial`` (else this process's next): a number the register
    holds already would be refused as a possible duplicate."""
    meta = {
        "letter_no": f"ศธ ๐๔๐๔๕/{next(_SERIAL) if serial is None else serial}",
        "letter_date": "๒๓ มีนาคม ๒๕๖๕",
        "sender": "สพฐ.",
        "subject": f"ทดสอบความเร็วการลงทะเบียน {i}",
        "urgency": "ปกติ",
    }
    return json.dumps(meta, ensure_ascii=False)


def meta_part(i: int) -> Part:
    return ("meta", None, meta_json(i).encode(), "application/json")


# ---------------------------------------------------------------------------------------------- big PDF


def big_upload(server: Server, base: str, reg: int, tok: str, path: Path) -> tuple[int, float, int, int]:
    """Upload ``path`` streamed from disk; returns (peak RSS growth, seconds, HTTP status, baseline RSS)."""
    time.sleep(1.0)
    baseline = server.rss()
    peak = baseline
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, server.rss())
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t0 = time.perf_counter()
    with (
        path.open("rb") as f,
        httpx.Client(base_url=base, headers={"Authorization": f"Bearer {tok}"}, timeout=1800) as http,
    ):
        r = http.post(
            f"/api/v1/registries/{reg}/receive",
            files=[("meta", (None, meta_json(10**6))), ("files", (path.name, f, "application/pdf"))],
        )
    seconds = time.perf_counter() - t0
    time.sleep(0.5)  # after-commit work (the stamp) runs before the response; let the sampler see the tail
    done.set()
    sampler.join()
    if r.status_code != 201:
        print(f"  big upload: {r.status_code} {r.text[:300]}", file=sys.stderr)
    return peak - baseline, seconds, r.status_code, baseline


def wait_for_index(data_dir: Path, database_url: str, timeout: float = 600) -> float:
    """Seconds until no letter is pending indexing (the index worker's lag behind the registrations)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url or f"sqlite:///{data_dir / 'saraban.sqlite3'}")
    t0 = time.perf_counter()
    try:
        while time.perf_counter() - t0 < timeout:
            with engine.connect() as conn:
                if not conn.execute(text("SELECT count(*) FROM letter WHERE index_status = 'pending'")).scalar():
                    break
            time.sleep(0.2)
    finally:
        engine.dispose()
    return time.perf_counter() - t0


# ---------------------------------------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", default="", help="PostgreSQL URL (default: SQLite in the temp data dir)")
    ap.add_argument("--workers", type=int, default=None, help="server processes (default: what `serve` starts)")
    ap.add_argument(
        "--shape",
        choices=("default", "single", "external"),
        default="default",
        help="default: `saraban serve` as it starts (server processes + the supervised index worker); single: "
        "`--workers 1 --index-in-process`; external: SARABAN_INDEX_MODE=worker and a `saraban worker` started "
        "beside the server (as docker-compose.yml runs it)",
    )
    ap.add_argument("--clients", type=int, default=4, help="concurrent client threads of the PDF phases")
    ap.add_argument("--meta", type=int, default=3000, help="metadata-only registrations (each of the two phases)")
    ap.add_argument("--pdf1", type=int, default=200, help="registrations with a 1-page PDF")
    ap.add_argument("--pdf20", type=int, default=50, help="registrations with a 20-page PDF")
    ap.add_argument("--big-mb", type=int, default=200, help="size of the big PDF (0: skip)")
    ap.add_argument("--keep", action="store_true", help="keep the temp directory")
    ap.add_argument(
        "--client",
        choices=sorted(CLIENTS),
        default="keep-alive",
        help="the load generator's HTTP client: keep-alive (lean, the default) or http.client (the standard "
        "library's, as figures before 2026-11-30 were taken)",
    )
    args = ap.parse_args()

    from tests.samples import thai_letter_pdf, write_big_pdf

    work = Path(tempfile.mkdtemp(prefix="saraban-bench-"))
    data_dir = work / "var"
    data_dir.mkdir()
    pdf1 = thai_letter_pdf(pages=1)
    pdf20 = thai_letter_pdf(pages=20)
    speed = machine_speed()
    print(
        f"server: {' '.join(saraban_command())} serve (shape {args.shape}, workers {args.workers or 'default'}); "
        f"db: {args.database_url.split('@')[-1] if args.database_url else 'sqlite'}; clients: {args.clients}; "
        f"cpus: {os.cpu_count()}; load: {os.getloadavg()[0]:.1f}; client: {args.client}"
    )
    print(f"machine speed: sum(range(10**7)) in {speed:.3f} s CPU (best of 3; compare runs of like speed)")
    try:
        server = Server(
            data_dir=data_dir,
            database_url=args.database_url,
            workers=args.workers,
            max_file_mb=max(300, args.big_mb + 50),
            shape=args.shape,
        )
    except BaseException:  # a server that did not start leaves no temp directory behind either
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        raise
    results: list[Result] = []
    big: tuple[int, float, int, int] | None = None
    try:
        base = server.url
        tokens = [token(base) for _ in range(max(8, args.clients))]
        regs = httpx.get(f"{base}/api/v1/registries", headers={"Authorization": f"Bearer {tokens[0]}"}).json()
        reg = next(r["id"] for r in regs if r["code"] == "central")

        def with_pdf(data: bytes, name: str) -> Callable[[int], list[Part]]:
            # a distinct file each time (the store deduplicates identical bytes); the suffix is after %%EOF
            return lambda i: [
                meta_part(i),
                ("files", name, data + f"\n% {next(_SERIAL)}\n".encode(), "application/pdf"),
            ]

        c = args.clients
        idx_start = server.indexer_cpu_seconds()
        phases: list[tuple[str, int, int, Callable[[int], list[Part]]]] = [
            ("metadata, 1 client", args.meta, 1, lambda i: [meta_part(i)]),
            ("metadata, 8 clients", args.meta, 8, lambda i: [meta_part(args.meta + i)]),
            (f"1-page PDF, {c} cl.", args.pdf1, c, with_pdf(pdf1, "letter.pdf")),
            (f"20-page PDF, {c} cl.", args.pdf20, c, with_pdf(pdf20, "letter20.pdf")),
        ]
        for name, n, clients, files in phases:
            if n > 0:
                print(f"running {name} x {n} ...", flush=True)
                cpu0, own0, idx0 = server.cpu_seconds(), time.process_time(), server.indexer_cpu_seconds()
                result = run_phase(name, base, reg, tokens[:clients], n, files, client=args.client)
                # both include the warm-up requests: a slight overstatement
                result.server_cpu, result.client_cpu = server.cpu_seconds() - cpu0, time.process_time() - own0
                result.indexer_cpu = server.indexer_cpu_seconds() - idx0
                results.append(result)
        if args.shape != "single":
            drain = wait_for_index(data_dir, args.database_url)
            print(f"index worker caught up {drain:.1f} s after the last registration", flush=True)
            letters = sum(r.requests - r.errors for r in results)
            idx_total = server.indexer_cpu_seconds() - idx_start
            print(
                f"index worker CPU from the first registration until caught up: {idx_total:.1f} s, "
                f"{idx_total * 1000 / max(1, letters):.2f} ms per letter ({letters} letters)",
                flush=True,
            )
        if args.big_mb > 0:
            path = work / "big.pdf"
            print(f"writing a {args.big_mb} MB PDF ...", flush=True)
            write_big_pdf(path, args.big_mb * MB)
            print(f"uploading {path.stat().st_size / MB:.0f} MB ...", flush=True)
            big = big_upload(server, base, reg, tokens[0], path)
            path.unlink()
    finally:
        server.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    print()
    print(
        f"{'phase':<22} {'n':>6} {'err':>4} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} "
        f"{'srv cpu':>8} {'idx cpu':>8} {'cli cpu':>8}"
    )
    print("-" * 98)
    for r in results:
        print(r.row())
    if big is not None:
        growth, seconds, status, baseline = big
        print(
            f"\n{args.big_mb} MB PDF upload: HTTP {status} in {seconds:.1f} s; server RSS baseline "
            f"{baseline / MB:.0f} MB, peak growth {growth / MB:.1f} MB"
        )
    print(
        "(srv/idx/cli cpu: CPU ms per registration of the server's processes, of the index worker during the "
        "phase, and of this client; user + system)"
    )
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (other work on the machine skews the figures)")
    print("\ntargets:")
    by = {r.name.split(",")[0] + ("" if "PDF" in r.name else r.name.split(",")[1]): r for r in results}
    checks: list[tuple[str, bool]] = []
    if "metadata 1 client" in by:
        r = by["metadata 1 client"]
        checks.append((f"metadata only, 1 client >= 600/s: {r.rate:.1f}/s", r.rate >= 600))
    if "metadata 8 clients" in by:
        p95 = pct(by["metadata 8 clients"].latencies or [0.0], 0.95) * 1000
        checks.append((f"metadata only, 8 clients p95 <= 50 ms: {p95:.1f} ms", p95 <= 50))
    if "1-page PDF" in by:
        r = by["1-page PDF"]
        p95 = pct(r.latencies or [0.0], 0.95) * 1000
        checks.append((f"1-page PDF >= 30/s: {r.rate:.1f}/s", r.rate >= 30))
        checks.append((f"1-page PDF p95 <= 200 ms: {p95:.0f} ms", p95 <= 200))
    if big is not None:
        checks.append(
            (f"RSS growth <= 64 MB for {args.big_mb} MB: {big[0] / MB:.1f} MB", big[0] <= 64 * MB and big[2] == 201)
        )
    for text, passed in checks:
        print(f"  [{'ok' if passed else 'MISS'}] {text}")
    sys.exit(0 if all(p for _, p in checks) else 1)


if __name__ == "__main__":
    main()
