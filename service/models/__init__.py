"""The records (letters, registrations, attachments, routing, users, audit, the archive), one module per concept;
importing this package registers every table."""

from __future__ import annotations

from service.models.archive import (
    ArchiveItem,
    CommitteeMember,
    DestructionItem,
    DestructionList,
    FileCode,
    LegalHold,
    Loan,
    RetentionClass,
    Tombstone,
    TransferItem,
    TransferList,
)
from service.models.audit import AuditEvent, AuditHead
from service.models.indexing import IndexChange, IndexNode
from service.models.integrity import IdempotencyRecord, ObjectFault, PublicIdKey
from service.models.letters import Attachment, Letter, LetterAccess, Rendition
from service.models.outgoing import (
    Delivery,
    NumberCancellation,
    NumberReservation,
    Outgoing,
    OutgoingRecipient,
    RecipientGroup,
    RecipientGroupMember,
)
from service.models.procedures import (
    BodyMember,
    CaseLetter,
    CaseStep,
    Procedure,
    ProcedureCase,
    ProcedureStep,
    RegisterEntry,
)
from service.models.registers import NumberCounter, Registration, RegistrationCorrection, Registry
from service.models.routing import Instruction, Routing
from service.models.security import GrantRequest, LoginThrottle
from service.models.units import Unit
from service.models.users import AuthToken, Membership, User

__all__ = [
    "ArchiveItem",
    "Attachment",
    "AuditEvent",
    "AuditHead",
    "AuthToken",
    # procedures
    "BodyMember",
    "CaseLetter",
    "CaseStep",
    "CommitteeMember",
    "Delivery",
    "DestructionItem",
    "DestructionList",
    "FileCode",
    "GrantRequest",
    "IdempotencyRecord",
    "IndexChange",
    "IndexNode",
    "Instruction",
    "LegalHold",
    "Letter",
    "LetterAccess",
    "Loan",
    "LoginThrottle",
    "Membership",
    "NumberCancellation",
    "NumberCounter",
    "NumberReservation",
    "ObjectFault",
    "Outgoing",
    "OutgoingRecipient",
    "Procedure",
    "ProcedureCase",
    "ProcedureStep",
    "PublicIdKey",
    "RecipientGroup",
    "RecipientGroupMember",
    "RegisterEntry",
    "Registration",
    "RegistrationCorrection",
    "Registry",
    "Rendition",
    "RetentionClass",
    "Routing",
    "Tombstone",
    "TransferItem",
    "TransferList",
    "Unit",
    "User",
]
