"""Start-up: the bundled procedure templates the database lacks are added (imported ones are kept)."""

from __future__ import annotations

import logging

from sqlalchemy.exc import IntegrityError

from service.context import Saraban
from service.procedures.catalog import bundled_templates, sync_missing

log = logging.getLogger(__name__)


def load_templates(app: Saraban) -> list[str]:
    """Several server processes start at once: the one that loses the race to add a template finds it added."""
    try:
        with app.tx() as uow:
            added = sync_missing(uow.session, bundled_templates(), now=app.clock())
    except IntegrityError:
        log.info("procedure templates were added by another process")
        return []
    if added:
        log.info("procedure templates added: %s", ", ".join(added))
    return added
