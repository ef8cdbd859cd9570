"""The application itself as the services run it: one open application per company, its
own credit code only, checked when written, and only its own organization's to see."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from sluice.core.clock import FixedClock
from sluice.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from sluice.core.settings import Settings
from sluice.operators import applications, dossier, repository, review
from sluice.operators.schemas import (
    ApplicationCreate,
    ApplicationUpdate,
    Judgment,
    PrincipalCreate,
)
from tests.operators.factories import (
    REVIEWER,
    complete_application,
    operator_company,
)


def test_one_open_application_per_company_and_only_its_own_credit_code(
    session: Session, clock: FixedClock, settings: Settings
) -> None:
    actor = operator_company(session, clock)
    complete_application(session, clock, settings, actor)
    with pytest.raises(Conflict) as twice:
        applications.create_application(session, actor=actor, clock=clock, data=ApplicationCreate())
    assert twice.value.message_key == "operators.open_application_exists"

    other = operator_company(session, clock)
    mine = repository.open_application(session, actor.organization_id)  # type: ignore[arg-type]
    assert mine is not None
    with pytest.raises(InvalidInput) as not_own:
        applications.create_application(
            session, actor=other, clock=clock, data=ApplicationCreate(credit_code=mine.credit_code)
        )
    assert not_own.value.message_key == "operators.credit_code.not_own"


def test_an_invalid_credit_code_is_refused_with_what_is_wrong(
    session: Session, clock: FixedClock
) -> None:
    actor = operator_company(session, clock)
    application = applications.create_application(
        session, actor=actor, clock=clock, data=ApplicationCreate()
    )
    wrong = application.credit_code[:-1] + ("0" if application.credit_code[-1] != "0" else "1")
    with pytest.raises(InvalidInput) as refused:
        applications.update_application(
            session,
            actor=actor,
            clock=clock,
            application_id=application.id,
            data=ApplicationUpdate(credit_code=wrong),
        )
    assert refused.value.code == "invalid_credit_code"
    assert refused.value.status == 422
    assert refused.value.detail("zh-CN") == f"统一社会信用代码 {wrong} 无效：校验码不正确。"
    assert refused.value.detail("en") == (
        f"The unified social credit code {wrong} is not valid: its check character is wrong."
    )
    assert refused.value.errors == [{"field": "credit_code", "type": "checksum"}]
    with pytest.raises(InvalidInput) as short:
        applications.update_application(
            session,
            actor=actor,
            clock=clock,
            application_id=application.id,
            data=ApplicationUpdate(credit_code="91210800"),
        )
    assert short.value.detail("zh-CN") == "统一社会信用代码 91210800 无效：长度应为 18 位。"


def test_applicants_see_only_their_own_applications(
    session: Session, clock: FixedClock, settings: Settings
) -> None:
    actor = operator_company(session, clock)
    built = complete_application(session, clock, settings, actor)
    other = operator_company(session, clock)
    with pytest.raises(NotFound):
        applications.get(session, actor=other, clock=clock, application_id=built.application.id)
    with pytest.raises(NotFound):
        dossier.add_principal(
            session,
            actor=other,
            clock=clock,
            application_id=built.application.id,
            data=PrincipalCreate(name="李某", position="董事"),
        )
    assert applications.list_applications(session, actor=other)[0] == 0
    # A draft is the applicant's alone until submitted: the bureau neither lists nor reads it.
    assert applications.list_applications(session, actor=REVIEWER)[0] == 0
    with pytest.raises(NotFound):
        applications.get(session, actor=REVIEWER, clock=clock, application_id=built.application.id)
    review.submit(
        session, actor=actor, clock=clock, settings=settings, application_id=built.application.id
    )
    assert applications.list_applications(session, actor=REVIEWER)[0] == 1
    with pytest.raises(PermissionDenied):
        review.judge_item(
            session,
            actor=actor,
            clock=clock,
            application_id=built.application.id,
            item_key="premises",
            judgment=Judgment.MET,
            note=None,
        )
