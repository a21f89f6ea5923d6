"""The HTTP/1.1 connection as uvicorn parses it (httptools), with a bound on the request head and our error shape.

uvicorn reads a request's line and headers without any limit of its own: a client that sent one 200 MB header
was answered after 40 s of CPU, with the server process 375 MB larger. Here the head (request line and headers,
until the blank line) may take at most ``MAX_REQUEST_HEAD`` bytes; past that the connection is answered 431 and
closed (``request_head_too_large``). Browsers and API clients send a few kilobytes (a session cookie, a token);
nginx allows 32 KB by default, Node.js 16 KB. The body is not counted here: uploads and forms are bounded where the
app reads them (``service.edge.bodylimit``, ``service.kit.uploads``).

A request uvicorn cannot parse at all (a broken request line or header) was answered in plain text; both refusals
are problem+json with a Thai ``detail_th``, as every other refusal is (``service.edge.errors.problem``).

A refused connection is closed as nginx's "lingering close" does: the answer, then our half of the connection
(FIN), then whatever the client still sends is read and dropped, up to ``LINGER_BYTES`` or ``LINGER_SECONDS``.
Closed at once with its unread bytes, the socket would send a reset, which can destroy the answer before the
client reads it.

uvicorn runs this class wherever we start it (``service.serving.UVICORN_OPTIONS``).
"""

from __future__ import annotations

import json
import logging

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from service.edge.errors import problem
from service.kit.errors import SarabanError

log = logging.getLogger(__name__)

#: bytes a request's line and headers may take together
MAX_REQUEST_HEAD = 64 * 1024
#: after a refusal: what the client still sends is dropped up to this much, for at most this long
LINGER_BYTES = 1024 * 1024
LINGER_SECONDS = 2.0


class BadHttpRequest(SarabanError):
    status = 400
    code = "bad_http_request"
    title = "Bad request"


class RequestHeadTooLarge(SarabanError):
    status = 431
    code = "request_head_too_large"
    title = "Request header fields too large"


_STATUS_LINES = {400: b"HTTP/1.1 400 Bad Request\r\n", 431: b"HTTP/1.1 431 Request Header Fields Too Large\r\n"}


def refusal(err: SarabanError) -> bytes:
    """The whole answer, ready to write: problem+json, then the connection is closed."""
    body = json.dumps(problem(err), ensure_ascii=False).encode()
    head = [
        _STATUS_LINES[err.status],
        b"content-type: application/problem+json\r\n",
        b"content-length: %d\r\n" % len(body),
        b"x-content-type-options: nosniff\r\n",
        b"cache-control: no-store\r\n",
        b"connection: close\r\n",
        b"\r\n",
    ]
    return b"".join(head) + body


class BoundedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, measuring each request's head while it is read, two ways: the parts httptools
    has parsed (the URL's pieces, each complete header), and the reads that ended with the head still open, which
    bound what httptools holds unparsed (a header it is still accumulating). A read in which a head began is not
    counted (part of it may be the previous request's body); reads are at most 256 KB (uvloop), so the overshoot
    is bounded too."""

    _head_open = True  # a new connection starts with a request head
    _began_in_read = False
    _parsed = 0
    _read = 0
    _refused = False
    _dropped = 0

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_open, self._began_in_read, self._parsed, self._read = True, True, 0, 0

    def on_url(self, url: bytes) -> None:
        self._parsed += len(url)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._parsed += len(name) + len(value) + 4  # ": " and CRLF
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._head_open = False
        if self._parsed > MAX_REQUEST_HEAD:  # a whole oversized head in one read: the request is not started
            self._refuse_head()
            return
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if not self._refused:
            super().on_message_complete()

    def data_received(self, data: bytes) -> None:
        if self._refused:  # lingering: dropped, and enough of it ends the wait
            self._dropped += len(data)
            if self._dropped > LINGER_BYTES:
                self.transport.close()
            return
        self._began_in_read = False
        super().data_received(data)
        if self._head_open and not self._refused:
            if not self._began_in_read:
                self._read += len(data)
            if max(self._read, self._parsed) > MAX_REQUEST_HEAD:
                self._refuse_head()

    def _refuse_head(self) -> None:
        log.warning("request head over %d bytes from %s: refused", MAX_REQUEST_HEAD, self.client)
        self._refuse(
            RequestHeadTooLarge(
                f"the request line and headers take more than {MAX_REQUEST_HEAD // 1024} KB",
                thai=f"ที่อยู่หรือส่วนหัวของคำขอยาวเกิน {MAX_REQUEST_HEAD // 1024} KB",
            )
        )

    def send_400_response(self, msg: str) -> None:  # uvicorn's one message: "Invalid HTTP request received."
        self._refuse(BadHttpRequest("not a valid HTTP request", thai="คำขอไม่อยู่ในรูปแบบ HTTP ที่ถูกต้อง"))

    def _refuse(self, err: SarabanError) -> None:
        transport = self.transport
        if self._refused or transport.is_closing():
            return
        self._refused = True
        transport.write(refusal(err))
        if not transport.can_write_eof():
            transport.close()
            return
        transport.write_eof()  # the client's own end (EOF) closes the transport (uvicorn's eof_received)
        self.loop.call_later(LINGER_SECONDS, transport.close)
