"""Outgoing letters (การส่งหนังสือ, ระเบียบงานสารบรรณ พ.ศ. 2526 หมวด 2 ส่วนที่ 2): send registries and series,
issuing and reserving numbers,
electronic delivery inside the installation, post and e-mail. Next capability: built here."""
