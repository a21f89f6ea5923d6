"""Accounts and units: the administrator's work (create, reset passwords, list)."""
