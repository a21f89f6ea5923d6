"""The audit trail in Thai for people: one table of labels for the actions and the kinds of objects it records (the
machine names stay in the records, the exports and the API)."""

from __future__ import annotations

from typing import Any

ACTION_TH = {
    "sign_in": "เข้าสู่ระบบ",
    "sign_in_failed": "เข้าสู่ระบบไม่สำเร็จ",
    "auth_refused": "ปฏิเสธการยืนยันตัวตน",
    "token_revoked": "ยกเลิกโทเค็น",
    "password_changed": "เปลี่ยนรหัสผ่าน",
    "password_reset": "ตั้งรหัสผ่านใหม่",
    "user_created": "สร้างผู้ใช้",
    "user_deactivated": "ระงับบัญชีผู้ใช้",
    "user_reactivated": "เปิดใช้บัญชีผู้ใช้อีกครั้ง",
    "user_unlocked": "ปลดล็อกบัญชีผู้ใช้",
    "user_updated": "แก้ไขข้อมูลผู้ใช้",
    "membership_added": "เพิ่มบทบาทผู้ใช้",
    "membership_removed": "นำบทบาทผู้ใช้ออก",
    "unit_created": "สร้างหน่วยงาน",
    "unit_updated": "แก้ไขหน่วยงาน",
    "registry_created": "สร้างทะเบียน",
    "registry_renamed": "เปลี่ยนชื่อทะเบียน",
    "registry_year_closed": "ปิดทะเบียนประจำปี",
    "permission_denied": "ไม่มีสิทธิ์ทำรายการ",
    "not_found": "ขอดูสิ่งที่ไม่พบหรือไม่มีสิทธิ์",
    "register": "ลงทะเบียนรับ",
    "duplicate_confirmed": "ยืนยันลงทะเบียนหนังสือที่อาจซ้ำ",
    "stamp_completed": "ประทับตรารับภายหลัง (งานเบื้องหลัง)",
    "stamp_failed": "ประทับตรารับภายหลังไม่สำเร็จ (งานเบื้องหลัง)",
    "correct_registration": "แก้ไขการลงทะเบียน",
    "cancel_registration": "ยกเลิกเลขทะเบียนรับ",
    "view": "เปิดอ่านหนังสือ",
    "download": "ดาวน์โหลดไฟล์",
    "export": "ส่งออกหรือพิมพ์",
    "search": "ค้นหา",
    "audit_export": "ส่งออกบันทึกการใช้งาน",
    "route": "ส่งต่อหนังสือ",
    "route_register": "ลงทะเบียนรับหนังสือที่ส่งถึงหน่วยงาน",
    "route_acknowledge": "รับทราบหนังสือ",
    "route_return": "ส่งคืนหนังสือ",
    "route_forward": "ส่งต่อให้ผู้ปฏิบัติ",
    "route_complete": "ปฏิบัติเสร็จ",
    "route_recall": "เรียกคืนหนังสือ",
    "instruct": "เกษียณสั่งการ",
    "outgoing_draft": "ร่างหนังสือส่ง",
    "outgoing_files": "แนบไฟล์หนังสือส่ง",
    "issue_number": "ออกเลขหนังสือส่ง",
    "reserve_number": "จองเลขหนังสือส่ง",
    "cancel_number": "ยกเลิกเลขหนังสือส่ง",
    "send": "ส่งหนังสือ",
    "email_sent": "ส่งอีเมล",
    "email_failed": "ส่งอีเมลไม่สำเร็จ",
    "delivery_opened": "เปิดรับหนังสือทางระบบ",
    "delivery_returned": "ส่งคืนหนังสือทางระบบ",
    "archive_file": "เก็บหนังสือ",
    "archive_change": "แก้ไขการเก็บหนังสือ",
    "file_code_add": "เพิ่มรหัสแฟ้ม",
    "retention_class_change": "แก้ไขอายุการเก็บ",
    "legal_hold_place": "ระงับการทำลาย",
    "legal_hold_release": "ยกเลิกการระงับการทำลาย",
    "loan_request": "ขอยืมหนังสือ",
    "loan_approve": "อนุมัติการยืม",
    "loan_refuse": "ไม่อนุมัติการยืม",
    "loan_hand_out": "ให้ยืมหนังสือ",
    "loan_return": "รับคืนหนังสือที่ยืม",
    "destruction_list_create": "จัดทำบัญชีหนังสือขอทำลาย",
    "destruction_committee": "แต่งตั้งคณะกรรมการทำลาย",
    "destruction_decide": "คณะกรรมการพิจารณาการทำลาย",
    "destruction_archives": "บันทึกความเห็นกรมศิลปากร",
    "destruction_approve": "อนุมัติการทำลาย",
    "destruction_execute": "ทำลายหนังสือ",
    "destruction_purge": "ลบไฟล์ที่ทำลายแล้ว",
    "destroy": "ทำลายหนังสือ",
    "transfer_list_create": "จัดทำบัญชีส่งมอบ",
    "transfer_package": "จัดทำชุดส่งมอบ",
}

OBJECT_TH = {
    "letter": "หนังสือ",
    "attachment": "ไฟล์แนบ",
    "registration": "การลงทะเบียน",
    "registry": "ทะเบียน",
    "routing": "การส่งต่อ",
    "user": "ผู้ใช้",
    "delivery": "หนังสือทางระบบ",
    "archive_item": "หนังสือที่เก็บ",
    "destruction_list": "บัญชีขอทำลาย",
    "transfer_list": "บัญชีส่งมอบ",
    "file_code": "รหัสแฟ้ม",
    "retention_class": "อายุการเก็บ",
    "legal_hold": "การระงับการทำลาย",
    "loan": "การยืม",
}


def action_th(code: str) -> str:
    """The Thai label of an audit action (an action without one is named as such, its code kept for the record)."""
    return ACTION_TH.get(code, f"การกระทำอื่น ({code})")


def object_th(code: str) -> str:
    return OBJECT_TH.get(code, code)


# Why a sign-in failed (``service.auth.core``: the refusal's code, kept in the event's detail as ``reason``).
SIGN_IN_REASON_TH = {
    "bad_credentials": "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง",
    "account_locked": "บัญชีถูกล็อกชั่วคราว",
    "too_many_attempts": "พยายามเข้าสู่ระบบจากเครื่องนี้บ่อยเกินไป",
    "unauthenticated": "ยืนยันตัวตนไม่สำเร็จ",
    "token_invalid": "โทเค็นไม่ถูกต้องหรือหมดอายุ",
}
CHANNEL_TH = {"session": "หน้าเว็บ", "api": "API"}


def event_note(action: str, actor: str, detail: dict[str, Any]) -> str:
    """What a person needs to read an event at a glance; only fields every reader of the trail may see (the
    username typed at a failed sign-in, why it failed, where) — never a search's words or a letter's contents."""
    if action == "sign_in_failed":
        reason = str(detail.get("reason") or "")
        channel = CHANNEL_TH.get(str(detail.get("channel") or ""), "")
        parts = [f"ชื่อผู้ใช้ที่ใช้: {actor or '-'}", SIGN_IN_REASON_TH.get(reason, reason)]
        if channel:
            parts.append(f"ทาง{channel}")
        return " · ".join(p for p in parts if p)
    return ""
