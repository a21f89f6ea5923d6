"""The one place where letters and attachments get their public ids (``service.kit.publicids``): everything inside
keeps the integer keys; what leaves — JSON answers, problem details, pages, redirects — carries public ids, and
what comes in — paths, bodies, forms, queries — is decoded by the shared input types.

Which values are ids of letters or attachments is said here, once, by name:

- a key in :data:`LETTER_KEYS` / :data:`ATTACHMENT_KEYS` (``letter_id``, ``attachment_id`` …) holding an integer,
  or a key in :data:`LETTER_LIST_KEYS` holding a list of them;
- ``id`` of a letter (an object with ``letter_no`` and ``subject`` and no ``letter_id`` of its own) or of an
  attachment (an object with ``filename`` and ``sha256`` and no ``attachment_id``);
- ``object_id`` of an audit event about a letter or an attachment.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from typing import Any

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from service.kit.publicids import CURRENT, IdCodec, PublicIds, current

LETTER_KEYS = frozenset(
    {"letter_id", "replies_to_letter_id", "from_letter_id", "filter_letter_id", "replies_to_id", "reply_to"}
)
ATTACHMENT_KEYS = frozenset({"attachment_id"})
LETTER_LIST_KEYS = frozenset({"letter_ids", "destroyed"})  # "destroyed": the letters a destruction list destroyed
ATTACHMENT_LIST_KEYS = frozenset({"attachment_ids"})


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _kind_of_id(d: Mapping[str, Any]) -> str:
    if "letter_no" in d and "subject" in d and "letter_id" not in d:
        return "letter"
    if "filename" in d and "sha256" in d and "attachment_id" not in d:
        return "attachment"
    return ""


def _encode(codec: IdCodec, value: object) -> object:
    if _is_id(value):
        return codec.encode(int(value))  # type: ignore[call-overload]
    if isinstance(value, str) and value.isdigit() and 0 < len(value) <= 10:  # an audit event's object_id
        return str(codec.encode(int(value)))
    return value


_PLAIN = frozenset({str, int, float, bool, type(None)})
"""Values that hold no id by themselves (an id is told by its key): returned without a look at them. Every JSON
answer passes here, most of its values are such, and asking ``isinstance(value, Mapping)`` of each cost a
registration's answer more than encoding it."""


def publish(value: Any, ids: PublicIds) -> Any:
    """``value`` (JSON-like: dicts, lists, scalars; dataclasses copied; other objects untouched) with the ids of
    letters and attachments replaced by their public ids. A new structure; ``value`` is not changed."""
    if type(value) in _PLAIN:
        return value
    if isinstance(value, Mapping):
        kind = _kind_of_id(value)
        object_kind = value.get("object_type") if "object_id" in value else None
        out: dict[Any, Any] = {}
        for k, v in value.items():
            if k in LETTER_KEYS:
                out[k] = _encode(ids.letters, v) if not isinstance(v, str) else v
            elif k in ATTACHMENT_KEYS:
                out[k] = _encode(ids.attachments, v) if not isinstance(v, str) else v
            elif k in LETTER_LIST_KEYS and isinstance(v, list):
                out[k] = [_encode(ids.letters, i) if _is_id(i) else i for i in v]
            elif k in ATTACHMENT_LIST_KEYS and isinstance(v, list):
                out[k] = [_encode(ids.attachments, i) if _is_id(i) else i for i in v]
            elif k == "id" and kind:
                out[k] = _encode(ids.letters if kind == "letter" else ids.attachments, v)
            elif k == "object_id" and object_kind in ("letter", "attachment"):
                out[k] = _encode(ids.letters if object_kind == "letter" else ids.attachments, v)
            else:
                out[k] = v if type(v) in _PLAIN else publish(v, ids)
        return out
    if isinstance(value, list | tuple):
        return [publish(v, ids) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _publish_record(value, ids)
    return value


def _publish_record(record: Any, ids: PublicIds) -> Any:
    """A dataclass (a register's entry, an inbox item) shown on a page: a copy with its letter fields published."""
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(record):
        v = getattr(record, f.name)
        if f.name in LETTER_KEYS or f.name in ATTACHMENT_KEYS:
            if _is_id(v):
                changes[f.name] = (ids.letters if f.name in LETTER_KEYS else ids.attachments).encode(v)
        elif isinstance(v, dict | list) or (dataclasses.is_dataclass(v) and not isinstance(v, type)):
            changes[f.name] = publish(v, ids)
        elif isinstance(v, tuple) and v:
            changes[f.name] = tuple(publish(list(v), ids))
    if not changes:
        return record
    out = copy.copy(record)
    for k, v in changes.items():
        object.__setattr__(out, k, v)  # frozen records too: this copy is the page's own
    return out


def public_letter(internal: int) -> int:
    """A letter's public id, for an URL built by hand (a redirect)."""
    return current().letters.encode(internal)


def with_letter_url(item: dict[str, Any]) -> dict[str, Any]:
    """An inbox item with the address of its letter's page (public id, and the route as the anchor) when its source
    gave none: the use-case knows only the internal key."""
    if item.get("url") or not item.get("letter_id"):
        return item
    anchor = f"#route-{item['route_id']}" if item.get("route_id") else ""
    return {**item, "url": f"/letters/{public_letter(int(item['letter_id']))}{anchor}"}


def public_attachment(internal: int) -> int:
    return current().attachments.encode(internal)


class PublicJSONResponse(JSONResponse):
    """Every JSON answer of the app (the default response class, and the routes that build their own): ids of
    letters and attachments published on the way out."""

    def render(self, content: Any) -> bytes:
        codec = CURRENT.get()
        return super().render(publish(content, codec) if codec is not None else content)


class PublicIdScope:
    """ASGI middleware: the request works with its own app's codec (two apps in one process keep their keys)."""

    def __init__(self, app: ASGIApp, codec: Any) -> None:
        self.app = app
        self._codec = codec  # a callable giving the app's codec (its key is read from the database once)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = CURRENT.set(self._codec())
        try:
            await self.app(scope, receive, send)
        finally:
            CURRENT.reset(token)
