"""The destruction committee (คณะกรรมการทำลายหนังสือ, ระเบียบสำนักนายกรัฐมนตรีว่าด้วยงานสารบรรณ พ.ศ. 2526 ข้อ 67 as
amended by the third amendment, พ.ศ. 2560): a chair and at least two members, civil servants of at least the
ปฏิบัติการ level (academic positions) or the ชำนาญงาน level (general positions), or their equivalents.

The qualifying levels are configuration (``SARABAN_COMMITTEE_LEVELS``) with the regulation's as the default, since
"equivalent" is read per office (teachers' and educational personnel's ranks, for instance).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum


class CommitteeRole(StrEnum):
    CHAIR = "chair"  # ประธานกรรมการ
    MEMBER = "member"  # กรรมการ


ROLE_TH = {CommitteeRole.CHAIR: "ประธานกรรมการ", CommitteeRole.MEMBER: "กรรมการ"}


@dataclass(frozen=True)
class Member:
    name: str
    position: str
    level: str
    role: CommitteeRole


MIN_MEMBERS = 2
"""Besides the chair."""

# ปฏิบัติการ and above (ประเภทวิชาการ), ชำนาญงาน and above (ประเภททั่วไป), the management and executive types above
# both, and the higher academic standings (วิทยฐานะ) of teachers and educational personnel as their equivalent.
DEFAULT_LEVELS: tuple[str, ...] = (
    "ปฏิบัติการ",
    "ชำนาญการ",
    "ชำนาญการพิเศษ",
    "เชี่ยวชาญ",
    "ทรงคุณวุฒิ",
    "ชำนาญงาน",
    "อาวุโส",
    "ทักษะพิเศษ",
    "อำนวยการต้น",
    "อำนวยการสูง",
    "บริหารต้น",
    "บริหารสูง",
    "เชี่ยวชาญพิเศษ",
)


def normalise_level(level: str) -> str:
    """``ระดับ ชำนาญการ พิเศษ`` → ``ชำนาญการพิเศษ``: the word ระดับ and spaces do not matter."""
    text = re.sub(r"\s+", "", level)
    return text.removeprefix("ระดับ")


def parse_levels(text: str) -> tuple[str, ...]:
    """A comma-separated list of qualifying levels (the setting); empty: the regulation's default."""
    levels = tuple(normalise_level(p) for p in text.split(",") if p.strip())
    return levels or DEFAULT_LEVELS


def level_qualifies(level: str, levels: Iterable[str] = DEFAULT_LEVELS) -> bool:
    return normalise_level(level) in {normalise_level(x) for x in levels}


def committee_problem(members: Sequence[Member], levels: Iterable[str] = DEFAULT_LEVELS) -> str | None:
    """Why this committee may not review a destruction list (``None``: it may)."""
    allowed = {normalise_level(x) for x in levels}
    if any(not m.name.strip() for m in members):
        return "member_without_name"
    names = [re.sub(r"\s+", " ", m.name.strip()) for m in members]
    if len(set(names)) != len(names):
        return "duplicate_member"
    chairs = sum(1 for m in members if m.role == CommitteeRole.CHAIR)
    if chairs == 0:
        return "no_chair"
    if chairs > 1:
        return "more_than_one_chair"
    if len(members) - chairs < MIN_MEMBERS:
        return "too_few_members"
    if any(normalise_level(m.level) not in allowed for m in members):
        return "level_not_qualified"
    return None


def unqualified(members: Sequence[Member], levels: Iterable[str] = DEFAULT_LEVELS) -> list[str]:
    """The names of the members whose level does not qualify."""
    allowed = {normalise_level(x) for x in levels}
    return [m.name for m in members if normalise_level(m.level) not in allowed]
