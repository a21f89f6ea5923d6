"""Letters and attachments are named outside by public ids (``service.kit.publicids``, finding 11): tests that make
a letter through a use-case (an internal key) and then ask the API or a page about it translate here."""

from __future__ import annotations

from service.context import Saraban


def public_id(app: Saraban, internal: int | None) -> int:
    """The public id of a letter or an attachment the test made inside."""
    assert internal is not None
    return app.public_ids.encode(internal)


def internal_id(app: Saraban, public: int | str) -> int:
    """The internal key behind a public id the API answered (to look the record up in the database)."""
    internal = app.public_ids.decode(int(public))
    assert internal is not None, public
    return internal
