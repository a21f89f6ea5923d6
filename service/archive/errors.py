"""The archive's refusals: one stable ``code`` each (the reason codes of ``retention/`` and of the use-cases), with
an HTTP status and the message in English and Thai. A refusal changes nothing: it is raised before the first write
or rolls the transaction back."""

from __future__ import annotations

from typing import Any

from service.kit.errors import Conflict, InvalidInput, SarabanError

# code → (status, English, Thai)
REFUSALS: dict[str, tuple[int, str, str]] = {
    # filing
    "journey_not_completed": (
        409,
        "the letter's journey is not completed: give the date the matter was completed",
        "หนังสือนี้ยังปฏิบัติไม่เสร็จ จึงยังส่งเก็บไม่ได้ (หรือระบุวันที่ปฏิบัติเสร็จ)",
    ),
    "already_filed": (409, "the letter is filed already", "หนังสือนี้ส่งเก็บแล้ว"),
    "letter_destroyed": (409, "the letter was destroyed", "หนังสือนี้ถูกทำลายแล้ว"),
    "completed_in_future": (422, "the completion date is in the future", "วันที่ปฏิบัติเสร็จต้องไม่เป็นวันในอนาคต"),
    "retention_below_minimum": (
        422,
        "a retention period is at least one year",
        "อายุการเก็บต้องไม่น้อยกว่า ๑ ปี",
    ),
    "file_code_taken": (409, "that file code exists already", "มีรหัสแฟ้มนี้แล้ว"),
    "item_not_filed": (409, "the item is no longer in the archive", "หนังสือนี้ไม่อยู่ในที่เก็บแล้ว"),
    # holds
    "hold_released": (409, "the hold was released already", "ยกเลิกการระงับนี้แล้ว"),
    # the destruction list
    "outside_window": (
        409,
        "the destruction list is drawn up only inside the listing window",
        "จัดทำบัญชีหนังสือขอทำลายได้เฉพาะภายในช่วงเวลาที่กำหนด (ภายใน ๖๐ วันหลังสิ้นปีปฏิทิน)",
    ),
    "nothing_due": (
        409,
        "no item has reached its keep-until date",
        "ไม่มีหนังสือที่ครบกำหนดอายุการเก็บ",
    ),
    "committee_not_qualified": (
        422,
        "the committee does not qualify: a chair and at least two members of the qualifying levels",
        "คณะกรรมการไม่เป็นไปตามระเบียบ: ต้องมีประธานกรรมการและกรรมการอย่างน้อยสองคน ระดับปฏิบัติการหรือชำนาญงานขึ้นไป",
    ),
    "committee_missing": (409, "no committee is recorded for this list", "ยังไม่ได้บันทึกคณะกรรมการทำลายหนังสือ"),
    "undecided_items": (409, "the committee has not decided every item", "คณะกรรมการยังพิจารณาไม่ครบทุกรายการ"),
    "not_on_list": (422, "the item is not on this list", "รายการนี้ไม่อยู่ในบัญชี"),
    "keep_needs_year": (422, "an item kept longer needs its new keep-until year", "ระบุปีที่จะเก็บถึง"),
    "keep_year_not_later": (
        422,
        "the new keep-until year must be later than the current one",
        "ปีที่จะเก็บถึงต้องหลังปีเดิม",
    ),
    "already_approved": (409, "the list is approved already", "บัญชีนี้ได้รับอนุมัติแล้ว"),
    "already_executed": (409, "the list was carried out already", "ทำลายตามบัญชีนี้แล้ว"),
    "not_approved": (409, "the head has not approved the list", "หัวหน้าส่วนราชการยังไม่ได้อนุมัติบัญชีนี้"),
    "archives_not_notified": (
        409,
        "the list has not been sent to the National Archives",
        "ยังไม่ได้ส่งบัญชีให้สำนักหอจดหมายเหตุแห่งชาติพิจารณา",
    ),
    "objection_window_open": (
        409,
        "the National Archives may still object",
        "ยังอยู่ในระยะเวลาที่สำนักหอจดหมายเหตุแห่งชาติอาจทักท้วง",
    ),
    "archives_objected": (409, "the National Archives objected", "สำนักหอจดหมายเหตุแห่งชาติทักท้วงการทำลาย"),
    "item_held": (409, "an item of the list is under a legal hold", "มีหนังสือในบัญชีที่ถูกระงับการทำลาย"),
    "item_permanent": (409, "an item of the list is not to be destroyed (ห้ามทำลาย)", "มีหนังสือในบัญชีที่ห้ามทำลาย"),
    "item_on_loan": (409, "an item of the list is out on loan", "มีหนังสือในบัญชีที่ถูกยืมออกไปและยังไม่ส่งคืน"),
    "item_not_due": (409, "an item of the list has not reached its keep-until date", "มีหนังสือในบัญชีที่ยังไม่ครบอายุการเก็บ"),
    "item_already_destroyed": (409, "an item of the list was destroyed already", "มีหนังสือในบัญชีที่ถูกทำลายแล้ว"),
    # loans
    "outsider_cannot_borrow": (
        422,
        "an outsider may view or copy an item, never borrow it",
        "บุคคลภายนอกยืมหนังสือไม่ได้ ทำได้เพียงขอดูหรือคัดสำเนา",
    ),
    "clearance_too_low": (403, "the borrower is not cleared for this item", "ผู้ยืมไม่มีสิทธิ์เข้าถึงชั้นความลับนี้"),
    "loan_step_not_allowed": (409, "the loan is not at that step", "ดำเนินการกับการยืมนี้ในขั้นตอนนี้ไม่ได้"),
    "due_before_hand_out": (422, "the due date must come after the hand-out", "กำหนดส่งคืนต้องหลังวันยืม"),
    "item_out": (409, "the item is out on loan", "หนังสือนี้ถูกยืมออกไปแล้ว"),
    # transfer
    "nothing_to_transfer": (409, "no item has reached 20 years", "ไม่มีหนังสือที่มีอายุครบ ๒๐ ปี"),
}

_CLASSES: dict[str, type[SarabanError]] = {
    code: type(
        f"Refused_{code}",
        (Conflict if status == 409 else InvalidInput if status == 422 else SarabanError,),
        {"code": code, "status": status},
    )
    for code, (status, _, _) in REFUSALS.items()
}


def refused(code: str, **extra: Any) -> SarabanError:
    """The refusal for ``code`` (raise it), carrying ``extra`` values (item ids …) in the problem document."""
    _, detail, thai = REFUSALS[code]
    return _CLASSES[code](detail, thai=thai, **extra)
