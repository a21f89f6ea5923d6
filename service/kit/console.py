"""The command line's console (rich), shared by every concept's commands."""

from __future__ import annotations

from rich.console import Console

out = Console()
err = Console(stderr=True)
