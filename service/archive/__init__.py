"""The archive (ระเบียบงานสารบรรณ หมวด 3: การเก็บรักษา ยืม และทำลายหนังสือ): the file plan and retention classes,
filing completed letters with their keep-until stamp, legal holds, the yearly destruction cycle (list, committee,
decisions, approval, the National Archives, execution with tombstones), loans, and the 20-year transfer.

The rules are in ``retention/`` (pure); here are the records' use-cases (take a session, flush, never commit), their
after-commit side effects (the stamp, removing destroyed objects and index entries), printing, API, pages and CLI.
"""
