"""The JSON API (/api/v1). Routes parse input, call one use-case inside one transaction, and render."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, time, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel
from sqlmodel import col, select
from starlette.concurrency import run_in_threadpool

from service import audit
from service.access import Actor
from service.auth import change_password, revoke_token
from service.errors import Forbidden, InvalidInput, NotFound
from service.http import app_of, bearer_actor, sign_in, where
from service.letters import (
    count_visible,
    get_visible_attachment,
    parse_letter_meta,
    read_letter,
    visible_letter_ids,
)
from service.models import AuditEvent, Letter, Membership, Registry, Rendition, Unit, User
from service.receiving import register_received
from service.registers import entries_csv, entries_pdf, register_entries
from service.roles import SECRET_KINDS, Role
from service.routing import route_letter
from service.thai import be_year, local, parse_date, to_arabic_digits
from service.uploads import read_upload

router = APIRouter(prefix="/api/v1")
ActorDep = Annotated[Actor, Depends(bearer_actor)]


@router.post("/auth/token")
def token(request: Request, username: Annotated[str, Form()], password: Annotated[str, Form()]) -> dict[str, Any]:
    secret, _, _ = sign_in(app_of(request), request, username=username, password=password, kind="api")
    return {
        "access_token": secret,
        "token_type": "bearer",
        "expires_in": app_of(request).settings.token_ttl_minutes * 60,
    }


@router.post("/auth/revoke")
def revoke(request: Request, actor: ActorDep) -> dict[str, Any]:
    app = app_of(request)
    secret = request.headers["authorization"].partition(" ")[2].strip()
    with app.tx() as uow:
        revoke_token(uow.session, secret=secret, now=app.clock())
        audit.record(uow.session, at=app.clock(), action="token_revoked", actor=actor, where=where(request))
    return {"revoked": True}


class PasswordChange(BaseModel):
    old_password: str
    new_password: str


@router.post("/auth/password")
def password(request: Request, actor: ActorDep, body: PasswordChange) -> dict[str, Any]:
    app = app_of(request)
    with app.tx() as uow:
        user = uow.session.get(User, actor.id)
        assert user is not None
        change_password(uow.session, user=user, old=body.old_password, new=body.new_password, now=app.clock())
        audit.record(
            uow.session,
            at=app.clock(),
            action="password_changed",
            actor=actor,
            object_type="user",
            object_id=actor.id,
            where=where(request),
        )
    return {"changed": True}


@router.get("/me")
def me(actor: ActorDep) -> dict[str, Any]:
    return {
        "id": actor.id,
        "username": actor.username,
        "full_name": actor.full_name,
        "clearance": actor.clearance,
        "roles": [{"unit_id": u, "role": r.value} for u, r in sorted(actor.roles)],
    }


def registry_json(r: Registry) -> dict[str, Any]:
    return {
        "id": r.id,
        "code": r.code,
        "name": r.name,
        "kind": r.kind,
        "unit_id": r.unit_id,
        "secret": r.kind in SECRET_KINDS,
    }


@router.get("/registries")
def registries(request: Request, actor: ActorDep) -> list[dict[str, Any]]:
    app = app_of(request)
    with app.tx() as uow:
        rows = uow.session.exec(select(Registry).order_by(col(Registry.id))).all()
        return [
            registry_json(r)
            for r in rows
            if r.kind not in SECRET_KINDS
            or actor.has_role(Role.SECRET_REGISTRAR, r.unit_id)
            or actor.has_role(Role.ADMIN)
        ]


@router.post("/registries/{registry_id}/receive", status_code=201)
async def receive(request: Request, registry_id: int, actor: ActorDep) -> JSONResponse:
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


@router.get("/registries/{registry_id}/entries", response_model=None)
def entries(
    request: Request,
    registry_id: int,
    actor: ActorDep,
    year: Annotated[str | None, Query()] = None,
    format: Literal["json", "csv", "pdf"] = "json",
) -> Response | dict[str, Any]:
    app = app_of(request)
    with app.tx() as uow:
        year_be = _year(year, app.clock())
        registry, rows = register_entries(
            uow.session, actor, registry_id=registry_id, year=year_be, tz=app.settings.timezone
        )
        unit = uow.session.get(Unit, registry.unit_id)
        audit.record(
            uow.session,
            at=app.clock(),
            action="export",
            actor=actor,
            object_type="registry",
            object_id=registry_id,
            where=where(request),
            year=year_be,
            format=format,
            rows=len(rows),
        )
    if format == "csv":
        return Response(
            entries_csv(rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="register-{registry.code}-{year_be}.csv"'},
        )
    if format == "pdf":
        pdf = entries_pdf(
            registry, unit.name if unit else "", year_be, rows, thai_digits=app.settings.stamp_digits == "thai"
        )
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="register-{registry.code}-{year_be}.pdf"'},
        )
    return {"registry": registry_json(registry), "year": year_be, "entries": [e.as_dict() for e in rows]}


def _year(raw: str | None, now: datetime) -> int:
    if raw in (None, ""):
        return be_year(local(now))
    text = to_arabic_digits(str(raw)).strip()
    if not text.isdigit():
        raise InvalidInput(f"year must be a B.E. year such as 2568, got {raw!r}", thai="ปี พ.ศ. ไม่ถูกต้อง")
    year = int(text)
    return year + 543 if year < 2400 else year


@router.get("/letters")
def letters(
    request: Request,
    actor: ActorDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    app = app_of(request)
    with app.tx() as uow:
        visible = col(Letter.id).in_(visible_letter_ids(actor))
        total = count_visible(uow.session, actor)
        rows = uow.session.exec(
            select(Letter).where(visible).order_by(col(Letter.id).desc()).offset(offset).limit(limit)
        ).all()
        return {
            "total": total,
            "letters": [
                {
                    "id": r.id,
                    "subject": r.subject,
                    "sender": r.sender,
                    "letter_no": r.letter_no,
                    "urgency_level": r.urgency,
                    "created_at": local(r.created_at).isoformat(),
                }
                for r in rows
            ],
        }


@router.get("/letters/{letter_id}")
def letter(request: Request, letter_id: int, actor: ActorDep) -> dict[str, Any]:
    app = app_of(request)
    with app.tx() as uow:
        return read_letter(
            uow.session, actor, letter_id, now=app.clock(), where=where(request), tz=app.settings.timezone
        )


class RouteIn(BaseModel):
    to_unit_id: int | None = None
    to_user_id: int | None = None
    instruction: str = ""
    due_at: datetime | None = None


@router.post("/letters/{letter_id}/routes", status_code=201)
def route(request: Request, letter_id: int, actor: ActorDep, body: RouteIn) -> dict[str, Any]:
    app = app_of(request)
    with app.tx() as uow:
        r = route_letter(
            uow.session,
            actor=actor,
            letter_id=letter_id,
            to_unit_id=body.to_unit_id,
            to_user_id=body.to_user_id,
            instruction=body.instruction,
            due_at=body.due_at,
            now=app.clock(),
            where=where(request),
        )
        letter_id_ = r.letter_id
        route_id = r.id
    if app.indexer is not None:
        app.indexer.enqueue(letter_id_)
    return {"id": route_id, "letter_id": letter_id_}


def _download(request: Request, actor: Actor, attachment_id: int, *, stamped: bool) -> StreamingResponse:
    app = app_of(request)
    with app.tx() as uow:
        att = get_visible_attachment(uow.session, actor, attachment_id)
        sha, size, media, name = att.sha256, att.size, att.media_type, att.filename
        if stamped:
            r = uow.session.exec(
                select(Rendition).where(Rendition.attachment_id == attachment_id, Rendition.kind == "stamped")
            ).first()
            if r is None:
                raise NotFound("this attachment has no stamped copy", thai="ไฟล์นี้ไม่มีฉบับประทับตรารับ")
            sha, size, media, name = r.sha256, r.size, r.media_type, f"stamped-{name.rsplit('.', 1)[0]}.pdf"
        audit.record(
            uow.session,
            at=app.clock(),
            action="download",
            actor=actor,
            object_type="attachment",
            object_id=attachment_id,
            letter_id=att.letter_id,
            where=where(request),
            rendition="stamped" if stamped else "original",
            sha256=sha,
        )
    from urllib.parse import quote

    return StreamingResponse(
        app.store.iter_chunks(sha),
        media_type=media,
        headers={
            "Content-Length": str(size),
            "Content-Disposition": f"inline; filename*=UTF-8''{quote(name)}",
            "ETag": f'"{sha}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/attachments/{attachment_id}/content")
def content(request: Request, attachment_id: int, actor: ActorDep) -> StreamingResponse:
    return _download(request, actor, attachment_id, stamped=False)


@router.get("/attachments/{attachment_id}/stamped")
def stamped(request: Request, attachment_id: int, actor: ActorDep) -> StreamingResponse:
    return _download(request, actor, attachment_id, stamped=True)


# ---------------------------------------------------------------------------------------------- audit


def _day_bound(raw: str | None, *, end: bool, tz: str = "Asia/Bangkok") -> datetime | None:
    """A period bound: an ISO date or datetime, or a Thai date; a bare date means that whole day (office time)."""
    from zoneinfo import ZoneInfo

    from service.clock import to_db

    if not raw:
        return None
    raw = to_arabic_digits(raw).strip()
    try:
        moment, bare_date = datetime.fromisoformat(raw), len(raw) <= 10
    except ValueError:
        try:
            moment, bare_date = datetime.combine(parse_date(raw), time()), True
        except ValueError as exc:
            raise InvalidInput(f"cannot read the date {raw!r}", thai="อ่านวันที่ไม่ได้") from exc
        if moment.year > 2400:
            moment = moment.replace(year=moment.year - 543)
    if bare_date and end:
        moment += timedelta(days=1)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz))
    return to_db(moment)


def audit_events(
    request: Request, actor: Actor, *, letter_id: int | None, since: str | None, until: str | None, limit: int = 10_000
) -> list[dict[str, Any]]:
    if not actor.has_role(Role.AUDITOR):
        raise Forbidden("only auditors read the audit trail", thai="เฉพาะผู้ตรวจสอบเท่านั้นที่ดูบันทึกการใช้งานได้")
    app = app_of(request)
    with app.tx() as uow:
        stmt = select(AuditEvent).order_by(col(AuditEvent.seq))
        if letter_id is not None:
            stmt = stmt.where(AuditEvent.letter_id == letter_id)
        lo, hi = _day_bound(since, end=False), _day_bound(until, end=True)
        if lo:
            stmt = stmt.where(AuditEvent.at >= lo)
        if hi:
            stmt = stmt.where(AuditEvent.at < hi)
        # Events about secret letters and secret registries stay with those who may see them.
        hidden = select(Letter.id).where(Letter.secrecy > 0).where(col(Letter.id).not_in(visible_letter_ids(actor)))
        stmt = stmt.where((col(AuditEvent.letter_id).is_(None)) | col(AuditEvent.letter_id).not_in(hidden))
        secret_registries = [
            str(r.id)
            for r in uow.session.exec(select(Registry).where(col(Registry.kind).in_(sorted(SECRET_KINDS))))
            if not actor.has_role(Role.SECRET_REGISTRAR, r.unit_id)
        ]
        if secret_registries:
            stmt = stmt.where(
                (col(AuditEvent.object_type) != "registry") | col(AuditEvent.object_id).not_in(secret_registries)
            )
        rows = uow.session.exec(stmt.limit(limit)).all()
        audit.record(
            uow.session,
            at=app.clock(),
            action="audit_export",
            actor=actor,
            where=where(request),
            letter_id=None,
            filter_letter_id=letter_id,
            since=since,
            until=until,
            rows=len(rows),
        )
        return [
            {
                "seq": e.seq,
                "at": local(e.at).isoformat(),
                "actor": e.actor,
                "actor_id": e.actor_id,
                "action": e.action,
                "object_type": e.object_type,
                "object_id": e.object_id,
                "letter_id": e.letter_id,
                "ip": e.ip,
                "detail": json.loads(e.detail),
                "hash": e.hash,
            }
            for e in rows
        ]


def events_csv(events: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    buf.write("\ufeff")
    w = csv.writer(buf)
    cols = ["seq", "at", "actor", "action", "object_type", "object_id", "letter_id", "ip", "detail", "hash"]
    w.writerow(cols)
    for e in events:
        w.writerow([json.dumps(e[c], ensure_ascii=False) if c == "detail" else e[c] for c in cols])
    return buf.getvalue()


@router.get("/audit/events", response_model=None)
def events(
    request: Request,
    actor: ActorDep,
    letter_id: int | None = None,
    since: str | None = None,
    until: str | None = None,
    format: Literal["json", "csv"] = "json",
) -> Response | list[dict[str, Any]]:
    rows = audit_events(request, actor, letter_id=letter_id, since=since, until=until)
    if format == "csv":
        return Response(
            events_csv(rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="audit-events.csv"'},
        )
    return rows


# ---------------------------------------------------------------------------------------------- admin


def _require_admin(actor: Actor) -> None:
    if not actor.has_role(Role.ADMIN):
        raise Forbidden("administrators only", thai="เฉพาะผู้ดูแลระบบ")


class UserIn(BaseModel):
    username: str
    password: str
    full_name: str = ""
    clearance: int = 0
    roles: list[dict[str, Any]] = []


@router.post("/users", status_code=201)
def create_user_route(request: Request, actor: ActorDep, body: UserIn) -> dict[str, Any]:
    _require_admin(actor)
    app = app_of(request)
    from service.users import create_user

    with app.tx() as uow:
        user = create_user(
            uow.session,
            username=body.username,
            password=body.password,
            full_name=body.full_name,
            clearance=body.clearance,
            roles=[(r["unit"], r["role"]) for r in body.roles],
            now=app.clock(),
            actor=actor,
            where=where(request),
        )
        return {"id": user.id, "username": user.username}


class PasswordReset(BaseModel):
    password: str


@router.post("/users/{user_id}/password")
def reset_password_route(request: Request, actor: ActorDep, user_id: int, body: PasswordReset) -> dict[str, Any]:
    _require_admin(actor)
    app = app_of(request)
    from service.users import reset_password, user_by_id

    with app.tx() as uow:
        user = user_by_id(uow.session, user_id)
        reset_password(
            uow.session, user=user, password=body.password, now=app.clock(), actor=actor, where=where(request)
        )
    return {"reset": True}


@router.get("/units")
def units(request: Request, actor: ActorDep) -> list[dict[str, Any]]:
    app = app_of(request)
    with app.tx() as uow:
        return [
            {
                "id": u.id,
                "code": u.code,
                "name": u.name,
                "short_name": u.short_name,
                "parent_id": u.parent_id,
                "internal": u.internal,
                "letter_code": u.letter_code,
            }
            for u in uow.session.exec(select(Unit).order_by(col(Unit.id)))
        ]


@router.get("/users")
def users(request: Request, actor: ActorDep) -> list[dict[str, Any]]:
    app = app_of(request)
    with app.tx() as uow:
        members = uow.session.exec(select(Membership)).all()
        return [
            {
                "id": u.id,
                "username": u.username,
                "full_name": u.full_name,
                **(
                    {
                        "clearance": u.clearance,
                        "roles": [{"unit_id": m.unit_id, "role": m.role} for m in members if m.user_id == u.id],
                    }
                    if actor.has_role(Role.ADMIN)
                    else {}
                ),
            }
            for u in uow.session.exec(select(User).order_by(col(User.id)))
        ]


@router.get("/search")
def search(
    request: Request,
    actor: ActorDep,
    q: str = "",
    date: str = "",
    registry_id: int | None = None,
    unit_id: int | None = None,
    letter_type: str = "",
    urgency: str = "",
    secrecy: str = "",
    channel: str = "",
    has_attachment: bool | None = None,
    sort: str = "relevance",
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    """Full-text search; every result, count and snippet passes the access rule."""
    from service.searching import SearchParams, search_letters

    params = SearchParams(
        q=q,
        date=date,
        registry_id=registry_id,
        unit_id=unit_id,
        letter_type=letter_type,
        urgency=urgency,
        secrecy=secrecy,
        channel=channel,
        has_attachment=has_attachment,
        sort=sort,
        page=page,
        per_page=per_page,
    )
    return search_letters(app_of(request), actor, params, where=where(request))
