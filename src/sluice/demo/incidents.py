"""The demo's emergency response (R8.12, R8.13): the bureau's emergency plan and 营口数据集团's
own plan made after it, a joint drill and an internal one, and one incident of the past
fortnight walked to closure: an enumeration alert on 营口数据集团's 普惠金融 workspace,
opened as an incident by the bureau, contained by the operator, investigated, reported
upward and closed with a review, with the operator's special report afterwards.

The alert is written as the monitoring would have raised it (``alerts.models.Alert``); the
rest goes through the services, as the people named in ``city.ACCOUNTS``. Run once: a
second run finds the bureau's plan and leaves everything as it is."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy.orm import Session

from sluice.alerts.models import Alert
from sluice.core.database import Database
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.identity import repository as identity_repository
from sluice.identity import service as identity
from sluice.incidents import plans, service
from sluice.incidents import repository as incidents_repository

#: The operator whose plan, drill and incident the demo shows, and its workspace's scenario.
OPERATOR: Final = "operator"
SCENARIO: Final = "普惠金融"

BUREAU_PLAN: Final = """一、总则
为及时、有序处置公共数据授权运营中的数据安全事件和信息泄露，减少损失和影响，依据《中华人民共和国数据安全法》《中华人民共和国个人信息保护法》和本市公共数据授权运营实施方案，制定本预案。

二、组织和分工
市数据局统筹协调处置工作；市数据中心负责平台技术处置和日志溯源；数据提供部门配合核查涉事数据；运营机构按本单位专项应急预案先期处置并报告。

三、处置流程
（一）报告：发现安全事件或信息泄露隐患的单位立即向市数据局报告。
（二）控制：隔离涉事数据，暂停相关账号、密钥和工作区操作，采取数据止损措施。
（三）溯源排查：依据平台调用日志和审计日志查明原因、范围和影响。
（四）上报：及时上报上级监管部门。
（五）复盘：事后组织全面复盘，评估处置效果并优化应急机制，修订本预案。

四、演练
每年至少组织一次有各参与方参加的联合演练，演练发现的问题纳入预案修订。"""

OPERATOR_PLAN: Final = """一、适用范围
本预案根据市数据局《公共数据授权运营数据安全和信息泄露应急响应预案》制定，适用于本公司在授权运营中发生的数据安全事件和信息泄露隐患。

二、先期处置
一旦发现，第一时间隔离涉事数据、暂停相关操作（沙箱查询、结果导出、产品接口）。
在 1 小时内向市数据局报告详细情况。

三、配合调查
保留操作记录，配合市数据局开展溯源排查和后续处置。

四、专项报告
事件处置结束后 5 个工作日内形成专项报告，完善内部安全管控流程。"""


def _login(session: Session, username: str) -> Principal:
    user = identity_repository.user_by_username(session, username)
    assert user is not None, username
    return identity.principal_for(session, user, via="session")


def seed_incidents(
    database: Database, *, settings: Settings, now: datetime, workspaces: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """Seed the plans, drills and the closed incident; returns what was made (None when the
    demo already had them)."""
    start = now - timedelta(days=60)
    with database.unit_of_work() as session:
        bureau = _login(session, "bureau")
        assert bureau.organization_id is not None
        if incidents_repository.latest_plan(session, bureau.organization_id) is not None:
            return None
        bureau_plan = plans.file_plan(
            session,
            actor=bureau,
            settings=settings,
            at=start,
            title="营口市公共数据授权运营数据安全和信息泄露应急响应预案",
            approved_by="市数据局局务会议",
            approved_on=start.date(),
            body=BUREAU_PLAN,
        )
        operator = _login(session, OPERATOR)
        operator_plan = plans.file_plan(
            session,
            actor=operator,
            settings=settings,
            at=start + timedelta(days=5),
            title="营口数据集团数据安全专项应急预案",
            approved_by="营口数据集团总经理办公会",
            approved_on=(start + timedelta(days=4)).date(),
            body=OPERATOR_PLAN,
        )
        plans.record_drill(
            session,
            actor=bureau,
            at=start + timedelta(days=20),
            plan_id=bureau_plan.id,
            held_on=(start + timedelta(days=20)).date(),
            scenario="数据产品接口返回未脱敏身份证号，疑似批量外泄",
            participants="市数据局、市数据中心、市公安局、营口数据集团、海港数智",
            findings="从发现到暂停接口用时 25 分钟；运营机构报告缺少影响范围的初步估计。",
            follow_up="报告模板增加影响范围一栏；下半年再组织一次联合演练。",
        )
        plans.record_drill(
            session,
            actor=operator,
            at=start + timedelta(days=30),
            plan_id=operator_plan.id,
            held_on=(start + timedelta(days=30)).date(),
            scenario="沙箱导出结果被员工误发到外部邮箱",
            participants="安全管理部、运维部、普惠金融项目组",
            findings="隔离用时 12 分钟；值班表中数据局联系人电话已过期。",
            follow_up="更新值班表；每季度核对一次联系人。",
        )

    workspace = next((w for w in workspaces if w["scenario"] == SCENARIO), None)
    raised = now - timedelta(days=12)
    with database.unit_of_work() as session:
        operator = _login(session, OPERATOR)
        alert = Alert(
            rule="enumeration",
            severity="critical",
            subject_type="workspace",
            subject_id=uuid.UUID(workspace["id"]) if workspace else uuid.uuid4(),
            subject_label=f"{SCENARIO}沙箱工作区",
            organization_id=operator.organization_id,
            window_start=raised - timedelta(hours=1),
            window_end=raised,
            observed=386.0,
            threshold=100.0,
            detail={"distinct_subjects": 386},
            status="open",
            raised_at=raised,
            delivery=None,
            delivery_attempts=0,
        )
        session.add(alert)
        session.flush()
        bureau = _login(session, "bureau")
        incident = service.open_incident(
            session,
            actor=bureau,
            at=raised + timedelta(minutes=40),
            title="普惠金融沙箱一小时内查询 386 个不同主体",
            description="遍历告警：营口数据集团普惠金融沙箱工作区一小时内查询了 386 个"
            "不同企业主体，远超该工作区的日常水平，疑似批量导出企业信息。",
            severity="general",
            alert_ids=[alert.id],
        )
        steps = (
            (operator, 1, "contain", "已暂停该工作区的查询和导出，涉事查询结果已隔离。", ""),
            (
                bureau,
                26,
                "investigate",
                "日志溯源：一名分析员以测试新模型为名批量查询，结果未导出、未离开沙箱。",
                "",
            ),
            (bureau, 50, "report_upward", "已书面报告事件经过、影响和处置情况。", "市委网信办"),
            (
                bureau,
                74,
                "close",
                "复盘：遍历告警在 40 分钟内转为事件，处置及时；运营机构补充了测试数据使用规定，"
                "数据局将在联合演练中加入此场景。",
                "",
            ),
        )
        for actor, hours, name, note, recipient in steps:
            service.advance(
                session,
                actor=actor,
                at=raised + timedelta(hours=hours),
                incident_id=incident.id,
                transition=name,
                note=note,
                measures=("data_isolated", "operations_suspended") if name == "contain" else (),
                recipient=recipient,
            )
        service.add_note(
            session,
            actor=operator,
            at=raised + timedelta(days=4),
            incident_id=incident.id,
            note="专项报告：原因为分析员违规批量查询；已对其停权并组织全员培训，"
            "补充《测试数据使用规定》，沙箱查询增加单日主体数提示。",
            special=True,
        )
        return {"incident": incident.number, "plans": 2, "drills": 2}
