"""Thai text, digits and Buddhist-era dates: pure functions used at the edges (input parsing, display)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time
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
    _MONTH_LOOKUP[_full.removesuffix("คม").removesuffix("ยน").removesuffix("พันธ์")] = _i  # spoken: มีนา, เมษา

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


# ---------------------------------------------------------------------------------------------------------------
# The one rule for dates people type (README "Input limits")
#
# The office's range is B.E. 2400–2700, i.e. C.E. 1857–2157. The two ranges do not overlap, so a year tells its
# own era, in every format (ISO ``YYYY-MM-DD``, ``d/m/yyyy``, ``d เดือน yyyy``, ISO datetimes):
#   - 2400–2700 is B.E. (2565 → C.E. 2022);
#   - 1857–2157 is C.E.;
#   - a two-digit year is the B.E. short form (``65`` → 2565), as clerks write it;
#   - anything else is refused.
# Thai or Arabic digits, Thai month names and abbreviations (with or without dots), ``พ.ศ.`` before the year.
# ---------------------------------------------------------------------------------------------------------------

YEAR_MIN_BE, YEAR_MAX_BE = 2400, 2700
YEAR_MIN_CE, YEAR_MAX_CE = YEAR_MIN_BE - BE_OFFSET, YEAR_MAX_BE - BE_OFFSET  # 1857–2157


class DateError(ValueError):
    """A date people typed that is not one: ``str()`` in English, ``thai`` for people."""

    def __init__(self, detail: str, thai: str) -> None:
        super().__init__(detail)
        self.thai = thai


_RANGE_TH = "ต้องอยู่ระหว่าง พ.ศ. ๒๔๐๐–๒๗๐๐ (หรือ ค.ศ. ๑๘๕๗–๒๑๕๗)"
_HOW_TH = "ใช้รูปแบบ วว/ดด/ปปปป (พ.ศ.) เช่น ๒๓/๓/๒๕๖๕ หรือ ๒๓ มี.ค. ๒๕๖๕"


def ce_year(year: int, *, short: bool = False) -> int:
    """The C.E. year of a typed year by the one rule above (``short``: typed with two digits, the B.E. short form);
    ``DateError`` outside the office's range."""
    if short and 0 <= year < 100:
        year += 2500
    if YEAR_MIN_BE <= year <= YEAR_MAX_BE:
        return year - BE_OFFSET
    if YEAR_MIN_CE <= year <= YEAR_MAX_CE:
        return year
    raise DateError(
        f"year {year} is out of range (B.E. {YEAR_MIN_BE}-{YEAR_MAX_BE} or C.E. {YEAR_MIN_CE}-{YEAR_MAX_CE})",
        f"ปี {to_thai_digits(str(year))} อยู่นอกช่วงที่รับ: ปี{_RANGE_TH}",
    )


def in_range(moment: date | datetime) -> bool:
    return YEAR_MIN_CE <= moment.year <= YEAR_MAX_CE


def check_range(moment: date | datetime) -> None:
    """``DateError`` unless a (C.E.) date or datetime is within the office's range."""
    if not in_range(moment):
        raise DateError(
            f"{moment.isoformat()} is out of range (C.E. {YEAR_MIN_CE}-{YEAR_MAX_CE})",
            f"วันที่ {to_thai_digits(moment.isoformat()[:10])} อยู่นอกช่วงที่รับ: ปี{_RANGE_TH}",
        )


def _make_date(year: str, month: int, day: int, raw: str) -> date:
    y = ce_year(int(year), short=len(year) == 2)
    if not 1 <= month <= 12:
        raise DateError(f"month must be 1-12 in {raw!r}", f"เดือนต้องเป็น ๑ ถึง ๑๒ (ได้ {to_thai_digits(str(month))})")
    try:
        return date(y, month, day)
    except ValueError:
        raise DateError(
            f"day {day} is not in month {month} of {y} in {raw!r}",
            f"วันที่ {to_thai_digits(str(day))} ไม่มีในเดือน{MONTHS_FULL[month - 1]}"
            f" พ.ศ. {to_thai_digits(str(y + BE_OFFSET))}",
        ) from None


def parse_date(text: str) -> date:
    """Parse a date by the one rule: ISO ``2022-03-23``, ``23/3/2565``, ``23 มี.ค. 2565``, ``๒๓ มีนาคม ๒๕๖๕``.

    Raises ``DateError`` (a ``ValueError``) with an English message and a Thai one (``.thai``).
    """
    raw = text
    text = to_arabic_digits(clean_text(str(text))).strip()
    if not text:
        raise DateError("empty date", "ไม่ได้กรอกวันที่")
    if len(text) > 64:
        raise DateError("date text is too long", f"อ่านวันที่ไม่ได้: ยาวเกินไป — {_HOW_TH}")
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if m:
        return _make_date(m.group(1), int(m.group(2)), int(m.group(3)), raw)
    m = re.fullmatch(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(?:พ\.?\s*ศ\.?\s*)?(\d{2}|\d{4})", text)
    if m:
        return _make_date(m.group(3), int(m.group(2)), int(m.group(1)), raw)
    m = re.fullmatch(r"(\d{1,2})\s*([^\d\s]+(?:\s*[^\d\s]+)*?)\s*(?:พ\.?\s*ศ\.?)?\s*(\d{2}|\d{4})", text)
    if m:
        d = int(m.group(1))
        month_key = m.group(2).replace(".", "").replace(" ", "")
        month_key = month_key.removesuffix("พศ")
        if month_key in _MONTH_LOOKUP:
            return _make_date(m.group(3), _MONTH_LOOKUP[month_key], d, raw)
        raise DateError(f"unknown month in {raw!r}", f"ไม่รู้จักชื่อเดือน «{m.group(2)}» — {_HOW_TH}")
    raise DateError(f"cannot read the date {raw!r}", f"อ่านวันที่ไม่ได้ «{raw}» — {_HOW_TH}")


def parse_datetime(value: object) -> datetime:
    """A moment typed or sent: an ISO datetime (its year read by the one rule), or a date as :func:`parse_date`
    reads it (midnight, naive). ``datetime`` values are checked for the range. ``DateError`` otherwise."""
    if isinstance(value, datetime):
        check_range(value)
        return value
    if isinstance(value, date):
        check_range(value)
        return datetime.combine(value, time())
    if not isinstance(value, str):
        raise DateError("a date or datetime must be text", f"วันที่ต้องเป็นข้อความ — {_HOW_TH}")
    text = to_arabic_digits(value).strip()
    m = re.fullmatch(r"(\d{4})(-\d{2}-\d{2}[T ]\d{2}:\d{2}.*)", text)
    if m and len(text) <= 40:
        year = ce_year(int(m.group(1)))
        try:
            moment = datetime.fromisoformat(f"{year:04d}{m.group(2)}")
        except ValueError:
            raise DateError(f"cannot read the date and time {value!r}", f"อ่านวันเวลาไม่ได้ «{value}»") from None
        check_range(moment)
        return moment
    return datetime.combine(parse_date(text), time())


def parse_date_range(text: str) -> tuple[date | None, date | None]:
    """``1/1/2565-31/3/2565``, ``๑ พ.ย. ๒๕๖๙-๓๐ พ.ย. ๒๕๖๙``, ``2022-01-01..2022-03-31``, ``… ถึง …``; either side may
    be empty; one date is that day. Each side by :func:`parse_date`; ``DateError`` when unread or reversed."""
    s = to_arabic_digits(clean_text(text)).strip()
    if not s:
        return None, None
    candidates: list[tuple[str, str]] = []
    for sep in ("..", "ถึง", "–", "—"):
        if sep in s:
            left, right = s.split(sep, 1)
            candidates.append((left, right))
    if not candidates:
        try:
            one = parse_date(s)
            return one, one
        except DateError:
            pass
        candidates = [(s[:i], s[i + 1 :]) for i, c in enumerate(s) if c == "-"]
    for left, right in candidates:
        try:
            lo = parse_date(left) if left.strip() else None
            hi = parse_date(right) if right.strip() else None
        except DateError:
            continue
        if lo and hi and lo > hi:
            raise DateError(
                f"the range starts {lo} after it ends {hi}",
                f"ช่วงวันที่กลับด้าน: วันเริ่ม {format_thai_date(lo)} อยู่หลังวันสิ้นสุด {format_thai_date(hi)}",
            )
        return lo, hi
    if len(candidates) == 1:
        left, right = candidates[0]
        for side in (left, right):
            if side.strip():
                parse_date(side)  # raises the precise reason
    raise DateError(f"cannot read the date range {text!r}", f"อ่านช่วงวันที่ไม่ได้ «{text}» — เช่น ๑/๑/๒๕๖๕-๓๑/๓/๒๕๖๕")


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
    """A stored UTC moment in the office's zone (naive values are taken as UTC).

    Total: a stored moment at the edge of what ``datetime`` holds (year 1 or 9999, written before dates were
    checked) has no local time; it is returned in UTC rather than failing the page that shows it.
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    try:
        return moment.astimezone(ZoneInfo(tz))
    except (OverflowError, ValueError):
        return moment


def format_thai_datetime(moment: datetime, *, tz: str = "Asia/Bangkok", thai_digits: bool = False) -> str:
    loc = local(moment, tz)
    return f"{format_thai_date(loc.date(), thai_digits=thai_digits)} {format_thai_time(loc, thai_digits=thai_digits)}"


_THAI_COMBINING = set(range(0x0E31, 0x0E32)) | set(range(0x0E34, 0x0E3B)) | set(range(0x0E47, 0x0E4F))
_MOJIBAKE = re.compile(r"à[¸¹]|Ã.|\ufffd")


_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # C0 and DEL; tab and line breaks allowed


def text_problem(text: str) -> str | None:
    """Why a text looks broken (wrong encoding, control characters, a mark with nothing under it), or None.

    Every text field of every registration passes here: patterns, not a Python loop over the characters."""
    if _SURROGATE.search(text):
        return "contains invalid characters (lone surrogates)"
    if _MOJIBAKE.search(text):
        return "looks garbled: the Thai text was decoded with the wrong encoding (use UTF-8)"
    if _CONTROL.search(text):
        return "contains control characters"
    stripped = text.lstrip()
    if stripped and ord(stripped[0]) in _THAI_COMBINING:
        return "starts with a Thai vowel or tone mark that has no consonant"
    return None
