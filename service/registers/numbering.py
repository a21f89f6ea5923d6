"""Running numbers: one counter row per (registry, B.E. year), advanced inside the registration's transaction."""

from __future__ import annotations

import functools

from sqlalchemy import bindparam
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from service.kit.db import Prepared
from service.kit.errors import Conflict
from service.models import NumberCounter


def next_number(session: Session, *, registry_id: int, year: int) -> int:
    """Advance the (registry, year) counter in the caller's transaction and return the new number.

    ระเบียบงานสารบรรณ พ.ศ. 2526 หมวด 2 ส่วนที่ 1 (ทะเบียนหนังสือรับ): numbers run consecutively through the
    calendar year. A rolled-back transaction rolls the
    counter back too, so no number is lost or handed out twice (a database sequence would leave gaps after rollbacks).

    A year the administrator closed (``NumberCounter.closed``) hands out no more numbers: the counter's update
    finds no open row, and the registration is refused with 409 (``YearClosed``), in the same one statement.
    """
    conn = session.connection()
    rows = _advance_counter(conn.dialect.name).rows(conn, {"registry_id": registry_id, "year": year})
    if not rows:
        raise YearClosed(
            f"the registry's year {year} is closed",
            thai=f"ทะเบียนนี้ปิดทะเบียนประจำปี พ.ศ. {year} แล้ว ลงทะเบียนเพิ่มในปีนี้ไม่ได้",
            year=year,
        )
    return int(rows[0][0])


class YearClosed(Conflict):
    code = "year_closed"
    title = "The registry's year is closed"


@functools.cache
def _advance_counter(dialect: str) -> Prepared:
    """``INSERT … ON CONFLICT DO UPDATE … RETURNING``, built once per dialect (it runs under the write lock)."""
    table = NumberCounter.__table__  # type: ignore[attr-defined]
    ins = (pg_insert if dialect == "postgresql" else sqlite_insert)(table)
    return Prepared(
        ins.values(registry_id=bindparam("registry_id"), year=bindparam("year"), last_number=1, closed=False)
        .on_conflict_do_update(
            index_elements=["registry_id", "year"],
            set_={"last_number": table.c.last_number + 1},
            where=table.c.closed.is_(False),
        )
        .returning(table.c.last_number)
    )
