"""``saraban reindex`` and ``saraban worker``: building and feeding the search index."""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from search import SearchIndex
from search.thai import load_dictionary
from service.context import from_env
from service.indexing.indexer import reindex as rebuild
from service.indexing.indexer import run_worker
from service.indexing.replica import read_state
from service.kit.console import out
from service.receiving.stampjob import start_stamp_job
from service.serving import ready_signal


def reindex(
    resume: Annotated[bool, typer.Option(help="Keep what is indexed; add what is missing.")] = False,
    procs: Annotated[
        int, typer.Option(min=0, max=16, help="Indexing processes besides the reader (0: as many as cores, max 2).")
    ] = 0,
) -> None:
    """Rebuild the search index from the database and the stored originals."""
    app = from_env()
    index = SearchIndex(app.settings.index_path)
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=out,
    ) as progress:
        task = progress.add_task("indexing", total=None)

        def tick(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        done = rebuild(app, index, resume=resume, procs=procs or None, progress=tick)
    index.close()
    out.print(f"indexed {done} letter(s)")
    state = read_state(app.settings.index_path)
    if state is not None:
        out.print(f"node {state.node_id} follows the change log from entry {state.cursor}")


def worker(
    once: Annotated[bool, typer.Option(help="Catch up with the change log, then stop.")] = False,
    nice: Annotated[int, typer.Option(min=0, max=19, help="Lower the worker's CPU priority by this much.")] = 10,
) -> None:
    """This node's index worker: follow the change log from the cursor beside the index (rebuilding first when
    the index is empty), for SARABAN_INDEX_MODE=worker, where servers do not index themselves.

    Indexing is background work: on a machine it shares with the server it yields the CPU to registrations
    (``--nice``) and catches up in the gaps; the database holds what is pending, so nothing waits on it. A thread
    runs the stamp job (``saraban stamp-job``) beside it.
    """
    ready = ready_signal()
    if nice:
        os.nice(nice)
    app = from_env()
    index = SearchIndex(app.settings.index_path)
    load_dictionary()
    # SIGTERM (the supervisor of `saraban serve`, a container stop) ends the worker between batches
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    out.print("indexing worker started" + (" (once)" if once else ""))
    ready()
    shown = [0.0]

    def rebuilding(done: int, total: int) -> None:  # a node with an empty index rebuilds before following the log
        now = time.monotonic()
        if done == total or now - shown[0] >= 2:
            shown[0] = now
            out.print(f"rebuilding the search index: {done:,}/{total:,} letter(s)")

    if not once:  # letters registered over the request's stamp budgets: stamped by bounded child processes
        start_stamp_job(app, stop)
    try:
        done = run_worker(app, index, once=once, stop=stop, progress=rebuilding)
    except KeyboardInterrupt:
        done = 0
    index.close()
    out.print(f"indexed {done} letter(s)")
