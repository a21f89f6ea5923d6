"""What the receive stamp says and how big it is (ระเบียบงานสารบรรณ พ.ศ. 2526 หมวด 2 ส่วนที่ 1: ตรารับหนังสือ at
the top right of page 1): ReceiveStamp, StampLayout, stamp_lines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from service.kit.thai import format_thai_date, format_thai_time, to_thai_digits

MM = 72 / 25.4
"""PDF points per millimetre."""

# Common practice (not in the regulation's text): about 2.5 × 5 cm. Defaults, overridable per call through StampLayout.
STAMP_WIDTH_MM = 50.0
STAMP_HEIGHT_MM = 25.0
PAGE_MARGIN_MM = 8.0
STAMP_COLOUR = (200, 16, 46)


@dataclass(frozen=True)
class ReceiveStamp:
    unit_name: str
    """The receiving unit, e.g. ``สพป.ขอนแก่น เขต ๕``."""
    number: int
    """เลขรับ, the receive number."""
    received_at: datetime
    """An aware datetime, already in the office's zone (Asia/Bangkok)."""
    thai_digits: bool = True


@dataclass(frozen=True)
class StampLayout:
    width_mm: float = STAMP_WIDTH_MM
    height_mm: float = STAMP_HEIGHT_MM
    margin_mm: float = PAGE_MARGIN_MM
    font_size_pt: float = 12.0
    line_height_mm: float = 5.5
    min_unit_font_size_pt: float = 7.0


DEFAULT_LAYOUT = StampLayout()


def stamp_lines(stamp: ReceiveStamp) -> list[str]:
    """The four lines of the stamp: unit, ``เลขรับ n``, ``วันที่ d มี.ค. yyyy``, ``เวลา HH.MM น.``."""
    number = str(stamp.number)
    if stamp.thai_digits:
        number = to_thai_digits(number)
    return [
        stamp.unit_name.strip(),
        f"เลขรับ {number}",
        f"วันที่ {format_thai_date(stamp.received_at.date(), thai_digits=stamp.thai_digits)}",
        f"เวลา {format_thai_time(stamp.received_at, thai_digits=stamp.thai_digits)}",
    ]
