"""Imports every module's models so the metadata (and Alembic) sees the whole schema."""

from sluice.audit.models import AuditEvent
from sluice.catalog.models import (
    CatalogBatch,
    CatalogEntry,
    CatalogEntryVersion,
    CatalogTerm,
    DataResource,
    ResourceField,
)
from sluice.core.database import Base
from sluice.identity.models import (
    AccessToken,
    ApiKey,
    ConsoleSession,
    Membership,
    Organization,
    User,
)
from sluice.quality.tickets_models import CorrectionTicket

__all__ = [
    "AccessToken",
    "ApiKey",
    "AuditEvent",
    "Base",
    "CatalogBatch",
    "CatalogEntry",
    "CatalogEntryVersion",
    "CatalogTerm",
    "ConsoleSession",
    "CorrectionTicket",
    "DataResource",
    "Membership",
    "Organization",
    "ResourceField",
    "User",
]
