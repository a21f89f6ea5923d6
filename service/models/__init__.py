"""The core records (letters, registrations, attachments, routing, users, audit), one module per concept; importing
this package registers every table."""

from __future__ import annotations

from service.models.audit import AuditEvent, AuditHead
from service.models.letters import Attachment, Letter, LetterAccess, Rendition
from service.models.registers import NumberCounter, Registration, Registry
from service.models.routing import Instruction, Routing
from service.models.units import Unit
from service.models.users import AuthToken, Membership, User

__all__ = [
    "Attachment",
    "AuditEvent",
    "AuditHead",
    "AuthToken",
    "Instruction",
    "Letter",
    "LetterAccess",
    "Membership",
    "NumberCounter",
    "Registration",
    "Registry",
    "Rendition",
    "Routing",
    "Unit",
    "User",
]
