"""Imports every module's models so the metadata (and Alembic) sees the whole schema."""

from sluice.audit.models import AuditEvent
from sluice.core.database import Base
from sluice.identity.models import (
    AccessToken,
    ApiKey,
    ConsoleSession,
    Membership,
    Organization,
    User,
)

__all__ = [
    "AccessToken",
    "ApiKey",
    "AuditEvent",
    "Base",
    "ConsoleSession",
    "Membership",
    "Organization",
    "User",
]
