"""The registration workflow as the services run it (N4), for a kind of the tests' own: every
edge of the three lifecycles, the working-day deadlines on the statutory calendar, real-name
objections, the signed certificate, renewal, change and cancellation, and each refusal."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sluice.audit.models import AuditEvent
from sluice.core.clock import FixedClock
from sluice.core.errors import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from sluice.core.i18n import EN, ZH
from sluice.identity import repository as identity
from sluice.identity import signing
from sluice.registration import certificates, evidence, repository, service
from sluice.registration.evidence import Material
from sluice.registration.models import OPEN_CONDITION, RegistrationApplication
from sluice.registration.states import APPLICATION, OBJECTION, OPEN, REGISTRATION
from tests.identity.factories import Account
from tests.registration import kind
from tests.registration.world import World, apply, at, decide, register


@pytest.fixture
def session(world: World) -> Iterator[Session]:
    with world.database.unit_of_work() as session:
        yield session


def _organization(session: Session, account: Account) -> str:
    assert account.organization_id is not None
    found = identity.organization(session, account.organization_id)
    assert found is not None
    return found.name


def _actions(session: Session, target_id: object) -> list[str]:
    return list(
        session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.target_id == str(target_id))
            .order_by(AuditEvent.id)
        )
    )


def test_a_first_registration_is_accepted_reviewed_noticed_and_issued_with_a_signed_certificate(
    world: World, session: Session
) -> None:
    clock = at("2026-11-02 10:00")  # a Monday
    subject = world.subject("企业纳税信用评分")
    material = Material("产品说明书.pdf", "application/pdf", b"%PDF-1.7 product sheet")
    application = apply(session, world, clock, subject, materials=(material,))
    assert (application.status, application.accept_due) == ("applied", date(2026, 11, 5))
    assert service.evidence_intact(session, application)
    kept, content = service.material(
        session,
        actor=world.p(world.operator),
        settings=world.settings,
        application_id=application.id,
        material_id=service.materials(
            session, actor=world.p(world.operator), application_id=application.id
        )[0].id,
    )
    assert (content, kept.sm3) == (material.content, evidence.sm3_hex(material.content))

    clock.advance(timedelta(days=1))
    decide(session, world, clock, application, "accept")
    assert (application.status, application.review_due) == ("accepted", date(2026, 12, 1))
    decide(session, world, clock, application, "pass", "材料齐全，符合形式要求")
    assert (application.status, application.notice_from, application.notice_until) == (
        "in_notice",
        date(2026, 11, 3),
        date(2026, 11, 17),
    )
    objection = service.file_objection(
        session,
        actor=world.p(world.buyer, "王小明"),
        at=clock.now(),
        application_id=application.id,
        grounds="该产品使用的纳税数据口径与公示说明不一致。",
    )
    with pytest.raises(service.NoticeRunning) as running:
        decide(session, world, clock, application, "issue")
    assert running.value.detail(ZH) == "公示期至 2026-11-17 止，期满后方可登记发证。"
    service.decide_objection(
        session,
        actor=world.p(world.registry),
        at=clock.now(),
        objection_id=objection.id,
        uphold=False,
        reason="数据口径与产品说明一致，异议不成立。",
    )
    clock = at("2026-11-18 09:00")
    decide(session, world, clock, application, "issue")
    assert application.status == "registered"

    registration = service.current(session, kind=kind.KIND, subject_id=subject.id, at=clock.now())
    assert registration is not None and registration.id == application.registration_id
    assert re.fullmatch(r"YK-TA-2026-\d{6}", registration.code)
    assert (registration.valid_from, registration.valid_until) == (
        clock.now(),
        at("2029-11-18 09:00").now(),
    )
    assert ("registered", registration.code) in kind.CALLS
    later = at("2029-11-18 08:59").now()
    assert service.current(session, kind=kind.KIND, subject_id=subject.id, at=later) is not None
    for outside in (at("2026-11-18 08:59").now(), at("2029-11-18 09:00").now()):
        assert service.current(session, kind=kind.KIND, subject_id=subject.id, at=outside) is None

    issued = service.certificate(session, registration)
    assert issued.content["code"] == registration.code
    assert issued.content["application"]["evidence_sm3"] == application.evidence_sm3
    # The registry's published key alone checks it; a changed word does not pass.
    published = signing.current_key(session, world.registry.organization_id)  # type: ignore[arg-type]
    assert published is not None and issued.public_key_hex == published.public_key_hex
    assert certificates.verify(
        issued.content, issued.digest, published.public_key_hex, issued.signature_hex
    )
    forged = {**issued.content, "holder": {**issued.content["holder"], "name": "别的公司"}}
    assert not certificates.verify(
        forged, issued.digest, published.public_key_hex, issued.signature_hex
    )
    assert certificates.verify_issued(session, issued)

    assert _actions(session, application.id) == [
        "registration_application.filed",
        "registration_application.accept",
        "registration_application.publish",
        "registration_application.issue",
    ]
    assert _actions(session, objection.id) == [
        "registration_objection.filed",
        "registration_objection.dismiss",
    ]
    assert _actions(session, registration.id) == ["registration.issued"]


def test_deadlines_count_working_days_across_national_day_and_its_adjusted_saturday(
    world: World, session: Session
) -> None:
    # Filed on Wednesday 30 September 2026: 1-7 October are holidays, Saturday 10 October
    # is worked (调休), so the three working days are 8, 9 and 10 October.
    late = apply(session, world, at("2026-09-30 10:00"), world.subject("空气质量指数"))
    assert late.accept_due == date(2026, 10, 10)
    assert service.due(late, at("2026-10-10 18:00").now()) == service.Due(
        "accept", date(2026, 10, 10), over=False, late_by=0
    )
    # Sunday the 11th is past the day but no working day late; Monday is one.
    assert service.due(late, at("2026-10-11 10:00").now()) == service.Due(
        "accept", date(2026, 10, 10), over=True, late_by=0
    )
    overdue = service.due(late, at("2026-10-12 10:00").now())
    assert overdue is not None and (overdue.late, overdue.late_by) == (True, 1)
    decide(session, world, at("2026-10-12 10:00"), late, "accept")
    assert late.review_due == date(2026, 11, 9)

    # A notice published on 29 September runs ten working days: 30 September, 8, 9, 10
    # (Saturday), 12-16 and 19 October.
    noticed = apply(session, world, at("2026-09-28 10:00"), world.subject("公交客流统计"))
    decide(session, world, at("2026-09-28 11:00"), noticed, "accept")
    decide(session, world, at("2026-09-29 11:00"), noticed, "pass")
    assert noticed.notice_until == date(2026, 10, 19)
    service.file_objection(
        session,
        actor=world.p(world.bureau),
        at=at("2026-10-19 23:00").now(),
        application_id=noticed.id,
        grounds="最后一天提出的异议。",
    )
    with pytest.raises(service.NoticeClosed) as closed:
        service.file_objection(
            session,
            actor=world.p(world.buyer),
            at=at("2026-10-20 00:01").now(),
            application_id=noticed.id,
            grounds="晚了一天的异议。",
        )
    assert closed.value.code == "notice_closed"
    assert closed.value.detail(EN) == (
        "This application's public notice ended on 2026-10-19; objections are no longer taken."
    )
    with pytest.raises(service.NoticeRunning):
        decide(session, world, at("2026-10-19 23:00"), noticed, "issue")
    with pytest.raises(service.ObjectionsPending) as pending:
        decide(session, world, at("2026-10-20 09:00"), noticed, "issue")
    assert (pending.value.code, pending.value.detail(ZH)) == (
        "objections_pending",
        "还有 1 项异议未处理，处理完毕后方可登记发证。",
    )


def test_an_upheld_objection_refuses_the_application_and_only_the_registry_knows_who_objected(
    world: World, session: Session
) -> None:
    clock = at("2026-11-02 10:00")
    subject = world.subject("小微企业信用评分")
    application = apply(session, world, clock, subject)
    decide(session, world, clock, application, "accept")
    decide(session, world, clock, application, "pass")
    upheld = service.file_objection(
        session,
        actor=world.p(world.buyer, "王小明"),
        at=clock.now(),
        application_id=application.id,
        grounds="该评分使用了未经授权的水电缴费数据。",
    )
    clock.advance(timedelta(minutes=5))
    other = service.file_objection(
        session,
        actor=world.p(world.bureau, "李四"),
        at=clock.now(),
        application_id=application.id,
        grounds="产品简介与授权协议的应用场景不符。",
    )
    as_registry = service.objections(
        session, actor=world.p(world.registry), application=application
    )
    assert [(o.objector_name, o.objector_organization) for o in as_registry] == [
        ("王小明", _organization(session, world.buyer)),
        ("李四", _organization(session, world.bureau)),
    ]
    for reader in (world.operator, world.bureau):
        seen = service.objections(session, actor=world.p(reader), application=application)
        assert [(o.objector_name, o.objector_organization) for o in seen] == [(None, None)] * 2
        assert [o.grounds for o in seen] == [upheld.grounds, other.grounds]
    public = [
        n for n in service.notices(session, at=clock.now()) if n.application_id == application.id
    ]
    assert len(public) == 1 and "王小明" not in repr(public[0])

    service.decide_objection(
        session,
        actor=world.p(world.registry),
        at=clock.now(),
        objection_id=upheld.id,
        uphold=True,
        reason="经核实，水电缴费数据不在授权范围内。",
    )
    assert (upheld.status, other.status, application.status) == ("upheld", "lapsed", "refused")
    assert application.decision_reason == "经核实，水电缴费数据不在授权范围内。"
    assert service.current(session, kind=kind.KIND, subject_id=subject.id, at=clock.now()) is None
    assert _actions(session, application.id)[-1] == "registration_application.uphold"
    assert _actions(session, other.id) == [
        "registration_objection.filed",
        "registration_objection.lapse",
    ]
    with pytest.raises(InvalidTransition):
        service.decide_objection(
            session,
            actor=world.p(world.registry),
            at=clock.now(),
            objection_id=other.id,
            uphold=False,
            reason="已随申请终结。",
        )


def test_renewal_only_in_the_window_then_change_and_cancellation(
    world: World, session: Session
) -> None:
    clock = at("2026-11-02 10:00")
    subject = world.subject("就业状态核验")
    registration = register(session, world, clock, subject)
    until = registration.valid_until
    code = registration.code

    for moment in (clock.now(), until - timedelta(days=61), until):
        with pytest.raises(service.RenewalWindowClosed) as closed:
            apply(
                session, world, FixedClock(moment), subject, type=service.RENEWAL, statement="续期"
            )
        assert closed.value.code == "renewal_window_closed"
    assert closed.value.detail(ZH) == (
        f"登记 {code} 有效期至 2029-11-17，续期申请只能在届满前 60 日内（2029-09-18 起）提出。"
    )

    clock.advance(until - timedelta(days=60) - clock.now())
    renewal = apply(session, world, clock, subject, type=service.RENEWAL, statement="继续运营")
    decide(session, world, clock, renewal, "accept")
    decide(session, world, clock, renewal, "pass")  # no notice: carried out at once
    assert (renewal.status, renewal.notice_until) == ("registered", None)
    assert (registration.version, registration.valid_until) == (2, at("2032-11-17 09:00").now())
    assert certificates.verify_issued(session, service.certificate(session, registration))

    kind.rename(subject, "就业状态核验（含社保）")
    change = apply(session, world, clock, subject, type=service.CHANGE, statement="名称变更")
    decide(session, world, clock, change, "accept")
    decide(session, world, clock, change, "pass")
    assert change.status == "in_notice"
    clock.advance(timedelta(days=30))
    decide(session, world, clock, change, "issue")
    assert (registration.title, registration.version, registration.code) == (
        "就业状态核验（含社保）",
        3,
        code,
    )
    check = service.public_check(session, code=code, at=clock.now())
    assert (check.standing, check.title, check.version, check.signature_valid) == (
        "in_force",
        "就业状态核验（含社保）",
        3,
        True,
    )

    cancel = apply(session, world, clock, subject, type=service.CANCELLATION, statement="停止运营")
    decide(session, world, clock, cancel, "accept")
    decide(session, world, clock, cancel, "pass")
    assert (cancel.status, registration.status) == ("registered", "cancelled")
    assert ("cancelled", code) in kind.CALLS
    assert service.current(session, kind=kind.KIND, subject_id=subject.id, at=clock.now()) is None
    check = service.public_check(session, code=code, at=clock.now())
    assert (check.standing, check.signature_valid, check.cancelled_at) == (
        "cancelled",
        True,
        clock.now(),
    )
    assert _actions(session, registration.id)[-1] == "registration.cancel"
    with pytest.raises(service.NotRegistered) as gone:
        apply(session, world, clock, subject, type=service.RENEWAL, statement="再续期")
    assert gone.value.detail(ZH) == (
        "“就业状态核验（含社保）”没有有效的登记，不能申请续期；请先申请首次登记。"
    )


def test_refusals_name_what_is_wrong(world: World, session: Session) -> None:
    clock = at("2026-11-02 10:00")
    registry, operator = world.p(world.registry), world.p(world.operator)
    subject = world.subject("不动产权属核验")
    registration = register(session, world, clock, subject)

    with pytest.raises(service.AlreadyRegistered) as twice:
        apply(session, world, clock, subject)
    assert twice.value.detail(ZH).startswith(f"“不动产权属核验”已登记（{registration.code}）")
    with pytest.raises(service.NotRegistered):
        apply(
            session,
            world,
            clock,
            world.subject("未登记的产品"),
            type=service.CHANGE,
            statement="改名",
        )

    fresh = world.subject("人口统计")
    waiting = apply(session, world, clock, fresh)
    with pytest.raises(service.RegistrationInProgress) as busy:
        apply(session, world, clock, fresh)
    assert busy.value.detail(ZH) == (
        "“人口统计”已有一项首次登记申请在办理中（待受理），办结前不能再提出申请。"
    )

    blocked = world.subject("未审核的产品")
    kind.BLOCKED.add(blocked.id)
    with pytest.raises(service.SubjectNotEligible) as early:
        apply(session, world, clock, blocked)
    assert (early.value.code, early.value.detail(ZH)) == (
        "subject_not_eligible",
        "“未审核的产品”尚未审核通过。",
    )
    with pytest.raises(InvalidInput) as no_type:
        apply(session, world, clock, fresh, type="merge")
    assert no_type.value.message_key == "registration.type.invalid"
    with pytest.raises(InvalidInput) as no_statement:
        apply(session, world, clock, subject, type=service.CORRECTION, statement=" ")
    assert no_statement.value.message_key == "registration.statement.required"
    with pytest.raises(InvalidInput):
        evidence.check([Material(f"{n}.pdf", "application/pdf", b"x") for n in range(11)])
    with pytest.raises(InvalidInput) as empty:
        evidence.check([Material("空.pdf", "application/pdf", b"")])
    assert empty.value.detail(ZH) == "材料“空.pdf”是空文件。"

    # Another operator's subject and application do not exist for it; roles are kept apart.
    stranger = world.p(world.other)
    with pytest.raises(NotFound):
        service.apply(
            session,
            actor=stranger,
            settings=world.settings,
            at=clock.now(),
            kind=kind.KIND,
            subject_id=fresh.id,
            type=service.FIRST,
        )
    for read in (
        lambda: service.application(session, actor=stranger, application_id=waiting.id),
        lambda: service.withdraw(
            session, actor=stranger, at=clock.now(), application_id=waiting.id
        ),
        lambda: service.registration(session, actor=stranger, registration_id=registration.id),
    ):
        with pytest.raises(NotFound):
            read()
    with pytest.raises(PermissionDenied):
        service.accept(session, actor=operator, at=clock.now(), application_id=waiting.id)
    with pytest.raises(PermissionDenied):
        service.apply(
            session,
            actor=registry,
            settings=world.settings,
            at=clock.now(),
            kind=kind.KIND,
            subject_id=fresh.id,
            type=service.FIRST,
        )

    with pytest.raises(InvalidInput) as no_reason:
        decide(session, world, clock, waiting, "not_accept", " ")
    assert no_reason.value.message_key == "registration.reason.required"
    with pytest.raises(InvalidTransition) as not_yet:
        decide(session, world, clock, waiting, "issue")
    assert not_yet.value.detail(ZH) == (
        "登记申请当前为“待受理”，不能执行“公示期满，予以登记并发证”。可执行：受理、不予受理、撤回申请。"
    )
    decide(session, world, clock, waiting, "not_accept", "申请材料缺少产品说明")
    assert waiting.status == "not_accepted"

    # The kind may refuse at issue as well, when the subject stopped being eligible.
    third = world.subject("公积金缴存核验")
    application = apply(session, world, clock, third)
    decide(session, world, clock, application, "accept")
    decide(session, world, clock, application, "pass")
    kind.BLOCKED.add(third.id)
    clock.advance(timedelta(days=30))
    with pytest.raises(service.SubjectNotEligible):
        decide(session, world, clock, application, "issue")
    kind.BLOCKED.discard(third.id)


def test_every_edge_of_the_three_lifecycles_is_walked_and_audited(
    world: World, session: Session
) -> None:
    clock = at("2026-11-02 10:00")
    # not_accept; refuse; withdraw with an objection lapsing.
    decide(
        session, world, clock, apply(session, world, clock, world.subject()), "not_accept", "不全"
    )
    refused = apply(session, world, clock, world.subject())
    decide(session, world, clock, refused, "accept")
    decide(session, world, clock, refused, "refuse", "产品简介与实际不符")
    assert refused.status == "refused"
    withdrawn = apply(session, world, clock, world.subject())
    decide(session, world, clock, withdrawn, "accept")
    decide(session, world, clock, withdrawn, "pass")
    lapsing = service.file_objection(
        session,
        actor=world.p(world.buyer),
        at=clock.now(),
        application_id=withdrawn.id,
        grounds="名称与其他产品相同。",
    )
    service.withdraw(
        session, actor=world.p(world.operator), at=clock.now(), application_id=withdrawn.id
    )
    assert (withdrawn.status, lapsing.status) == ("withdrawn", "lapsed")
    # publish, issue, approve (a cancellation), cancel; uphold and dismiss above and here.
    subject = world.subject()
    register(session, world, clock, subject)
    cancel = apply(session, world, clock, subject, type=service.CANCELLATION, statement="停运")
    decide(session, world, clock, cancel, "accept")
    decide(session, world, clock, cancel, "pass")
    upheld = apply(session, world, clock, world.subject())
    decide(session, world, clock, upheld, "accept")
    decide(session, world, clock, upheld, "pass")
    for decision in (False, True):
        objection = service.file_objection(
            session,
            actor=world.p(world.buyer),
            at=clock.now(),
            application_id=upheld.id,
            grounds="异议",
        )
        service.decide_objection(
            session,
            actor=world.p(world.registry),
            at=clock.now(),
            objection_id=objection.id,
            uphold=decision,
            reason="经核实",
        )
    assert upheld.status == "refused"

    walked = set(session.scalars(select(AuditEvent.action).distinct()))
    for machine in (APPLICATION, REGISTRATION, OBJECTION):
        assert {f"{machine.entity}.{t.name}" for t in machine.transitions} <= walked


def test_the_database_holds_one_open_application_per_subject(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two applications filed at the same moment: the second one's insert is refused by the
    partial unique index, which the service turns into ``registration_in_progress``."""
    assert "status IN ({})".format(", ".join(f"'{s}'" for s in OPEN)) == OPEN_CONDITION
    subject = world.subject("并发申请的产品")
    with world.database.unit_of_work() as session:
        first = apply(session, world, at("2026-11-02 10:00"), subject)
        values = {
            c.key: getattr(first, c.key)
            for c in RegistrationApplication.__table__.columns
            if c.key != "id"
        }
    with world.database.sessions() as session:
        session.add(RegistrationApplication(**values))
        with pytest.raises(IntegrityError):
            session.flush()
    # The service's own check missed it (the other filing had not committed yet).
    monkeypatch.setattr(repository, "open_application", lambda *args: None)
    with pytest.raises(service.RegistrationInProgress), world.database.unit_of_work() as session:
        apply(session, world, at("2026-11-02 10:01"), subject)
