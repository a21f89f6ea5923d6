"""The printed number of an outgoing letter (ที่), by series — a pure function.

ระเบียบงานสารบรรณ พ.ศ. 2526 ข้อ 12 (หนังสือภายนอก: ที่ = รหัสตัวพยัญชนะและเลขประจำของเจ้าของเรื่อง / เลขทะเบียนหนังสือส่ง)
and the circular series (หนังสือเวียน: ``ว`` before the number, a series of its own); orders (คำสั่ง) and
announcements (ประกาศ) are numbered ``n/ปี พ.ศ.``. Every series restarts at 1 on 1 January (the counter is per
registry and B.E. year). The secret send register (ทะเบียนหนังสือส่งลับ) is a series of its own printed like an
ordinary letter's number.
"""

from __future__ import annotations

from service.kit.thai import to_thai_digits

CODED = frozenset({"send", "circular", "secret_send"})
YEARLY = frozenset({"order", "announcement"})


def format_letter_no(kind: str, letter_code: str | None, number: int, year_be: int, *, thai_digits: bool) -> str:
    """``ศธ 04045/1``, ``ศธ 04045/ว 12``, ``1/2569`` — in Thai digits (``ศธ ๐๔๐๔๕/๑``) when ``thai_digits``."""
    if number < 1:
        raise ValueError(f"a running number starts at 1, got {number}")
    if kind in CODED:
        code = " ".join((letter_code or "").split())
        if not code:
            raise ValueError(f"a {kind} number needs the unit's letter code (รหัสหนังสือ)")
        text = f"{code}/ว {number}" if kind == "circular" else f"{code}/{number}"
    elif kind in YEARLY:
        text = f"{number}/{year_be}"
    else:
        raise ValueError(f"registry kind {kind!r} issues no letter numbers")
    return to_thai_digits(text) if thai_digits else text
