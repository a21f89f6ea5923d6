"""The composition root: builds the FastAPI app around one ``Saraban`` context."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.telemetry import TelemetryConfig
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException as StarletteHTTPException

from search.thai import load_dictionary
from service.archive import api as archive_api
from service.archive import web as archive_web
from service.audit import api as audit_api
from service.audit import web as audit_web
from service.auth import api as auth_api
from service.auth import web as auth_web
from service.config import Settings
from service.context import Saraban, build
from service.edge import assets
from service.edge.bodylimit import BodyLimit
from service.edge.errors import (
    PROBLEM_RESPONSES,
    http_error_handler,
    saraban_error_handler,
    validation_error_handler,
)
from service.edge.gate import WriteGate
from service.edge.head import HeadAsGet
from service.edge.limits import install_input_limits
from service.edge.publicids import PublicIdScope, PublicJSONResponse
from service.edge.security import SecurityHeaders
from service.indexing import api as indexing_api
from service.indexing import web as indexing_web
from service.indexing.searching import node_health
from service.kit.errors import SarabanError
from service.kit.uploads import MAX_FIELD_BYTES, MAX_FIELDS
from service.letters import api as letters_api
from service.letters import web as letters_web
from service.outgoing import api as outgoing_api
from service.outgoing import web as outgoing_web
from service.outgoing.inbox import delivery_items
from service.procedures import api as procedures_api
from service.procedures import web as procedures_web
from service.procedures.startup import load_templates
from service.receiving import api as receiving_api
from service.receiving import web as receiving_web
from service.receiving.stamp import ReceiveStamp, render_stamp
from service.registers import api as registers_api
from service.registers import web as registers_web
from service.routing import api as routing_api
from service.routing import web as routing_web
from service.routing.inbox import INBOX_SOURCES
from service.users import api as users_api
from service.users import web as users_web

log = logging.getLogger(__name__)

# The inbox gathers what waits for someone from every capability that has something waiting.
if delivery_items not in INBOX_SOURCES:
    INBOX_SOURCES.append(delivery_items)

# Order is the order of the OpenAPI document and of route matching.
ROUTERS = (
    auth_api,
    registers_api,
    receiving_api,
    letters_api,
    routing_api,
    archive_api,
    outgoing_api,
    audit_api,
    users_api,
    indexing_api,
    auth_web,
    registers_web,
    receiving_web,
    letters_web,
    outgoing_web,
    routing_web,
    audit_web,
    archive_web,
    users_web,
    assets,
    indexing_web,
    procedures_api,
    procedures_web,
)


NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}


def create_app(saraban: Saraban) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        _warm_up()
        load_templates(saraban)
        if saraban.indexer is not None:
            saraban.indexer.start()
        yield
        if saraban.indexer is not None:
            saraban.indexer.stop()

    # Swagger UI and ReDoc from the package itself: /docs works on a closed government network.
    app = FastAPIOffline(
        redoc_url=None,  # ReDoc fetches its logo from a CDN
        title="Saraban",
        version="0.1.0",
        lifespan=lifespan,
        # the forms FastAPI parses (``Form()`` parameters): bounded as they stream, a second line behind
        # ``edge.limits`` (which checks the same fields first, with Thai answers)
        form_limits={"max_fields": MAX_FIELDS, "max_files": 0, "max_part_size": MAX_FIELD_BYTES},
        description="ระบบสารบรรณ — Thai government document registry",
        default_response_class=PublicJSONResponse,  # ids of letters and attachments leave as public ids
        # FastAPI's own OpenTelemetry: we export none (a closed network, no collector), and switched on it asked
        # the global providers on every request whether anyone listens (environment reads and raised KeyErrors)
        telemetry=NO_TELEMETRY,
    )
    app.state.saraban = saraban
    app.add_exception_handler(SarabanError, saraban_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    install_input_limits(app)  # JSON shape, control characters: inside BodyLimit, which bounds the bytes first
    app.add_middleware(BodyLimit)  # forms and JSON bounded as they arrive (uploads bound themselves)
    app.add_middleware(WriteGate)  # the right from the path and the token, before any of the above reads a byte
    # paths, bodies, answers and error pages of a request (the gate's refusals too) all use this app's public ids
    app.add_middleware(PublicIdScope, codec=lambda: saraban.public_ids)
    app.add_middleware(SecurityHeaders)  # refusals carry the headers too
    app.add_middleware(HeadAsGet)  # outermost: everything inside answers a HEAD as its GET

    @app.get("/healthz")
    def healthz() -> JSONResponse:
        """200 ``ok`` or ``degraded`` (this node's search index lags: README "Scale-out"); 503 without a database."""
        status, body = node_health(saraban)
        return JSONResponse(body, status_code=status)

    for module in ROUTERS:
        # API routers document the problem+json answers every operation may give; web pages are HTML for
        # browsers, not part of the API's contract (README "Input limits").
        api = module.__name__.endswith(".api")
        app.include_router(module.router, responses=PROBLEM_RESPONSES if api else None, include_in_schema=api)
    return app


def _warm_up() -> None:
    """Load what the first upload or search would otherwise wait for (PDF and font libraries, the Thai font's
    glyphs, the Thai word list: 0.7 s of CPU, which beside the first requests slowed the first seconds' answers):
    once per process, before the server takes requests (the index worker loads the word list itself,
    ``indexing.cli.worker``)."""
    render_stamp(ReceiveStamp("สพป.", 1, datetime(2026, 1, 1, tzinfo=ZoneInfo("Asia/Bangkok"))))
    try:
        load_dictionary()
    except Exception:  # the first search loads it again, and says why it cannot
        log.exception("could not load the Thai word list ahead of the first search")


def app_from_env() -> FastAPI:
    """For ``uvicorn --factory service.app:app_from_env`` (used by the multi-worker server)."""
    return create_app(build(Settings()))
