"""Receiving over the API: a letter with its files registered in a registry (multipart ``meta`` + ``files``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from service import audit
from service.access.rule import Actor
from service.context import Saraban
from service.edge.deps import ActorDep, app_of, where
from service.edge.gate import require_receipt
from service.edge.publicids import PublicJSONResponse as JSONResponse
from service.integrity import idempotency
from service.kit.db import WriteLockBusy, writes_queued
from service.kit.errors import InvalidInput
from service.kit.fields import Id, InputError, load_json
from service.kit.uploads import read_upload
from service.letters.input import LetterIn, parse_letter_meta
from service.receiving.dates import split_date_confirmation
from service.receiving.duplicates import split_confirmation, truthy
from service.receiving.flow import register_received, register_without_files_now

router = APIRouter(prefix="/api/v1")


_in_progress = 0
"""Registrations this process is working on (counted on the event loop's thread, the only one that touches it)."""


@router.post("/registries/{registry_id}/receive", status_code=201)
async def receive(request: Request, registry_id: Id, actor: ActorDep) -> JSONResponse:
    global _in_progress
    _in_progress += 1
    try:
        return await _receive(request, registry_id, actor)
    finally:
        _in_progress -= 1


async def _receive(request: Request, registry_id: int, actor: Actor) -> JSONResponse:
    app = app_of(request)
    s = app.settings
    # the right first: nothing of the body is read for someone who may not register here (the gate asked it)
    await require_receipt(request, actor=actor, registry_id=registry_id)
    upload = await read_upload(request, tmp_dir=app.tmp_dir, max_files=s.max_files, max_file_bytes=s.max_file_bytes)
    try:
        if "meta" not in upload.fields:
            raise InvalidInput("the form needs a 'meta' field holding the letter as JSON", thai="ไม่มีข้อมูลหนังสือ (meta)")
        raw_meta = upload.fields["meta"]
        try:  # parsed once here (bounded: depth and number size); a bad one is named by the letter's own parser
            loaded = load_json(raw_meta)
        except InputError:
            loaded = None
        meta, confirm = split_confirmation(loaded if isinstance(loaded, dict) else raw_meta)
        meta, confirm_date = split_date_confirmation(meta)
        confirm_date = confirm_date or truthy(upload.fields.get("confirm_date", ""))
        confirm = confirm or truthy(upload.fields.get("confirm_duplicate", ""))
        confirm = confirm or truthy(request.query_params.get("confirm_duplicate", ""))
        data = parse_letter_meta(meta)
        # a retry with the same Idempotency-Key: the first answer, nothing registered anew
        claim = idempotency.make_claim(
            actor.id,
            request.headers.get("idempotency-key"),
            f"POST {request.url.path}",
            upload.fields["meta"],
            f"confirm_duplicate={confirm}",
            *(["confirm_date=True"] if confirm_date else []),
            *(f"{f.filename}\0{f.staged.sha256}" for f in upload.files),
        )
        first = await run_in_threadpool(idempotency.replay, app, claim) if claim is not None else None
    except Exception:
        upload.discard()
        raise
    if first is not None:
        upload.discard()
        return JSONResponse(first.body, status_code=first.status)
    result = None
    if not upload.files and claim is None and _in_progress == 1 and writes_queued(app.engine):
        result = _register_now(
            app,
            actor=actor,
            registry_id=registry_id,
            data=data,
            where=where(request),
            confirm_duplicate=confirm,
            confirm_date=confirm_date,
        )
    if result is None:
        result = await run_in_threadpool(
            register_received,
            app,
            actor=actor,
            registry_id=registry_id,
            data=data,
            upload=upload,
            where=where(request),
            confirm_duplicate=confirm,
            claim=claim,
            confirm_date=confirm_date,
        )
    return JSONResponse(result, status_code=201)


def _register_now(
    app: Saraban,
    *,
    actor: Actor,
    registry_id: int,
    data: LetterIn,
    where: audit.Where,
    confirm_duplicate: bool,
    confirm_date: bool,
) -> dict[str, Any] | None:
    """A letter without files on SQLite, registered on the event loop, without a thread hop (about 0.13 ms of CPU
    and a thread's wake-up each way), while it is the only registration this process is working on; None when the
    write lock is held elsewhere this instant (nothing read or written: the caller sends it to a thread as every
    other registration). Safe on the event loop because nothing in it waits: no file is hashed, stored or stamped,
    and its one transaction is begun only with the lock free (``register_without_files_now``). With other
    registrations in progress the thread is better: the loop stays free to read their bodies and send their
    answers (8 clients, on a loaded machine: p95 118-122 ms with every registration on the loop, 77-109 ms with
    the thread; noisy figures, README "Measured figures"); so are the reads' own transaction outside the write
    lock there (one transaction in the thread measured no better with 8 clients)."""
    try:
        return register_without_files_now(
            app,
            actor=actor,
            registry_id=registry_id,
            data=data,
            where=where,
            confirm_duplicate=confirm_duplicate,
            confirm_date=confirm_date,
        )
    except WriteLockBusy:
        return None
