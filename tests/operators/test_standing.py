"""R2.1 and R2.6 beyond the credit code: a company that is no longer in business cannot
qualify (its registration status, checked automatically), independent civil liability, fair
competition and business standing are checklist items with evidence, and processing
capacity may rest on the bureau's platform."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.errors import InvalidInput
from sluice.core.migrate import upgrade
from sluice.core.permissions import Role
from sluice.core.settings import Settings
from sluice.operators import applications, checklist, checks, dossier, review
from sluice.operators.checks import Dossier, EntityFile, Person, Result, Verdict
from sluice.operators.models import OperatorChecklistItem
from sluice.operators.ownership import Graph, Link, Node, NodeKind, Relation
from sluice.operators.review import QualificationBlocked
from sluice.operators.schemas import BusinessStatus, Decision
from tests.identity.factories import make_account
from tests.operators.factories import (
    REVIEWER,
    acting_for,
    complete_application,
    fresh_login,
    judge_all,
    new_credit_code,
    operator_company,
)
from tests.operators.test_checks import CODE, ON, _statement


def _dossier(status: str | None) -> Dossier:
    return Dossier(
        credit_code=CODE,
        registered_code=CODE,
        principals=(Person("陈晓", "法定代表人", "CN", False, False),),
        graph=Graph(
            (
                Node("me", "营口云港数据有限公司", NodeKind.COMPANY, "CN"),
                Node("state", "营口市国资委", NodeKind.GOVERNMENT, "CN"),
            ),
            (Link("state", "me", Relation.SHAREHOLDER, 10000),),
        ),
        applicant="me",
        files={"me": EntityFile(statements=(_statement(),))},
        business_status=status,
    )


def _status_text(evaluation: checks.Evaluation, locale: str) -> str:
    [result] = [r for r in evaluation.applicant_results if r.check is checks.Check.BUSINESS_STATUS]
    assert result.requirement == "R2.1"
    return checks.localize(result.key, result.params, locale)


@pytest.mark.parametrize(
    ("status", "zh", "en"),
    [
        (
            "revoked",
            "登记状态为“吊销”：营业执照已被吊销，企业不得继续经营，不具备良好的商业信誉，"
            "不能成为运营机构。",
            "The registration status is 'licence revoked': the business licence was revoked, "
            "so the company may not trade and lacks sound business standing; it cannot become "
            "an operator.",
        ),
        (
            "cancelled",
            "登记状态为“注销”：企业已注销，法人资格终止，不能独立承担民事责任，不能成为运营机构。",
            "The registration status is 'deregistered': the company is struck off and no "
            "longer a legal person able to bear civil liability; it cannot become an operator.",
        ),
        (
            "suspended",
            "登记状态为“停业”：企业已停止经营，不能开展授权运营业务，不能成为运营机构。",
            "The registration status is 'suspended': the company has stopped trading and "
            "cannot run an authorized operation; it cannot become an operator.",
        ),
    ],
    ids=["revoked", "cancelled", "suspended"],
)
def test_a_company_no_longer_in_business_fails_and_says_why(status: str, zh: str, en: str) -> None:
    evaluation = checks.evaluate(_dossier(status), Settings(), on=ON)
    # Everything else is sound: the registration status alone fails the applicant.
    assert evaluation.verdict is Verdict.FAILS
    assert [r.check for r in evaluation.failing()] == [checks.Check.BUSINESS_STATUS]
    assert _status_text(evaluation, "zh-CN") == zh
    assert _status_text(evaluation, "en") == en


def test_a_going_concern_passes_and_an_undeclared_status_is_for_the_reviewer() -> None:
    for status in ("existing", "in_business"):
        evaluation = checks.evaluate(_dossier(status), Settings(), on=ON)
        assert evaluation.verdict is Verdict.QUALIFIES
    assert _status_text(checks.evaluate(_dossier("in_business"), Settings(), on=ON), "zh-CN") == (
        "登记状态为“在业”：企业依法存续，能够独立承担民事责任。"
    )
    undeclared = checks.evaluate(_dossier(None), Settings(), on=ON)
    assert undeclared.verdict is Verdict.NEEDS_REVIEW
    assert [r.result for r in undeclared.applicant_results][1] is Result.NEEDS_REVIEW
    assert _status_text(undeclared, "en") == (
        "No registration status is declared; the reviewer must look it up on the national "
        "enterprise credit information publicity system."
    )


def test_the_bureau_cannot_qualify_a_revoked_company_and_sees_why(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings
) -> None:
    account = make_account(database, clock, Role.OPERATOR)
    actor = acting_for(account)
    with database.unit_of_work() as session:
        built = complete_application(
            session,
            clock,
            settings,
            actor,
            credit_code=new_credit_code(),
            business_status=BusinessStatus.REVOKED,
        )
        review.submit(
            session,
            actor=actor,
            clock=clock,
            settings=settings,
            application_id=built.application.id,
        )
        judge_all(session, clock, built.application.id)
    csrf = fresh_login(client, make_account(database, clock, Role.BUREAU))
    base = f"/console/operators/{built.application.id}"
    page = client.get(base, headers={"Accept-Language": "en"}).text
    assert 'data-verdict="fails"' in page
    assert "Registration status (enterprise credit publicity system)" in page
    assert "the business licence was revoked, so the company may not trade" in page
    for locale, expected in (
        ("zh-CN", "不能认定合格。未通过的自动检查：登记状态；"),
        ("en", "Cannot qualify. Automated checks failing: Registration status;"),
    ):
        refused = client.post(
            f"{base}/decision",
            data={"csrf_token": csrf, "decision": "qualify", "reason": "同意"},
            headers={"Accept-Language": locale},
        )
        assert refused.status_code == 409
        assert expected in refused.text
    with database.unit_of_work() as session:
        assert applications.get(
            session, actor=REVIEWER, clock=clock, application_id=built.application.id
        ).application.status == ("submitted")


def test_civil_liability_fair_competition_and_standing_need_evidence(
    session: Session, clock: FixedClock, settings: Settings
) -> None:
    actor = operator_company(session, clock)
    built = complete_application(
        session, clock, settings, actor, without_evidence=frozenset({"fair_competition"})
    )
    r2_1 = checklist.checklist_items(session, actor=REVIEWER, clock=clock)[:3]
    assert [(i.key, i.requirement, i.evidence_required) for i in r2_1] == [
        ("civil_liability", "R2.1", True),
        ("fair_competition", "R2.1", True),
        ("business_reputation", "R2.1", True),
    ]
    with pytest.raises(InvalidInput) as refused:
        review.submit(
            session,
            actor=actor,
            clock=clock,
            settings=settings,
            application_id=built.application.id,
        )
    assert refused.value.detail("zh-CN") == "以下清单项需要上传证明材料：遵守公平竞争规则。"
    assert refused.value.detail("en") == (
        "These checklist items need evidence: Follows fair-competition rules."
    )
    # With its evidence the application goes in; the reviewer judges the R2.1 items like any
    # other, and qualifying waits for them.
    dossier.upload_evidence(
        session,
        actor=actor,
        clock=clock,
        settings=settings,
        application_id=built.application.id,
        stream=io.BytesIO("公平竞争承诺书".encode()),
        filename="fair.pdf",
        content_type="application/pdf",
        item_key="fair_competition",
    )
    review.submit(
        session, actor=actor, clock=clock, settings=settings, application_id=built.application.id
    )
    with pytest.raises(QualificationBlocked) as blocked:
        review.decide(
            session,
            actor=REVIEWER,
            clock=clock,
            settings=settings,
            application_id=built.application.id,
            decision=Decision.QUALIFY,
            reason="同意",
        )
    assert "独立承担民事责任的能力、遵守公平竞争规则、良好的商业信誉" in blocked.value.detail(
        "zh-CN"
    )


def test_processing_capacity_may_rest_on_the_bureaus_platform(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings
) -> None:
    account = make_account(database, clock, Role.OPERATOR)
    actor = acting_for(account)
    with database.unit_of_work() as session:
        built = complete_application(
            session,
            clock,
            settings,
            actor,
            credit_code=new_credit_code(),
            without_evidence=frozenset({"data_processing", "premises"}),
        )
        app_id = built.application.id
        # Premises cannot be met through the platform: refused, in both languages.
        with pytest.raises(InvalidInput) as refused:
            dossier.save_statement(
                session,
                actor=actor,
                clock=clock,
                application_id=app_id,
                item_key="premises",
                statement="使用平台机房。",
                relies_on_platform=True,
            )
        assert refused.value.detail("zh-CN") == (
            "清单项“经营场所”不能以依托实施机构提供的运营平台的方式满足，"
            "请说明本单位自身的情况并上传证明材料。"
        )
        assert refused.value.detail("en") == (
            "The checklist item 'Business premises' cannot be met by relying on the platform "
            "the bureau provides; describe your own means and upload evidence."
        )
    csrf = fresh_login(client, account)
    mine = f"/console/operator-application/{app_id}"
    said = client.post(
        f"{mine}/statement/data_processing",
        data={
            "csrf_token": csrf,
            "statement": "依托市公共数据授权运营平台开展数据加工。",
            "relies_on_platform": "on",
        },
        follow_redirects=False,
    )
    assert said.status_code == 303
    step = client.get(f"{mine}?step=submit").text
    # Only the premises still want evidence; processing capacity rests on the platform.
    assert "提交前请为以下清单项上传证明材料： <a" in step
    assert ">经营场所</a></p>" in step
    assert ">数据处理能力</a>" not in step
    with database.unit_of_work() as session:
        dossier.upload_evidence(
            session,
            actor=actor,
            clock=clock,
            settings=settings,
            application_id=app_id,
            stream=io.BytesIO("租赁合同".encode()),
            filename="lease.pdf",
            content_type="application/pdf",
            item_key="premises",
        )
    submitted = client.post(f"{mine}/submit", data={"csrf_token": csrf}, follow_redirects=False)
    assert submitted.status_code == 303
    fresh_login(client, make_account(database, clock, Role.BUREAU))
    for locale, marking in (
        ("zh-CN", "依托实施机构提供的运营平台开展业务</strong> · 申请单位选择依托"),
        ("en", "Relies on the platform the bureau provides</strong> · The applicant meets"),
    ):
        page = client.get(f"/console/operators/{app_id}", headers={"Accept-Language": locale}).text
        item = page.split('data-item="data_processing"')[1].split("</section>")[0]
        assert marking in item
        assert 'data-testid="relies-on-platform"' not in page.split('data-item="premises"')[1]


def test_a_checklist_in_use_gets_the_r2_1_items_from_the_migration(tmp_path: Path) -> None:
    """A deployment whose checklist was seeded before R2.1 had items gets them first, and
    processing capacity accepts the platform path; its own changes are kept."""
    engine = create_engine(f"sqlite:///{tmp_path}/old.db")
    upgrade(engine, "0012")
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO operator_checklist_items (id, key, requirement, title_zh, title_en, "
            "description_zh, description_en, evidence_required, active, position, created_at, "
            "updated_at) VALUES ('0123456789abcdef0123456789abcdef', 'data_processing', "
            "'R2.6', '数据处理能力', 'Data processing capacity', '', '', 1, 1, 20, "
            "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"
        )
    upgrade(engine)
    with Session(engine) as session:
        items = session.scalars(
            select(OperatorChecklistItem).order_by(OperatorChecklistItem.position)
        ).all()
    engine.dispose()
    assert [(i.key, i.requirement, i.accepts_platform_reliance) for i in items] == [
        ("civil_liability", "R2.1", False),
        ("fair_competition", "R2.1", False),
        ("business_reputation", "R2.1", False),
        ("data_processing", "R2.6", True),
    ]
    assert items[1].title_en == "Follows fair-competition rules"
