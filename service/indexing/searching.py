"""Searching letters: the query from the clerk's words and filters, the index answer, limited by the one rule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select

from search import SearchIndexOutdated, SearchQuery
from service import audit
from service.access.queries import visible_letter_ids
from service.access.roles import SECRECY_LABELS, URGENCY_LABELS
from service.access.rule import Actor, actor_principals, sees_secret_letters
from service.context import Saraban
from service.indexing.replica import Lag, lag_of
from service.kit.errors import InvalidInput, SarabanError
from service.kit.thai import DateError, parse_date_range
from service.letters.vocab import parse_channel, parse_letter_type, parse_secrecy, parse_urgency
from service.models import Letter, Registration, Registry


class SearchIndexNeedsRebuild(SarabanError):
    """The index on disk has an older layout than this version reads: the operator runs ``saraban reindex``."""

    status = 503
    code = "search_index_outdated"
    title = "Search index needs rebuilding"


@dataclass(frozen=True)
class SearchParams:
    """What a search form or the API sends; every field optional."""

    q: str = ""
    date: str = ""  # "1/1/2565-31/3/2565" (B.E.) or "2022-01-01..2022-03-31"
    registry_id: int | None = None
    unit_id: int | None = None
    letter_type: str = ""
    urgency: str = ""
    secrecy: str = ""
    channel: str = ""
    has_attachment: bool | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20


def to_query(p: SearchParams) -> SearchQuery:
    try:
        date_from, date_to = parse_date_range(p.date)  # the one date rule: Thai month names, B.E. or C.E.
    except DateError as exc:
        raise InvalidInput(f"bad search filter: {exc}", thai=f"เงื่อนไขการค้นหาไม่ถูกต้อง: {exc.thai}") from exc
    try:
        return SearchQuery(
            text=p.q.strip()[:500],
            date_from=date_from,
            date_to=date_to,
            registry_ids=[p.registry_id] if p.registry_id else [],
            unit_ids=[p.unit_id] if p.unit_id else [],
            letter_type=parse_letter_type(p.letter_type) if p.letter_type else None,
            urgency=parse_urgency(p.urgency) if p.urgency else None,
            secrecy=parse_secrecy(p.secrecy) if p.secrecy else None,
            channel=parse_channel(p.channel) if p.channel else None,
            has_attachment=p.has_attachment,
            sort=p.sort if p.sort in ("relevance", "date_desc", "date_asc") else "relevance",
            page=max(1, p.page),
            per_page=max(1, min(p.per_page, 100)),
        )
    except ValueError as exc:
        raise InvalidInput(f"bad search filter: {exc}", thai=f"เงื่อนไขการค้นหาไม่ถูกต้อง: {exc}") from exc


def search_letters(app: Saraban, actor: Actor, params: SearchParams, *, where: audit.Where) -> dict[str, Any]:
    query = to_query(params)
    try:
        result = app.search_index().search(query, principals=sorted(actor_principals(actor)))
    except SearchIndexOutdated as exc:
        raise SearchIndexNeedsRebuild(
            str(exc),
            thai="ดัชนีค้นหาถูกสร้างด้วยระบบรุ่นเก่า ค้นหาไม่ได้จนกว่าผู้ดูแลระบบจะสั่ง `saraban reindex` เพื่อสร้างดัชนีใหม่",
        ) from exc
    ids = [h.doc_id for h in result.hits]
    with app.tx() as uow:
        s = uow.session
        # Defence in depth: the database's own rule confirms each hit before anything about it is shown.
        letters = {
            row.id: row
            for row in s.exec(
                select(Letter).where(col(Letter.id).in_(ids), col(Letter.id).in_(visible_letter_ids(actor)))
            )
        }
        regs: dict[int, list[str]] = {}
        for reg, registry in s.exec(
            select(Registration, Registry)
            .join(Registry, col(Registry.id) == Registration.registry_id)
            .where(col(Registration.letter_id).in_(list(letters)))
        ):
            regs.setdefault(reg.letter_id, []).append(f"{registry.name} {reg.number}/{reg.year}")
        # What the audit's readers may see of a search (README, Security): never the words, only their keyed
        # hash; the number of hits only when the searcher sees no secret letter (else it is a count oracle).
        counted: dict[str, Any] = {} if sees_secret_letters(actor) else {"total": result.total}
        lag = app.lag_cache.get(lambda: lag_of(s, app.settings.index_path))
        audit.record(
            s,
            at=app.clock(),
            action="search",
            actor=actor,
            where=where,
            q_hash=audit.keyed_digest(s, query.text) if query.text else "",
            date=params.date,
            **counted,
        )
    results = []
    for hit in result.hits:
        letter = letters.get(hit.doc_id)
        if letter is None:
            continue
        results.append(
            {
                "letter_id": hit.doc_id,
                "score": round(hit.score, 4),
                "snippet": hit.snippet,
                "subject": letter.subject,
                "sender": letter.sender,
                "letter_no": letter.letter_no,
                "letter_date": letter.letter_date.isoformat() if letter.letter_date else None,
                "urgency": URGENCY_LABELS[letter.urgency - 1],
                "urgency_level": letter.urgency,
                "secrecy": SECRECY_LABELS[letter.secrecy],
                "registrations": regs.get(hit.doc_id, []),
            }
        )
    return {
        "total": result.total,
        "page": query.page,
        "per_page": query.per_page,
        "results": results,
        "index_lag": lag.as_dict(),  # how far this node's index is behind the change log (README "Scale-out")
    }


def index_lag(app: Saraban) -> Lag:
    """This node's index lag (asked of the database at most once a second per process)."""

    def compute() -> Lag:
        with app.tx(readonly=True) as uow:
            return lag_of(uow.session, app.settings.index_path)

    return app.lag_cache.get(compute)


def node_health(app: Saraban) -> tuple[int, dict[str, Any]]:
    """What ``/healthz`` answers: 200 ``ok``, or 200 ``degraded`` when this node's index lags the change log by
    more than ``SARABAN_INDEX_LAG_MAX_SECONDS`` (the node still registers and serves letters; only its search
    answers are late, so a load balancer keeps it), or 503 when the database cannot be reached."""
    try:
        lag = index_lag(app)
    except Exception as exc:  # the database (or its driver) is down: this node can do nothing useful
        return 503, {
            "status": "unavailable",
            "detail": f"database unreachable: {type(exc).__name__}",
            "detail_th": "เครื่องนี้ติดต่อฐานข้อมูลไม่ได้",
        }
    body: dict[str, Any] = {"status": "ok", "index_lag": lag.as_dict()}
    if lag.seconds > app.settings.index_lag_max_seconds:
        body["status"] = "degraded"
        body["detail"] = f"the search index of this node lags the change log by {lag.seconds:.0f} s"
        body["detail_th"] = (
            f"ดัชนีค้นหาของเครื่องนี้ล่าช้ากว่าฐานข้อมูล {lag.entries:,} รายการ ({lag.seconds:,.0f} วินาที) "
            "ผลการค้นหาอาจยังไม่มีหนังสือที่เพิ่งลงทะเบียนหรือแก้ไข"
        )
    return 200, body
