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

import asyncio
import json
import logging

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from service.edge.errors import problem
from service.edge.security import headers_for
from service.kit.errors import SarabanError

log = logging.getLogger(__name__)

#: bytes a request's line and headers may take together
MAX_REQUEST_HEAD = 64 * 1024
#: after a refusal: what the client still sends is dropped up to this much, for at most this long
LINGER_BYTES = 1024 * 1024
LINGER_SECONDS = 2.0
#: bytes of framing a chunk of a chunked body may bring (its size line) before they count against the bound
CHUNK_ALLOWANCE = 32


class BadHttpRequest(SarabanError):
    status = 400
    code = "bad_http_request"
    title = "Bad request"


class RequestHeadTooLarge(SarabanError):
    status = 431
    code = "request_head_too_large"
    title = "Request header fields too large"


def refusal(err: SarabanError) -> bytes:
    """The whole answer, ready to write: problem+json with the headers every answer has, then the connection is
    closed."""
    body = json.dumps(problem(err), ensure_ascii=False).encode()
    head = [STATUS_LINE[err.status], b"content-type: application/problem+json\r\n"]
    head += [b"%s: %s\r\n" % header for header in headers_for("")]
    head += [b"content-length: %d\r\n" % len(body), b"connection: close\r\n\r\n"]
    return b"".join(head) + body


class BoundedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, measuring what httptools may hold of a request besides its body.

    The head two ways: the parts httptools has parsed (the URL's pieces, each complete header), and the reads that
    ended with the head still open, which bound what it holds unparsed (a header it is still accumulating). After
    the head, while the body is read, the bytes of each read that did not reach the body (chunk sizes, and the
    trailer fields after the last chunk, which httptools accumulates as it does headers), with an allowance per
    chunk. A read in which a head or a body began is not counted (part of it belongs to what came before); reads are
    at most 256 KB (uvloop), so the overshoot is bounded too. Once refused, nothing more of the connection is
    parsed: no pipelined request behind it is started."""

    _head_open = True  # a new connection starts with a request head
    _in_body = False
    _began_in_read = False
    _parsed = 0
    _read = 0
    _framing = 0
    _body_in_read = 0
    _chunks_in_read = 0
    _refused = False
    _dropped = 0
    _linger: asyncio.TimerHandle | None = None

    def on_message_begin(self) -> None:
        if self._refused:
            return
        super().on_message_begin()
        self._head_open, self._in_body, self._began_in_read, self._parsed, self._read = True, False, True, 0, 0

    def on_url(self, url: bytes) -> None:
        if self._refused:
            return
        self._parsed += len(url)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._refused:
            return
        self._parsed += len(name) + len(value) + 4  # ": " and CRLF
        if not self._head_open:  # a trailer: the app has no use for them, and they are bounded as the head is
            self._framing += len(name) + len(value) + 4
            return
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        if self._refused:
            return
        self._head_open, self._in_body, self._began_in_read, self._framing = False, True, True, 0
        if self._parsed > MAX_REQUEST_HEAD:  # a whole oversized head in one read: the request is not started
            self._refuse_oversized()
            return
        super().on_headers_complete()

    def on_chunk_header(self) -> None:
        self._chunks_in_read += 1

    def on_body(self, body: bytes) -> None:
        if self._refused:
            return
        self._body_in_read += len(body)
        super().on_body(body)

    def on_message_complete(self) -> None:
        if self._refused:
            return
        self._in_body = False
        super().on_message_complete()

    def _should_upgrade(self) -> bool:
        return not self._refused and super()._should_upgrade()

    def data_received(self, data: bytes) -> None:
        if self._refused:  # lingering: dropped, and enough of it ends the wait
            self._dropped += len(data)
            if self._dropped > LINGER_BYTES:
                self.transport.close()
            return
        self._began_in_read, self._body_in_read, self._chunks_in_read = False, 0, 0
        super().data_received(data)
        if self._refused or self._began_in_read:
            return
        if self._head_open:
            self._read += len(data)
            over = self._read > MAX_REQUEST_HEAD
        elif self._in_body:  # what this read carried besides the body: chunk sizes and trailers
            self._framing += max(0, len(data) - self._body_in_read - CHUNK_ALLOWANCE * self._chunks_in_read)
            over = self._framing > MAX_REQUEST_HEAD
        else:
            over = False
        if over or self._parsed > MAX_REQUEST_HEAD:
            self._refuse_oversized()

    def _refuse_oversized(self) -> None:
        log.warning("request head or trailers over %d bytes from %s: refused", MAX_REQUEST_HEAD, self.client)
        self._refuse(
            RequestHeadTooLarge(
                f"the request line and headers (or its trailers) take more than {MAX_REQUEST_HEAD // 1024} KB",
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
        # an answer still being worked on (or pipelined requests waiting): dropped, as a closed connection drops
        # them; the app's later writes go nowhere instead of failing on a connection we half-closed
        self.pipeline.clear()
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.disconnected = True
            self.cycle.message_event.set()
        transport.write(refusal(err))
        if not transport.can_write_eof():
            transport.close()
            return
        transport.write_eof()  # the client's own end (EOF) closes the transport (uvicorn's eof_received)
        self.flow.resume_reading()  # read what still comes, to drop it
        self._linger = self.loop.call_later(LINGER_SECONDS, transport.close)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._linger is not None:
            self._linger.cancel()
        super().connection_lost(exc)
