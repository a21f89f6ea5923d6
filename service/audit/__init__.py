"""The audit trail (who did what, when): an append-only, hash-chained log, its listing and its verification."""

from __future__ import annotations

from service.audit.chain import ChainReport, Where, event_hash, keyed_digest, record, verify_chain

__all__ = ["ChainReport", "Where", "event_hash", "keyed_digest", "record", "verify_chain"]
