"""The right before the body (issue 10, finding 5): every write route of the API and the pages refuses someone
without the right before a byte of the body is read (``service.edge.gate``).

The requests go to the whole ASGI app (every middleware included) with a ``receive`` that counts what it hands
out: a 64 MiB body, chunked (no Content-Length), that the app would have to ask for chunk by chunk. A route that
read any of it before refusing shows a count above zero; a control request by someone who has the right shows
the counter does count.
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from service.app import create_app
from service.demo import DEMO_PASSWORD
from service.edge.gate import RIGHTS, WRITE_METHODS, _leaves
from tests.asgi import http_scope
from tests.conftest import MakeSaraban, login, registry_id

CHUNK = 64 * 1024
CHUNKS = 1024  # 64 MiB offered


def write_routes(app: FastAPI) -> list[tuple[str, str]]:
    return sorted(
        (method, route.path)
        for route in _leaves(app.router.routes)
        if isinstance(route, APIRoute)
        for method in route.methods & WRITE_METHODS
    )


def test_every_write_route_names_its_right(client: TestClient) -> None:
    keys = {f"{m} {p}" for m, p in write_routes(client.app)}  # type: ignore[arg-type]
    assert len(keys) > 100
    assert keys - RIGHTS.keys() == set(), "write routes without an entry in service.edge.gate.RIGHTS"
    assert RIGHTS.keys() - keys == set(), "entries in RIGHTS for routes that no longer exist"


@dataclass
class Sent:
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    chunks_read: int = 0


def send_big(client: TestClient, method: str, path: str, headers: dict[str, str]) -> Sent:
    """One request through the whole app with a chunked 64 MiB body; what the app asked of it is counted."""
    out = Sent()

    async def receive() -> dict[str, Any]:
        out.chunks_read += 1
        more = out.chunks_read < CHUNKS
        return {"type": "http.request", "body": b"x" * CHUNK, "more_body": more}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            out.status = message["status"]
            out.headers = {k.decode().lower(): v.decode() for k, v in message.get("headers", [])}
        elif message["type"] == "http.response.body":
            out.body += message.get("body", b"")

    scope = http_scope(method, path, {**headers, "transfer-encoding": "chunked"}.items())
    assert client.portal is not None
    client.portal.call(client.app, scope, receive, send)
    return out


def concrete(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ids.get(m.group(1), "1"), path)


def web_cookie(client: TestClient, username: str) -> str:
    client.cookies.clear()
    r = client.post("/login", data={"username": username, "password": DEMO_PASSWORD}, follow_redirects=False)
    assert r.status_code == 303, r.text
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    client.cookies.clear()
    return cookie


OPEN_TO_ALL = {
    # signing in or out and one's own password: every signed-in user has the right (their bodies are 1 MiB forms)
    "POST /api/v1/auth/token",
    "POST /api/v1/auth/revoke",
    "POST /api/v1/auth/password",
    "POST /login",
    "POST /logout",
    "POST /password",
}
STAFF_ONLY = {"POST /api/v1/archive/items/{item_id}/loans", "POST /archive/items/{item_id}/loans"}
"""Any staff member (the auditor too) may ask to borrow; an administrator's account may not."""


def test_no_byte_is_read_for_someone_without_the_right(make_saraban: MakeSaraban, any_db: str) -> None:
    app = make_saraban(any_db)
    with TestClient(create_app(app)) as c:
        api = {"auditor": login(c, "auditor"), "admin": login(c, "admin")}
        web = {"auditor": web_cookie(c, "auditor"), "admin": web_cookie(c, "admin")}
        central = registry_id(c, login(c, "central"), "central")
        ids = {"registry_id": str(central), "step": "register", "verdict": "approve", "register": "x"}
        walked = 0
        for method, path in write_routes(c.app):  # type: ignore[arg-type]
            key = f"{method} {path}"
            if key in OPEN_TO_ALL:
                continue
            who = "admin" if key in STAFF_ONLY else "auditor"
            target = concrete(path, ids)
            if path.startswith("/api/"):
                headers = {**api[who], "content-type": "application/json"}
            else:
                headers = {"cookie": web[who], "content-type": "multipart/form-data; boundary=b0undary"}
            got = send_big(c, method, target, headers)
            walked += 1
            assert got.chunks_read == 0, f"{key}: {got.chunks_read} chunks of the body read before answering"
            assert got.status in (403, 404), f"{key}: {got.status} {got.body[:300]!r}"
            if path.startswith("/api/"):
                assert got.headers["content-type"] == "application/problem+json", key
                assert b"detail_th" in got.body, key
            else:
                assert got.headers["content-type"].startswith("text/html"), key
                assert 'lang="th"' in got.body.decode(), key
            if got.status == 403:
                assert got.headers.get("x-frame-options"), key  # refusals carry the security headers too
        assert walked > 90

        # the control: the counter counts. A clerk who may register here has the body read (and bounded).
        got = send_big(
            c,
            "POST",
            f"/api/v1/registries/{central}/receive",
            {**login(c, "central"), "content-type": "multipart/form-data; boundary=b0undary"},
        )
        assert got.chunks_read > 0
        assert got.status in (400, 413, 422), got.body[:300]


def test_the_refusal_comes_before_the_client_finishes(live_server: Any) -> None:
    """Over a real socket: the auditor's refusal arrives while the client has sent 64 KiB of a chunked body that
    has not ended (the server cannot have waited for it)."""
    server = live_server()
    token = httpx.post(
        f"{server.url}/api/v1/auth/token", data={"username": "auditor", "password": DEMO_PASSWORD}
    ).json()["access_token"]
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(
            b"POST /api/v1/file-codes HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
            b"transfer-encoding: chunked\r\nauthorization: Bearer " + token.encode() + b"\r\n\r\n"
        )
        s.sendall(b"10000\r\n" + b" " * 0x10000 + b"\r\n")  # no last chunk: the body goes on
        answer = b""
        while b"\r\n\r\n" not in answer:
            part = s.recv(65536)
            if not part:
                break
            answer += part
    assert answer.startswith(b"HTTP/1.1 403"), answer[:300]
