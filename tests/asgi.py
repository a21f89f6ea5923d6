"""One HTTP request's ASGI scope, for driving the whole app without a server (tests and ``bench/register_cost.py``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def http_scope(method: str, path: str, headers: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """An HTTP/1.1 request from 127.0.0.1 to ``testserver``; header names are sent lower-cased, as servers do."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
