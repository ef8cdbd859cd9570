"""Queries of the operators' filed rules, scoped to who is asking.

Who may see a filed version is decided once, by ``rule_seen_by``: the bureau (and the
platform itself) every operator's, an operator its own, anyone else none (a 404).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, cast

from sqlalchemy import ColumnElement, Select, false, func, select, true
from sqlalchemy.orm import Session, aliased

from sluice.authorizations import states as st
from sluice.authorizations.models import Authorization
from sluice.authorizations.operator_rule_models import OperatorRule
from sluice.core.paging import Column, ListQuery, Page, contains, paginate
from sluice.core.permissions import OrgKind
from sluice.core.principal import Principal
from sluice.identity.models import Organization

#: Filed and waiting for the bureau (``operator_rules.RULE``'s first state).
FILED: Final = "filed"


def sees_all(actor: Principal) -> bool:
    return actor.is_system or actor.organization_kind == OrgKind.BUREAU


def rule_seen_by(actor: Principal) -> ColumnElement[bool]:
    if sees_all(actor):
        return true()
    if actor.organization_kind == OrgKind.OPERATOR and actor.organization_id is not None:
        return OperatorRule.operator_id == actor.organization_id
    return false()


def rule_for(
    session: Session, actor: Principal, rule_id: uuid.UUID, *, for_update: bool = False
) -> OperatorRule | None:
    query = select(OperatorRule).where(OperatorRule.id == rule_id, rule_seen_by(actor))
    if for_update:
        query = query.with_for_update()
    return session.scalar(query)


#: The agreement states in which an operator owes the bureau its rules: approved, or signed
#: and not yet ended.
BOUND: Final = (st.APPROVED, st.ACTIVE, st.SUSPENDED, st.EXPIRING, st.RENEWED)


def holds_agreement(session: Session, operator_id: uuid.UUID) -> bool:
    """The operator holds an agreement approved or in force."""
    query = select(Authorization.id).where(
        Authorization.operator_id == operator_id, Authorization.status.in_(BOUND)
    )
    return session.scalar(query.limit(1)) is not None


def latest(session: Session, operator_id: uuid.UUID, kind: str) -> OperatorRule | None:
    """The newest version of one kind of one operator's rules."""
    query = select(OperatorRule).where(
        OperatorRule.operator_id == operator_id, OperatorRule.kind == kind
    )
    return session.scalar(query.order_by(OperatorRule.version.desc()).limit(1))


def _newer() -> ColumnElement[bool]:
    """A later version of the same kind of the same operator's rules exists."""
    later = aliased(OperatorRule)
    return (
        select(later.id)
        .where(
            later.operator_id == OperatorRule.operator_id,
            later.kind == OperatorRule.kind,
            later.version > OperatorRule.version,
        )
        .exists()
    )


@dataclass(frozen=True)
class RuleRow:
    rule: OperatorRule
    operator: str
    #: A later version of the same kind has been filed since.
    superseded: bool


RULE_SORTS: Final[Mapping[str, Column]] = {
    "filed": OperatorRule.filed_at,
    "operator": Organization.name,
    "kind": OperatorRule.kind,
    "status": OperatorRule.status,
}


def rule_page(session: Session, actor: Principal, query: ListQuery) -> Page[RuleRow]:
    """One page of the filed versions ``actor`` sees. Filters ``status`` and ``kind``;
    ``current=1`` keeps the newest version of each kind; ``q`` searches the title and the
    operator's name."""
    newer = _newer()
    statement = (
        select(OperatorRule, Organization.name, newer)
        .join(Organization, Organization.id == OperatorRule.operator_id)
        .where(rule_seen_by(actor))
    )
    if status := query.filter("status"):
        statement = statement.where(OperatorRule.status == status)
    if kind := query.filter("kind"):
        statement = statement.where(OperatorRule.kind == kind)
    if query.filter("current") == "1":
        statement = statement.where(~newer)
    if query.q:
        statement = statement.where(contains(query.q, OperatorRule.title, Organization.name))
    page = paginate(
        session,
        cast("Select[Any]", statement),  # rows of several columns, read with scalars=False
        query,
        sorts=RULE_SORTS,
        default="-filed",
        tiebreak=OperatorRule.id,
        scalars=False,
    )
    rows = [RuleRow(rule, name, bool(superseded)) for rule, name, superseded in page.items]
    return Page(rows, page.total, page.query)


def waiting(session: Session, *, limit: int) -> tuple[int, list[RuleRow]]:
    """Versions filed and not yet acknowledged or returned, the oldest first."""
    conditions = (OperatorRule.status == FILED,)
    total = session.scalar(select(func.count(OperatorRule.id)).where(*conditions)) or 0
    rows = session.execute(
        select(OperatorRule, Organization.name)
        .join(Organization, Organization.id == OperatorRule.operator_id)
        .where(*conditions)
        .order_by(OperatorRule.filed_at, OperatorRule.id)
        .limit(limit)
    ).all()
    return int(total), [RuleRow(r, n, False) for r, n in rows]


def current_of(session: Session, operator_id: uuid.UUID) -> dict[str, OperatorRule]:
    """The newest version of each kind the operator has filed, by kind."""
    newer = _newer()
    query = select(OperatorRule).where(OperatorRule.operator_id == operator_id, ~newer)
    return {r.kind: r for r in session.scalars(query)}
