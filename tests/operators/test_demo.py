"""The demo's operators are qualified through the real service, once."""

from __future__ import annotations

from sqlalchemy import func, select

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.settings import Settings
from sluice.demo import city
from sluice.demo.operators import seed_operators
from sluice.identity import repository as identity_repository
from sluice.operators import applications, qualified
from sluice.operators.models import OperatorApplication
from tests.operators.factories import REVIEWER


def test_the_demo_operators_are_qualified_once(
    database: Database, clock: FixedClock, settings: Settings
) -> None:
    with database.unit_of_work() as session:
        city.seed_identity(session, clock=clock)
        first = seed_operators(session, clock=clock, settings=settings)
    with database.unit_of_work() as session:
        again = seed_operators(session, clock=clock, settings=settings)
        assert again == first
        assert session.scalar(select(func.count(OperatorApplication.id))) == 2
        for code in ("ykdata", "haigang"):
            organization = identity_repository.organization_by_code(session, code)
            assert organization is not None
            assert qualified.is_qualified(session, organization.id)
        views = {
            v.application.company_name: v
            for v in (
                applications.get(session, actor=REVIEWER, clock=clock, application_id=i)
                for i in first
            )
        }
    assert set(views) == {"营口数据集团有限公司", "辽宁海港数智科技有限公司"}
    for view in views.values():
        assert view.application.verdict == "qualifies"
        assert {r.result for r in view.results} == {"pass"}
        assert all(i.answer and i.answer.judgment == "met" for i in view.items)
    capital = next(
        r for r in views["营口数据集团有限公司"].own_results if r.check == "domestic_capital"
    )
    assert capital.explanation["params"] == {"reached": 4, "foreign": 0}
    haigang = next(
        r for r in views["辽宁海港数智科技有限公司"].own_results if r.check == "domestic_capital"
    )
    # applicant, the holding chain (2) and the province, the partnership and its two partners,
    # and the affiliate
    assert haigang.explanation["params"] == {"reached": 8, "foreign": 0}
    # 海港数智 meets processing capacity through the bureau's platform, without evidence.
    processing = next(
        i for i in views["辽宁海港数智科技有限公司"].items if i.item.key == "data_processing"
    )
    assert processing.relies_on_platform and processing.evidence == []
    assert views["辽宁海港数智科技有限公司"].application.business_status == "existing"
