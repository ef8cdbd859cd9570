"""What other modules ask of qualification: is an organization a qualified operator, its
qualified application, and the qualified operators tied to it (N2). Selection and
authorizations call these; none takes a principal, because they answer for the platform.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from sluice.identity import repository as identity_repository
from sluice.identity.models import Organization
from sluice.operators import repository
from sluice.operators.models import OperatorApplication


def qualified_application(
    session: Session, organization_id: uuid.UUID
) -> OperatorApplication | None:
    """The organization's latest qualified application, if any (selection, authorization)."""
    return repository.latest_qualified(session, organization_id)


def search(
    session: Session, *, q: str, limit: int
) -> tuple[int, list[tuple[Organization, str | None]]]:
    """Qualified operators (active) whose name or credit code holds ``q``, by name, each
    with its credit code: how many there are and the first ``limit``."""
    return repository.qualified_operators(session, q=q, limit=limit)


def is_qualified(session: Session, organization_id: uuid.UUID) -> bool:
    return qualified_application(session, organization_id) is not None


def affiliated_organizations(session: Session, organization_id: uuid.UUID) -> set[uuid.UUID]:
    """Other qualified operators tied to this one through ownership graphs (N2): one that
    appears in this operator's graph, one whose graph names this operator, or one whose
    graph shares an entity (a common shareholder, controller or affiliate) with it."""
    own = qualified_application(session, organization_id)
    if own is None:
        return set()
    organization = identity_repository.organization(session, organization_id)
    own_codes = {c for c in (own.credit_code, organization and organization.credit_code) if c}
    related: set[uuid.UUID] = set()
    for code in own_codes:
        related.update(repository.applications_naming(session, code))
    for code in repository.graph_credit_codes(session, own.id) - own_codes:
        related.update(repository.applications_naming(session, code))
        related.update(repository.qualified_with_code(session, code))
    related.discard(organization_id)
    return related
