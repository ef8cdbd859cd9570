"""What the public may know of authorized operation (R10.2): which operator holds which
scenario, under which agreement number, for which term, and whether it is still in force.

Nothing here is confidential in the agreement's own terms: scope details, clauses and
signatures stay in the console; only the facts a city discloses are read.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from sluice.authorizations import states
from sluice.authorizations.models import Authorization
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


def disclosed_agreements(session: Session, *, limit: int = 200) -> list[DisclosedAgreement]:
    rows = session.execute(
        select(Authorization, Organization.name)
        .join(Organization, Organization.id == Authorization.operator_id)
        .where(Authorization.status.in_(DISCLOSED))
        .order_by(Authorization.term_start.desc().nulls_last(), Authorization.number)
        .limit(limit)
    ).all()
    return [
        DisclosedAgreement(
            a.id, a.number, name, a.scenario, a.mode, a.status, a.term_start, a.term_end
        )
        for a, name in rows
    ]
