"""Builders for qualification tests: operator companies and complete applications, made
through the real services so every rule on the way is exercised."""

from __future__ import annotations

import io
import itertools
import uuid
from dataclasses import dataclass

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sluice.core.clock import Clock
from sluice.core.database import Database
from sluice.core.permissions import ROLE_ORG_KIND, OrgKind, Role
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.demo.city import credit_code
from sluice.identity import service as identity
from sluice.identity.schemas import OrganizationCreate
from sluice.operators import applications, checklist, dossier, repository, review
from sluice.operators.models import OperatorApplication
from sluice.operators.ownership import NodeKind, Relation
from sluice.operators.schemas import (
    ApplicationCreate,
    AuditOpinion,
    BusinessStatus,
    EntityCreate,
    FinancialsIn,
    Judgment,
    LinkCreate,
    PrincipalCreate,
)
from tests.identity.factories import Account, console_login

_counter = itertools.count(1)


REVIEWER = Principal(
    username="reviewer",
    via="session",
    organization_kind=OrgKind.BUREAU,
    roles=frozenset({Role.BUREAU}),
    display_name="审核员",
)


def new_credit_code() -> str:
    return credit_code(f"91210800{70000000 + next(_counter):08d}")


def operator_company(session: Session, clock: Clock, name: str | None = None) -> Principal:
    """An operator organization with a registered credit code, and someone acting for it."""
    n = next(_counter)
    org = identity.create_organization(
        session,
        actor=Principal.system("test"),
        clock=clock,
        data=OrganizationCreate(
            code=f"op-{n}",
            kind=OrgKind.OPERATOR,
            name=name or f"测试数据运营有限公司{n}",
            credit_code=new_credit_code(),
        ),
    )
    session.flush()
    return Principal(
        username=f"applicant{n}",
        via="session",
        organization_id=org.id,
        organization_kind=OrgKind.OPERATOR,
        roles=frozenset({Role.OPERATOR}),
    )


def acting_for(account: Account) -> Principal:
    """The principal a console login of ``account`` resolves to."""
    return Principal(
        username=account.username,
        via="session",
        user_id=account.user_id,
        organization_id=account.organization_id,
        organization_kind=ROLE_ORG_KIND[account.role],
        roles=frozenset({account.role}),
    )


def last_year(clock: Clock) -> int:
    return dossier.today(clock).year - 1


def sound_financials(
    clock: Clock, entity_id: uuid.UUID | None = None, **changes: int | str
) -> FinancialsIn:
    """Last year's statements that meet the default thresholds comfortably."""
    values: dict[str, object] = {
        "entity_id": entity_id,
        "fiscal_year": last_year(clock),
        "total_assets_fen": 50_000_000_000,  # 5 亿元
        "total_liabilities_fen": 20_000_000_000,
        "net_assets_fen": 30_000_000_000,
        "revenue_fen": 12_000_000_000,
        "net_profit_fen": 900_000_000,
        "committed_funds_fen": 2_000_000_000,
        "audit_opinion": AuditOpinion.UNQUALIFIED,
        "auditor": "辽宁华信会计师事务所",
        **changes,
    }
    return FinancialsIn.model_validate(values)


@dataclass(frozen=True)
class Built:
    application: OperatorApplication
    applicant_entity: uuid.UUID
    entities: dict[str, uuid.UUID]


def entity(
    session: Session,
    clock: Clock,
    actor: Principal,
    application_id: uuid.UUID,
    name: str,
    jurisdiction: str = "CN",
    kind: NodeKind = NodeKind.COMPANY,
) -> uuid.UUID:
    created = dossier.add_entity(
        session,
        actor=actor,
        clock=clock,
        application_id=application_id,
        data=EntityCreate(kind=kind, name=name, jurisdiction=jurisdiction),
    )
    return created.id


def link(
    session: Session,
    clock: Clock,
    actor: Principal,
    application_id: uuid.UUID,
    holder: uuid.UUID,
    held: uuid.UUID,
    relation: Relation = Relation.SHAREHOLDER,
    share_bp: int | None = 10000,
) -> None:
    dossier.add_link(
        session,
        actor=actor,
        clock=clock,
        application_id=application_id,
        data=LinkCreate(
            holder_id=holder,
            held_id=held,
            relation=relation,
            share_bp=share_bp if relation is Relation.SHAREHOLDER else None,
        ),
    )


def attach_all_evidence(
    session: Session,
    clock: Clock,
    settings: Settings,
    actor: Principal,
    application_id: uuid.UUID,
    *,
    skip: frozenset[str] = frozenset(),
) -> None:
    """A statement and a document for every active checklist item but those in ``skip``."""
    for item in checklist.checklist_items(session, actor=actor, clock=clock, active_only=True):
        if item.key in skip:
            continue
        dossier.save_statement(
            session,
            actor=actor,
            clock=clock,
            application_id=application_id,
            item_key=item.key,
            statement=f"{item.title_zh}：见附件。",
        )
        dossier.upload_evidence(
            session,
            actor=actor,
            clock=clock,
            settings=settings,
            application_id=application_id,
            stream=io.BytesIO(f"{item.key} 证明材料".encode()),
            filename=f"{item.key}.pdf",
            content_type="application/pdf",
            item_key=item.key,
        )


def complete_application(
    session: Session,
    clock: Clock,
    settings: Settings,
    actor: Principal,
    *,
    financials: bool = True,
    credit_code: str | None = None,
    business_status: BusinessStatus | None = BusinessStatus.EXISTING,
    without_evidence: frozenset[str] = frozenset(),
) -> Built:
    """A state-owned applicant: 100 % held by a municipal investment company, itself 100 %
    held by the state assets commission; a legal representative; sound statements; every
    checklist item answered with evidence (but those ``without_evidence``); registered as a
    going concern unless ``business_status`` says otherwise. Still a draft."""
    application = applications.create_application(
        session,
        actor=actor,
        clock=clock,
        data=ApplicationCreate(
            credit_code=credit_code,
            legal_representative="陈晓",
            registered_address="营口市站前区",
            business_status=business_status,
        ),
    )
    dossier.add_principal(
        session,
        actor=actor,
        clock=clock,
        application_id=application.id,
        data=PrincipalCreate(
            name="陈晓", position="法定代表人、董事长", id_number="210802198001011234"
        ),
    )
    applicant = _applicant_entity(session, application.id)
    holding = entity(session, clock, actor, application.id, "营口市国有资本投资运营有限公司")
    state = entity(session, clock, actor, application.id, "营口市国资委", kind=NodeKind.GOVERNMENT)
    link(session, clock, actor, application.id, holding, applicant)
    link(session, clock, actor, application.id, state, holding)
    link(session, clock, actor, application.id, state, applicant, Relation.CONTROLLER)
    if financials:
        dossier.save_financials(
            session,
            actor=actor,
            clock=clock,
            application_id=application.id,
            data=sound_financials(clock),
        )
    attach_all_evidence(session, clock, settings, actor, application.id, skip=without_evidence)
    return Built(
        application,
        applicant,
        {"营口市国有资本投资运营有限公司": holding, "营口市国资委": state},
    )


def _applicant_entity(session: Session, application_id: uuid.UUID) -> uuid.UUID:
    return repository.applicant_entity(session, application_id).id


def judge_all(
    session: Session,
    clock: Clock,
    application_id: uuid.UUID,
    judgment: Judgment = Judgment.MET,
    reviewer: Principal = REVIEWER,
) -> None:
    for item in checklist.checklist_items(session, actor=reviewer, clock=clock, active_only=True):
        review.judge_item(
            session,
            actor=reviewer,
            clock=clock,
            application_id=application_id,
            item_key=item.key,
            judgment=judgment,
            note="材料齐全" if judgment is Judgment.MET else "材料不足",
        )


def fresh_login(client: TestClient, account: Account) -> str:
    """Log ``account`` in to the console afresh; returns the CSRF token."""
    client.cookies.clear()
    return console_login(client, account)


def built_for(database: Database, clock: Clock, settings: Settings, account: Account) -> Built:
    """A complete draft application of ``account``'s organization, committed."""
    with database.unit_of_work() as session:
        return complete_application(
            session, clock, settings, acting_for(account), credit_code=new_credit_code()
        )


def submit_for(
    database: Database, clock: Clock, settings: Settings, account: Account, app_id: uuid.UUID
) -> None:
    """Submit ``account``'s application, committed."""
    with database.unit_of_work() as session:
        review.submit(
            session,
            actor=acting_for(account),
            clock=clock,
            settings=settings,
            application_id=app_id,
        )
