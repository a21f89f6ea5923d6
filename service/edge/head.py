"""HEAD is GET without the body (RFC 9110 §9.3.2).

FastAPI's routes answer only the methods they declare, so ``HEAD /healthz`` or ``HEAD /login`` (what uptime monitors
and ``curl -I`` send) was refused 405. Here a HEAD request goes through the app as the GET it stands for: the same
gate, reading rule, audit and status, the same headers (``content-length`` included); the server sends no body,
because uvicorn decides that on its own copy of the request (its scope still says HEAD), whatever the app writes.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


class HeadAsGet:
    """The outermost middleware: everything inside sees a GET."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "HEAD":
            scope = {**scope, "method": "GET"}  # a copy: the server's own scope keeps HEAD and drops the body
        await self.app(scope, receive, send)
