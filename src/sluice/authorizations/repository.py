"""Queries of the authorization tables, scoped to who is asking."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sluice.authorizations.models import (
    AgreementSignature,
    Authorization,
    AuthorizationReminder,
    AuthorizationScope,
    AuthorizationVersion,
    CollectiveDecision,
    DestructionCertificate,
    ExitRequest,
    ImplementationPlan,
    RectificationOrder,
)
from sluice.core.permissions import OrgKind
from sluice.core.principal import Principal


def sees_all(actor: Principal) -> bool:
    """The bureau and the registry see every authorization; an operator only its own."""
    return actor.is_system or actor.organization_kind in (OrgKind.BUREAU, OrgKind.REGISTRY)


def authorization(
    session: Session, authorization_id: uuid.UUID, *, for_update: bool = False
) -> Authorization | None:
    """``for_update`` locks the row on PostgreSQL (two parties signing at once)."""
    return session.get(Authorization, authorization_id, with_for_update=for_update)


def successors(session: Session, authorization_id: uuid.UUID) -> list[Authorization]:
    query = select(Authorization).where(Authorization.renewed_from_id == authorization_id)
    return list(session.scalars(query))


def using_round(session: Session, round_id: uuid.UUID) -> list[Authorization]:
    """First agreements made on a consultation round (renewals carry the round along)."""
    query = select(Authorization).where(
        Authorization.selection_round_id == round_id, Authorization.renewed_from_id.is_(None)
    )
    return list(session.scalars(query))


def authorizations(
    session: Session, actor: Principal, *, status: str | None = None
) -> list[Authorization]:
    query = select(Authorization)
    if not sees_all(actor):
        query = query.where(Authorization.operator_id == actor.organization_id)
    if status:
        query = query.where(Authorization.status == status)
    return list(session.scalars(query.order_by(Authorization.created_at.desc())))


def holding_scenario(
    session: Session, scenario_key: str, states: Iterable[str]
) -> list[Authorization]:
    query = select(Authorization).where(
        Authorization.scenario_key == scenario_key, Authorization.status.in_(list(states))
    )
    return list(session.scalars(query))


def with_status(session: Session, states: Iterable[str]) -> list[Authorization]:
    query = select(Authorization).where(Authorization.status.in_(list(states)))
    return list(session.scalars(query.order_by(Authorization.term_end)))


def version(
    session: Session, authorization_id: uuid.UUID, number: int
) -> AuthorizationVersion | None:
    return session.scalar(
        select(AuthorizationVersion).where(
            AuthorizationVersion.authorization_id == authorization_id,
            AuthorizationVersion.number == number,
        )
    )


def versions(session: Session, authorization_id: uuid.UUID) -> list[AuthorizationVersion]:
    query = select(AuthorizationVersion).where(
        AuthorizationVersion.authorization_id == authorization_id
    )
    return list(session.scalars(query.order_by(AuthorizationVersion.number)))


def scope(session: Session, authorization_id: uuid.UUID) -> list[AuthorizationScope]:
    query = select(AuthorizationScope).where(
        AuthorizationScope.authorization_id == authorization_id
    )
    return list(session.scalars(query))


def in_scope(session: Session, authorization_id: uuid.UUID, resource_id: uuid.UUID) -> bool:
    return session.get(AuthorizationScope, (authorization_id, resource_id)) is not None


def signatures(
    session: Session, authorization_id: uuid.UUID, version: int | None = None
) -> list[AgreementSignature]:
    query = select(AgreementSignature).where(
        AgreementSignature.authorization_id == authorization_id
    )
    if version is not None:
        query = query.where(AgreementSignature.version == version)
    # The party breaks ties: the demo signs both sides in the same instant.
    order = (AgreementSignature.version, AgreementSignature.signed_at, AgreementSignature.party)
    return list(session.scalars(query.order_by(*order)))


def decision(session: Session, decision_id: uuid.UUID | None) -> CollectiveDecision | None:
    return session.get(CollectiveDecision, decision_id) if decision_id else None


def decisions_about(session: Session, subject_id: uuid.UUID) -> list[CollectiveDecision]:
    query = select(CollectiveDecision).where(CollectiveDecision.subject_id == subject_id)
    return list(session.scalars(query.order_by(CollectiveDecision.recorded_at)))


def plan(session: Session, plan_id: uuid.UUID) -> ImplementationPlan | None:
    return session.get(ImplementationPlan, plan_id)


def plans(session: Session) -> list[ImplementationPlan]:
    return list(
        session.scalars(select(ImplementationPlan).order_by(ImplementationPlan.created_at.desc()))
    )


def reminders(session: Session, authorization_id: uuid.UUID) -> list[AuthorizationReminder]:
    query = select(AuthorizationReminder).where(
        AuthorizationReminder.authorization_id == authorization_id
    )
    return list(session.scalars(query.order_by(AuthorizationReminder.sent_at)))


def reminder_sent(
    session: Session, authorization_id: uuid.UUID, term_end: date, days_before: int
) -> bool:
    query = select(func.count()).where(
        AuthorizationReminder.authorization_id == authorization_id,
        AuthorizationReminder.term_end == term_end,
        AuthorizationReminder.days_before <= days_before,
    )
    return (session.scalar(query) or 0) > 0


def exits(session: Session, authorization_id: uuid.UUID) -> list[ExitRequest]:
    query = select(ExitRequest).where(ExitRequest.authorization_id == authorization_id)
    return list(session.scalars(query.order_by(ExitRequest.requested_at)))


def exits_with_status(session: Session, states: Iterable[str]) -> list[ExitRequest]:
    query = select(ExitRequest).where(ExitRequest.status.in_(list(states)))
    return list(session.scalars(query.order_by(ExitRequest.exit_date)))


def rectifications(session: Session, authorization_id: uuid.UUID) -> list[RectificationOrder]:
    query = select(RectificationOrder).where(
        RectificationOrder.authorization_id == authorization_id
    )
    return list(session.scalars(query.order_by(RectificationOrder.issued_at)))


def rectifications_with_status(session: Session, status: str) -> list[RectificationOrder]:
    query = select(RectificationOrder).where(RectificationOrder.status == status)
    return list(session.scalars(query.order_by(RectificationOrder.deadline)))


def certificate(session: Session, authorization_id: uuid.UUID) -> DestructionCertificate | None:
    return session.scalar(
        select(DestructionCertificate).where(
            DestructionCertificate.authorization_id == authorization_id
        )
    )


def delivered_by(session: Session, operator_ids: Iterable[uuid.UUID]) -> list[Authorization]:
    """Agreements of these operators that took effect at some point (products delivered)."""
    query = select(Authorization).where(
        Authorization.operator_id.in_(list(operator_ids)),
        Authorization.activated_at.is_not(None),
    )
    return list(session.scalars(query.order_by(Authorization.activated_at)))


def certificates(session: Session) -> list[DestructionCertificate]:
    return list(
        session.scalars(select(DestructionCertificate).order_by(DestructionCertificate.issued_at))
    )
