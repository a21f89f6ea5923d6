"""Outgoing letters (การส่งหนังสือ, domain.md §4): send registries and series, issuing and reserving numbers,
electronic delivery inside the installation, post and e-mail. Next capability: built here."""
