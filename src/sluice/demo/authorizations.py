"""The demo city's authorizations: an approved implementation plan, two agreements in force
(普惠金融 with 营口数据集团, 就业服务 with 辽宁海港数智) and one that ended by voluntary
exit earlier this year, with its handover, asset disposal (software and hardware as the
agreement set them), destruction certificate and the operator's signed attestation that its
copies outside the platform are deleted. The 普惠金融 draft went to its providers, the
operator and the finance bureau for comments before its collective decision, and 营口数据集团
has filed its data-governance, trading and security rules (two acknowledged, one waiting
for the bureau).

Everything goes through the services, with the clock set to when each step happened.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sluice.authorizations import (
    assets,
    attestations,
    comments,
    endings,
    exits,
    operator_rules,
    service,
)
from sluice.authorizations.clauses import AgreementClauses
from sluice.authorizations.models import Authorization
from sluice.authorizations.schemas import AuthorizationCreate, DecisionIn, ExitIn, PlanIn
from sluice.catalog import repository as catalog
from sluice.core.clock import SHANGHAI
from sluice.core.database import Database
from sluice.core.permissions import Role
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.dataplane import derived
from sluice.demo.city import ACCOUNTS
from sluice.demo.data import _member, _resource_id

PLAN_TEXT = {
    "necessity": "本市公共数据资源丰富但开发利用不足，通过授权运营在安全可控前提下释放数据价值。",
    "resources": "首批授权运营目录中的有条件开放数据，按场景确定具体范围，不含不予开放数据。",
    "mode": "依场景授权，一场景一授权；试点期间不采用整体授权。",
    "operator_selection": "通过竞争性磋商选择运营机构，资格审核包括内资穿透和安全能力。",
    "term": "授权期限一般为3年，自协议签署之日起计算，最长不超过5年。",
    "security": "数据不出平台，个人信息脱敏、去标识化处理；全程留痕审计，定期开展风险评估。",
    "products": "以核验、统计和模型服务为主，产品上线前经安全与合规审查。",
    "pricing_revenue": "公共数据产品和服务价格按规定核定，收益按协议比例分配并纳入财政管理。",
    "supervision": "数据局牵头监管，年度评估，结果与续期挂钩，接受社会监督。",
    "exit": "自愿退出须提前三个月书面申请；违规或发生重大安全事件整改不到位的强制退出。",
}


def _person(session: Session, code: str, role: Role) -> Principal:
    """The demo login of that organization, so signatures carry a person's name."""
    names = {org: name for _, _, org, name in ACCOUNTS if org}
    return replace(_member(session, code, role), display_name=names.get(code, ""))


def _decision(meeting: str, held: datetime) -> DecisionIn:
    return DecisionIn(
        meeting=meeting,
        held_on=held.date(),
        participants=["王建国（局长）", "李敏（副局长）", "赵丽（纪检组长）", "孙强（总工程师）"],
        outcome="approved",
        summary="会议研究同意，按三重一大程序集体决策。",
    )


def _clauses(product: str, description: str, share_bp: int) -> AgreementClauses:
    return AgreementClauses.model_validate(
        {
            "products": [
                {
                    "name": product,
                    "description": description,
                    "review": "上线前由数据局组织安全评估和合规审查，审查通过后在平台登记上架。",
                }
            ],
            "revenue": {
                "government_share_bp": share_bp,
                "method": "按季度核算产品收入，政府分成部分缴入市级财政；成本凭证留存备查。",
            },
        }
    )


def _entries(session: Session, codes: list[tuple[str, str]]) -> list[uuid.UUID]:
    found = []
    for provider, code in codes:
        resource_id = _resource_id(session, provider, code)
        entry = catalog.entry_for_resource(session, resource_id) if resource_id else None
        if entry is not None and entry.status == "published":
            found.append(entry.id)
    return found


def _sign_both(
    session: Session,
    authorization_id: uuid.UUID,
    operator_code: str,
    settings: Settings,
    at: datetime,
) -> None:
    bureau = _person(session, "sjj", Role.BUREAU)
    operator = _person(session, operator_code, Role.OPERATOR)
    service.sign(session, actor=bureau, settings=settings, at=at, authorization_id=authorization_id)
    service.sign(
        session, actor=operator, settings=settings, at=at, authorization_id=authorization_id
    )


def _agreement(
    session: Session,
    *,
    settings: Settings,
    at: datetime,
    plan_id: uuid.UUID,
    operator_code: str,
    scenario: str,
    purpose: str,
    resources: list[tuple[str, str]],
    clauses: AgreementClauses,
    selection_round_id: uuid.UUID | None,
    consult: bool = False,
) -> Authorization:
    bureau = _person(session, "sjj", Role.BUREAU)
    operator = _person(session, operator_code, Role.OPERATOR)
    assert operator.organization_id is not None
    # A consulted draft was made three weeks before its decision, to hear the parties first.
    drafted = at - timedelta(days=21) if consult else at
    created = service.create_authorization(
        session,
        actor=bureau,
        settings=settings,
        at=drafted,
        data=AuthorizationCreate(
            operator_id=operator.organization_id,
            plan_id=plan_id,
            selection_round_id=selection_round_id,
            mode="scenario",
            scenario=scenario,
            purpose=purpose,
            entry_ids=_entries(session, resources),
            clauses=clauses,
        ),
    )
    if consult:
        _consult_parties(session, created.id, opened=drafted, closed=at)
    service.submit(session, actor=bureau, at=at, authorization_id=created.id)
    service.decide(
        session,
        actor=bureau,
        at=at,
        authorization_id=created.id,
        data=_decision(f"{at.year}年第{at.month}次局务会", at),
    )
    _sign_both(session, created.id, operator_code, settings, at + timedelta(days=2))
    return created


def _register_parking_assets(
    session: Session, bureau: Principal, authorization_id: uuid.UUID, at: datetime
) -> None:
    """The software and hardware of the parking scenario, owned as its agreement sets."""
    for name, kind, owner in (
        ("泊位需求预测模型及源代码", "software", "government"),
        ("停车场边缘计算网关 6 台", "hardware", "operator"),
    ):
        assets.register(
            session,
            actor=bureau,
            at=at,
            authorization_id=authorization_id,
            name=name,
            kind=kind,
            owner=owner,
        )


def _attest_deletion(
    session: Session,
    bureau: Principal,
    operator: Principal,
    authorization_id: uuid.UUID,
    settings: Settings,
    exit_day: datetime,
) -> None:
    """The operator attests, signed, that its copies outside the platform are deleted; the
    bureau accepts it."""
    attestations.attest(
        session,
        actor=operator,
        settings=settings,
        at=exit_day + timedelta(days=5),
        authorization_id=authorization_id,
        statement="我公司已删除销毁在平台外留存的智慧停车场景授权数据副本及其衍生文件，无任何备份。",
        stream=io.BytesIO(
            "数据删除销毁承诺书\n辽宁海港数智科技有限公司已于退出之日起五日内删除平台外留存的"
            "全部授权数据副本（含导出结果和模型训练中间文件），特此承诺。\n".encode()
        ),
        filename="智慧停车数据删除销毁承诺书.txt",
    )
    attestations.check(
        session,
        actor=bureau,
        at=exit_day + timedelta(days=8),
        authorization_id=authorization_id,
        accept=True,
        note="已核对删除记录和承诺书，签名验证通过。",
    )


def seed_authorizations(
    database: Database,
    *,
    settings: Settings,
    now: datetime,
    rounds: dict[str, uuid.UUID],
) -> dict[str, Any]:
    """Create the demo's agreements unless there already are some; returns their ids."""
    with database.unit_of_work() as session:
        existing = session.scalars(select(Authorization)).all()
        if existing:
            return {a.scenario: str(a.id) for a in existing}
        bureau = _person(session, "sjj", Role.BUREAU)
        # Dates count back from today, so the story holds whenever the demo is built.
        today = now.astimezone(SHANGHAI).replace(hour=10, minute=0, second=0, microsecond=0)
        year_start = today - timedelta(days=330)
        plan = service.create_plan(
            session,
            actor=bureau,
            at=year_start,
            data=PlanIn(title="营口市公共数据授权运营实施方案（试行）", sections=PLAN_TEXT),
        )
        service.decide_plan(
            session,
            actor=bureau,
            at=year_start,
            plan_id=plan.id,
            data=_decision(f"{year_start.year}年第1次局务会", year_start),
        )

        # An agreement that ended by voluntary exit about three months ago.
        started = today - timedelta(days=300)
        parking = _agreement(
            session,
            settings=settings,
            at=started,
            plan_id=plan.id,
            operator_code="haigang",
            scenario="智慧停车",
            purpose="利用营运车辆数据为停车场提供泊位需求预测。",
            resources=[("jtj", "operating_vehicles")],
            clauses=_clauses("泊位需求预测", "按区域和时段预测停车需求的统计服务", 1200),
            selection_round_id=None,
        )
        derived.write(
            settings, parking.id, "parking-demand-by-district.parquet", b"district,hour,demand\n"
        )
        derived.write(settings, parking.id, "model-features.parquet", b"feature,weight\n")
        _register_parking_assets(session, bureau, parking.id, started + timedelta(days=20))
        operator = _person(session, "haigang", Role.OPERATOR)
        asked = today - timedelta(days=200)
        exit_on = (asked + timedelta(days=95)).date()
        request = exits.request_exit(
            session,
            actor=operator,
            settings=settings,
            at=asked,
            authorization_id=parking.id,
            data=ExitIn(
                letter=f"我公司因业务调整，申请自{exit_on.month}月{exit_on.day}日起退出智慧停车场景"
                "授权运营，并按协议完成交接和数据销毁。",
                exit_date=exit_on,
            ),
        )
        exits.decide_exit(
            session,
            actor=bureau,
            at=asked + timedelta(days=7),
            exit_id=request.id,
            approve=True,
            reason="提前期符合要求，同意退出。",
        )
        exit_day = asked + timedelta(days=95)
        endings.execute_exit(
            session, actor=bureau, settings=settings, at=exit_day, exit_id=request.id
        )
        for item in exits.handover_items(session, request.id):
            exits.mark_handover_done(
                session, actor=bureau, at=exit_day + timedelta(days=10), item_id=item.id
            )
        exits.record_asset(
            session,
            actor=bureau,
            at=exit_day + timedelta(days=10),
            exit_id=request.id,
            name="自购 GPU 服务器 2 台",
            kind="operator_investment",
            description="运营机构自有投入，退出后归运营机构。",
        )
        exits.complete_exit(
            session, actor=bureau, at=exit_day + timedelta(days=12), exit_id=request.id
        )
        _attest_deletion(session, bureau, operator, parking.id, settings, exit_day)

        signed = today - timedelta(days=30)
        finance = _agreement(
            session,
            settings=settings,
            at=signed,
            plan_id=plan.id,
            operator_code="ykdata",
            scenario="普惠金融",
            purpose="为银行等金融机构提供小微企业信用评估和贷前核验服务，缓解融资难。",
            resources=[
                ("scjgj", "enterprises"),
                ("swj", "tax_credit_ratings"),
                ("gjj", "provident_fund_accounts"),
                ("bdc", "property_registrations"),
                ("water", "water_bills"),
                ("power", "electricity_bills"),
            ],
            clauses=_clauses("小微企业信用画像", "基于经营、纳税、水电等数据的企业信用评分", 1500),
            selection_round_id=rounds.get("普惠金融"),
            consult=True,
        )
        jobs = _agreement(
            session,
            settings=settings,
            at=signed + timedelta(days=12),
            plan_id=plan.id,
            operator_code="haigang",
            scenario="就业服务",
            purpose="为人力资源机构提供就业状况核验和区域用工统计，服务稳就业。",
            resources=[("rsj", "social_insurance"), ("scjgj", "enterprises")],
            clauses=_clauses("就业状况核验", "经本人授权核验参保就业状态，仅返回是否一致", 1000),
            selection_round_id=rounds.get("就业服务"),
        )
        # A public-governance scenario: its product, population statistics, is free (N5).
        population = _agreement(
            session,
            settings=settings,
            at=signed + timedelta(days=18),
            plan_id=plan.id,
            operator_code="ykdata",
            scenario="人口发展监测",
            purpose="为政府部门和公众提供分区县、分年龄段的人口统计，服务公共治理和规划决策。",
            resources=[("gaj", "residents")],
            clauses=_clauses(
                "分区县人口统计", "按区县和年龄段统计户籍人口，小于阈值的分组不予输出", 0
            ),
            selection_round_id=None,
        )
        _file_operator_rules(session, settings=settings, signed=signed, today=today)
        return {
            "普惠金融": str(finance.id),
            "就业服务": str(jobs.id),
            "人口发展监测": str(population.id),
            "智慧停车": str(parking.id),
        }


#: What the parties said about the 普惠金融 draft, and how the bureau took it up:
#: (organization, role, part, comment, outcome, response).
_COMMENTS = (
    (
        "scjgj",
        Role.PROVIDER,
        "scope",
        "企业登记信息中自然人股东的身份证号须去标识化后方可用于信用评分，不得输出。",
        "adopted",
        "已在产品安全合规审查中明确：自然人身份信息一律去标识化，评分结果不含个人信息。",
    ),
    (
        "swj",
        Role.PROVIDER,
        "products",
        "纳税信用等级仅用于贷前评估，建议不对外展示原始等级。",
        "partly",
        "产品仅输出综合评分，不提供原始纳税信用等级；贷后管理用途待评估后另行约定。",
    ),
    (
        "ykdata",
        Role.OPERATOR,
        "revenue",
        "建议前两年政府分成比例降至10%，以覆盖平台对接和模型建设投入。",
        "not_adopted",
        "分成比例按实施方案确定为15%；年度评估后可按程序调整，调整以新版本协议记载。",
    ),
    (
        "czj",
        Role.FINANCE,
        "revenue",
        "请明确政府分成收入按季度缴入市级国库，授权运营收支单独核算。",
        "adopted",
        "核算与收益分配条款已载明按季度单独核算、缴入市级财政。",
    ),
)
#: Names the demo's comments are signed with, for the departments that have no login.
_COMMENTERS = {"scjgj": "市场监管局数据专员", "swj": "税务局数据专员"}


def _consult_parties(
    session: Session, authorization_id: uuid.UUID, *, opened: datetime, closed: datetime
) -> None:
    """The draft goes out for comments for five working days; four parties answer, the
    bureau records how it handled each and closes the round the day before the decision."""
    bureau = _person(session, "sjj", Role.BUREAU)
    round_ = comments.open_round(
        session,
        actor=bureau,
        at=opened,
        authorization_id=authorization_id,
        working_days=5,
        note="请重点审阅数据范围、产品安全合规审查和收益分配条款。",
    )
    for hour, (code, role, part, body, outcome, response) in enumerate(_COMMENTS, start=1):
        party = _person(session, code, role)
        if not party.display_name:
            party = replace(party, display_name=_COMMENTERS.get(code, code))
        filed = comments.comment(
            session,
            actor=party,
            at=opened + timedelta(days=1, hours=hour),
            round_id=round_.id,
            part=part,
            body=body,
        )
        comments.handle(
            session,
            actor=bureau,
            at=closed - timedelta(days=2),
            comment_id=filed.id,
            outcome=outcome,
            response=response,
        )
    # Five working days after opening is at most two weeks on (a Golden Week included).
    comments.close(session, actor=bureau, at=closed - timedelta(days=1), round_id=round_.id)


def _rules_pdf(title: str) -> bytes:
    """A one-page PDF saying ``title`` (ASCII): what the operator uploads in the demo."""
    stream = f"BT /F1 16 Tf 72 760 Td ({title}) Tj ET".encode()
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</Font<</F1 4 0 R>>>>"
        b"/Contents 5 0 R>>",
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
        b"<</Length %d>>stream\n%s\nendstream" % (len(stream), stream),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _file_operator_rules(
    session: Session, *, settings: Settings, signed: datetime, today: datetime
) -> None:
    """营口数据集团 files its three kinds of rules after signing: the bureau acknowledged the
    governance and security rules; the trading rules, a PDF, wait for it."""
    operator = _person(session, "ykdata", Role.OPERATOR)
    bureau = _person(session, "sjj", Role.BUREAU)
    texts = {
        "governance": (
            "营口数据集团公共数据治理制度",
            "第一条 为规范公共数据授权运营中的数据治理，明确数据分类分级、质量、元数据和"
            "全生命周期管理要求，制定本制度。\n第二条 公司设数据治理委员会，统筹数据治理工作。",
        ),
        "security": (
            "营口数据集团数据安全管理制度",
            "第一条 公司落实数据安全主体责任，建立数据安全管理、风险监测预警和应急处置机制。\n"
            "第二条 授权数据仅在市公共数据授权运营平台内加工使用，原始数据不出平台。",
        ),
    }
    for n, (kind, (title, body)) in enumerate(texts.items()):
        rule = operator_rules.file(
            session,
            actor=operator,
            settings=settings,
            at=signed + timedelta(days=5 + n),
            kind=kind,
            title=title,
            body=body,
        )
        operator_rules.review(
            session,
            actor=bureau,
            at=signed + timedelta(days=8 + n),
            rule_id=rule.id,
            acknowledge=True,
            note="内容完整，予以确认。",
        )
    operator_rules.file(
        session,
        actor=operator,
        settings=settings,
        at=today - timedelta(days=3),
        kind="trading",
        title="营口数据集团数据产品交易管理制度",
        stream=io.BytesIO(_rules_pdf("Yingkou Data Group: Data Product Trading Rules")),
        filename="数据产品交易管理制度.pdf",
    )
