"""Signing in: passwords, tokens and sessions, lock-out (``core``); the sign-in use-cases (``signin``)."""
