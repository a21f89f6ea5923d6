"""Outgoing letters (การส่งหนังสือ, ระเบียบงานสารบรรณ พ.ศ. 2526 หมวด 2 ส่วนที่ 2): the send-side series of a unit
(send, circular ว, order, announcement, secret send) numbered by the registers' one counter; drafts, issued numbers,
reservations and cancellations, the auditors' number report; electronic delivery to the units of this installation
(registered by the recipient in its own receive register), post and e-mail to outside parties."""
