"""Seeds the demo city's qualified operators (R2): 营口数据集团 and 辽宁海港数智科技.

Each company applies through the qualification service like a real applicant would:
company details, principal persons, an ownership graph walked up to the state assets
commission, last year's statements, a statement and a document for every checklist item.
The application is submitted (the automated checks run), the bureau judges the checklist
and qualifies it. Idempotent: a company already qualified is left as it is.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from sluice.core.clock import Clock
from sluice.core.permissions import OrgKind, Role
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.identity import repository as identity_repository
from sluice.operators import applications, checklist, dossier, repository, review
from sluice.operators.ownership import NodeKind, Relation
from sluice.operators.qualified import qualified_application
from sluice.operators.schemas import (
    ApplicationCreate,
    AuditOpinion,
    BusinessStatus,
    Decision,
    EntityCreate,
    FinancialsIn,
    Judgment,
    LinkCreate,
    PrincipalCreate,
)

YI = 10_000_000_000  # 1 亿元 in fen
WAN = 1_000_000  # 1 万元 in fen


@dataclass(frozen=True)
class DemoEntity:
    name: str
    kind: NodeKind = NodeKind.COMPANY
    jurisdiction: str = "CN"


@dataclass(frozen=True)
class DemoLink:
    holder: str  # entity name; "" is the applicant itself
    held: str
    relation: Relation = Relation.SHAREHOLDER
    share_bp: int | None = 10000


@dataclass(frozen=True)
class DemoApplicant:
    code: str
    legal_representative: str
    registered_address: str
    established_on: date
    registered_capital_fen: int
    business_scope: str
    principals: tuple[tuple[str, str], ...]
    entities: tuple[DemoEntity, ...]
    links: tuple[DemoLink, ...]
    total_assets_fen: int
    total_liabilities_fen: int
    revenue_fen: int
    net_profit_fen: int
    committed_funds_fen: int
    auditor: str
    decision: str


#: Operators that meet processing capacity by relying on the bureau's platform (R2.6).
RELIES_ON_PLATFORM = frozenset({"haigang"})

STATE_SASAC_YK = "营口市人民政府国有资产监督管理委员会"
STATE_SASAC_LN = "辽宁省人民政府国有资产监督管理委员会"

APPLICANTS = (
    DemoApplicant(
        code="ykdata",
        legal_representative="刘东升",
        registered_address="辽宁省营口市站前区渤海大街西 18 号",
        established_on=date(2021, 6, 18),
        registered_capital_fen=1 * YI,
        business_scope="数据处理和存储支持服务；数据资源开发利用；信息技术咨询服务；软件开发。",
        principals=(
            ("刘东升", "董事长、法定代表人"),
            ("陈晓", "总经理"),
            ("王丽", "财务总监"),
        ),
        entities=(
            DemoEntity("营口市国有资本投资运营集团有限公司"),
            DemoEntity("营口市财信投资有限公司"),
            DemoEntity(STATE_SASAC_YK, NodeKind.GOVERNMENT),
            DemoEntity("营口数据科技服务有限公司"),
        ),
        links=(
            DemoLink("营口市国有资本投资运营集团有限公司", "", share_bp=7000),
            DemoLink("营口市财信投资有限公司", "", share_bp=3000),
            DemoLink("营口市国有资本投资运营集团有限公司", "营口市财信投资有限公司"),
            DemoLink(STATE_SASAC_YK, "营口市国有资本投资运营集团有限公司"),
            DemoLink(STATE_SASAC_YK, "", Relation.CONTROLLER, None),
            DemoLink("", "营口数据科技服务有限公司"),
        ),
        total_assets_fen=86_000 * WAN,
        total_liabilities_fen=31_000 * WAN,
        revenue_fen=23_000 * WAN,
        net_profit_fen=1_800 * WAN,
        committed_funds_fen=5_000 * WAN,
        auditor="辽宁正源会计师事务所有限公司",
        decision="经审核，申请单位为市国资委实际控制的国有企业，股权逐级穿透均为境内资本，"
        "财务、技术、管理和安全条件均符合实施方案第二部分要求，认定具备运营机构资格。",
    ),
    DemoApplicant(
        code="haigang",
        legal_representative="赵海峰",
        registered_address="辽宁省营口市鲅鱼圈区新港大路 1 号",
        established_on=date(2019, 9, 2),
        registered_capital_fen=YI // 2,
        business_scope="港航物流数据服务；物联网技术服务；大数据服务；信息系统集成服务。",
        principals=(
            ("赵海峰", "董事长、法定代表人"),
            ("孙晓燕", "总经理"),
        ),
        entities=(
            DemoEntity("营口港湾投资控股有限公司"),
            DemoEntity("辽宁港湾集团有限公司"),
            DemoEntity(STATE_SASAC_LN, NodeKind.GOVERNMENT),
            DemoEntity("营口海创信息技术合伙企业（有限合伙）", NodeKind.OTHER),
            DemoEntity("张海", NodeKind.PERSON),
            DemoEntity("李岩", NodeKind.PERSON),
            DemoEntity("营口港湾物流有限公司"),
        ),
        links=(
            DemoLink("营口港湾投资控股有限公司", "", share_bp=6000),
            DemoLink("营口海创信息技术合伙企业（有限合伙）", "", share_bp=4000),
            DemoLink("辽宁港湾集团有限公司", "营口港湾投资控股有限公司"),
            DemoLink(STATE_SASAC_LN, "辽宁港湾集团有限公司"),
            DemoLink(STATE_SASAC_LN, "", Relation.CONTROLLER, None),
            DemoLink("张海", "营口海创信息技术合伙企业（有限合伙）", share_bp=7000),
            DemoLink("李岩", "营口海创信息技术合伙企业（有限合伙）", share_bp=3000),
            DemoLink("", "营口港湾物流有限公司", Relation.AFFILIATE, None),
            DemoLink("营口港湾投资控股有限公司", "营口港湾物流有限公司"),
        ),
        total_assets_fen=32_000 * WAN,
        total_liabilities_fen=15_000 * WAN,
        revenue_fen=9_600 * WAN,
        net_profit_fen=640 * WAN,
        committed_funds_fen=2_000 * WAN,
        auditor="大连港城会计师事务所有限公司",
        decision="经审核，申请单位股权及关联方穿透均为境内资本，实际控制人为省国资委；财务和安全"
        "条件符合要求，港航数据处理经验与能力材料充分，认定具备运营机构资格。",
    ),
)

REVIEWER = Principal.system("demo")


def _applicant_principal(organization_id: uuid.UUID, code: str) -> Principal:
    return Principal(
        username=f"demo:{code}",
        via="system",
        organization_id=organization_id,
        organization_kind=OrgKind.OPERATOR,
        roles=frozenset({Role.OPERATOR}),
    )


def seed_operators(session: Session, *, clock: Clock, settings: Settings) -> list[uuid.UUID]:
    """Qualify the demo operators; returns their qualified applications' ids."""
    qualified: list[uuid.UUID] = []
    for demo in APPLICANTS:
        organization = identity_repository.organization_by_code(session, demo.code)
        if organization is None:
            continue
        existing = qualified_application(session, organization.id)
        if existing is not None:
            qualified.append(existing.id)
            continue
        if repository.open_application(session, organization.id) is not None:
            continue  # someone is working on it in the console; leave it to them
        actor = _applicant_principal(organization.id, demo.code)
        application_id = _apply(session, clock=clock, settings=settings, actor=actor, demo=demo)
        _review(session, clock=clock, settings=settings, application_id=application_id, demo=demo)
        qualified.append(application_id)
    return qualified


def _apply(
    session: Session, *, clock: Clock, settings: Settings, actor: Principal, demo: DemoApplicant
) -> uuid.UUID:
    application = applications.create_application(
        session,
        actor=actor,
        clock=clock,
        data=ApplicationCreate(
            legal_representative=demo.legal_representative,
            registered_address=demo.registered_address,
            established_on=demo.established_on,
            registered_capital_fen=demo.registered_capital_fen,
            business_scope=demo.business_scope,
            business_status=BusinessStatus.EXISTING,
        ),
    )
    app_id = application.id
    for name, position in demo.principals:
        dossier.add_principal(
            session,
            actor=actor,
            clock=clock,
            application_id=app_id,
            data=PrincipalCreate(name=name, position=position),
        )
    ids = {"": repository.applicant_entity(session, app_id).id}
    for entity in demo.entities:
        created = dossier.add_entity(
            session,
            actor=actor,
            clock=clock,
            application_id=app_id,
            data=EntityCreate(kind=entity.kind, name=entity.name, jurisdiction=entity.jurisdiction),
        )
        ids[entity.name] = created.id
    for link in demo.links:
        dossier.add_link(
            session,
            actor=actor,
            clock=clock,
            application_id=app_id,
            data=LinkCreate(
                holder_id=ids[link.holder],
                held_id=ids[link.held],
                relation=link.relation,
                share_bp=link.share_bp,
            ),
        )
    dossier.save_financials(
        session,
        actor=actor,
        clock=clock,
        application_id=app_id,
        data=FinancialsIn(
            fiscal_year=dossier.today(clock).year - 1,
            total_assets_fen=demo.total_assets_fen,
            total_liabilities_fen=demo.total_liabilities_fen,
            net_assets_fen=demo.total_assets_fen - demo.total_liabilities_fen,
            revenue_fen=demo.revenue_fen,
            net_profit_fen=demo.net_profit_fen,
            committed_funds_fen=demo.committed_funds_fen,
            audit_opinion=AuditOpinion.UNQUALIFIED,
            auditor=demo.auditor,
        ),
    )
    company = application.company_name
    for item in checklist.checklist_items(session, actor=actor, clock=clock, active_only=True):
        relies = item.accepts_platform_reliance and demo.code in RELIES_ON_PLATFORM
        dossier.save_statement(
            session,
            actor=actor,
            clock=clock,
            application_id=app_id,
            item_key=item.key,
            statement=f"{company}依托市公共数据授权运营平台开展数据加工处理（演示数据）。"
            if relies
            else f"{company}已建立{item.title_zh}相关材料，详见附件（演示数据）。",
            relies_on_platform=relies,
        )
        if relies:
            continue  # met through the bureau's platform: no evidence of its own
        document = (
            f"{company}\n{item.title_zh}（{item.requirement}）\n\n{item.description_zh}\n\n"
            "本文件为营口市公共数据授权运营平台演示材料。\n"
        )
        dossier.upload_evidence(
            session,
            actor=actor,
            clock=clock,
            settings=settings,
            application_id=app_id,
            stream=io.BytesIO(document.encode()),
            filename=f"{demo.code}-{item.key}.txt",
            content_type="text/plain; charset=utf-8",
            title=item.title_zh,
            item_key=item.key,
        )
    review.submit(session, actor=actor, clock=clock, settings=settings, application_id=app_id)
    return app_id


def _review(
    session: Session,
    *,
    clock: Clock,
    settings: Settings,
    application_id: uuid.UUID,
    demo: DemoApplicant,
) -> None:
    for item in checklist.checklist_items(session, actor=REVIEWER, clock=clock, active_only=True):
        review.judge_item(
            session,
            actor=REVIEWER,
            clock=clock,
            application_id=application_id,
            item_key=item.key,
            judgment=Judgment.MET,
            note="材料齐全，符合要求。",
        )
    review.decide(
        session,
        actor=REVIEWER,
        clock=clock,
        settings=settings,
        application_id=application_id,
        decision=Decision.QUALIFY,
        reason=demo.decision,
    )
