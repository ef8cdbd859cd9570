"""Demo competitive consultations: two published rounds, one per scenario.

Run after the operators demo has qualified ``ykdata`` and ``haigang``. Everything goes
through the services, so the rounds carry the same audit trail a real one would. A second
panel member (``panel2``) is created if the city seed did not; its password is random and
not written anywhere, since the demo only needs its scores. Idempotent: a round whose
title already exists is left as it is.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from sluice.core.clock import Clock, FixedClock, local
from sluice.core.permissions import Role
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.identity import repository as identity_repo
from sluice.identity import service as identity
from sluice.identity.models import User
from sluice.identity.schemas import UserCreate
from sluice.operators.selection import repository as selection_repository
from sluice.operators.selection import service as selection
from sluice.operators.selection.schemas import CriterionIn, RoundCreate, ScoreIn

PANEL_ORG = "pingjia"
SECOND_PANEL = ("panel2", "吴研究员（评价专家组）")
CRITERIA = (("技术方案", 40), ("运营方案", 30), ("安全保障", 20), ("报价/收益分配", 10))


@dataclass(frozen=True)
class DemoRound:
    scenario: str
    title: str
    description: str
    days_ago: int
    #: organization code -> each panel member's scores, in CRITERIA order.
    scores: dict[str, tuple[tuple[int, ...], tuple[int, ...]]]


ROUNDS = (
    DemoRound(
        scenario="普惠金融",
        title="营口市公共数据授权运营（普惠金融场景）运营机构竞争性磋商",
        description=(
            "为推进普惠金融场景公共数据授权运营，市数据局以竞争性磋商方式遴选运营机构。"
            "运营机构在平台内利用企业登记、纳税、社保、公积金等数据开发信用评估和融资服务产品，"
            "原始数据不出域。"
        ),
        days_ago=45,
        scores={
            "ykdata": ((88, 85, 90, 80), (86, 82, 92, 78)),
            "haigang": ((80, 78, 85, 82), (78, 80, 84, 85)),
        },
    ),
    DemoRound(
        scenario="就业服务",
        title="营口市公共数据授权运营（就业服务场景）运营机构竞争性磋商",
        description=(
            "为推进就业服务场景公共数据授权运营，市数据局以竞争性磋商方式遴选运营机构。"
            "运营机构在平台内利用就业登记、职业技能、社保参保等数据开发岗位匹配和就业监测产品。"
        ),
        days_ago=30,
        scores={
            "haigang": ((90, 88, 86, 80), (87, 90, 88, 82)),
            "ykdata": ((84, 80, 88, 85), (82, 83, 86, 80)),
        },
    ),
)


def _panel_users(session: Session, clock: Clock) -> list[User]:
    first = identity_repo.user_by_username(session, "panel")
    if first is None:
        raise LookupError("seed the city (user 'panel') before the selections")
    second = identity_repo.user_by_username(session, SECOND_PANEL[0])
    if second is None:
        second = identity.create_user(
            session,
            actor=Principal.system("demo"),
            clock=clock,
            data=UserCreate(
                username=SECOND_PANEL[0],
                display_name=SECOND_PANEL[1],
                password=secrets.token_urlsafe(16),
                organization_id=first.organization_id,
                roles=[Role.PANEL],
            ),
        )
    return [first, second]


def _organization_id(session: Session, code: str) -> uuid.UUID:
    organization = identity_repo.organization_by_code(session, code)
    if organization is None:
        raise LookupError(f"seed the city (organization {code!r}) before the selections")
    return organization.id


def _run(
    session: Session, *, clock: Clock, settings: Settings, spec: DemoRound, panel: list[User]
) -> uuid.UUID:
    bureau = Principal.system("demo")
    announced = local(clock.now()).date() - timedelta(days=spec.days_ago)
    # The round ran in the days after its announcement, and was published before the
    # agreement that cites it (see demo/authorizations.py).
    clock = FixedClock(clock.now() - timedelta(days=max(spec.days_ago - 10, 0)))
    r = selection.create_round(
        session,
        actor=bureau,
        clock=clock,
        data=RoundCreate(
            title=spec.title,
            scenario=spec.scenario,
            description=spec.description,
            announced_on=announced,
            criteria=[CriterionIn(name=name, weight=weight) for name, weight in CRITERIA],
        ),
    )
    selection.open_round(session, actor=bureau, clock=clock, round_id=r.id)
    organizations = {code: _organization_id(session, code) for code in spec.scores}
    for organization_id in organizations.values():
        selection.add_candidate(
            session, actor=bureau, clock=clock, round_id=r.id, organization_id=organization_id
        )
    for user in panel:
        selection.name_panel_member(
            session, actor=bureau, clock=clock, round_id=r.id, user_id=user.id
        )
    selection.start_scoring(session, actor=bureau, clock=clock, settings=settings, round_id=r.id)
    criteria = selection.criteria(session, r.id)
    for index, user in enumerate(panel):
        member = identity.principal_for(session, user, via="system")
        sheet = [
            ScoreIn(organization_id=organizations[code], criterion_id=c.id, score=score)
            for code, by_member in spec.scores.items()
            for c, score in zip(criteria, by_member[index], strict=True)
        ]
        selection.submit_scores(session, actor=member, clock=clock, round_id=r.id, scores=sheet)
    selection.close_scoring(session, actor=bureau, clock=clock, round_id=r.id)
    ranking = selection.ranking(session, r)
    assert ranking is not None and ranking.winner is not None
    selection.select_operator(
        session,
        actor=bureau,
        clock=clock,
        round_id=r.id,
        organization_id=ranking.winner.organization_id,
        reason=None,
    )
    selection.publish(session, actor=bureau, clock=clock, round_id=r.id)
    return r.id


def seed_selections(session: Session, *, clock: Clock, settings: Settings) -> dict[str, uuid.UUID]:
    """Create the published demo rounds that are missing; return {scenario: round id}."""
    panel = _panel_users(session, clock)
    found: dict[str, uuid.UUID] = {}
    for spec in ROUNDS:
        existing = selection_repository.round_by_title(session, spec.title)
        if existing is not None:
            found[spec.scenario] = existing.id
            continue
        found[spec.scenario] = _run(session, clock=clock, settings=settings, spec=spec, panel=panel)
    return found
