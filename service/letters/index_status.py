"""A letter's search-index status as a person reads it: one table of Thai labels (the stored string stays the
indexer's, e.g. ``indexed; scan.pdf: ocr-unavailable``, in the API and the database)."""

from __future__ import annotations

from dataclasses import dataclass

INDEX_STATUS_TH = {
    "pending": "รอจัดทำดัชนี",
    "indexing": "กำลังจัดทำดัชนี",
    "indexed": "จัดทำดัชนีแล้ว",
    "removed": "นำออกจากดัชนีแล้ว",
}
# Per attachment (search.extract.Extracted.status); "ok" is not written into the letter's status.
FILE_STATUS_TH = {
    "ok": "อ่านข้อความได้",
    "ocr": "อ่านข้อความจากภาพสแกน (OCR) แล้ว",
    "no-text": "ไม่มีข้อความให้อ่าน",
    "ocr-unavailable": "เป็นภาพสแกนที่ยังอ่านข้อความไม่ได้ (ยังไม่ได้ติดตั้งโปรแกรมอ่านข้อความภาพ)",
    "error": "อ่านข้อความในไฟล์ไม่สำเร็จ",
}
UNKNOWN_TH = "สถานะไม่ทราบ"


@dataclass(frozen=True)
class IndexStatusView:
    label: str  # the letter as a whole
    files: list[tuple[str, str]]  # (filename, Thai label) of attachments not read fully
    ocr_unavailable: bool = False
    no_text: bool = False


def _file(part: str) -> tuple[str, str, str]:
    """``"scan.pdf: ocr-unavailable"`` → (filename, code, label); the filename may itself hold ``: ``."""
    for code in sorted(FILE_STATUS_TH, key=len, reverse=True):
        if code != "error" and part.endswith(f": {code}"):
            return part[: -len(code) - 2], code, FILE_STATUS_TH[code]
    if ": error" in part:
        return part[: part.index(": error")], "error", FILE_STATUS_TH["error"]
    return part, "", UNKNOWN_TH  # cut short at 250 characters, or written by another version


def index_status_th(raw: str) -> IndexStatusView:
    head, *rest = (raw or "").split("; ")
    label = INDEX_STATUS_TH.get(head, "จัดทำดัชนีไม่สำเร็จ" if head else UNKNOWN_TH)
    files = [_file(p) for p in rest if p]
    return IndexStatusView(
        label=label,
        files=[(name, th) for name, _, th in files],
        ocr_unavailable=any(code == "ocr-unavailable" for _, code, _ in files),
        no_text=any(code == "no-text" for _, code, _ in files),
    )
