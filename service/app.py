"""The composition root: builds the FastAPI app around one ``Saraban`` context."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.context import Saraban
from service.errors import SarabanError
from service.http import http_error_handler, saraban_error_handler, validation_error_handler


def create_app(saraban: Saraban) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        _warm_up()
        if saraban.indexer is not None:
            saraban.indexer.start()
        yield
        if saraban.indexer is not None:
            saraban.indexer.stop()

    app = FastAPI(
        title="Saraban",
        version="0.1.0",
        lifespan=lifespan,
        description="ระบบสารบรรณ — Thai government document registry",
    )
    app.state.saraban = saraban
    app.add_exception_handler(SarabanError, saraban_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    from service.api import router as api_router
    from service.web import mount_web

    app.include_router(api_router)
    mount_web(app)
    return app


def _warm_up() -> None:
    """Load what the first upload would otherwise wait for (PDF and font libraries, the Thai font's glyphs):
    once per process, before the server takes requests."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from service.stamp import ReceiveStamp, render_stamp

    render_stamp(ReceiveStamp("สพป.", 1, datetime(2026, 1, 1, tzinfo=ZoneInfo("Asia/Bangkok"))))


def app_from_env() -> FastAPI:
    """For ``uvicorn --factory service.app:app_from_env`` (used by the multi-worker server)."""
    from service.config import Settings
    from service.context import build

    return create_app(build(Settings()))
