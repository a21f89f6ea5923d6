"""Archive rules (ระเบียบสำนักนายกรัฐมนตรีว่าด้วยงานสารบรรณ พ.ศ. 2526 หมวด 3: การเก็บรักษา ยืม และทำลายหนังสือ) as
plain functions over plain values: no ORM, no service, no storage or search. Each rule answers a question of the
regulation with a value or a stable reason code; ``tests/unit/test_retention*.py`` state them as tables.

- ``keeping``: storage kinds, retention classes and their defaults, the keep-until year and its stamp;
- ``destruction``: the listing window, item eligibility, the steps of a destruction list, the objection window;
- ``committee``: who may sit on the destruction committee;
- ``loans``: who may borrow, the steps of a loan, due and overdue;
- ``transfer``: the 20-year transfer and the keep-ourselves list.
"""
