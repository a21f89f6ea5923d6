"""``Idempotency-Key`` on JSON creates: the key claimed before the work, the answer kept after it
(``service.integrity.idempotency``)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from fastapi import Request
from pydantic import BaseModel

from service.access.rule import Actor
from service.edge.deps import app_of
from service.edge.publicids import PublicJSONResponse as JSONResponse
from service.integrity import idempotency


def run_once(request: Request, actor: Actor, body: Any, work: Callable[[], Any], *, status: int = 201) -> Any:
    """``work()`` once per (actor, Idempotency-Key): a retry with the same key and body gets the first answer (the
    same status and body); without the header, just ``work()``. Call from a sync route (it uses the database)."""
    app = app_of(request)
    claim = idempotency.make_claim(
        actor.id,
        request.headers.get("idempotency-key"),
        f"{request.method} {request.url.path}",
        idempotency.body_hash(body),
    )
    if claim is None:
        return work()
    first = idempotency.claim(app, claim)
    if first is not None:
        return JSONResponse(first.body, status_code=first.status)
    try:
        result = work()
    except BaseException:
        idempotency.release(app, claim)
        raise
    idempotency.complete(app, claim, idempotency.Answer(status, result))
    return result


def idempotent(status: int = 201) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a sync JSON create route (with ``request``, ``actor`` and optionally ``body`` parameters) answering
    ``status`` so that it honours ``Idempotency-Key`` (:func:`run_once`); FastAPI sees the route's own signature."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def route(**kwargs: Any) -> Any:
            body = kwargs.get("body")
            if isinstance(body, BaseModel):
                body = body.model_dump(mode="json")
            return run_once(kwargs["request"], kwargs["actor"], body, lambda: fn(**kwargs), status=status)

        return route

    return decorate
