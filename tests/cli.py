"""The ``saraban`` command line run inside the test process (Typer's ``CliRunner`` on ``service.cli:cli``).

A separate process paid 4–8 s a run for its imports and the migration check, and several tests run the command
five or six times. In-process the command still reads its settings from ``SARABAN_*`` variables (set for the
call only; ``os.environ`` is put back afterwards), runs in the given directory, and answers like
``subprocess.run(..., capture_output=True, text=True)``. Every app the command builds has its engines disposed
before this returns, so no connection or open file outlives the call.

Tests that must prove something about a separate process (the installed console script itself) still start one.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from unittest import mock

from rich.console import Console
from typer.testing import CliRunner

import service.cli
import service.context
import service.kit.console
from service.cli import cli
from service.kit.errors import SarabanError

#: settings of the whole suite (tests/conftest.py), kept when a test hands the command a clean environment
SUITE_SETTINGS = frozenset(
    {"SARABAN_PASSWORD_TIME_COST", "SARABAN_PASSWORD_MEMORY_KIB", "SARABAN_PASSWORD_PARALLELISM", "SARABAN_AUDIT_KEY"}
)


def run_saraban(args: Sequence[str], *, env: Mapping[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``saraban ARGS`` with the ``SARABAN_*`` settings in ``env`` (others of this process are hidden from it)."""
    built: list[service.context.Saraban] = []
    real_build = service.context.build

    def build(*a: Any, **kw: Any) -> service.context.Saraban:
        app = real_build(*a, **kw)
        built.append(app)
        return app

    with mock.patch.dict(os.environ), contextlib.chdir(cwd):  # os.environ is put back as it was
        for k in [k for k in os.environ if k.startswith("SARABAN_") and k not in SUITE_SETTINGS]:
            del os.environ[k]
        os.environ.update(env)
        # The command's console, made as a new process makes it: its width from COLUMNS (the test process's own
        # console was fixed at 80 columns by pytest-xdist when service.cli was imported).
        console = Console()
        # every command module prints through the one console of service.kit.console, bound at import
        printing = [
            m
            for name, m in sys.modules.items()
            if name.startswith("service.") and getattr(m, "out", None) is service.kit.console.out
        ]
        try:
            with contextlib.ExitStack() as stack:
                stack.enter_context(mock.patch.object(service.context, "build", build))
                for module in printing:
                    stack.enter_context(mock.patch.object(module, "out", console))
                result = CliRunner().invoke(cli, list(args))
        finally:
            for app in built:
                if app.indexer is not None:
                    app.indexer.stop()
                app.engine.dispose()
                if app.read_engine is not None:
                    app.read_engine.dispose()
    code, stderr = result.exit_code, result.stderr
    exc = result.exception
    if isinstance(exc, SarabanError):  # what service.cli.main does with it
        code, stderr = 2, f"{stderr}error: {exc.detail}\n"
    elif exc is not None and not isinstance(exc, SystemExit):  # a crash: the traceback, as a process prints it
        stderr += "".join(traceback.format_exception(exc))
    return subprocess.CompletedProcess(["saraban", *args], code, result.stdout, stderr)
