"""Thai text, digits and Buddhist-era dates: pure functions used at the edges (input parsing, display)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from zoneinfo import ZoneInfo

BE_OFFSET = 543
THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"
_TO_ARABIC = str.maketrans(THAI_DIGITS, "0123456789")
_TO_THAI = str.maketrans("0123456789", THAI_DIGITS)

MONTHS_FULL = (
    "มกราคม",
    "กุมภาพันธ์",
    "มีนาคม",
    "เมษายน",
    "พฤษภาคม",
    "มิถุนายน",
    "กรกฎาคม",
    "สิงหาคม",
    "กันยายน",
    "ตุลาคม",
    "พฤศจิกายน",
    "ธันวาคม",
)
MONTHS_ABBR = (
    "ม.ค.",
    "ก.พ.",
    "มี.ค.",
    "เม.ย.",
    "พ.ค.",
    "มิ.ย.",
    "ก.ค.",
    "ส.ค.",
    "ก.ย.",
    "ต.ค.",
    "พ.ย.",
    "ธ.ค.",
)
_MONTH_LOOKUP: dict[str, int] = {}
for _i, (_full, _abbr) in enumerate(zip(MONTHS_FULL, MONTHS_ABBR, strict=True), start=1):
    _MONTH_LOOKUP[_full] = _i
    _MONTH_LOOKUP[_abbr.replace(".", "").replace(" ", "")] = _i

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def to_arabic_digits(text: str) -> str:
    return text.translate(_TO_ARABIC)


def to_thai_digits(text: str) -> str:
    return text.translate(_TO_THAI)


def clean_text(text: str) -> str:
    """NFC, no zero-width characters, common Thai typing variants fixed (เ+เ → แ, ํ+า → ำ)."""
    text = unicodedata.normalize("NFC", text).translate(_ZERO_WIDTH)
    return text.replace("เเ", "แ").replace("\u0e4d\u0e32", "\u0e33")


def normalise_letter_no(raw: str) -> str:
    """The comparable form of a letter's printed number (``ที่``): ``ศธ ๐๔๐๔๕/๑๒๓`` = ``ศธ04045/123``.

    As printed on letters (seed 004, the registry manual): numbers appear in Thai or Arabic digits, with or without
    spaces and stray punctuation.
    Keeps Thai letters, Arabic digits, ``/`` and the circular marker ``ว``; drops spaces, dots, dashes.
    """
    text = to_arabic_digits(clean_text(raw)).strip()
    text = re.sub(r"[\s.\-_,:;()\[\]]+", "", text)
    text = re.sub(r"/+", "/", text)
    return text.lower()


def be_year(d: date | datetime) -> int:
    return d.year + BE_OFFSET


def _year_from_text(year: int) -> int:
    """Years above 2400 are B.E.; two-digit years are B.E. short forms (``65`` → 2565)."""
    if year < 100:
        year += 2500
    if year > 2400:
        year -= BE_OFFSET
    return year


def parse_date(text: str) -> date:
    """Parse a letter date: ISO ``2022-03-23``, ``23/3/2565``, ``23 มี.ค. 2565``, ``๒๓ มีนาคม ๒๕๖๕``.

    Raises ``ValueError`` with a message naming what was not understood.
    """
    raw = text
    text = to_arabic_digits(clean_text(text)).strip()
    if not text:
        raise ValueError("empty date")
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if m:
        y, mo, d = (int(g) for g in m.groups())
        return date(_year_from_text(y), mo, d)
    m = re.fullmatch(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{2,4})", text)
    if m:
        d, mo, y = (int(g) for g in m.groups())
        return date(_year_from_text(y), mo, d)
    m = re.fullmatch(r"(\d{1,2})\s*([^\d\s]+(?:\s*[^\d\s]+)*)\s*(?:พ\.?\s*ศ\.?)?\s*(\d{2,4})", text)
    if m:
        d = int(m.group(1))
        month_key = m.group(2).replace(".", "").replace(" ", "")
        month_key = month_key.removesuffix("พศ")
        if month_key in _MONTH_LOOKUP:
            return date(_year_from_text(int(m.group(3))), _MONTH_LOOKUP[month_key], d)
    raise ValueError(f"cannot read the date {raw!r}")


def format_thai_date(d: date, *, thai_digits: bool = True, abbreviated: bool = True) -> str:
    """``23 มี.ค. 2565`` (or ``๒๓ มี.ค. ๒๕๖๕``)."""
    month = (MONTHS_ABBR if abbreviated else MONTHS_FULL)[d.month - 1]
    text = f"{d.day} {month} {be_year(d)}"
    return to_thai_digits(text) if thai_digits else text


def format_thai_time(moment: datetime, *, thai_digits: bool = True) -> str:
    """``09.26 น.``"""
    text = f"{moment.hour:02d}.{moment.minute:02d} น."
    return to_thai_digits(text) if thai_digits else text


def local(moment: datetime, tz: str = "Asia/Bangkok") -> datetime:
    """A stored UTC moment in the office's zone (naive values are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(ZoneInfo(tz))


def format_thai_datetime(moment: datetime, *, tz: str = "Asia/Bangkok", thai_digits: bool = False) -> str:
    loc = local(moment, tz)
    return f"{format_thai_date(loc.date(), thai_digits=thai_digits)} {format_thai_time(loc, thai_digits=thai_digits)}"


_THAI_COMBINING = set(range(0x0E31, 0x0E32)) | set(range(0x0E34, 0x0E3B)) | set(range(0x0E47, 0x0E4F))
_MOJIBAKE = re.compile(r"à[¸¹]|Ã.|\ufffd")


def text_problem(text: str) -> str | None:
    """Why a text looks broken (wrong encoding, control characters, a mark with nothing under it), or None."""
    if any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        return "contains invalid characters (lone surrogates)"
    if _MOJIBAKE.search(text):
        return "looks garbled: the Thai text was decoded with the wrong encoding (use UTF-8)"
    if any((ord(c) < 32 and c not in "\n\r\t") or ord(c) == 127 for c in text):
        return "contains control characters"
    stripped = text.lstrip()
    if stripped and ord(stripped[0]) in _THAI_COMBINING:
        return "starts with a Thai vowel or tone mark that has no consonant"
    return None
