"""Handing letters over to the National Archives at 20 years (ระเบียบสำนักนายกรัฐมนตรีว่าด้วยงานสารบรรณ พ.ศ. 2526
หมวด 3 ส่วนที่ 1: หนังสือที่มีอายุครบ ๒๐ ปี go to สำนักหอจดหมายเหตุแห่งชาติ with a transfer list
(บัญชีส่งมอบหนังสือครบ ๒๐ ปี); what the office still needs stays with it, on a keep-ourselves list). The lists are
made in January for what came of age by the end of the year before (common practice).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from retention.keeping import ce

TRANSFER_YEARS = 20


def reached_transfer_age(made_on: date, list_year_be: int, *, years: int = TRANSFER_YEARS) -> bool:
    """Whether a letter made on ``made_on`` had reached ``years`` by the end of the year before ``list_year_be``
    (the lists of January of ``list_year_be`` cover what came of age during the previous year or before)."""
    return made_on.year + years <= ce(list_year_be) - 1


@dataclass(frozen=True)
class TransferCandidate:
    item_id: int
    made_on: date
    destroyed: bool = False
    held: bool = False


def split_transfer(
    candidates: Iterable[TransferCandidate], list_year_be: int, *, keep: Iterable[int] = (), years: int = TRANSFER_YEARS
) -> tuple[list[int], list[int]]:
    """(the transfer list, the keep-ourselves list): items of age, those the office asks to keep (``keep``) on the
    second list. An item under legal hold stays with the office; a destroyed one is on neither."""
    kept = set(keep)
    to_archives: list[int] = []
    ourselves: list[int] = []
    for c in candidates:
        if c.destroyed or not reached_transfer_age(c.made_on, list_year_be, years=years):
            continue
        (ourselves if c.item_id in kept or c.held else to_archives).append(c.item_id)
    return to_archives, ourselves
