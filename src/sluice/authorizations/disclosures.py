"""What the public may know of authorized operation (R10.2, N7): the party, the content
(mode, scenario, purpose), the scope (the catalog entries, which are public already) and the
term of each agreement, and whether it is still in force.

Clauses, products under review, signatures and documents stay in the console.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from sluice.authorizations import states
from sluice.authorizations.models import Authorization, AuthorizationScope
from sluice.catalog.models import CatalogEntry
from sluice.identity.models import Organization

#: Agreements the public sees: in force, suspended, or ended (never drafts or ones in review).
DISCLOSED: frozenset[str] = states.IN_FORCE | states.ENDED | {states.SUSPENDED}


@dataclass(frozen=True)
class DisclosedAgreement:
    id: uuid.UUID
    number: str
    operator: str
    scenario: str
    mode: str
    status: str
    term_start: date | None
    term_end: date | None
    purpose: str
    scope: list[str]  # "provider · entry title", in title order


def disclosed_agreements(session: Session, *, limit: int = 200) -> list[DisclosedAgreement]:
    rows = session.execute(
        select(Authorization, Organization.name)
        .join(Organization, Organization.id == Authorization.operator_id)
        .where(Authorization.status.in_(DISCLOSED))
        .order_by(Authorization.term_start.desc().nulls_last(), Authorization.number)
        .limit(limit)
    ).all()
    scope = _scope(session, [a.id for a, _ in rows])
    return [
        DisclosedAgreement(
            a.id,
            a.number,
            name,
            a.scenario,
            a.mode,
            a.status,
            a.term_start,
            a.term_end,
            a.purpose,
            scope.get(a.id, []),
        )
        for a, name in rows
    ]


def _scope(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    provider = aliased(Organization)
    rows = session.execute(
        select(AuthorizationScope.authorization_id, provider.name, CatalogEntry.title)
        .join(CatalogEntry, CatalogEntry.id == AuthorizationScope.entry_id)
        .join(provider, provider.id == CatalogEntry.provider_id)
        .where(AuthorizationScope.authorization_id.in_(ids))
        .order_by(CatalogEntry.title)
    ).all()
    found: dict[uuid.UUID, list[str]] = {}
    for authorization_id, provider_name, title in rows:
        found.setdefault(authorization_id, []).append(f"{provider_name} · {title}")
    return found
