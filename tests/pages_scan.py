"""Thai everywhere a person looks (issue 14, acceptance 4): find English sentences in the text a page shows.

``latin_sentences(html)`` extracts what a person reads on a page — text nodes and placeholders, not scripts, styles,
``<code>`` or attribute values — and returns the pieces that are English: a piece without a Thai letter holding two
or more Latin words, three Latin words in a row anywhere, or a raw identifier (``user_created``,
``ocr-unavailable``). Code values are allowed: ids and numbers, file names, e-mail addresses, paths and URLs, ศธ
codes, hashes, media types and the acronyms people read as such (PDF, CSV, XLSX, API, SHA-256 …).

``HtmlRecorder`` is an ASGI middleware that keeps every HTML page a live server sends, so the browser tests can scan
what the browser was shown (``tests/browser/conftest.py``).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from html.parser import HTMLParser
from typing import Any

THAI = re.compile(r"[\u0e00-\u0e7f]")
TOKEN = re.compile(r"[A-Za-z0-9_@./:+#%&=?~-]+")
# Names people read as they are (products, formats, standards, the service's own name).
ALLOWED_WORDS = frozenset(
    {
        "saraban",
        "word",
        "excel",
        "chromium",
        "tesseract",
        "poppler",
        "swagger",
        "redoc",
        "bearer",
        "token",  # "API token" is how the office's IT staff name it
    }
)
SKIP_TAGS = frozenset({"script", "style", "code", "kbd", "samp", "pre", "template", "noscript"})


def _is_code(token: str) -> bool:
    """A code value: has a digit or a code character, or is an acronym (all capitals)."""
    if any(ch.isdigit() for ch in token) or any(ch in token for ch in "@./:#%&=?~+"):
        return True
    letters = token.strip("-")
    return letters.isupper() or letters.lower() in ALLOWED_WORDS


def _identifier(token: str) -> bool:
    """A raw machine name leaking onto a page: ``user_created``, ``ocr-unavailable``."""
    return bool(re.fullmatch(r"[a-z]+(?:[_-][a-z]+)+", token))


def english_in(text: str) -> str | None:
    """``text`` (one piece of a page) if it holds English a person would read, else ``None``."""
    tokens = [t for t in TOKEN.findall(text) if re.search(r"[A-Za-z]", t)]
    if any(_identifier(t) and not _is_code(t) for t in tokens):
        return text
    run = 0
    for raw in text.split():
        word = raw.strip(",;:!?()\"'")
        if re.fullmatch(r"[A-Za-z][a-z']*", word) and not _is_code(word):
            run += 1
            if run >= 3:  # three English words in a row: a sentence, even inside Thai text
                return text
        else:
            run = 0
    if THAI.search(text):
        return None
    words = [t for t in tokens if not _is_code(t)]
    return text if len(words) >= 2 else None


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self._skip: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIP_TAGS:
            self._skip.append(tag)
        for name, value in attrs:
            if name in ("placeholder", "aria-label") and value:
                self.pieces.append(value)
            if name == "value" and value and ("type", "submit") in attrs:
                self.pieces.append(value)

    def handle_endtag(self, tag: str) -> None:
        if self._skip and self._skip[-1] == tag:
            self._skip.pop()

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.pieces.append(" ".join(data.split()))


def visible_pieces(html: str) -> list[str]:
    parser = _Visible()
    parser.feed(html)
    parser.close()
    return parser.pieces


def latin_sentences(html: str) -> list[str]:
    """The pieces of the page's visible text that are English."""
    return [p for p in visible_pieces(html) if english_in(p) is not None]


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class HtmlRecorder:
    """ASGI middleware: every ``text/html`` response body, with the path it answered, in ``pages``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.pages: list[tuple[str, str]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        html = False
        body: list[bytes] = []

        async def recording(message: Message) -> None:
            nonlocal html
            if message["type"] == "http.response.start":
                headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in message.get("headers", [])}
                html = headers.get("content-type", "").startswith("text/html")
            elif message["type"] == "http.response.body" and html:
                body.append(message.get("body", b""))
                if not message.get("more_body"):
                    self.pages.append((scope.get("path", ""), b"".join(body).decode("utf-8", "replace")))
            await send(message)

        await self.app(scope, receive, recording)

    @property
    def state(self) -> Any:
        """The wrapped application's state (tests reach the Saraban through ``server.config.app.state``)."""
        return getattr(self.app, "state")  # noqa: B009 (an ASGI callable has no declared state)

    def english(self, since: int = 0) -> dict[str, list[str]]:
        """Per path, the English found on the pages served so far (from the ``since``-th page on)."""
        found: dict[str, list[str]] = {}
        for path, html in self.pages[since:]:
            bad = latin_sentences(html)
            if bad:
                found.setdefault(path, []).extend(b for b in bad if b not in found.get(path, []))
        return found


#: every recorder made in this test process (the browser tests' autouse check looks at the ones its test made)
RECORDERS: list[HtmlRecorder] = []
