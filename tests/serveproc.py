"""A server started as a process of its own on a free port, for the tests of the deployed shape (`saraban serve`
and what it supervises, or uvicorn as `serve` runs it): started, waited for until ``/healthz`` answers, stopped
with SIGINT and, should it hang, killed with every child it left.

Started as ``argv + ["--port", PORT]``; ``SAR`` is this environment's ``saraban``.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import httpx
import psutil

from tests.conftest import free_port

SAR = Path(sys.executable).parent / "saraban"
T = TypeVar("T")


def wait_for(check: Callable[[], T], *, timeout: float, what: str, every: float = 0.1) -> T:
    """``check()``'s first true answer, asked every ``every`` seconds (a connection refused or a process gone
    counts as not yet)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError, psutil.Error):
            got = check()
            if got:
                return got
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


class ServeProcess:
    """One server process; its output (stdout and stderr) goes to ``log``."""

    def __init__(self, argv: Sequence[str], *, env: dict[str, str], cwd: Path, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        self.log = log.open("wb")
        self.proc = subprocess.Popen(
            [*argv, "--port", str(self.port)], env=env, cwd=cwd, stdout=self.log, stderr=subprocess.STDOUT
        )

    def healthy(self, *, timeout: float = 120) -> ServeProcess:
        """Wait until ``/healthz`` answers 200; a server that exits first fails at once, with what it said."""

        def up() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"the server exited with {self.proc.returncode}:\n{self.output()}")
            return httpx.get(f"{self.url}/healthz", timeout=5).status_code == 200

        wait_for(up, timeout=timeout, what=f"/healthz of the server on port {self.port}", every=0.2)
        return self

    def children(self) -> list[psutil.Process]:
        return psutil.Process(self.proc.pid).children(recursive=True)

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, *, timeout: float = 60) -> None:
        """SIGINT (the server and its supervisor shut down in order); killed, children first, if it hangs."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(psutil.Error):
                    for child in self.children():
                        child.kill()
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def __enter__(self) -> ServeProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
