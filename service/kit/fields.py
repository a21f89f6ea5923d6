"""The shared input types every edge uses (API bodies, query and path parameters, web forms): README "Input limits".

- ``Id`` / ``Count``: integers the database can hold (PostgreSQL ``integer``: at most 2^31−1), so a huge id is a
  422 at the edge, never an overflow in the driver.
- ``Line`` / ``Text``: text without NUL or other control characters (``Text`` keeps tab and line breaks, for
  multi-line fields); PostgreSQL refuses NUL in text, and control characters have no place in a register.
- ``OfficeDate`` / ``OfficeDateTime``: dates and moments by the one date rule of ``service.kit.thai`` (B.E.
  2400–2700 or C.E. 1857–2157, Thai digits and month names accepted).

Every refusal is a ``ValueError`` carrying a Thai message (``.thai``), which the edge's error renderer shows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import unquote_to_bytes

from annotated_types import Ge, Le
from pydantic import AfterValidator, BeforeValidator

from service.kit.errors import InvalidInput
from service.kit.thai import (
    BE_OFFSET,
    YEAR_MAX_BE,
    YEAR_MIN_BE,
    DateError,
    ce_year,
    parse_date,
    parse_datetime,
    to_arabic_digits,
)

DB_INT_MAX = 2**31 - 1  # PostgreSQL integer; SQLite holds more, the office needs less


class InputError(ValueError):
    """A refused value: ``str()`` in English, ``thai`` for people."""

    def __init__(self, detail: str, thai: str) -> None:
        super().__init__(detail)
        self.thai = thai


Id = Annotated[int, Ge(1), Le(DB_INT_MAX)]
Count = Annotated[int, Ge(0), Le(DB_INT_MAX)]
Clearance = Annotated[int, Ge(0), Le(3)]  # ชั้นความลับ: none, ลับ, ลับมาก, ลับที่สุด
Years = Annotated[int, Ge(0), Le(1000)]  # a span of years (retention)
Days = Annotated[int, Ge(0), Le(3650)]  # a span of days (inbox ages)


_CONTROL = {
    multiline: re.compile(
        "["
        + "".join(re.escape(chr(o)) for o in range(32) if not (multiline and chr(o) in "\t\r\n"))
        + "\x7f-\x9f\ud800-\udfff]"
    )
    for multiline in (False, True)
}
"""C0 (but tab, CR and LF in ``multiline`` text), DEL, C1 and lone surrogates: the first found by one regex scan (a
loop over the characters in Python cost every text field of every registration)."""


def _bad_char(text: str, *, multiline: bool) -> str | None:
    found = _CONTROL[multiline].search(text)
    return found.group() if found else None


def check_text(text: str, *, multiline: bool = False) -> str:
    """``text`` unchanged, or ``InputError`` when it holds NUL or another control character (``multiline``: tab,
    CR and LF allowed)."""
    bad = _bad_char(text, multiline=multiline)
    if bad is not None:
        raise InputError(
            f"contains a control character (U+{ord(bad):04X})",
            f"มีอักขระควบคุมที่ใช้ไม่ได้ (U+{ord(bad):04X})" + ("" if multiline else " — ช่องนี้รับข้อความบรรทัดเดียว"),
        )
    return text


def _line(text: str) -> str:
    return check_text(text)


def _text(text: str) -> str:
    return check_text(text, multiline=True)


def _office_date(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        _check_date(value)
        return value
    if isinstance(value, str):
        return parse_date(value)
    if isinstance(value, datetime):
        return _office_date(value.date())
    raise DateError("a date must be text such as 23/3/2565 or 2022-03-23", "วันที่ต้องเป็นข้อความ เช่น ๒๓/๓/๒๕๖๕")


def _check_date(value: date) -> None:
    parse_datetime(value)  # the range check


def _office_datetime(value: object) -> object:
    if value is None:
        return None
    return parse_datetime(value)


def _be_year(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int | str):
        return value  # the int validator names the fault
    text = to_arabic_digits(str(value)).strip()
    if not text.isdigit() or len(text) > 4:
        raise DateError(f"not a year: {value!r}", "ปี พ.ศ. ไม่ถูกต้อง เช่น ๒๕๖๘")
    # the two-digit B.E. short form is for what people type; a JSON number is a whole year
    return ce_year(int(text), short=isinstance(value, str) and len(text) == 2) + BE_OFFSET


Line = Annotated[str, AfterValidator(_line)]
Text = Annotated[str, AfterValidator(_text)]
OfficeDate = Annotated[date, BeforeValidator(_office_date)]
OfficeDateTime = Annotated[datetime, BeforeValidator(_office_datetime)]
#: a year by the one rule, as B.E. (``2568``, ``๒๕๖๘`` and ``2025`` are all 2568)
BeYear = Annotated[int, Ge(YEAR_MIN_BE), Le(YEAR_MAX_BE), BeforeValidator(_be_year)]


# ---------------------------------------------------------------------------------------------------------------
# JSON documents: bounded before any parser or model sees them
# ---------------------------------------------------------------------------------------------------------------

JSON_MAX_DEPTH = 32  # the deepest body the API takes is 4 levels; 32 leaves room and stops recursion bombs
JSON_MAX_DIGITS = 30  # no number the office uses is longer; Python's int() of 5,000 digits is refused anyway
JSON_MAX_BYTES = 1024 * 1024  # a JSON body (files go as multipart)

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(rb"[\[\]{}]")
_LONG_NUMBER = re.compile(rb"\d{%d,}" % (JSON_MAX_DIGITS + 1))


def check_json_shape(raw: bytes | str) -> None:
    """``InputError`` when a JSON document nests deeper than ``JSON_MAX_DEPTH`` or writes a number with more than
    ``JSON_MAX_DIGITS`` digits; other faults are left to the parser. Linear in the size, no recursion."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if len(data) > JSON_MAX_BYTES:
        raise InputError(
            f"the JSON document is larger than {JSON_MAX_BYTES} bytes", "ข้อมูล JSON ใหญ่เกินกำหนด (ไม่เกิน 1 MiB)"
        )
    bare = _STRING.sub(b'""', data)
    if _LONG_NUMBER.search(bare):
        raise InputError(
            f"a number in the JSON document has more than {JSON_MAX_DIGITS} digits",
            f"ตัวเลขใน JSON ยาวเกินกำหนด (ไม่เกิน {JSON_MAX_DIGITS} หลัก)",
        )
    depth = 0
    for m in _BRACKETS.finditer(bare):
        depth += 1 if m.group() in (b"[", b"{") else -1
        if depth > JSON_MAX_DEPTH:
            raise InputError(
                f"the JSON document nests deeper than {JSON_MAX_DEPTH} levels",
                f"ข้อมูล JSON ซ้อนกันลึกเกินกำหนด (ไม่เกิน {JSON_MAX_DEPTH} ชั้น)",
            )


# an escaped control character in a JSON string (``\u0000``…``\u001f`` but tab, LF, CR; DEL and C1), not preceded by
# an escaped backslash
_JSON_CONTROL = re.compile(rb"(?<!\\)(?:\\\\)*\\u00(?:0[0-8bBcCeEfF]|1[0-9a-fA-F]|7[fF]|[89][0-9a-fA-F])")


_RAW_CONTROL = re.compile(rb"\x7f|\xc2[\x80-\x9f]")


def check_json_text(raw: bytes) -> None:
    """``InputError`` when any string of a JSON document holds NUL or another control character (tab and line
    breaks allowed). Raw control characters are invalid JSON already; this finds the escaped ones."""
    raw_c1 = _RAW_CONTROL.search(raw)  # DEL and C1 may stand unescaped in JSON text
    if raw_c1:
        code = f"{ord(raw_c1.group().decode('utf-8')):04X}"
        raise InputError(
            f"a text in the JSON document contains a control character (U+{code})",
            f"ข้อความในข้อมูลมีอักขระควบคุมที่ใช้ไม่ได้ (U+{code})",
        )
    m = _JSON_CONTROL.search(raw)
    if m:
        code = m.group()[-4:].decode().upper()
        raise InputError(
            f"a text in the JSON document contains a control character (U+{code})",
            f"ข้อความในข้อมูลมีอักขระควบคุมที่ใช้ไม่ได้ (U+{code})",
        )


def check_form_text(raw: bytes) -> None:
    """``InputError`` when a query string or urlencoded form holds NUL or another control character in any name
    or value (tab and line breaks allowed)."""
    text = unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8", "replace")
    check_text(text, multiline=True)


def load_json(raw: bytes | str) -> object:
    """``json.loads`` after :func:`check_json_shape`; ``InputError`` (with Thai) for a bad shape or bad JSON."""
    check_json_shape(raw)
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise InputError(f"not valid JSON: {exc}", "ไม่ใช่ JSON ที่ถูกต้อง") from exc


def read_date(raw: object, *, field: str = "", field_th: str = "") -> date | None:
    """A date typed in a form or query (the one date rule); empty is ``None``; ``InvalidInput`` (422, Thai) else."""
    if raw is None or not str(raw).strip():
        return None
    try:
        return parse_date(str(raw))
    except DateError as exc:
        raise InvalidInput(
            f"{field}: {exc}" if field else str(exc), thai=f"{field_th}: {exc.thai}" if field_th else exc.thai
        ) from exc


_THAI_BY_TYPE = {
    "missing": "ต้องกรอก",
    "int_parsing": "ต้องเป็นจำนวนเต็ม",
    "int_type": "ต้องเป็นจำนวนเต็ม",
    "int_from_float": "ต้องเป็นจำนวนเต็ม",
    "float_parsing": "ต้องเป็นตัวเลข",
    "float_type": "ต้องเป็นตัวเลข",
    "bool_parsing": "ต้องเป็นจริงหรือเท็จ",
    "bool_type": "ต้องเป็นจริงหรือเท็จ",
    "string_type": "ต้องเป็นข้อความ",
    "string_too_short": "สั้นเกินไป",
    "string_pattern_mismatch": "รูปแบบไม่ถูกต้อง",
    "extra_forbidden": "ไม่รู้จักช่องนี้",
    "json_invalid": "ไม่ใช่ JSON ที่ถูกต้อง",
    "json_type": "ไม่ใช่ JSON ที่ถูกต้อง",
    "model_type": "ต้องเป็นออบเจกต์ JSON",
    "model_attributes_type": "ต้องเป็นออบเจกต์ JSON",
    "dict_type": "ต้องเป็นออบเจกต์ JSON",
    "list_type": "ต้องเป็นรายการ",
    "date_parsing": "อ่านวันที่ไม่ได้",
    "date_from_datetime_parsing": "อ่านวันที่ไม่ได้",
    "date_type": "อ่านวันที่ไม่ได้",
    "datetime_parsing": "อ่านวันเวลาไม่ได้",
    "datetime_from_date_parsing": "อ่านวันเวลาไม่ได้",
    "datetime_type": "อ่านวันเวลาไม่ได้",
    "enum": "ไม่ใช่ค่าที่เลือกได้",
    "literal_error": "ไม่ใช่ค่าที่เลือกได้",
    "uuid_parsing": "รูปแบบไม่ถูกต้อง",
}


def thai_reason(error: Mapping[str, Any]) -> str:
    """A Thai sentence for one pydantic error: the value's own Thai reason when it carries one (``.thai`` of the
    shared input types and date rule), else one by the error's type."""
    ctx = error.get("ctx") or {}
    own = own_thai(error)
    if own is not None:
        return own
    kind = str(error.get("type", ""))
    if kind in ("less_than_equal", "less_than"):
        return f"ต้องไม่เกิน {ctx.get('le', ctx.get('lt'))}"
    if kind in ("greater_than_equal", "greater_than"):
        return f"ต้องไม่น้อยกว่า {ctx.get('ge', ctx.get('gt'))}"
    if kind in ("string_too_long", "too_long"):
        return f"ยาวเกินกำหนด (ไม่เกิน {ctx.get('max_length')})"
    if kind == "too_short":
        return "มีน้อยเกินไป"
    if kind == "value_error":
        return "ค่าไม่ถูกต้อง: " + str(error.get("msg", "")).removeprefix("Value error, ")
    return _THAI_BY_TYPE.get(kind, "ค่าไม่ถูกต้อง")


def own_thai(error: Mapping[str, Any]) -> str | None:
    """The Thai reason a refused value carries itself (the date rule, the shared text types), if any."""
    inner = (error.get("ctx") or {}).get("error")
    thai = getattr(inner, "thai", None)
    return thai if isinstance(thai, str) else None
