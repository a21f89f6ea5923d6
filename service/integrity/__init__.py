"""Fixity: every stored object is present with its hash; orphans listed (``saraban verify``)."""
