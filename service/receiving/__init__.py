"""Receiving (การรับหนังสือ, domain.md §3): check, store, register under the next number, stamp."""
