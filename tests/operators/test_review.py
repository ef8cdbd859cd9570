"""Submitting, checking and deciding as the services run them: the lifecycle, the guards on
deciding, R2.9 on a stored graph, everything audited."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from sluice.core.clock import FixedClock
from sluice.core.errors import Conflict, InvalidInput
from sluice.core.settings import Settings
from sluice.operators import applications, dossier, qualified, repository, review
from sluice.operators.review import QualificationBlocked
from sluice.operators.schemas import (
    ApplicationCreate,
    ApplicationUpdate,
    Decision,
    IncidentCreate,
    IncidentKind,
    Judgment,
    PrincipalCreate,
)
from tests.operators.factories import (
    REVIEWER,
    attach_all_evidence,
    complete_application,
    entity,
    judge_all,
    link,
    operator_company,
    sound_financials,
)


def _decide(
    session: Session,
    clock: FixedClock,
    settings: Settings,
    application_id: object,
    decision: Decision,
    reason: str = "经审核，符合运营机构资格条件。",
) -> None:
    review.decide(
        session,
        actor=REVIEWER,
        clock=clock,
        settings=settings,
        application_id=application_id,  # type: ignore[arg-type]
        decision=decision,
        reason=reason,
    )


def test_a_complete_application_is_submitted_checked_judged_and_qualified(
    session: Session, clock: FixedClock, settings: Settings
) -> None:
    actor = operator_company(session, clock)
    built = complete_application(session, clock, settings, actor)
    app_id = built.application.id
    assert not qualified.is_qualified(session, actor.organization_id)  # type: ignore[arg-type]

    review.submit(session, actor=actor, clock=clock, settings=settings, application_id=app_id)
    view = applications.get(session, actor=REVIEWER, clock=clock, application_id=app_id)
    assert view.application.status == "submitted"
    assert view.application.verdict == "qualifies"
    assert [(r.check, r.result) for r in view.own_results] == [
        ("credit_code", "pass"),
        ("business_status", "pass"),
        ("principals", "pass"),
        ("credit_records", "pass"),
        ("domestic_capital", "pass"),
        ("finance", "pass"),
        ("incidents", "pass"),
        ("penalties", "pass"),
    ]
    judge_all(session, clock, app_id)
    _decide(session, clock, settings, app_id, Decision.QUALIFY)
    assert built.application.status == "qualified"
    assert built.application.decision_reason == "经审核，符合运营机构资格条件。"
    assert built.application.decided_by == "reviewer"
    assert qualified.qualified_application(session, actor.organization_id) is built.application  # type: ignore[arg-type]
    assert qualified.is_qualified(session, actor.organization_id)  # type: ignore[arg-type]

    actions = [e.action for e in applications.history(session, actor=actor, application_id=app_id)]
    assert actions[0] == "operator_application.created"
    assert "operator_application.principal_added" in actions
    assert actions.count("operator_application.link_added") == 3
    assert "operator_application.financials_saved" in actions
    assert actions.count("operator_application.evidence_uploaded") == 14
    assert actions[-18:] == [
        "operator_application.submit",
        "operator_application.checks_run",
        *["operator_application.item_judged"] * 14,
        "operator_application.checks_run",
        "operator_application.qualify",
    ]


def test_a_decision_needs_a_reason(session: Session, clock: FixedClock, settings: Settings) -> None:
    actor = operator_company(session, clock)
    built = complete_application(session, clock, settings, actor)
    review.submit(
        session, actor=actor, clock=clock, settings=settings, application_id=built.application.id
    )
    judge_all(session, clock, built.application.id)
    for decision in Decision:
        with pytest.raises(InvalidInput) as refused:
            _decide(session, clock, settings, built.application.id, decision, reason="  ")
        assert refused.value.message_key == "operators.reason_required"
        assert refused.value.detail("zh-CN") == "请填写审核意见（理由）。"
        assert refused.value.errors == [{"field": "reason", "type": "reason_required"}]
    assert built.application.status == "submitted"


def test_the_reviewer_cannot_qualify_while_a_check_fails(
    session: Session, clock: FixedClock, settings: Settings
) -> None:
    actor = operator_company(session, clock)
    built = complete_application(session, clock, settings, actor)
    dossier.add_incident(
        session,
        actor=actor,
        clock=clock,
        application_id=built.application.id,
        data=IncidentCreate(
            occurred_on=date(2025, 3, 14), kind=IncidentKind.DATA, description="客户数据泄露"
        ),
    )
    review.submit(
        session, actor=actor, clock=clock, settings=settings, application_id=built.application.id
    )
    assert built.application.verdict == "fails"
    judge_all(session, clock, built.application.id)
    with pytest.raises(QualificationBlocked) as blocked:
        _decide(session, clock, settings, built.application.id, Decision.QUALIFY)
    assert blocked.value.status == 409
    assert blocked.value.code == "qualification_blocked"
    assert blocked.value.detail("zh-CN") == (
        "不能认定合格。未通过的自动检查：网络和数据安全事件；未判定或判定为不符合的清单项：—。"
    )
    assert blocked.value.detail("en") == (
        "Cannot qualify. Automated checks failing: Security incidents; checklist items not "
        "judged or not met: —."
    )
    _decide(
        session,
        clock,
        settings,
        built.application.id,
        Decision.REJECT,
        "近三年内发生数据安全事件。",
    )
    assert built.application.status == "rejected"
    assert not qualified.is_qualified(session, actor.organization_id)  # type: ignore[arg-type]


def test_the_reviewer_cannot_qualify_with_checklist_items_unjudged_or_not_met(
    session: Session, clock: FixedClock, settings: Settings
) -> None:
    actor = operator_company(session, clock)
    built = complete_application(session, clock, settings, actor)
    app_id = built.application.id
    review.submit(session, actor=actor, clock=clock, settings=settings, application_id=app_id)
    judge_all(session, clock, app_id)
    review.judge_item(
        session,
        actor=REVIEWER,
        clock=clock,
        application_id=app_id,
        item_key="premises",
        judgment=Judgment.NOT_MET,
        note="租赁合同已过期",
    )
    with pytest.raises(QualificationBlocked) as blocked:
        _decide(session, clock, settings, app_id, Decision.QUALIFY)
    assert blocked.value.detail("zh-CN").endswith("未判定或判定为不符合的清单项：经营场所。")
    assert blocked.value.detail("en").endswith("not judged or not met: Business premises.")
    with pytest.raises(InvalidInput) as no_note:
        review.judge_item(
            session,
            actor=REVIEWER,
            clock=clock,
            application_id=app_id,
            item_key="staff",
            judgment=Judgment.NOT_MET,
            note=" ",
        )
    assert no_note.value.message_key == "operators.note_required"


def test_returned_applications_are_revised_and_submitted_again(
    session: Session, clock: FixedClock, settings: Settings
) -> None:
    actor = operator_company(session, clock)
    built = complete_application(session, clock, settings, actor)
    app_id = built.application.id
    review.submit(session, actor=actor, clock=clock, settings=settings, application_id=app_id)
    with pytest.raises(Conflict) as locked:
        applications.update_application(
            session,
            actor=actor,
            clock=clock,
            application_id=app_id,
            data=ApplicationUpdate(registered_address="营口市鲅鱼圈区"),
        )
    assert locked.value.detail("zh-CN") == "申请当前为“待审核”，只有“填写中”的申请可以修改。"
    _decide(session, clock, settings, app_id, Decision.RETURN, "请补充经营场所租赁合同。")
    assert built.application.status == "returned"
    assert built.application.decided_at is None
    applications.revise(session, actor=actor, clock=clock, application_id=app_id)
    applications.update_application(
        session,
        actor=actor,
        clock=clock,
        application_id=app_id,
        data=ApplicationUpdate(registered_address="营口市鲅鱼圈区"),
    )
    review.submit(session, actor=actor, clock=clock, settings=settings, application_id=app_id)
    assert built.application.checks_run == 2
    assert built.application.registered_address == "营口市鲅鱼圈区"


def test_submitting_needs_the_evidence_the_checklist_asks_for(
    session: Session, clock: FixedClock, settings: Settings
) -> None:
    actor = operator_company(session, clock)
    application = applications.create_application(
        session, actor=actor, clock=clock, data=ApplicationCreate()
    )
    with pytest.raises(InvalidInput) as refused:
        review.submit(
            session, actor=actor, clock=clock, settings=settings, application_id=application.id
        )
    assert refused.value.detail("zh-CN").startswith(
        "以下清单项需要上传证明材料：独立承担民事责任的能力、遵守公平竞争规则、良好的商业信誉、"
        "数据管理制度和流程、数据处理能力、"
    )
    assert refused.value.detail("en").endswith("Further conditions set by law.")
    assert application.status == "draft"


def test_a_disqualified_parent_qualifies_through_its_subsidiary(
    session: Session, clock: FixedClock, settings: Settings
) -> None:
    actor = operator_company(session, clock)
    built = complete_application(session, clock, settings, actor)
    app_id = built.application.id
    dossier.add_incident(
        session,
        actor=actor,
        clock=clock,
        application_id=app_id,
        data=IncidentCreate(
            occurred_on=date(2024, 6, 1), kind=IncidentKind.NETWORK, description="门户网站被篡改"
        ),
    )
    sub = entity(session, clock, actor, app_id, "营口数据科技服务有限公司")
    link(session, clock, actor, app_id, built.applicant_entity, sub, share_bp=10000)
    dossier.save_financials(
        session,
        actor=actor,
        clock=clock,
        application_id=app_id,
        data=sound_financials(clock, entity_id=sub),
    )
    review.submit(session, actor=actor, clock=clock, settings=settings, application_id=app_id)
    application = built.application
    assert application.verdict == "qualifies_through"
    assert application.qualifying_entity_id == sub
    assert [s["name"] for s in application.qualifying_path or []] == [
        application.company_name,
        "营口数据科技服务有限公司",
    ]
    assert applications.verdict_message(application, "zh-CN") == (
        "通过下属控制主体“营口数据科技服务有限公司”符合条件（R2.9）"
    )
    view = applications.get(session, actor=REVIEWER, clock=clock, application_id=app_id)
    assert [(r.check, r.result) for r in view.own_results if r.result != "pass"] == [
        ("incidents", "fail")
    ]
    [(name, results)] = view.tried_entities
    assert name == "营口数据科技服务有限公司"
    assert {r.result for r in results} == {"pass"}
    judge_all(session, clock, app_id)
    _decide(
        session, clock, settings, app_id, Decision.QUALIFY, "母公司不符合安全条件，经子公司符合。"
    )
    assert application.status == "qualified"


def test_a_foreign_invested_parent_cannot_qualify_through_its_subsidiary(
    session: Session, clock: FixedClock, settings: Settings
) -> None:
    actor = operator_company(session, clock)
    application = applications.create_application(
        session, actor=actor, clock=clock, data=ApplicationCreate()
    )
    app_id = application.id
    dossier.add_principal(
        session,
        actor=actor,
        clock=clock,
        application_id=app_id,
        data=PrincipalCreate(name="王某", position="法定代表人"),
    )
    me = repository.applicant_entity(session, app_id).id
    hk = entity(session, clock, actor, app_id, "Harbour Bridge Holdings Ltd.", "HK")
    sub = entity(session, clock, actor, app_id, "全资子公司")
    link(session, clock, actor, app_id, hk, me)
    link(session, clock, actor, app_id, me, sub)
    for key in (None, sub):
        dossier.save_financials(
            session,
            actor=actor,
            clock=clock,
            application_id=app_id,
            data=sound_financials(clock, entity_id=key),
        )
    attach_all_evidence(session, clock, settings, actor, app_id)
    review.submit(session, actor=actor, clock=clock, settings=settings, application_id=app_id)
    assert application.verdict == "fails"
    view = applications.get(session, actor=REVIEWER, clock=clock, application_id=app_id)
    own = next(r for r in view.own_results if r.check == "domestic_capital")
    assert [[s["name"] for s in p] for p in own.paths] == [
        [application.company_name, "Harbour Bridge Holdings Ltd."]
    ]
    [(name, results)] = view.tried_entities
    assert name == "全资子公司"
    theirs = next(r for r in results if r.check == "domestic_capital")
    assert theirs.result == "fail"
    assert [[s["name"] for s in p] for p in theirs.paths] == [
        ["全资子公司", application.company_name, "Harbour Bridge Holdings Ltd."]
    ]
