"""Imports every module's models so the metadata (and Alembic) sees the whole schema."""

from sluice.alerts.models import Alert
from sluice.approvals.models import ApprovalRequest
from sluice.audit.log_models import AuditLeaf, AuditTreeHead, AuditTreeNode
from sluice.audit.models import AuditEvent
from sluice.authorizations import comment_models, operator_rule_models
from sluice.authorizations.models import (
    AgreementSignature,
    AssetDisposal,
    Authorization,
    AuthorizationReminder,
    AuthorizationScope,
    AuthorizationVersion,
    CollectiveDecision,
    DestructionCertificate,
    ExitRequest,
    HandoverItem,
    ImplementationPlan,
    NumberSequence,
    RectificationOrder,
)
from sluice.catalog.models import (
    CatalogBatch,
    CatalogEntry,
    CatalogEntryVersion,
    CatalogTerm,
    DataResource,
    ResourceField,
)
from sluice.channels.models import OperationChannel
from sluice.consent.models import Consent, ConsentUse, DataSubject
from sluice.core.database import Base
from sluice.gateway import models as gateway_models
from sluice.identity.models import (
    AccessToken,
    ApiKey,
    ConsoleSession,
    Membership,
    Organization,
    SigningKey,
    User,
)
from sluice.incidents import models as incident_models
from sluice.ingestion.models import DatasetVersion, IngestionRun
from sluice.operators import models as operator_models
from sluice.operators.selection import models as selection_models
from sluice.products.models import PriceCap, Product
from sluice.quality.models import ProviderAssessment, QualityRulesVersion
from sluice.quality.tickets.models import CorrectionTicket
from sluice.registration import models as registration_models
from sluice.sandbox.export_models import ExportRequest, PrivacyBudget
from sluice.sandbox.models import SavedQuery, Workspace, WorkspaceQuery

__all__ = [
    "AccessToken",
    "AgreementSignature",
    "Alert",
    "ApiKey",
    "ApprovalRequest",
    "AssetDisposal",
    "AuditEvent",
    "AuditLeaf",
    "AuditTreeHead",
    "AuditTreeNode",
    "Authorization",
    "AuthorizationReminder",
    "AuthorizationScope",
    "AuthorizationVersion",
    "Base",
    "CatalogBatch",
    "CatalogEntry",
    "CatalogEntryVersion",
    "CatalogTerm",
    "CollectiveDecision",
    "Consent",
    "ConsentUse",
    "ConsoleSession",
    "CorrectionTicket",
    "DataResource",
    "DataSubject",
    "DatasetVersion",
    "DestructionCertificate",
    "ExitRequest",
    "ExportRequest",
    "HandoverItem",
    "ImplementationPlan",
    "IngestionRun",
    "Membership",
    "NumberSequence",
    "OperationChannel",
    "Organization",
    "PriceCap",
    "PrivacyBudget",
    "Product",
    "ProviderAssessment",
    "QualityRulesVersion",
    "RectificationOrder",
    "ResourceField",
    "SavedQuery",
    "SigningKey",
    "User",
    "Workspace",
    "WorkspaceQuery",
    "comment_models",
    "gateway_models",
    "incident_models",
    "operator_models",
    "operator_rule_models",
    "registration_models",
    "selection_models",
]
