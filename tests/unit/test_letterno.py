"""The printed number of an outgoing letter (ที่) by series: a table written from the office's practice."""

from __future__ import annotations

import pytest

from service.outgoing.letterno import format_letter_no

ROWS = [
    # kind, letter code, number, B.E. year, Thai digits, expected
    ("send", "ศธ 04045", 1, 2569, False, "ศธ 04045/1"),
    ("send", "ศธ 04045", 1, 2569, True, "ศธ ๐๔๐๔๕/๑"),
    ("send", "ศธ 04045", 1234, 2568, False, "ศธ 04045/1234"),
    ("send", "  ศธ   04045 ", 7, 2569, False, "ศธ 04045/7"),  # the code as configured, spaces tidied
    ("circular", "ศธ 04045", 12, 2569, False, "ศธ 04045/ว 12"),
    ("circular", "ศธ 04045", 12, 2569, True, "ศธ ๐๔๐๔๕/ว ๑๒"),
    ("order", "ศธ 04045", 1, 2569, False, "1/2569"),
    ("order", None, 25, 2569, True, "๒๕/๒๕๖๙"),
    ("announcement", "ศธ 04045", 3, 2568, False, "3/2568"),
    ("secret_send", "ศธ 04045", 2, 2569, False, "ศธ 04045/2"),
]


@pytest.mark.parametrize(("kind", "code", "number", "year", "thai", "expected"), ROWS)
def test_format_letter_no(
    kind: str,
    code: str | None,
    number: int,
    year: int,
    thai: bool,  # noqa: FBT001
    expected: str,
) -> None:
    assert format_letter_no(kind, code, number, year, thai_digits=thai) == expected


@pytest.mark.parametrize(
    ("kind", "code", "number"),
    [
        ("send", None, 1),  # an ordinary letter needs the unit's letter code
        ("circular", "", 1),
        ("receive", "ศธ 04045", 1),  # receive registers number no letters of their own
        ("send", "ศธ 04045", 0),
    ],
)
def test_refused(kind: str, code: str | None, number: int) -> None:
    with pytest.raises(ValueError):
        format_letter_no(kind, code, number, 2569, thai_digits=False)
