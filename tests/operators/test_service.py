"""Qualification as the services run it: the lifecycle, the guards on deciding, R2.9 on a
stored graph, evidence kept by its SM3 digest, everything audited."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from sqlalchemy.orm import Session

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from sluice.core.settings import Settings
from sluice.operators import repository, service
from sluice.operators.evidence import EvidenceCorrupted
from sluice.operators.ownership import NodeKind, Relation
from sluice.operators.schemas import (
    ApplicationCreate,
    ApplicationUpdate,
    Decision,
    IncidentCreate,
    IncidentKind,
    Judgment,
    PrincipalCreate,
)
from sluice.operators.service import InvalidCreditCode, QualificationBlocked
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


@pytest.fixture
def session(database: Database) -> Iterator[Session]:
    with database.sessions() as session:
        yield session


def _decide(
    session: Session,
    clock: FixedClock,
    settings: Settings,
    application_id: object,
    decision: Decision,
    reason: str = "经审核，符合运营机构资格条件。",
) -> None:
    service.decide(
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
    assert not service.is_qualified(session, actor.organization_id)  # type: ignore[arg-type]

    service.submit(session, actor=actor, clock=clock, settings=settings, application_id=app_id)
    view = service.get(session, actor=REVIEWER, clock=clock, application_id=app_id)
    assert view.application.status == "submitted"
    assert view.application.verdict == "qualifies"
    assert [(r.check, r.result) for r in view.own_results] == [
        ("credit_code", "pass"),
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
    assert service.qualified_application(session, actor.organization_id) is built.application  # type: ignore[arg-type]
    assert service.is_qualified(session, actor.organization_id)  # type: ignore[arg-type]

    actions = [e.action for e in service.history(session, actor=actor, application_id=app_id)]
    assert actions[0] == "operator_application.created"
    assert "operator_application.principal_added" in actions
    assert actions.count("operator_application.link_added") == 3
    assert "operator_application.financials_saved" in actions
    assert actions.count("operator_application.evidence_uploaded") == 11
    assert actions[-15:] == [
        "operator_application.submit",
        "operator_application.checks_run",
        *["operator_application.item_judged"] * 11,
        "operator_application.checks_run",
        "operator_application.qualify",
    ]


def test_the_principal_id_number_is_kept_only_masked(
    session: Session, clock: FixedClock, settings: Settings
) -> None:
    actor = operator_company(session, clock)
    built = complete_application(session, clock, settings, actor)
    view = service.get(session, actor=actor, clock=clock, application_id=built.application.id)
    assert [p.id_number_masked for p in view.principals] == ["210802********1234"]


def test_a_decision_needs_a_reason(session: Session, clock: FixedClock, settings: Settings) -> None:
    actor = operator_company(session, clock)
    built = complete_application(session, clock, settings, actor)
    service.submit(
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
    service.add_incident(
        session,
        actor=actor,
        clock=clock,
        application_id=built.application.id,
        data=IncidentCreate(
            occurred_on=date(2025, 3, 14), kind=IncidentKind.DATA, description="客户数据泄露"
        ),
    )
    service.submit(
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
    assert not service.is_qualified(session, actor.organization_id)  # type: ignore[arg-type]


def test_the_reviewer_cannot_qualify_with_checklist_items_unjudged_or_not_met(
    session: Session, clock: FixedClock, settings: Settings
) -> None:
    actor = operator_company(session, clock)
    built = complete_application(session, clock, settings, actor)
    app_id = built.application.id
    service.submit(session, actor=actor, clock=clock, settings=settings, application_id=app_id)
    judge_all(session, clock, app_id)
    service.judge_item(
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
        service.judge_item(
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
    service.submit(session, actor=actor, clock=clock, settings=settings, application_id=app_id)
    with pytest.raises(Conflict) as locked:
        service.update_application(
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
    service.revise(session, actor=actor, clock=clock, application_id=app_id)
    service.update_application(
        session,
        actor=actor,
        clock=clock,
        application_id=app_id,
        data=ApplicationUpdate(registered_address="营口市鲅鱼圈区"),
    )
    service.submit(session, actor=actor, clock=clock, settings=settings, application_id=app_id)
    assert built.application.checks_run == 2
    assert built.application.registered_address == "营口市鲅鱼圈区"


def test_one_open_application_per_company_and_only_its_own_credit_code(
    session: Session, clock: FixedClock, settings: Settings
) -> None:
    actor = operator_company(session, clock)
    complete_application(session, clock, settings, actor)
    with pytest.raises(Conflict) as twice:
        service.create_application(session, actor=actor, clock=clock, data=ApplicationCreate())
    assert twice.value.message_key == "operators.open_application_exists"

    other = operator_company(session, clock)
    mine = repository.open_application(session, actor.organization_id)  # type: ignore[arg-type]
    assert mine is not None
    with pytest.raises(InvalidInput) as not_own:
        service.create_application(
            session, actor=other, clock=clock, data=ApplicationCreate(credit_code=mine.credit_code)
        )
    assert not_own.value.message_key == "operators.credit_code.not_own"


def test_an_invalid_credit_code_is_refused_with_what_is_wrong(
    session: Session, clock: FixedClock
) -> None:
    actor = operator_company(session, clock)
    application = service.create_application(
        session, actor=actor, clock=clock, data=ApplicationCreate()
    )
    wrong = application.credit_code[:-1] + ("0" if application.credit_code[-1] != "0" else "1")
    with pytest.raises(InvalidCreditCode) as refused:
        service.update_application(
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
    with pytest.raises(InvalidCreditCode) as short:
        service.update_application(
            session,
            actor=actor,
            clock=clock,
            application_id=application.id,
            data=ApplicationUpdate(credit_code="91210800"),
        )
    assert short.value.detail("zh-CN") == "统一社会信用代码 91210800 无效：长度应为 18 位。"


def test_a_disqualified_parent_qualifies_through_its_subsidiary(
    session: Session, clock: FixedClock, settings: Settings
) -> None:
    actor = operator_company(session, clock)
    built = complete_application(session, clock, settings, actor)
    app_id = built.application.id
    service.add_incident(
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
    service.save_financials(
        session,
        actor=actor,
        clock=clock,
        application_id=app_id,
        data=sound_financials(clock, entity_id=sub),
    )
    service.submit(session, actor=actor, clock=clock, settings=settings, application_id=app_id)
    application = built.application
    assert application.verdict == "qualifies_through"
    assert application.qualifying_entity_id == sub
    assert [s["name"] for s in application.qualifying_path or []] == [
        application.company_name,
        "营口数据科技服务有限公司",
    ]
    assert service.verdict_message(application, "zh-CN") == (
        "通过下属控制主体“营口数据科技服务有限公司”符合条件（R2.9）"
    )
    view = service.get(session, actor=REVIEWER, clock=clock, application_id=app_id)
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
    application = service.create_application(
        session, actor=actor, clock=clock, data=ApplicationCreate()
    )
    app_id = application.id
    service.add_principal(
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
        service.save_financials(
            session,
            actor=actor,
            clock=clock,
            application_id=app_id,
            data=sound_financials(clock, entity_id=key),
        )
    attach_all_evidence(session, clock, settings, actor, app_id)
    service.submit(session, actor=actor, clock=clock, settings=settings, application_id=app_id)
    assert application.verdict == "fails"
    view = service.get(session, actor=REVIEWER, clock=clock, application_id=app_id)
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


def test_submitting_needs_the_evidence_the_checklist_asks_for(
    session: Session, clock: FixedClock, settings: Settings
) -> None:
    actor = operator_company(session, clock)
    application = service.create_application(
        session, actor=actor, clock=clock, data=ApplicationCreate()
    )
    with pytest.raises(InvalidInput) as refused:
        service.submit(
            session, actor=actor, clock=clock, settings=settings, application_id=application.id
        )
    assert refused.value.detail("zh-CN").startswith(
        "以下清单项需要上传证明材料：数据管理制度和流程、数据处理能力、"
    )
    assert refused.value.detail("en").endswith("Further conditions set by law.")
    assert application.status == "draft"


def test_evidence_is_stored_under_its_sm3_digest_and_kept(
    session: Session, clock: FixedClock, settings: Settings
) -> None:
    actor = operator_company(session, clock)
    application = service.create_application(
        session, actor=actor, clock=clock, data=ApplicationCreate()
    )
    content = "营业执照副本（扫描件）".encode() * 100
    document = service.upload_evidence(
        session,
        actor=actor,
        clock=clock,
        settings=settings,
        application_id=application.id,
        stream=io.BytesIO(content),
        filename="../../营业执照.pdf",
        content_type="application/pdf",
        title="营业执照",
    )
    digest = hashes.Hash(hashes.SM3())
    digest.update(content)
    assert document.sm3 == digest.finalize().hex()
    stored = settings.home / "evidence" / document.sm3
    # Kept SM4-encrypted like uploads: nothing of the document is on disk in the clear.
    sealed = stored.read_bytes()
    assert sealed.startswith(b"SLSM4GCM")
    assert "营业执照".encode() not in sealed
    assert document.size_bytes == len(content)
    assert document.filename == "营业执照.pdf"
    _, read = service.evidence_file(
        session,
        actor=actor,
        settings=settings,
        application_id=application.id,
        evidence_id=document.id,
    )
    assert read == content
    stored.chmod(0o600)
    stored.write_bytes(sealed[:-1] + bytes([sealed[-1] ^ 1]))
    with pytest.raises(EvidenceCorrupted):
        service.evidence_file(
            session,
            actor=actor,
            settings=settings,
            application_id=application.id,
            evidence_id=document.id,
        )


def test_evidence_above_the_upload_limit_is_refused(
    session: Session, clock: FixedClock, tmp_path: Path, database: Database
) -> None:
    small = Settings(home=tmp_path / "small", database_url=database.url, upload_max_mb=1)
    actor = operator_company(session, clock)
    application = service.create_application(
        session, actor=actor, clock=clock, data=ApplicationCreate()
    )
    with pytest.raises(InvalidInput) as refused:
        service.upload_evidence(
            session,
            actor=actor,
            clock=clock,
            settings=small,
            application_id=application.id,
            stream=io.BytesIO(b"x" * ((1 << 20) + 1)),
            filename="big.bin",
            content_type=None,
        )
    assert refused.value.detail("zh-CN") == "文件超过 1 MB 的上传上限。"
    assert [p.name for p in (small.home / "evidence").iterdir()] == []


def test_applicants_see_only_their_own_applications(
    session: Session, clock: FixedClock, settings: Settings
) -> None:
    actor = operator_company(session, clock)
    built = complete_application(session, clock, settings, actor)
    other = operator_company(session, clock)
    with pytest.raises(NotFound):
        service.get(session, actor=other, clock=clock, application_id=built.application.id)
    with pytest.raises(NotFound):
        service.add_principal(
            session,
            actor=other,
            clock=clock,
            application_id=built.application.id,
            data=PrincipalCreate(name="李某", position="董事"),
        )
    assert service.list_applications(session, actor=other)[0] == 0
    # A draft is the applicant's alone until submitted: the bureau neither lists nor reads it.
    assert service.list_applications(session, actor=REVIEWER)[0] == 0
    with pytest.raises(NotFound):
        service.get(session, actor=REVIEWER, clock=clock, application_id=built.application.id)
    service.submit(
        session, actor=actor, clock=clock, settings=settings, application_id=built.application.id
    )
    assert service.list_applications(session, actor=REVIEWER)[0] == 1
    with pytest.raises(PermissionDenied):
        service.judge_item(
            session,
            actor=actor,
            clock=clock,
            application_id=built.application.id,
            item_key="premises",
            judgment=Judgment.MET,
            note=None,
        )


def test_the_graph_refuses_what_cannot_be(
    session: Session, clock: FixedClock, settings: Settings
) -> None:
    actor = operator_company(session, clock)
    built = complete_application(session, clock, settings, actor)
    app_id = built.application.id
    person = entity(session, clock, actor, app_id, "张三", kind=NodeKind.PERSON)
    holding = built.entities["营口市国有资本投资运营有限公司"]
    with pytest.raises(InvalidInput) as too_much:
        link(session, clock, actor, app_id, person, built.applicant_entity, share_bp=1)
    assert too_much.value.detail("zh-CN") == (
        f"“{built.application.company_name}”已申报的股东持股合计将达 100.01%，超过 100%。"
    )
    with pytest.raises(InvalidInput) as held_person:
        link(session, clock, actor, app_id, holding, person)
    assert held_person.value.message_key == "operators.person_not_held"
    with pytest.raises(Conflict):
        entity(session, clock, actor, app_id, "营口市国资委")
    with pytest.raises(Conflict) as in_use:
        service.remove_entity(
            session,
            actor=actor,
            clock=clock,
            application_id=app_id,
            entity_id=built.applicant_entity,
        )
    assert in_use.value.message_key == "operators.applicant_entity_fixed"
    with pytest.raises(Conflict) as twice:
        link(session, clock, actor, app_id, holding, built.applicant_entity, Relation.CONTROLLER)
        link(session, clock, actor, app_id, holding, built.applicant_entity, Relation.CONTROLLER)
    assert twice.value.message_key == "operators.link_exists"
