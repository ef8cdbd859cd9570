"""R2.2, R2.3, R2.10 through the services: what the applicant files (a principal person's
major penalty and serious dishonesty, a credit record still listed, a recent major penalty)
is stored, read back by the checks on submission, fails them, and the reviewer reads why
and cannot qualify. ``test_checks.py`` proves the checks on plain data; this proves the
dossier reaches them."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from sluice.core.clock import FixedClock
from sluice.core.settings import Settings
from sluice.operators import applications, dossier, render, review
from sluice.operators.review import QualificationBlocked
from sluice.operators.schemas import (
    CreditCategory,
    CreditRecordCreate,
    Decision,
    PenaltyCreate,
    PrincipalCreate,
)
from tests.operators.factories import (
    REVIEWER,
    complete_application,
    judge_all,
    operator_company,
)

#: The checks the stored records fail (R2.2, R2.3, R2.10).
FAILED = ("principals", "credit_records", "penalties")


def test_stored_principals_credit_records_and_penalties_fail_the_review(
    session: Session, clock: FixedClock, settings: Settings
) -> None:
    actor = operator_company(session, clock)
    built = complete_application(session, clock, settings, actor)
    app_id = built.application.id
    dossier.add_principal(
        session,
        actor=actor,
        clock=clock,
        application_id=app_id,
        data=PrincipalCreate(
            name="刘强",
            position="总经理",
            id_number="210802197503154321",
            major_penalty=True,
            serious_dishonesty=True,
        ),
    )
    dossier.add_credit_record(
        session,
        actor=actor,
        clock=clock,
        application_id=app_id,
        data=CreditRecordCreate(
            category=CreditCategory.DISHONEST_DEBTOR,
            listed_on=date(2025, 5, 6),
            description="未履行生效判决",
        ),
    )
    dossier.add_credit_record(
        session,
        actor=actor,
        clock=clock,
        application_id=app_id,
        data=CreditRecordCreate(
            category=CreditCategory.ABNORMAL_OPERATION,
            listed_on=date(2022, 1, 4),
            removed_on=date(2022, 9, 1),
            description="未按期公示年报",
        ),
    )
    dossier.add_penalty(
        session,
        actor=actor,
        clock=clock,
        application_id=app_id,
        data=PenaltyCreate(
            decided_on=date(2024, 2, 1),
            authority="营口市市场监督管理局",
            document_no="营市监罚〔2024〕12号",
            major=True,
            amount_fen=50_000_000,
            description="虚假宣传",
        ),
    )

    review.submit(session, actor=actor, clock=clock, settings=settings, application_id=app_id)

    application = built.application
    assert application.status == "submitted"
    assert application.verdict == "fails"
    view = applications.get(session, actor=REVIEWER, clock=clock, application_id=app_id)
    results = {r.check: r for r in view.own_results}
    assert sorted(c for c, r in results.items() if r.result == "fail") == sorted(FAILED)
    assert not view.tried_entities  # no controlled entity to qualify through (R2.9)

    def said(check: str, locale: str) -> list[str]:
        read = render.check_read(results[check], locale)
        return [read.message, *(f.message for f in read.findings)]

    assert said("principals", "zh-CN") == [
        "1 名主要负责人有重大行政处罚或严重失信记录。",
        "刘强（总经理）受过重大行政处罚。",
        "刘强（总经理）有严重失信记录。",
    ]
    assert said("credit_records", "zh-CN") == [
        "在国家信用信息平台上有 1 条尚未移出的不良记录。",
        "2022-01-04 列入“经营异常名录”：未按期公示年报；已于 2022-09-01 信用修复移出",
        "2025-05-06 列入“失信被执行人”：未履行生效判决（尚未移出）",
    ]
    assert said("penalties", "zh-CN")[0] == (
        "近 3 年内（2023-11-26 以来）受到 1 次重大行政处罚，属重大违法记录。"
    )
    assert {check: said(check, "en")[0] for check in FAILED} == {
        "principals": "1 principal person(s) carry a major administrative penalty or a serious "
        "dishonesty record.",
        "credit_records": "1 bad record(s) are still listed on the national credit information "
        "platform.",
        "penalties": "1 major administrative penalt(ies) in the last 3 years (since "
        "2023-11-26): a major illegal record.",
    }

    # Every checklist item judged met: the failing checks alone block qualification.
    judge_all(session, clock, app_id)
    with pytest.raises(QualificationBlocked) as blocked:
        review.decide(
            session,
            actor=REVIEWER,
            clock=clock,
            settings=settings,
            application_id=app_id,
            decision=Decision.QUALIFY,
            reason="材料齐全。",
        )
    assert blocked.value.status == 409
    assert blocked.value.detail("zh-CN") == (
        "不能认定合格。未通过的自动检查：主要负责人、信用记录、重大违法记录；"
        "未判定或判定为不符合的清单项：—。"
    )
    assert blocked.value.detail("en") == (
        "Cannot qualify. Automated checks failing: Principal persons, Credit records, Major "
        "illegal records; checklist items not judged or not met: —."
    )
    assert application.status == "submitted"
