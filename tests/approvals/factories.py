"""Two people of the bureau, and the second one's approval, built through the real services."""

from __future__ import annotations

import itertools
import uuid

from sqlalchemy.orm import Session

from sluice.approvals import service as approvals
from sluice.approvals.models import ApprovalRequest
from sluice.core.clock import Clock
from sluice.core.database import Database
from sluice.core.permissions import ROLE_ORG_KIND
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.identity import service as identity
from sluice.identity.schemas import UserCreate
from tests.identity.factories import PASSWORD, Account

_counter = itertools.count(1)


def colleague(database: Database, clock: Clock, account: Account, name: str = "复核人") -> Account:
    """Another user with the same role in the same organization (a second bureau person)."""
    with database.unit_of_work() as session:
        user = identity.create_user(
            session,
            actor=Principal.system("test"),
            clock=clock,
            data=UserCreate(
                username=f"{account.username}-second{next(_counter)}",
                display_name=name,
                password=PASSWORD,
                organization_id=account.organization_id,
                roles=[account.role],
            ),
        )
        return Account(user.username, PASSWORD, user.id, account.organization_id, account.role)


def principal_of(account: Account, display_name: str = "") -> Principal:
    """The principal a login of ``account`` resolves to."""
    return Principal(
        username=account.username,
        via="session",
        user_id=account.user_id,
        organization_id=account.organization_id,
        organization_kind=ROLE_ORG_KIND[account.role],
        roles=frozenset({account.role}),
        display_name=display_name or account.username,
    )


def approve(
    session: Session,
    *,
    approver: Principal,
    settings: Settings,
    clock: Clock,
    request: ApprovalRequest | uuid.UUID,
) -> ApprovalRequest:
    """The second person approves: the act is carried out in this transaction."""
    request_id = request if isinstance(request, uuid.UUID) else request.id
    return approvals.approve(
        session, actor=approver, settings=settings, at=clock.now(), approval_id=request_id
    )
