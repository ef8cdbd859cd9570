"""The organizations an agreement names, read from the modules that own them.

The bureau is the only authorizing party; operators are authorized, if qualified and, when
a consultation chose them, selected (R2, R5.2a). Pages and the drafting form read names and
choices here, never from identity or operators directly.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from sluice.core.errors import Conflict
from sluice.core.i18n import add_messages
from sluice.core.permissions import OrgKind, Permission
from sluice.core.principal import Principal
from sluice.identity import repository as identity
from sluice.identity import signing
from sluice.identity.models import Organization
from sluice.operators import qualified
from sluice.operators.selection import service as selection

add_messages(
    {
        "authz.bureau_missing": (
            "平台上没有数据局这个单位。",
            "There is no bureau organization on the platform.",
        ),
    }
)


@dataclass(frozen=True)
class OperatorChoice:
    id: uuid.UUID
    name: str
    credit_code: str | None


@dataclass(frozen=True)
class RoundChoice:
    id: uuid.UUID
    title: str
    scenario: str
    selected: str | None


def _bureau(session: Session) -> Organization | None:
    _, bureaus = identity.organizations(session, kind=OrgKind.BUREAU.value, limit=1)
    return bureaus[0] if bureaus else None


def bureau_organization(session: Session) -> Organization:
    bureau = _bureau(session)
    if bureau is None:
        raise Conflict("authz.bureau_missing")
    return bureau


def bureau_public_key(session: Session) -> str | None:
    """The bureau's current SM2 public key, which certificates are checked with, if any."""
    bureau = _bureau(session)
    key = signing.current_key(session, bureau.id) if bureau else None
    return key.public_key_hex if key else None


def finance_organizations(session: Session) -> list[Organization]:
    """The finance bureau (财政部门), whose comments a draft asks for (accounting and the
    government's share of revenue)."""
    _, found = identity.organizations(session, kind=OrgKind.FINANCE.value)
    return found


def organization(session: Session, organization_id: uuid.UUID) -> Organization | None:
    return identity.organization(session, organization_id)


def names(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Each organization's name, or its id when it is gone."""
    found = {}
    for organization_id in set(ids):
        org = identity.organization(session, organization_id)
        found[organization_id] = org.name if org else str(organization_id)
    return found


def pick_operators(
    session: Session, *, actor: Principal, q: str, limit: int
) -> tuple[int, list[OperatorChoice]]:
    """The operators a draft may name: qualified ones (as ``service`` checks), active, whose
    name or credit code holds ``q``; how many there are and the first ``limit`` by name."""
    actor.require(Permission.AUTHORIZATIONS_MANAGE)
    total, found = qualified.search(session, q=q, limit=limit)
    return total, [OperatorChoice(org.id, org.name, code) for org, code in found]


def operator_choice(session: Session, operator_id: uuid.UUID) -> OperatorChoice | None:
    """The operator a form names, to show it as chosen (qualified or not: the form's
    checks say what is wrong with it)."""
    org = identity.organization(session, operator_id)
    if org is None or org.kind != OrgKind.OPERATOR.value:
        return None
    application = qualified.qualified_application(session, org.id)
    return OperatorChoice(
        org.id, org.name, org.credit_code or (application.credit_code if application else None)
    )


def round_choices(session: Session) -> list[RoundChoice]:
    """Published consultation rounds and whom each selected."""
    return [
        RoundChoice(
            r.id,
            r.title,
            r.scenario,
            selection.organization_name(session, r.selected_organization_id),
        )
        for r in selection.published_rounds(session)
    ]
