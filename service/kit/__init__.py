"""Shared infrastructure with no office knowledge: transactions and the write gate (``db``), the clock, Thai text
and dates (``thai``), errors, streaming uploads, migrations, the console."""
