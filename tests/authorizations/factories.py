"""A small world for authorization tests, built through the real services: the bureau, two
qualified operators, an approved implementation plan and published catalog entries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from sluice.authorizations import exits, repository, service
from sluice.authorizations.clauses import AgreementClauses
from sluice.authorizations.models import Authorization, RectificationOrder
from sluice.authorizations.schemas import AuthorizationCreate, DecisionIn, PlanIn
from sluice.catalog import repository as catalog
from sluice.core.clock import Clock
from sluice.core.database import Database
from sluice.core.permissions import OrgKind, Role
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.operators import dossier
from sluice.operators import review as operators
from sluice.operators.ownership import NodeKind, Relation
from sluice.operators.schemas import Decision, EntityCreate
from tests.approvals.factories import approve, colleague, principal_of
from tests.catalog.factories import publish, resource_data
from tests.identity.factories import Account, make_account, make_org
from tests.operators import factories as operator_factories

PLAN_SECTIONS = {key: f"{zh}：按本市方案执行。" for key, zh, _ in service.PLAN_SECTIONS}

CLAUSES = AgreementClauses.model_validate(
    {
        "products": [
            {
                "name": "小微企业信用画像",
                "description": "面向银行的企业经营状况评分",
                "review": "上线前经数据局组织的安全与合规审查",
            }
        ],
        "revenue": {"government_share_bp": 1500, "method": "按季度核算，收益按比例上缴财政。"},
    }
)


def qualify_operator(
    session: Session,
    organization_id: uuid.UUID,
    *,
    clock: Clock,
    settings: Settings,
    affiliate_code: str | None = None,
) -> str:
    """A complete, clean application, submitted, checked and qualified by the bureau; with
    ``affiliate_code``, the graph names that company (held by the same state commission) as
    an affiliate. Returns the application's credit code."""
    applicant = Principal(
        username=f"applicant-{organization_id}",
        via="session",
        organization_id=organization_id,
        organization_kind=OrgKind.OPERATOR,
        roles=frozenset({Role.OPERATOR}),
    )
    built = operator_factories.complete_application(
        session, clock, settings, applicant, credit_code=operator_factories.new_credit_code()
    )
    application_id = built.application.id
    if affiliate_code is not None:
        sister = dossier.add_entity(
            session,
            actor=applicant,
            clock=clock,
            application_id=application_id,
            data=EntityCreate(
                kind=NodeKind.COMPANY,
                name="关联运营公司",
                jurisdiction="CN",
                credit_code=affiliate_code,
            ),
        ).id
        state = built.entities["营口市国资委"]
        operator_factories.link(session, clock, applicant, application_id, state, sister)
        operator_factories.link(
            session,
            clock,
            applicant,
            application_id,
            sister,
            built.applicant_entity,
            Relation.AFFILIATE,
        )
    operators.submit(
        session, actor=applicant, clock=clock, settings=settings, application_id=application_id
    )
    operator_factories.judge_all(session, clock, application_id)
    operators.decide(
        session,
        actor=operator_factories.REVIEWER,
        clock=clock,
        settings=settings,
        application_id=application_id,
        decision=Decision.QUALIFY,
        reason="各项条件均符合",
    )
    return built.application.credit_code


def decision(outcome: str = "approved", held_on: date = date(2026, 11, 20)) -> DecisionIn:
    return DecisionIn(
        meeting="2026年第12次局务会",
        held_on=held_on,
        participants=["王建国", "李敏", "赵丽"],
        outcome=outcome,  # type: ignore[arg-type]
        summary="同意按实施方案授权。",
    )


@dataclass(frozen=True)
class World:
    bureau: Account
    operator: Account
    other_operator: Account
    plan_id: uuid.UUID
    entries: list[uuid.UUID]  # published, in domain "governance"
    resources: list[uuid.UUID]
    #: A second person of the bureau, who approves what ``bureau`` asks (four eyes).
    colleague: Account

    def colleague_principal(self) -> Principal:
        return principal_of(self.colleague, "李敏")

    def bureau_principal(self) -> Principal:
        return Principal(
            username=self.bureau.username,
            via="session",
            user_id=self.bureau.user_id,
            organization_id=self.bureau.organization_id,
            organization_kind=OrgKind.BUREAU,
            roles=frozenset({Role.BUREAU}),
            display_name="王建国",
        )

    def operator_principal(self, account: Account | None = None) -> Principal:
        account = account or self.operator
        return Principal(
            username=account.username,
            via="session",
            user_id=account.user_id,
            organization_id=account.organization_id,
            organization_kind=OrgKind.OPERATOR,
            roles=frozenset({Role.OPERATOR}),
            display_name="陈晓",
        )


def make_world(database: Database, clock: Clock, settings: Settings) -> World:
    bureau = make_account(database, clock, Role.BUREAU)
    second = colleague(database, clock, bureau)
    operator = make_account(database, clock, Role.OPERATOR)
    other = make_account(database, clock, Role.OPERATOR)
    with database.unit_of_work() as session:
        provider_id = make_org(session, clock, OrgKind.PROVIDER)
    entries = publish(
        database,
        clock,
        provider_id,
        [resource_data(f"res-{n}", f"企业登记信息{n}") for n in range(1, 5)],
    )
    with database.unit_of_work() as session:
        for account in (operator, other):
            assert account.organization_id
            qualify_operator(session, account.organization_id, clock=clock, settings=settings)
        actor = Principal.system("test")
        plan = service.create_plan(
            session,
            actor=actor,
            at=clock.now(),
            data=PlanIn(title="普惠金融场景实施方案", sections=PLAN_SECTIONS),
        )
        service.decide_plan(session, actor=actor, at=clock.now(), plan_id=plan.id, data=decision())
        by_entry = {e.id: e.resource_id for e in catalog.entries_by_ids(session, entries)}
        resources = [by_entry[e] for e in entries]
    return World(bureau, operator, other, plan.id, entries, resources, second)


def terminate_by_two(
    session: Session,
    world: World,
    *,
    clock: Clock,
    settings: Settings,
    authorization_id: uuid.UUID,
    reason: str,
) -> Authorization:
    """The bureau asks to terminate and its second person approves: the agreement ends."""
    request = service.terminate(
        session,
        actor=world.bureau_principal(),
        settings=settings,
        at=clock.now(),
        authorization_id=authorization_id,
        reason=reason,
    )
    approve(
        session,
        approver=world.colleague_principal(),
        settings=settings,
        clock=clock,
        request=request,
    )
    found = repository.authorization(session, authorization_id)
    assert found is not None
    return found


def fail_by_two(
    session: Session,
    world: World,
    *,
    clock: Clock,
    settings: Settings,
    order_id: uuid.UUID,
    note: str,
) -> RectificationOrder:
    """The bureau finds the rectification failed and its second person approves: the order
    fails and the exit is forced."""
    order, request = exits.check_rectification(
        session,
        actor=world.bureau_principal(),
        settings=settings,
        at=clock.now(),
        order_id=order_id,
        passed=False,
        note=note,
    )
    assert request is not None
    approve(
        session,
        approver=world.colleague_principal(),
        settings=settings,
        clock=clock,
        request=request,
    )
    return order


def draft(world: World, **overrides: Any) -> AuthorizationCreate:
    values: dict[str, Any] = {
        "operator_id": world.operator.organization_id,
        "plan_id": world.plan_id,
        "mode": "scenario",
        "scenario": "普惠金融",
        "purpose": "为银行提供小微企业信用评估服务",
        "entry_ids": world.entries[:2],
        "clauses": CLAUSES,
    }
    values.update(overrides)
    return AuthorizationCreate.model_validate(values)


def active_authorization(
    database: Database, clock: Clock, settings: Settings, world: World, **overrides: Any
) -> uuid.UUID:
    """Drafted, submitted, approved by collective decision and signed by both parties."""
    bureau = world.bureau_principal()
    with database.unit_of_work() as session:
        created = service.create_authorization(
            session, actor=bureau, settings=settings, at=clock.now(), data=draft(world, **overrides)
        )
        service.submit(session, actor=bureau, at=clock.now(), authorization_id=created.id)
        service.decide(
            session, actor=bureau, at=clock.now(), authorization_id=created.id, data=decision()
        )
        service.sign(
            session, actor=bureau, settings=settings, at=clock.now(), authorization_id=created.id
        )
        operator = world.operator_principal(
            world.operator
            if overrides.get("operator_id", world.operator.organization_id)
            == world.operator.organization_id
            else world.other_operator
        )
        service.sign(
            session, actor=operator, settings=settings, at=clock.now(), authorization_id=created.id
        )
        return created.id


def published_round(
    database: Database, clock: Clock, settings: Settings, world: World, *, scenario: str
) -> uuid.UUID:
    """A consultation for ``scenario`` between the two operators, won by ``world.operator``."""
    from sluice.operators.selection import service as selection
    from tests.operators.selection import factories as rounds

    panelist = rounds.make_panelist(database, clock, "赵教授")
    actor = rounds.bureau()
    with database.unit_of_work() as session:
        round_id = rounds.new_round(session, clock, criteria=[("综合评价", 100)], scenario=scenario)
        selection.open_round(session, actor=actor, clock=clock, round_id=round_id)
        for organization_id in (
            world.operator.organization_id,
            world.other_operator.organization_id,
        ):
            assert organization_id is not None
            selection.add_candidate(
                session,
                actor=actor,
                clock=clock,
                round_id=round_id,
                organization_id=organization_id,
            )
        selection.name_panel_member(
            session, actor=actor, clock=clock, round_id=round_id, user_id=panelist.user_id
        )
        selection.start_scoring(
            session, actor=actor, clock=clock, settings=settings, round_id=round_id
        )
        assert world.operator.organization_id and world.other_operator.organization_id
        rounds.score_all(
            session,
            clock,
            panelist,
            round_id,
            {world.operator.organization_id: [90], world.other_operator.organization_id: [80]},
        )
        selection.close_scoring(session, actor=actor, clock=clock, round_id=round_id)
        selection.select_operator(
            session,
            actor=actor,
            clock=clock,
            round_id=round_id,
            organization_id=world.operator.organization_id,
            reason=None,
        )
        selection.publish(session, actor=actor, clock=clock, round_id=round_id)
        return round_id
