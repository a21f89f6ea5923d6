"""The shape ``saraban serve`` starts by default: several server processes and the index worker, supervised.

One listening socket is opened here and inherited by every server process (the kernel hands each connection to
one of them); the index worker indexes what the servers mark pending (the database is the queue, so a worker that
dies loses nothing: its successor takes the same letters); in a thread it runs the stamp job, which stamps what
was registered over the request's stamp budgets (``service.receiving.stampjob``). The supervisor restarts a child
that dies, and on SIGINT/SIGTERM stops them all and waits for them. Children are told to die with the supervisor (Linux
``PR_SET_PDEATHSIG``), so even a supervisor killed outright leaves no process behind.

Each child says when it is ready (a server: its app started and accepting; the index worker: following the log) on a
pipe the supervisor reads (``SARABAN_READY_FD``); once all are, the supervisor prints ``ready``. Until then the ones
still starting (imports, the Thai word list: seconds of CPU each) compete with the first to serve, so a client that
starts at the first answer of ``/healthz`` measures a server still starting (``bench/register.py`` waits for it).

    python -m service.serving server --fd N     one server process on an inherited socket (started by the supervisor)
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

#: How we run uvicorn, wherever we start it (``serve``, ``serve --index-in-process``, the tests' live server):
#: - ``proxy_headers``: uvicorn believes ``X-Forwarded-For`` and ``-Proto`` from 127.0.0.1 by default (and from
#:   whatever ``FORWARDED_ALLOW_IPS`` says), rewriting the client's address before the app sees it: a client on the
#:   machine could then put any address in the audit trail and the sign-in throttle's key, whatever
#:   ``SARABAN_TRUSTED_PROXIES`` says. The app has the one rule for proxies (``service.edge.security.client_ip``).
#: - ``server_header``: no ``server: uvicorn`` on every answer (it tells an attacker what to look up).
#: - ``http``: uvicorn's httptools protocol with a bound on the request's line and headers, and problem+json for a
#:   request it cannot parse (``service.edge.http1``).
UVICORN_OPTIONS: dict[str, Any] = {
    "proxy_headers": False,
    "server_header": False,
    "http": "service.edge.http1:BoundedHttpProtocol",
}
READY_FD = "SARABAN_READY_FD"  # the pipe a supervised child writes its pid to once it is ready
RESTART_BACKOFF_MAX = 10.0  # seconds: a child that keeps dying at start is retried at most this often
STOP_GRACE = 20.0  # seconds a child has to stop on SIGTERM before it is killed


def default_workers() -> int:
    """Server processes: one per core, at least two (a request waiting on the disk leaves the core to another)."""
    return max(2, min(8, os.cpu_count() or 2))


def ready_signal() -> Callable[[], None]:
    """How this process tells its supervisor it is ready: call the answer once, when it is. The pipe is taken out
    of the environment at once, so that no process this one starts inherits it; without a supervisor the answer
    does nothing."""
    fd = os.environ.pop(READY_FD, None)
    pending = [int(fd)] if fd is not None and fd.isdigit() else []

    def notify() -> None:
        while pending:
            ready_fd = pending.pop()
            with contextlib.suppress(OSError):
                os.write(ready_fd, b"%d\n" % os.getpid())
                os.close(ready_fd)

    return notify


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the supervisor dies, however it dies (Linux only)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Child:
    """One supervised process: its name, its command and its current incarnation."""

    name: str
    argv: Sequence[str]
    pass_fds: tuple[int, ...] = ()
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    ready: bool = False
    restarts: int = 0
    backoff: float = 0.5
    next_start: float = 0.0

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None


@dataclass
class Supervisor:
    """Starts the children, restarts those that die, stops them all on SIGINT/SIGTERM."""

    children: list[Child]
    env: dict[str, str]
    say: Callable[[str], None] = print
    _stopping: bool = field(default=False, init=False)
    _ready_r: int = field(default=-1, init=False)
    _ready_w: int = field(default=-1, init=False)
    _heard: bytes = field(default=b"", init=False)
    _all_ready: bool = field(default=False, init=False)
    _begun: float = field(default=0.0, init=False)

    def _start(self, child: Child) -> None:
        child.proc = subprocess.Popen(
            list(child.argv),
            env={**self.env, READY_FD: str(self._ready_w)},
            pass_fds=(*child.pass_fds, self._ready_w),
            preexec_fn=_die_with_parent,  # the supervisor runs no threads
            start_new_session=True,  # Ctrl-C reaches the supervisor only; it stops the children in order
        )
        child.started = time.monotonic()
        child.ready = False
        self.say(f"{child.name} started (pid {child.proc.pid})")

    def _listen(self, timeout: float) -> None:
        """Wait up to ``timeout`` for children saying they are ready; announce it once all are."""
        readable, _, _ = select.select([self._ready_r], [], [], timeout)
        if not readable:
            return
        self._heard += os.read(self._ready_r, 4096)
        *lines, self._heard = self._heard.split(b"\n")
        pids = {int(line) for line in lines if line.strip().isdigit()}
        for child in self.children:
            if child.pid in pids:
                child.ready = True
                if self._all_ready:  # a restarted child
                    self.say(f"{child.name} ready (pid {child.pid})")
        if not self._all_ready and all(c.ready for c in self.children):
            self._all_ready = True
            self.say(f"ready: every process started in {time.monotonic() - self._begun:.1f} s")

    def _on_signal(self, signum: int, _frame: object) -> None:
        self._stopping = True

    def run(self) -> int:
        """Supervise until told to stop; the exit status is 0 after a clean stop."""
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        self._ready_r, self._ready_w = os.pipe()
        self._begun = time.monotonic()
        for child in self.children:
            self._start(child)
        try:
            while not self._stopping:
                now = time.monotonic()
                for child in self.children:
                    if child.proc is None:
                        if now >= child.next_start:
                            self._start(child)
                        continue
                    code = child.proc.poll()
                    if code is None:
                        if now - child.started > 30:
                            child.backoff = 0.5  # it lived: the next death is not a crash loop
                        continue
                    child.restarts += 1
                    child.proc, child.ready = None, False
                    child.next_start = now + child.backoff
                    self.say(f"{child.name} exited with {code}; restarting in {child.backoff:.1f} s")
                    child.backoff = min(RESTART_BACKOFF_MAX, child.backoff * 2)
                self._listen(0.2)
        finally:
            self.stop()
            os.close(self._ready_r)
            os.close(self._ready_w)
        return 0

    def stop(self) -> None:
        running = [c.proc for c in self.children if c.proc is not None and c.proc.poll() is None]
        for proc in running:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        for proc in running:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.say("stopped")


def listening_socket(host: str, port: int) -> socket.socket:
    """The socket every server process accepts on, inherited by them."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve_supervised(
    *, host: str, port: int, workers: int, index_worker: bool, say: Callable[[str], None] = print
) -> int:
    """Run ``workers`` server processes on one socket, and the index worker unless ``index_worker`` is false
    (then the servers only mark letters pending, for a worker run elsewhere)."""
    sock = listening_socket(host, port)
    fd = sock.fileno()
    env = {**os.environ, "SARABAN_INDEX_MODE": "worker"}
    children = [
        Child(f"server {i + 1}", [sys.executable, "-m", "service.serving", "server", "--fd", str(fd)], (fd,))
        for i in range(workers)
    ]
    if index_worker:
        children.append(Child("index worker", [sys.executable, "-m", "service", "worker"]))
    try:
        return Supervisor(children, env, say).run()
    finally:
        sock.close()


def run_server_child(fd: int) -> None:
    """One server process: the app on the inherited socket, stopping cleanly on SIGTERM/SIGINT."""
    import uvicorn

    from service.app import create_app
    from service.config import Settings
    from service.context import build

    ready = ready_signal()

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:  # the app's lifespan warm-up done and the socket served
                ready()

    sock = socket.socket(fileno=fd)
    app = create_app(build(Settings()))
    config = uvicorn.Config(app, log_level="warning", access_log=False, **UVICORN_OPTIONS)
    Server(config).run(sockets=[sock])


def main(argv: Sequence[str]) -> None:
    if len(argv) == 3 and argv[0] == "server" and argv[1] == "--fd":
        run_server_child(int(argv[2]))
        return
    raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
