"""Queries of the authorization tables, scoped to who is asking.

Who may see an agreement is decided once, by ``seen_by``: the bureau, the registry and the
platform itself see every agreement, an operator its own, anyone else none (DESIGN §7: what
you may not see does not exist, so it is a 404). Every list and get-by-id a person reaches
(agreements, their versions, exits, handover items, rectification orders, destruction
certificates) filters by it; implementation plans, which no operator holds, are seen by
those who see every agreement. The functions without a principal serve the platform's own
work (the sweep, endings, a carried-out approval) and the guard's decision.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from sqlalchemy import ColumnElement, false, func, select, true
from sqlalchemy.orm import Session, aliased

from sluice.authorizations import states as st
from sluice.authorizations.models import (
    AgreementAsset,
    AgreementSignature,
    AssetDisposal,
    Authorization,
    AuthorizationReminder,
    AuthorizationScope,
    AuthorizationVersion,
    CollectiveDecision,
    DeletionAttestation,
    DestructionCertificate,
    ExitRequest,
    HandoverItem,
    ImplementationPlan,
    RectificationOrder,
)
from sluice.catalog.models import CatalogEntry
from sluice.core.paging import Column, ListQuery, Page, contains, paginate
from sluice.core.permissions import OrgKind
from sluice.core.principal import Principal
from sluice.identity.models import Organization


def sees_all(actor: Principal) -> bool:
    """The bureau and the registry see every authorization; an operator only its own."""
    return actor.is_system or actor.organization_kind in (OrgKind.BUREAU, OrgKind.REGISTRY)


def seen_by(actor: Principal) -> ColumnElement[bool]:
    """The agreements ``actor`` may see, as a condition on ``Authorization``."""
    if sees_all(actor):
        return true()
    if actor.organization_kind == OrgKind.OPERATOR and actor.organization_id is not None:
        return Authorization.operator_id == actor.organization_id
    return false()


# -- what a person reaches: every list and get-by-id filtered by ``seen_by`` -----------------


def authorizations(
    session: Session, actor: Principal, *, status: str | None = None
) -> list[Authorization]:
    query = select(Authorization).where(seen_by(actor))
    if status:
        query = query.where(Authorization.status == status)
    return list(session.scalars(query.order_by(Authorization.created_at.desc())))


#: What the agreements list sorts by. Numbers are issued in the order agreements are drafted
#: (``numbering``), so the number sorts by that order: as text, 10号 would come before 2号.
AUTHORIZATION_SORTS: Final[Mapping[str, Column]] = {
    "number": Authorization.created_at,
    "term_end": Authorization.term_end,
    "status": Authorization.status,
    "operator": Organization.name,
}
#: States in which an agreement's term can still run out (a renewed one has its successor).
RUNNING: Final = (st.ACTIVE, st.EXPIRING, st.SUSPENDED)
#: The longest look-ahead the "expiring within" filter takes, in days.
MAX_EXPIRY_DAYS: Final = 3660


@dataclass(frozen=True)
class AuthorizationRow:
    authorization: Authorization
    operator: str


def _uuid_or_none(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def authorization_page(
    session: Session, actor: Principal, query: ListQuery, *, today: date
) -> Page[AuthorizationRow]:
    """One page of the agreements ``actor`` sees, with their operators' names.

    Filters: ``status``; ``operator`` (an organization id); ``expiring`` (days: running
    agreements whose term ends from ``today`` to that many days on). ``q`` searches the
    number, the scenario and the operator's name.
    """
    statement = (
        select(Authorization)
        .join(Organization, Organization.id == Authorization.operator_id)
        .where(seen_by(actor))
    )
    if status := query.filter("status"):
        statement = statement.where(Authorization.status == status)
    if operator := query.filter("operator"):
        chosen = _uuid_or_none(operator)
        statement = statement.where(
            Authorization.operator_id == chosen if chosen is not None else false()
        )
    if days := query.filter("expiring"):
        within = int(days) if days.isdigit() and int(days) <= MAX_EXPIRY_DAYS else None
        statement = statement.where(
            Authorization.status.in_(RUNNING),
            Authorization.term_end >= today,
            Authorization.term_end <= today + timedelta(days=within)
            if within is not None
            else false(),
        )
    if query.q:
        statement = statement.where(
            contains(
                query.q,
                Authorization.number,
                Authorization.scenario,
                Organization.name,
            )
        )
    page = paginate(
        session,
        statement,
        query,
        sorts=AUTHORIZATION_SORTS,
        default="-number",
        tiebreak=Authorization.id,
    )
    names = _names(session, {a.operator_id for a in page.items})
    rows = [AuthorizationRow(a, names.get(a.operator_id, "—")) for a in page.items]
    return Page(rows, page.total, page.query)


def _names(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    query = select(Organization.id, Organization.name).where(Organization.id.in_(ids))
    return {row.id: row.name for row in session.execute(query)}


def operators_seen(session: Session, actor: Principal) -> list[tuple[uuid.UUID, str]]:
    """The operators holding agreements ``actor`` sees, by name: the list's filter options
    (an operator's own company at most)."""
    query = (
        select(Organization.id, Organization.name)
        .join(Authorization, Authorization.operator_id == Organization.id)
        .where(seen_by(actor))
        .distinct()
        .order_by(Organization.name, Organization.id)
    )
    return [(row[0], row[1]) for row in session.execute(query)]


def authorization_for(
    session: Session, actor: Principal, authorization_id: uuid.UUID
) -> Authorization | None:
    query = select(Authorization).where(Authorization.id == authorization_id, seen_by(actor))
    return session.scalar(query)


def version_for(
    session: Session, actor: Principal, authorization_id: uuid.UUID, number: int
) -> AuthorizationVersion | None:
    query = (
        select(AuthorizationVersion)
        .join(Authorization, AuthorizationVersion.authorization_id == Authorization.id)
        .where(
            AuthorizationVersion.authorization_id == authorization_id,
            AuthorizationVersion.number == number,
            seen_by(actor),
        )
    )
    return session.scalar(query)


def exits_for(session: Session, actor: Principal, authorization_id: uuid.UUID) -> list[ExitRequest]:
    query = (
        select(ExitRequest)
        .join(Authorization, ExitRequest.authorization_id == Authorization.id)
        .where(ExitRequest.authorization_id == authorization_id, seen_by(actor))
    )
    return list(session.scalars(query.order_by(ExitRequest.requested_at)))


def exit_for(
    session: Session,
    actor: Principal,
    exit_id: uuid.UUID,
    *,
    authorization_id: uuid.UUID | None = None,
) -> ExitRequest | None:
    """The exit if ``actor`` sees its agreement (and, if given, it is under that one)."""
    query = (
        select(ExitRequest)
        .join(Authorization, ExitRequest.authorization_id == Authorization.id)
        .where(ExitRequest.id == exit_id, seen_by(actor))
    )
    if authorization_id is not None:
        query = query.where(ExitRequest.authorization_id == authorization_id)
    return session.scalar(query)


def handover_item_for(
    session: Session, actor: Principal, item_id: uuid.UUID, *, exit_id: uuid.UUID | None = None
) -> HandoverItem | None:
    query = (
        select(HandoverItem)
        .join(ExitRequest, HandoverItem.exit_id == ExitRequest.id)
        .join(Authorization, ExitRequest.authorization_id == Authorization.id)
        .where(HandoverItem.id == item_id, seen_by(actor))
    )
    if exit_id is not None:
        query = query.where(HandoverItem.exit_id == exit_id)
    return session.scalar(query)


def rectifications_for(
    session: Session, actor: Principal, authorization_id: uuid.UUID
) -> list[RectificationOrder]:
    query = (
        select(RectificationOrder)
        .join(Authorization, RectificationOrder.authorization_id == Authorization.id)
        .where(RectificationOrder.authorization_id == authorization_id, seen_by(actor))
    )
    return list(session.scalars(query.order_by(RectificationOrder.issued_at)))


def rectification_for(
    session: Session,
    actor: Principal,
    order_id: uuid.UUID,
    *,
    authorization_id: uuid.UUID | None = None,
) -> RectificationOrder | None:
    """The order if ``actor`` sees its agreement (and, if given, it is under that one)."""
    query = (
        select(RectificationOrder)
        .join(Authorization, RectificationOrder.authorization_id == Authorization.id)
        .where(RectificationOrder.id == order_id, seen_by(actor))
    )
    if authorization_id is not None:
        query = query.where(RectificationOrder.authorization_id == authorization_id)
    return session.scalar(query)


def certificate_for(
    session: Session, actor: Principal, authorization_id: uuid.UUID
) -> DestructionCertificate | None:
    query = (
        select(DestructionCertificate)
        .join(Authorization, DestructionCertificate.authorization_id == Authorization.id)
        .where(DestructionCertificate.authorization_id == authorization_id, seen_by(actor))
    )
    return session.scalar(query)


def plans_for(session: Session, actor: Principal) -> list[ImplementationPlan]:
    """Implementation plans belong to no operator: those who see every agreement see them."""
    if not sees_all(actor):
        return []
    query = select(ImplementationPlan).order_by(ImplementationPlan.created_at.desc())
    return list(session.scalars(query))


PLAN_SORTS: Final[Mapping[str, Column]] = {
    "created": ImplementationPlan.created_at,
    "title": ImplementationPlan.title,
    "status": ImplementationPlan.status,
}


def plan_page(session: Session, actor: Principal, query: ListQuery) -> Page[ImplementationPlan]:
    """One page of the plans ``actor`` sees; ``status`` filters, ``q`` searches the title."""
    statement = select(ImplementationPlan).where(true() if sees_all(actor) else false())
    if status := query.filter("status"):
        statement = statement.where(ImplementationPlan.status == status)
    if query.q:
        statement = statement.where(contains(query.q, ImplementationPlan.title))
    return paginate(
        session,
        statement,
        query,
        sorts=PLAN_SORTS,
        default="-created",
        tiebreak=ImplementationPlan.id,
    )


def approved_plans(session: Session, actor: Principal) -> list[ImplementationPlan]:
    """The plans an agreement may be drafted under, newest first (few: one a programme)."""
    if not sees_all(actor):
        return []
    query = (
        select(ImplementationPlan)
        .where(ImplementationPlan.status == st.PLAN_APPROVED)
        .order_by(ImplementationPlan.created_at.desc(), ImplementationPlan.id)
    )
    return list(session.scalars(query))


def plan_for(session: Session, actor: Principal, plan_id: uuid.UUID) -> ImplementationPlan | None:
    return plan(session, plan_id) if sees_all(actor) else None


# -- the platform's own reads ---------------------------------------------------------------


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


def decisions_about_each(
    session: Session, subject_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[CollectiveDecision]]:
    """The decisions on each of several subjects (one page of plans), in one query."""
    wanted = list(subject_ids)
    found: dict[uuid.UUID, list[CollectiveDecision]] = {i: [] for i in wanted}
    if not wanted:
        return found
    query = select(CollectiveDecision).where(CollectiveDecision.subject_id.in_(wanted))
    for decision in session.scalars(query.order_by(CollectiveDecision.recorded_at)):
        found[decision.subject_id].append(decision)
    return found


def plan(session: Session, plan_id: uuid.UUID) -> ImplementationPlan | None:
    return session.get(ImplementationPlan, plan_id)


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


def open_exit(session: Session, authorization_id: uuid.UUID) -> ExitRequest | None:
    """The exit in progress under the agreement (requested, approved or handing over)."""
    query = select(ExitRequest).where(
        ExitRequest.authorization_id == authorization_id,
        ExitRequest.status.in_(st.EXIT_IN_PROGRESS),
    )
    return session.scalars(query.order_by(ExitRequest.requested_at)).first()


def has_open_matters(session: Session, authorization_id: uuid.UUID) -> bool:
    """An exit in progress or a rectification order not yet decided."""
    orders = select(func.count()).where(
        RectificationOrder.authorization_id == authorization_id,
        RectificationOrder.status.in_(st.RECT_OPEN_STATES),
    )
    return open_exit(session, authorization_id) is not None or (session.scalar(orders) or 0) > 0


def handover_items(session: Session, exit_id: uuid.UUID) -> list[HandoverItem]:
    query = select(HandoverItem).where(HandoverItem.exit_id == exit_id)
    return list(session.scalars(query.order_by(HandoverItem.position)))


def disposals(session: Session, exit_id: uuid.UUID) -> list[AssetDisposal]:
    query = select(AssetDisposal).where(AssetDisposal.exit_id == exit_id)
    return list(session.scalars(query.order_by(AssetDisposal.recorded_at, AssetDisposal.name)))


def rectification(session: Session, order_id: uuid.UUID) -> RectificationOrder | None:
    return session.get(RectificationOrder, order_id)


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


def certificate_by_number(session: Session, number: str) -> DestructionCertificate | None:
    """A certificate by the number printed on it, unscoped: for the public check anyone
    holding the paper may make, which shows nothing but whether it is genuine."""
    return session.scalar(
        select(DestructionCertificate).where(DestructionCertificate.number == number)
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


def disclosed(
    session: Session, statuses: Iterable[str], *, limit: int
) -> list[tuple[Authorization, str]]:
    """Agreements in these states with their operator's name, latest term first."""
    rows = session.execute(
        select(Authorization, Organization.name)
        .join(Organization, Organization.id == Authorization.operator_id)
        .where(Authorization.status.in_(list(statuses)))
        .order_by(Authorization.term_start.desc().nulls_last(), Authorization.number)
        .limit(limit)
    )
    return [(authorization, name) for authorization, name in rows]


def scope_titles(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    """Each agreement's scope as "provider · entry title", in title order."""
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


# -- endings: software and hardware, disposals, deletion attestations -------------------------


def agreement_assets(
    session: Session, authorization_ids: Iterable[uuid.UUID]
) -> list[AgreementAsset]:
    """The software and hardware registered under these agreements (a renewal chain)."""
    query = select(AgreementAsset).where(
        AgreementAsset.authorization_id.in_(list(authorization_ids))
    )
    return list(session.scalars(query.order_by(AgreementAsset.recorded_at, AgreementAsset.id)))


def agreement_disposals(session: Session, authorization_id: uuid.UUID) -> list[AssetDisposal]:
    """Every disposal made when the agreement ended, with or without an exit."""
    query = select(AssetDisposal).where(AssetDisposal.authorization_id == authorization_id)
    return list(session.scalars(query.order_by(AssetDisposal.recorded_at, AssetDisposal.name)))


def attestation(
    session: Session, authorization_id: uuid.UUID, *, for_update: bool = False
) -> DeletionAttestation | None:
    """The deletion attestation due under an agreement the caller already reached."""
    query = select(DeletionAttestation).where(
        DeletionAttestation.authorization_id == authorization_id
    )
    if for_update:
        query = query.with_for_update()
    return session.scalar(query)


def attestations_past_due(session: Session, today: date) -> list[DeletionAttestation]:
    """Attestations still waiting on the operator whose last day has passed."""
    query = select(DeletionAttestation).where(
        DeletionAttestation.status.in_((st.ATT_DUE, st.ATT_RETURNED)),
        DeletionAttestation.due_on < today,
    )
    return list(session.scalars(query.order_by(DeletionAttestation.due_on)))
