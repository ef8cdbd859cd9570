"""Emergency plans, drills and incidents run by plan (R8.12, R8.13), through the services:
an alert becomes an incident the bureau walks to closure with an exact timeline, a major
incident orders rectification, operators see and act on their own only."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import pypdf
import pytest
from sqlalchemy import select

from sluice.alerts.models import Alert
from sluice.audit.models import AuditEvent
from sluice.authorizations.models import RectificationOrder
from sluice.core.errors import (
    Conflict,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
)
from sluice.core.ids import sm3_hex
from sluice.core.paging import ListQuery
from sluice.incidents import plans, service
from sluice.incidents.models import IncidentAlert
from sluice.incidents.report_render import render_pdf
from tests.incidents.world import IncidentWorld

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
BUREAU_PLAN = (
    "一、总则 为及时处置数据安全事件和信息泄露，明确跨部门处置流程和各环节责任分工，制定本预案。"
)


def _query(**filters: str) -> ListQuery:
    return ListQuery(filters=filters)


def test_plans_are_versioned_per_owner_and_an_operator_sees_and_drills_its_own_only(
    incidents: IncidentWorld,
) -> None:
    clock = incidents.clock()
    today = clock.now().date()
    with incidents.database.unit_of_work() as session:
        bureau = plans.file_plan(
            session,
            actor=incidents.bureau(),
            settings=incidents.settings,
            at=clock.now(),
            title="营口市公共数据授权运营数据安全和信息泄露应急响应预案",
            approved_by="市数据局局务会",
            approved_on=today,
            body=BUREAU_PLAN,
        )
        first = plans.file_plan(
            session,
            actor=incidents.operator(),
            settings=incidents.settings,
            at=clock.now(),
            title="本公司数据安全专项应急预案",
            approved_by="张伟（总经理）",
            approved_on=today - timedelta(days=3),
            body="一、隔离涉事数据；二、暂停相关操作；三、同步报告数据局。",
        )
        second = plans.file_plan(
            session,
            actor=incidents.operator(),
            settings=incidents.settings,
            at=clock.now(),
            title="本公司数据安全专项应急预案（修订）",
            approved_by="张伟（总经理）",
            approved_on=today,
            stream=io.BytesIO(PDF),
            filename="专项应急预案.pdf",
        )
        ids = (bureau.id, first.id, second.id)
        assert (bureau.version, first.version, second.version) == (1, 1, 2)
        assert second.content["document"] == {
            "name": "专项应急预案.pdf",
            "bytes": len(PDF),
            "sm3": sm3_hex(PDF),
        }
        assert first.content["body_sm3"] == sm3_hex(
            "一、隔离涉事数据；二、暂停相关操作；三、同步报告数据局。"
        )

    with incidents.database.unit_of_work() as session:
        # The bureau sees both plans' newest versions; the operator its own only.
        seen = plans.page(session, incidents.bureau(), _query())
        newest = {row.plan.id for row in seen.items}
        assert {ids[0], ids[2]} <= newest and ids[1] not in newest
        own = plans.page(session, incidents.operator(), _query(all="1"))
        assert {row.plan.id for row in own.items} == {ids[1], ids[2]}
        assert plans.page(session, incidents.other_operator(), _query()).total == 0
        for plan_id in ids:
            with pytest.raises(NotFound):
                plans.plan(session, incidents.other_operator(), plan_id)
        with pytest.raises(NotFound):
            plans.plan(session, incidents.operator(), ids[0])
        _, content = plans.document(
            session, actor=incidents.bureau(), settings=incidents.settings, plan_id=ids[2]
        )
        assert content == PDF

    with incidents.database.unit_of_work() as session:
        drill = plans.record_drill(
            session,
            actor=incidents.operator(),
            at=clock.now(),
            plan_id=ids[2],
            held_on=today,
            scenario="沙箱中一份导出结果疑似外泄",
            participants="安全部、运维部、数据局联络员",
            findings="隔离用时 12 分钟；报告模板缺少联系人",
            follow_up="补充报告模板联系人，下季度再演练",
        )
        assert (drill.plan_id, drill.owner_id) == (ids[2], incidents.operator_id)
        # Not under another's plan, not in the future.
        with pytest.raises(NotFound):
            plans.record_drill(
                session,
                actor=incidents.operator(),
                at=clock.now(),
                plan_id=ids[0],
                held_on=today,
                scenario="联合演练",
                participants="各方",
                findings="无",
                follow_up="无",
            )
        with pytest.raises(InvalidInput) as future:
            plans.record_drill(
                session,
                actor=incidents.operator(),
                at=clock.now(),
                plan_id=ids[2],
                held_on=today + timedelta(days=1),
                scenario="沙箱中一份导出结果疑似外泄",
                participants="安全部",
                findings="——",
                follow_up="——",
            )
        assert future.value.detail("zh-CN") == (
            f"演练日期不能晚于今天（{today.isoformat()}）；演练结束后再记录。"
        )
        assert [d.id for d in plans.drills(session, incidents.bureau(), second)] == [drill.id]
        events = session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.target_id.in_([str(i) for i in (*ids, drill.id)])
            )
        ).all()
        assert sorted(events) == sorted(["emergency_plan.filed"] * 3 + ["emergency_drill.recorded"])


def test_a_plan_needs_its_text_or_a_pdf_and_a_past_approval(incidents: IncidentWorld) -> None:
    clock = incidents.clock()
    today = clock.now().date()
    with incidents.database.unit_of_work() as session:
        for kwargs, field in (
            ({"body": ""}, "body"),
            ({"body": "", "stream": io.BytesIO(b"<html>")}, "file"),
            ({"body": BUREAU_PLAN, "approved_on": today + timedelta(days=1)}, "approved_on"),
            ({"body": BUREAU_PLAN, "approved_by": "张"}, "approved_by"),
        ):
            values = {"approved_by": "市数据局局务会", "approved_on": today, **kwargs}
            with pytest.raises(InvalidInput) as refused:
                plans.file_plan(
                    session,
                    actor=incidents.bureau(),
                    settings=incidents.settings,
                    at=clock.now(),
                    title="应急预案",
                    **values,  # type: ignore[arg-type]
                )
            assert refused.value.errors[0]["field"] == field


def test_its_alert_becomes_an_incident_the_bureau_walks_to_closure(
    incidents: IncidentWorld,
) -> None:
    clock = incidents.clock()
    bureau, operator = incidents.bureau(), incidents.operator()
    alert_id = incidents.alert(clock.now())
    with incidents.database.unit_of_work() as session:
        opened = service.open_incident(
            session,
            actor=bureau,
            at=clock.now(),
            title="普惠金融沙箱遍历查询",
            description="告警显示一个工作区一小时内查询了 412 个不同主体。",
            severity="general",
            alert_ids=[alert_id],
        )
        incident_id, number = opened.id, opened.number
        # The operator is taken from the workspace's alert; the alert is escalated to it.
        assert opened.operator_id == incidents.operator_id
        assert number.startswith("营数安〔2026〕") and number.endswith("号")
        alert = session.get(Alert, alert_id)
        assert alert is not None
        assert (alert.status, alert.incident_id) == ("escalated", incident_id)

    steps = [
        ("contain", operator, "已关闭该工作区的查询和导出，涉事结果已隔离。"),
        ("investigate", bureau, "排查确认：一名员工以测试为名批量查询，未导出数据。"),
        ("report_upward", bureau, "已书面报告事件经过和处置情况。"),
        (
            "close",
            bureau,
            "复盘：遍历告警阈值有效；运营机构已完成员工培训，预案补充了测试数据规定。",
        ),
    ]
    for name, actor, note in steps:
        clock.advance(timedelta(hours=1))
        with incidents.database.unit_of_work() as session:
            service.advance(
                session,
                actor=actor,
                at=clock.now(),
                incident_id=incident_id,
                transition=name,
                note=note,
                measures=("data_isolated", "operations_suspended") if name == "contain" else (),
                recipient="市委网信办" if name == "report_upward" else "",
            )

    with incidents.database.unit_of_work() as session:
        closed = service.incident(session, bureau, incident_id)
        timeline = service.timeline(session, bureau, closed)
        assert [(s.position, s.kind, s.status, s.actor_name) for s in timeline] == [
            (1, "reported", "reported", "王建国"),
            (2, "contain", "contained", "陈晓"),
            (3, "investigate", "investigated", "王建国"),
            (4, "report_upward", "reported_upward", "王建国"),
            (5, "close", "closed", "王建国"),
        ]
        start = incidents.clock().now()
        assert [s.at - start for s in timeline] == [timedelta(hours=h) for h in range(5)]
        assert timeline[1].detail == {"measures": ["data_isolated", "operations_suspended"]}
        assert timeline[3].detail == {"recipient": "市委网信办"}
        assert [s.note for s in timeline[1:]] == [note for _, _, note in steps]
        assert closed.status == "closed" and closed.review == steps[-1][2]
        assert closed.closed_at == start + timedelta(hours=4)
        assert [a.id for a in service.alerts_behind(session, bureau, closed)] == [alert_id]
        # The operator sees the incident, but not the alerts (the bureau's alone).
        assert service.alerts_behind(session, operator, closed) == []
        actions = session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.target_id == str(incident_id))
            .order_by(AuditEvent.id)
        ).all()
        assert actions == [
            "security_incident.reported",
            "security_incident.contain",
            "security_incident.investigate",
            "security_incident.report_upward",
            "security_incident.close",
        ]
        # The report, as a PDF set in Chinese, carries the timeline and the review.
        document = service.report(
            session, actor=bureau, at=clock.now(), incident_id=incident_id, locale="zh-CN"
        )
        text = "\n".join(
            p.extract_text() for p in pypdf.PdfReader(io.BytesIO(render_pdf(document))).pages
        )
        compact = "".join(text.split())
        for expected in (
            number,
            "安全事件处置报告",
            "市委网信办",
            "已隔离涉事数据",
            "遍历查询多个主体",
        ):
            assert "".join(expected.split()) in compact
        assert "预案补充了测试数据规定" in compact


def test_the_timeline_holds_its_order_and_its_people(incidents: IncidentWorld) -> None:
    clock = incidents.clock()
    bureau, operator = incidents.bureau(), incidents.operator()
    with incidents.database.unit_of_work() as session:
        # An operator reports its own incident, whatever operator it names.
        opened = service.open_incident(
            session,
            actor=operator,
            at=clock.now(),
            title="员工误发含个人信息的查询结果",
            description="一名员工将沙箱查询结果截图发到了工作群。",
            severity="general",
            operator_id=uuid.uuid4(),
        )
        incident_id = opened.id
        assert opened.operator_id == incidents.operator_id
        with pytest.raises(Conflict) as no_alerts:
            service.open_incident(
                session,
                actor=operator,
                at=clock.now(),
                title="告警",
                description="从告警发起",
                severity="general",
                alert_ids=[uuid.uuid4()],
            )
        assert (
            no_alerts.value.detail("en") == "Only the bureau turns security alerts into incidents."
        )
    with incidents.database.unit_of_work() as session:
        # Nothing out of order: closing a reported incident names what may happen now.
        with pytest.raises(InvalidTransition) as early:
            service.advance(
                session,
                actor=bureau,
                at=clock.now(),
                incident_id=incident_id,
                transition="close",
                note="复盘：过早结案的尝试，应被拒绝。",
            )
        assert early.value.detail("zh-CN").count("采取处置措施") == 1
        with pytest.raises(InvalidInput) as no_measure:
            service.advance(
                session,
                actor=operator,
                at=clock.now(),
                incident_id=incident_id,
                transition="contain",
                note="已处理",
            )
        assert no_measure.value.detail("zh-CN") == "请至少勾选一项已采取的处置措施。"
        # Another operator does not see it; a third party's contain is a 404, not a 403.
        with pytest.raises(NotFound):
            service.incident(session, incidents.other_operator(), incident_id)
        with pytest.raises(NotFound):
            service.advance(
                session,
                actor=incidents.other_operator(),
                at=clock.now(),
                incident_id=incident_id,
                transition="contain",
                note="已处理",
                measures=("data_isolated",),
            )
        assert service.page(session, incidents.other_operator(), _query()).total == 0
    with incidents.database.unit_of_work() as session:
        service.advance(
            session,
            actor=operator,
            at=clock.now(),
            incident_id=incident_id,
            transition="contain",
            note="已撤回截图并删除工作群记录。",
            measures=("data_isolated",),
        )
    # Investigating is the bureau's.
    with incidents.database.unit_of_work() as session, pytest.raises(PermissionDenied):
        service.advance(
            session,
            actor=operator,
            at=clock.now(),
            incident_id=incident_id,
            transition="investigate",
            note="自查结论",
        )
    with incidents.database.unit_of_work() as session:
        service.add_note(
            session,
            actor=operator,
            at=clock.now(),
            incident_id=incident_id,
            note="专项报告：原因、影响范围和整改措施见附件。",
            special=True,
        )
        with pytest.raises(Conflict):
            service.add_note(
                session,
                actor=bureau,
                at=clock.now(),
                incident_id=incident_id,
                note="数据局不能代交专项报告",
                special=True,
            )
    with incidents.database.unit_of_work() as session:
        found = service.incident(session, operator, incident_id)
        assert [(s.kind, s.actor_name) for s in service.timeline(session, operator, found)] == [
            ("reported", "陈晓"),
            ("contain", "陈晓"),
            ("special_report", "陈晓"),
        ]
        # The operator's list holds its own incidents (the module's earlier ones too).
        mine = service.page(session, operator, _query())
        assert incident_id in [r.incident.id for r in mine.items]
        assert {r.incident.operator_id for r in mine.items} == {incidents.operator_id}


def test_a_major_incident_orders_rectification_under_the_operators_agreement(
    incidents: IncidentWorld,
) -> None:
    clock = incidents.clock()
    bureau = incidents.bureau()
    deadline = clock.now().date() + timedelta(days=30)
    with incidents.database.unit_of_work() as session:
        general = service.open_incident(
            session,
            actor=bureau,
            at=clock.now(),
            title="一般事件",
            description="一般事件的描述",
            severity="general",
            operator_id=incidents.operator_id,
        )
        major = service.open_incident(
            session,
            actor=bureau,
            at=clock.now(),
            title="运营机构泄露个人信息",
            description="运营机构的数据产品接口返回了未经脱敏的身份证号。",
            severity="major",
            operator_id=incidents.operator_id,
        )
        ids = (general.id, major.id)
    with incidents.database.unit_of_work() as session:
        with pytest.raises(Conflict) as not_major:
            service.order_rectification(
                session,
                actor=bureau,
                at=clock.now(),
                settings=incidents.settings,
                incident_id=ids[0],
                authorization_id=incidents.agreement_id,
                description="整改",
                deadline=deadline,
            )
        assert not_major.value.detail("en") == (
            "Only a major incident orders rectification on these grounds."
        )
        with pytest.raises(InvalidInput):
            service.order_rectification(
                session,
                actor=bureau,
                at=clock.now(),
                settings=incidents.settings,
                incident_id=ids[1],
                authorization_id=uuid.uuid4(),
                description="整改",
                deadline=deadline,
            )
        agreements = service.agreements_in_force(session, incidents.operator_id)
        assert incidents.agreement_id in [a.id for a in agreements]
    with incidents.database.unit_of_work() as session:
        order = service.order_rectification(
            session,
            actor=bureau,
            at=clock.now(),
            settings=incidents.settings,
            incident_id=ids[1],
            authorization_id=incidents.agreement_id,
            description="30 日内完成接口脱敏改造并提交整改报告。",
            deadline=deadline,
        )
        order_id = order.id
    with incidents.database.unit_of_work() as session:
        stored = session.get(RectificationOrder, order_id)
        assert stored is not None
        assert (stored.grounds, stored.authorization_id, stored.deadline, stored.status) == (
            "major_incident",
            incidents.agreement_id,
            deadline,
            "open",
        )
        found = service.incident(session, bureau, ids[1])
        assert found.rectification_id == order_id
        last = service.timeline(session, bureau, found)[-1]
        assert (last.kind, last.detail["deadline"]) == ("rectification", deadline.isoformat())
        with pytest.raises(Conflict):
            service.order_rectification(
                session,
                actor=bureau,
                at=clock.now(),
                settings=incidents.settings,
                incident_id=ids[1],
                authorization_id=incidents.agreement_id,
                description="再次整改",
                deadline=deadline,
            )
        assert (
            session.scalars(select(IncidentAlert).where(IncidentAlert.incident_id.in_(ids))).all()
            == []
        )


def test_a_second_alert_joins_an_open_incident_once(incidents: IncidentWorld) -> None:
    clock = incidents.clock()
    bureau = incidents.bureau()
    first, second = incidents.alert(clock.now()), incidents.alert(clock.now(), rule="rate_spike")
    with incidents.database.unit_of_work() as session:
        opened = service.open_incident(
            session,
            actor=bureau,
            at=clock.now(),
            title="同一工作区的两条告警",
            description="遍历和突增两条告警指向同一工作区。",
            severity="general",
            alert_ids=[first],
        )
        incident_id = opened.id
    with incidents.database.unit_of_work() as session:
        service.link_alert(
            session, actor=bureau, at=clock.now(), incident_id=incident_id, alert_id=second
        )
    with incidents.database.unit_of_work() as session:
        with pytest.raises(Conflict) as twice:
            service.link_alert(
                session, actor=bureau, at=clock.now(), incident_id=incident_id, alert_id=second
            )
        assert twice.value.detail("zh-CN") == "该告警已关联到这个事件。"
        found = service.incident(session, bureau, incident_id)
        assert {a.id for a in service.alerts_behind(session, bureau, found)} == {first, second}
        assert [s.kind for s in service.timeline(session, bureau, found)] == [
            "reported",
            "alert_linked",
        ]
        linked = session.get(Alert, second)
        assert linked is not None and (linked.status, linked.incident_id) == (
            "escalated",
            incident_id,
        )
