"""The application lifecycle: the schema's statuses are the machine's, and edges not in the
table are refused with a clear message."""

from __future__ import annotations

import pytest

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.errors import Conflict, InvalidTransition, NotFound
from sluice.core.settings import Settings
from sluice.operators import applications, review
from sluice.operators.schemas import ApplicationCreate, ApplicationStatus, Decision
from sluice.operators.states import APPLICATION
from tests.operators.factories import REVIEWER, complete_application, operator_company


def test_the_schema_lists_exactly_the_machines_states() -> None:
    assert [s.value for s in ApplicationStatus] == list(APPLICATION.states)
    assert {t.name for t in APPLICATION.transitions} == {
        "submit",
        "return",
        "revise",
        "qualify",
        "reject",
    }


def test_edges_not_in_the_table_are_refused(
    database: Database, clock: FixedClock, settings: Settings
) -> None:
    with database.sessions() as session:
        actor = operator_company(session, clock)
        built = complete_application(session, clock, settings, actor)
        app_id = built.application.id
        with pytest.raises(InvalidTransition) as draft:
            applications.revise(session, actor=actor, clock=clock, application_id=app_id)
        assert draft.value.detail("zh-CN") == (
            "运营机构资格申请当前为“填写中”，不能执行“修改申请”。可执行：提交申请。"
        )
        # A draft is the applicant's alone: for the reviewer it is not there at all.
        with pytest.raises(NotFound):
            review.decide(
                session,
                actor=REVIEWER,
                clock=clock,
                settings=settings,
                application_id=app_id,
                decision=Decision.REJECT,
                reason="不符合",
            )
        review.submit(session, actor=actor, clock=clock, settings=settings, application_id=app_id)
        review.decide(
            session,
            actor=REVIEWER,
            clock=clock,
            settings=settings,
            application_id=app_id,
            decision=Decision.REJECT,
            reason="不符合",
        )
        with pytest.raises(Conflict):
            review.submit(
                session, actor=actor, clock=clock, settings=settings, application_id=app_id
            )
        with pytest.raises(Conflict) as not_submitted:
            review.decide(
                session,
                actor=REVIEWER,
                clock=clock,
                settings=settings,
                application_id=app_id,
                decision=Decision.QUALIFY,
                reason="符合",
            )
        assert not_submitted.value.detail("en") == (
            "The application is 'Rejected'; only a submitted application can be reviewed."
        )
        # A rejected company may apply again.
        again = applications.create_application(
            session, actor=actor, clock=clock, data=ApplicationCreate()
        )
        assert again.status == "draft"
