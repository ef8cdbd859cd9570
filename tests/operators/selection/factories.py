"""Builders for competitive-consultation tests: qualified companies, a panel, rounds in any
state.

Operator applications are written directly through the operators' model: qualification
has its own tests, and what matters here is only whether an organization is qualified.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from sluice.core.checksums import org_code_check_chars, uscc_from_bodies
from sluice.core.clock import Clock
from sluice.core.database import Database
from sluice.core.permissions import OrgKind, Role
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.identity import repository as identity_repo
from sluice.identity import service as identity
from sluice.operators.models import OperatorApplication
from sluice.operators.selection import service
from sluice.operators.selection.schemas import CriterionIn, RoundCreate, ScoreIn
from tests.identity.factories import Account, make_account, make_org

_counter = itertools.count(1)
#: The worked example's criteria: (name, weight).
CRITERIA = (("技术方案", 40), ("运营方案", 30), ("安全保障", 20), ("报价/收益分配", 10))


def credit_code(n: int) -> str:
    body16 = f"91210800{n:08d}"
    body17 = body16 + str(org_code_check_chars([body16[8:16]])[0])
    return str(uscc_from_bodies([body17])[0])


def make_company(
    session: Session, clock: Clock, *, name: str, status: str | None = "qualified"
) -> uuid.UUID:
    """An operator company; with an application in ``status`` unless None."""
    n = next(_counter)
    org_id = make_org(session, clock, OrgKind.OPERATOR, code=f"op-sel-{n}-{uuid.uuid4().hex[:6]}")
    organization = identity_repo.organization(session, org_id)
    assert organization is not None
    organization.name = name
    if status is not None:
        now = clock.now()
        session.add(
            OperatorApplication(
                organization_id=org_id,
                company_name=name,
                credit_code=credit_code(n),
                status=status,
                created_by="test",
                created_at=now,
                updated_at=now,
                submitted_at=now,
                decided_at=now if status == "qualified" else None,
                decision_reason="符合条件" if status == "qualified" else None,
            )
        )
    session.flush()
    return org_id


@dataclass(frozen=True)
class Panelist:
    account: Account
    display_name: str

    @property
    def user_id(self) -> uuid.UUID:
        return self.account.user_id

    def principal(self, session: Session) -> Principal:
        user = identity_repo.user_by_username(session, self.account.username)
        assert user is not None
        return identity.principal_for(session, user, via="token")


def make_panelist(database: Database, clock: Clock, display_name: str) -> Panelist:
    account = make_account(database, clock, Role.PANEL)
    with database.unit_of_work() as session:
        user = identity_repo.user_by_username(session, account.username)
        assert user is not None
        user.display_name = display_name
        return Panelist(account, display_name)


def bureau() -> Principal:
    """A bureau official acting from the console (not the system: roles are checked)."""
    return Principal(username="bureau-test", via="token", roles=frozenset({Role.BUREAU}))


@dataclass(frozen=True)
class World:
    alpha: uuid.UUID  # 甲 company
    beta: uuid.UUID  # 乙 company
    gamma: uuid.UUID  # 丙 company
    unqualified: uuid.UUID  # submitted, not yet qualified
    members: tuple[Panelist, ...]  # three panel members
    outsider: Panelist  # a panel user on no round


def make_world(database: Database, clock: Clock) -> World:
    with database.unit_of_work() as session:
        alpha = make_company(session, clock, name="甲数据科技有限公司")
        beta = make_company(session, clock, name="乙数字服务有限公司")
        gamma = make_company(session, clock, name="丙信息技术有限公司")
        unqualified = make_company(session, clock, name="丁网络有限公司", status="submitted")
    members = tuple(
        make_panelist(database, clock, name) for name in ("赵教授", "钱研究员", "孙工程师")
    )
    outsider = make_panelist(database, clock, "李律师")
    return World(alpha, beta, gamma, unqualified, members, outsider)


def new_round(
    session: Session,
    clock: Clock,
    *,
    criteria: Sequence[tuple[str, int]] | None = CRITERIA,
    scenario: str = "普惠金融",
) -> uuid.UUID:
    created = service.create_round(
        session,
        actor=bureau(),
        clock=clock,
        data=RoundCreate(
            title=f"{scenario}场景运营机构竞争性磋商",
            scenario=scenario,
            description="遴选普惠金融场景的授权运营机构。",
            announced_on=date(2026, 11, 20),
            criteria=[CriterionIn(name=n, weight=w) for n, w in criteria]
            if criteria is not None
            else None,
        ),
    )
    return created.id


def prepare(
    session: Session,
    clock: Clock,
    world: World,
    round_id: uuid.UUID,
    *,
    candidates: Sequence[uuid.UUID] | None = None,
) -> None:
    """Open the round, register the candidates (alpha, beta, gamma) and name the members."""
    actor = bureau()
    service.open_round(session, actor=actor, clock=clock, round_id=round_id)
    for organization_id in candidates or (world.alpha, world.beta, world.gamma):
        service.add_candidate(
            session, actor=actor, clock=clock, round_id=round_id, organization_id=organization_id
        )
    for member in world.members:
        service.name_panel_member(
            session, actor=actor, clock=clock, round_id=round_id, user_id=member.user_id
        )


def score_all(
    session: Session,
    clock: Clock,
    member: Panelist,
    round_id: uuid.UUID,
    table: dict[uuid.UUID, Sequence[int]],
) -> None:
    """``table``: organization id -> scores in criterion order."""
    criteria = service.criteria(session, round_id)
    service.submit_scores(
        session,
        actor=member.principal(session),
        clock=clock,
        round_id=round_id,
        scores=[
            ScoreIn(organization_id=org, criterion_id=c.id, score=s)
            for org, scores in table.items()
            for c, s in zip(criteria, scores, strict=True)
        ],
    )


def worked_example(world: World) -> list[dict[uuid.UUID, list[int]]]:
    """The three members' sheets of the worked example (criteria 40/30/20/10)."""
    return [
        {
            world.alpha: [90, 80, 70, 60],
            world.beta: [85, 90, 80, 70],
            world.gamma: [70, 75, 95, 100],
        },
        {
            world.alpha: [85, 83, 72, 65],
            world.beta: [88, 86, 79, 75],
            world.gamma: [72, 70, 90, 95],
        },
        {
            world.alpha: [88, 79, 75, 62],
            world.beta: [84, 88, 81, 72],
            world.gamma: [74, 72, 92, 96],
        },
    ]


def scored_round(session: Session, clock: Clock, settings: Settings, world: World) -> uuid.UUID:
    """A round with the worked example's scores, still scoring."""
    round_id = new_round(session, clock)
    prepare(session, clock, world, round_id)
    service.start_scoring(
        session, actor=bureau(), clock=clock, settings=settings, round_id=round_id
    )
    for member, sheet in zip(world.members, worked_example(world), strict=True):
        score_all(session, clock, member, round_id, sheet)
    return round_id
