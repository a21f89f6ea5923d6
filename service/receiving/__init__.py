"""Receiving (การรับหนังสือ, ระเบียบงานสารบรรณ หมวด 2 ส่วนที่ 1): check, store, register under the next number, stamp."""
