"""Letters and attachments are named outside by public ids (``service.kit.publicids``, finding 11): tests that make
a letter through a use-case (an internal key) and then ask the API or a page about it translate here, and tests
that look an id the API answered up in the database translate back."""

from __future__ import annotations

from service.context import Saraban


def public_id(app: Saraban, internal: int | None) -> int:
    """The public id of a letter the test made inside."""
    assert internal is not None
    return app.public_ids.letters.encode(internal)


def internal_id(app: Saraban, public: int | str) -> int:
    """The internal key behind a letter's public id the API answered."""
    internal = app.public_ids.letters.decode(int(public))
    assert internal is not None, public
    return internal


def public_attachment_id(app: Saraban, internal: int | None) -> int:
    assert internal is not None
    return app.public_ids.attachments.encode(internal)


def internal_attachment_id(app: Saraban, public: int | str) -> int:
    """The internal key behind an attachment's public id."""
    internal = app.public_ids.attachments.decode(int(public))
    assert internal is not None, public
    return internal
