"""Receiving over the API: a letter with its files registered in a registry (multipart ``meta`` + ``files``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from service.edge.deps import ActorDep, app_of, where
from service.kit.errors import InvalidInput
from service.kit.fields import Id
from service.kit.uploads import read_upload
from service.letters.input import parse_letter_meta
from service.receiving.flow import register_received

router = APIRouter(prefix="/api/v1")


@router.post("/registries/{registry_id}/receive", status_code=201)
async def receive(request: Request, registry_id: Id, actor: ActorDep) -> JSONResponse:
    app = app_of(request)
    s = app.settings
    upload = await read_upload(request, tmp_dir=app.tmp_dir, max_files=s.max_files, max_file_bytes=s.max_file_bytes)
    try:
        if "meta" not in upload.fields:
            raise InvalidInput("the form needs a 'meta' field holding the letter as JSON", thai="ไม่มีข้อมูลหนังสือ (meta)")
        data = parse_letter_meta(upload.fields["meta"])
    except Exception:
        upload.discard()
        raise
    result = await run_in_threadpool(
        register_received, app, actor=actor, registry_id=registry_id, data=data, upload=upload, where=where(request)
    )
    return JSONResponse(result, status_code=201)
