"""The demo's two published consultations: the expected operators, and idempotent seeding."""

from __future__ import annotations

from sqlalchemy import func, select

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.settings import Settings
from sluice.demo import city
from sluice.demo.selection import seed_selections
from sluice.identity import repository as identity_repo
from sluice.operators.models import OperatorApplication
from sluice.operators.selection import service
from sluice.operators.selection.models import SelectionRound


def _qualify(database: Database, clock: FixedClock) -> None:
    """What the operators demo does first, written directly: ykdata and haigang qualified."""
    with database.unit_of_work() as session:
        city.seed_identity(session, clock=clock)
        session.flush()
        for code in ("ykdata", "haigang"):
            organization = identity_repo.organization_by_code(session, code)
            assert organization is not None and organization.credit_code is not None
            now = clock.now()
            session.add(
                OperatorApplication(
                    organization_id=organization.id,
                    company_name=organization.name,
                    credit_code=organization.credit_code,
                    status="qualified",
                    created_by="demo",
                    created_at=now,
                    updated_at=now,
                    submitted_at=now,
                    decided_at=now,
                    decision_reason="符合条件",
                )
            )


def test_the_demo_publishes_one_round_per_scenario_with_the_expected_operator(
    database: Database, clock: FixedClock, settings: Settings
) -> None:
    _qualify(database, clock)
    with database.unit_of_work() as session:
        rounds = seed_selections(session, clock=clock, settings=settings)
    assert set(rounds) == {"普惠金融", "就业服务"}
    with database.unit_of_work() as session:
        ykdata = identity_repo.organization_by_code(session, "ykdata")
        haigang = identity_repo.organization_by_code(session, "haigang")
        assert ykdata is not None and haigang is not None
        assert service.selected_operator(session, rounds["普惠金融"]) == ykdata.id
        assert service.selected_operator(session, rounds["就业服务"]) == haigang.id
        inclusive = service.published_round(session, rounds["普惠金融"])
        assert inclusive.scenario == "普惠金融"
        assert inclusive.selection_reason is None  # the top-ranked was chosen
        assert [m.member.display_name for m in service.panel(session, inclusive.id)] == [
            "吴研究员（评价专家组）",
            "周教授（评价专家组）",
        ]
        result = service.ranking(session, inclusive)
        assert result is not None
        # 营口数据集团: (40·174 + 30·167 + 20·182 + 10·158) / 200
        assert [(e.name, str(e.weighted)) for e in result.entries] == [
            ("营口数据集团有限公司", "1719/20"),
            ("辽宁海港数智科技有限公司", "1611/20"),
        ]
    with database.unit_of_work() as session:
        again = seed_selections(session, clock=clock, settings=settings)
    assert again == rounds
    with database.unit_of_work() as session:
        assert session.scalar(select(func.count(SelectionRound.id))) == 2
