"""The archive (การเก็บรักษา, การยืม, การทำลาย, ระเบียบงานสารบรรณ พ.ศ. 2526 หมวด 3): filing, loans, legal holds,
the destruction cycle and
transfer at 20 years. The regulation's rules live in ``retention/`` as plain functions; the records here."""
