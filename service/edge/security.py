"""Security headers on every response, and the one rule for which proxy's ``X-Forwarded-For`` is believed."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Our pages have no inline scripts (one small file: the error page's way back) and a few inline styles; the letter
# page frames our own PDFs.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# Files are shown inside the letter page (same origin) and nowhere else.
FILE_CSP = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; frame-ancestors 'self'"
# The offline Swagger UI starts itself with an inline script.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
FRAMED_PREFIXES = ("/attachments/",)
CACHEABLE_PREFIXES = ("/static/",)


def headers_for(path: str) -> list[tuple[bytes, bytes]]:
    """The security headers of an answer to ``path`` (also those the HTTP layer writes itself, ``edge.http1``)."""
    framed = path.startswith(FRAMED_PREFIXES)
    if framed:
        csp = FILE_CSP
    elif path.startswith("/docs"):
        csp = DOCS_CSP
    else:
        csp = PAGE_CSP
    headers = [
        (b"x-frame-options", b"SAMEORIGIN" if framed else b"DENY"),
        (b"content-security-policy", csp.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
    ]
    if not path.startswith(CACHEABLE_PREFIXES):
        # letters, their files and every API answer that may carry them stay out of caches and browser history
        headers.append((b"cache-control", b"no-store"))
    return headers


class SecurityHeaders:
    """One ASGI middleware: X-Frame-Options, a CSP that fits our pages, nosniff, Referrer-Policy, and
    ``Cache-Control: no-store`` on everything but the static fonts. A header the route set itself is kept."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = headers_for(scope.get("path", ""))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                have = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *(h for h in extra if h[0] not in have)]
            await send(message)

        await self.app(scope, receive, send_with_headers)


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def parse_proxies(setting: str) -> tuple[Network, ...]:
    """``SARABAN_TRUSTED_PROXIES``: comma-separated IPs or CIDRs (a bad entry is refused at start-up)."""
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in setting.split(",") if p.strip())


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, proxies: Iterable[Network]) -> bool:
    return any(ip.version == net.version and ip in net for net in proxies)


def client_ip(peer: str, forwarded_for: list[str], proxies: tuple[Network, ...]) -> str:
    """The address a request came from: the peer, unless the peer is a trusted proxy; then the nearest address in
    ``X-Forwarded-For`` that is not itself a trusted proxy. A header that is not a list of addresses is ignored
    (the peer stands), so junk (``<script>``) never reaches the audit trail."""
    peer_ip = _ip(peer)
    if peer_ip is None or not proxies or not forwarded_for or not _trusted(peer_ip, proxies):
        return peer
    hops = [h for line in forwarded_for for h in line.split(",")]
    parsed = [_ip(h) for h in hops]
    if not hops or len(hops) > 32 or any(p is None for p in parsed):
        return peer
    for ip in reversed(parsed):
        assert ip is not None
        if not _trusted(ip, proxies):
            return str(ip)
    return str(parsed[0])
