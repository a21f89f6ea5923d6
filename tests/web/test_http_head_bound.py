"""The HTTP layer itself (uvicorn as ``saraban serve`` runs it, ``service.edge.http1``): a request line and headers
past 64 KB are refused at once with 431, a request that is not HTTP with 400, both problem+json with a Thai
``detail_th``; the server stays up and answers the next request. Raw sockets: no HTTP client sends such requests."""

from __future__ import annotations

import json
import logging
import select
import socket
import time
from collections.abc import Callable

import httpx
import psutil
import pytest

from service.edge.http1 import MAX_REQUEST_HEAD
from tests.conftest import LiveServer


def exchange(port: int, head: bytes, *, then: bytes = b"", chunk: int = 64 * 1024) -> tuple[int, dict[str, str], bytes]:
    """Send ``head`` then ``then`` a chunk at a time, as a client that watches for an answer does: it stops sending
    once one arrives, and reads it to the end. (status, headers, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(head)
        for at in range(0, len(then), chunk):
            if select.select([s], [], [], 0)[0]:
                break  # answered (refused) before the request was complete
            try:
                s.sendall(then[at : at + chunk])
            except (BrokenPipeError, ConnectionResetError):
                break
        answer = b""
        while data := s.recv(65536):
            answer += data
    head_part, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head_part.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body


def blast(port: int, head: bytes, megabytes: int) -> int:
    """A client that never reads: megabytes of header until the server closes on it; the megabytes it sent."""
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(head)
        try:
            for _ in range(megabytes):
                s.sendall(b"b" * (1024 * 1024))
                sent += 1
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass
    return sent


def assert_problem(status: int, headers: dict[str, str], body: bytes, *, code: str) -> None:
    assert headers["content-type"] == "application/problem+json"
    assert int(headers["content-length"]) == len(body)
    doc = json.loads(body)
    assert doc["status"] == status and doc["code"] == code
    assert any("\u0e00" <= ch <= "\u0e7f" for ch in doc["detail_th"])  # Thai for the person reading it


def test_an_oversized_head_is_refused_without_being_read(live_server: Callable[..., LiveServer]) -> None:
    server = live_server()
    start = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: "
    status, headers, body = exchange(server.port, start, then=b"b" * (4 * 1024 * 1024))
    assert status == 431 and headers["connection"] == "close"
    assert_problem(status, headers, body, code="request_head_too_large")
    # a client that never reads: the server drops what follows up to a bound and closes, holding none of it
    rss_before = psutil.Process().memory_info().rss  # the live server runs in this process
    assert blast(server.port, start, megabytes=256) < 64
    assert psutil.Process().memory_info().rss - rss_before < 32 * 1024 * 1024
    # the same by a long URL, and by many small headers
    url = b"/healthz?q=" + b"a" * MAX_REQUEST_HEAD
    status, headers, body = exchange(server.port, b"GET " + url + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status in (400, 431)  # httptools may refuse such a line itself: still problem+json
    assert_problem(status, headers, body, code="request_head_too_large" if status == 431 else "bad_http_request")
    many = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 100) for i in range(1000))
    status, headers, body = exchange(server.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n", then=many + b"\r\n")
    assert status == 431
    # a head just under the bound is served; the server answers as before
    fits = b"X-Fits: " + b"c" * (MAX_REQUEST_HEAD - 200) + b"\r\n\r\n"
    status, _, _ = exchange(server.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n", then=fits)
    assert status == 200
    assert httpx.get(f"{server.url}/healthz").status_code == 200


def test_trailers_are_bounded_as_the_head_is(live_server: Callable[..., LiveServer]) -> None:
    """After a chunked body's last chunk come trailer fields, which httptools accumulates as it does headers."""
    server = live_server()
    chunked = b"POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n"
    # the app answers at the head (405: no POST there) while the trailer still streams: then the bound closes it
    rss_before = psutil.Process().memory_info().rss
    assert blast(server.port, chunked + b"X-Trailer: ", megabytes=256) < 64
    assert psutil.Process().memory_info().rss - rss_before < 32 * 1024 * 1024
    # a chunked body of many small chunks is a body, not framing: read whole by the app, which then answers
    form = b"username=central&password=" + b"d" * (500 * 1024)
    many = b"".join(b"%x\r\n%s\r\n" % (len(form[i : i + 1024]), form[i : i + 1024]) for i in range(0, len(form), 1024))
    head = (
        b"POST /api/v1/auth/token HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n\r\n"
    )
    status, _, body = exchange(server.port, head, then=many + b"0\r\n\r\n")
    assert status != 431 and b"request_head_too_large" not in body, body[:300]


def test_nothing_behind_a_refused_head_is_served(
    live_server: Callable[..., LiveServer], caplog: pytest.LogCaptureFixture
) -> None:
    server = live_server()
    oversized = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * (2 * MAX_REQUEST_HEAD) + b"\r\n\r\n"
    pipelined = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    status, _, body = exchange(server.port, oversized + pipelined)
    assert status == 431
    assert body.count(b"HTTP/1.1") == 0 and json.loads(body)["status"] == 431  # one answer, nothing after it
    upgrade = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
    status, _, _ = exchange(server.port, upgrade + b"X-Big: " + b"b" * (2 * MAX_REQUEST_HEAD) + b"\r\n\r\n")
    assert status == 431
    assert httpx.get(f"{server.url}/healthz").status_code == 200
    # the pipelined request was not started (its answer would fail on the half-closed connection), and the
    # upgrade did not reach uvicorn's websocket code with a request it never parsed
    time.sleep(0.3)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, errors


def test_what_is_not_http_gets_a_problem_not_plain_text(live_server: Callable[..., LiveServer]) -> None:
    server = live_server()
    for junk in (b"BROKEN\r\n\r\n", b"GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n", b"\x16\x03\x01\x02\x00"):
        status, headers, body = exchange(server.port, junk)
        assert status == 400, junk
        assert_problem(status, headers, body, code="bad_http_request")
    assert httpx.get(f"{server.url}/healthz").status_code == 200
