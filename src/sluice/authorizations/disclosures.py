"""What the public may know of authorized operation (R10.2, N7): the party, the content
(mode, scenario, purpose), the scope (the catalog entries, which are public already) and the
term of each agreement, and whether it is still in force.

Clauses, products under review, signatures and documents stay in the console.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from sluice.authorizations import repository, states

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
    rows = repository.disclosed(session, DISCLOSED, limit=limit)
    scope = repository.scope_titles(session, [a.id for a, _ in rows])
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
