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
from sluice.dataplane.models import DatasetVersion, IngestionRun
from sluice.identity.models import (
    AccessToken,
    ApiKey,
    ConsoleSession,
    Membership,
    Organization,
    User,
)
from sluice.quality.models import ProviderAssessment
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
    "DatasetVersion",
    "IngestionRun",
    "Membership",
    "Organization",
    "ProviderAssessment",
    "ResourceField",
    "User",
]
