"""``saraban stamp-job``: the background job that stamps letters registered over the request's stamp budgets."""

from __future__ import annotations

import os
import signal
import threading
from typing import Annotated

import typer

from service.context import from_env
from service.kit.console import out
from service.receiving.stampjob import run_stamp_job


def stamp_job(
    once: Annotated[bool, typer.Option(help="Try what is waiting, then stop.")] = False,
    nice: Annotated[int, typer.Option(min=0, max=19, help="Lower the job's CPU priority by this much.")] = 15,
) -> None:
    """Stamp main documents registered "not stamped: too complex", each in a bounded child process with the
    larger SARABAN_STAMP_JOB_* budgets; what still fails is marked "stamp_failed" and not tried again."""
    if nice:
        os.nice(nice)
    app = from_env()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    out.print("stamp job started" + (" (once)" if once else ""))
    try:
        report = run_stamp_job(app, once=once, stop=stop)
    except KeyboardInterrupt:
        return
    for line in report.failed:
        out.print(f"not stamped: {line}")
    out.print(f"stamped {len(report.stamped)} attachment(s), {len(report.failed)} marked stamp_failed")
