"""The checklist the reviewer judges by hand (R2.1, R2.6, R2.7, R2.8, R2.10): its items and
the answers to them.

The items the bureau starts with are written to ``operator_checklist_items`` when that table
is empty; from then on the bureau keeps the list in the console (adds, rewords, deactivates,
reorders). An application answers each active item with a statement and evidence
(``dossier``); the reviewer judges it met or not met (``review``). An item that accepts it
(processing capacity, R2.6) may instead be met by relying on the platform the bureau
provides: the applicant says so, needs no evidence of its own for it, and the reviewer sees
that path on the item. Deployments whose checklist existed before an item was added get it
from the migration that added it (``0013`` for the R2.1 items).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from sqlalchemy.orm import Session

from sluice.audit import service as audit
from sluice.core.clock import Clock
from sluice.core.errors import Conflict, NotFound
from sluice.core.i18n import MessageList, MessageRef, add_messages
from sluice.core.permissions import Permission
from sluice.core.principal import Principal
from sluice.operators import guards, repository
from sluice.operators.models import OperatorChecklistAnswer, OperatorChecklistItem
from sluice.operators.schemas import ChecklistItemCreate, ChecklistItemUpdate


@dataclass(frozen=True)
class DefaultItem:
    key: str
    requirement: str
    title_zh: str
    title_en: str
    description_zh: str
    description_en: str
    evidence_required: bool = True
    accepts_platform_reliance: bool = False


DEFAULT_ITEMS: Final = (
    DefaultItem(
        "civil_liability",
        "R2.1",
        "独立承担民事责任的能力",
        "Able to bear civil liability on its own",
        "营业执照、公司章程，以及以自有财产独立承担民事责任的说明（注册资本实缴情况、最近一期资产负债表）。"
        "平台自动核验统一社会信用代码和登记状态。",
        "Business licence, articles of association and a statement that the company answers "
        "for its obligations with its own assets (paid-in capital, latest balance sheet). The "
        "platform checks the credit code and the registration status itself.",
    ),
    DefaultItem(
        "fair_competition",
        "R2.1",
        "遵守公平竞争规则",
        "Follows fair-competition rules",
        "遵守公平竞争规则的承诺书（盖章），以及近三年无垄断、不正当竞争行政处罚或司法判决的说明。",
        "A sealed commitment to fair competition and a statement that no monopoly or "
        "unfair-competition penalty or judgment was made against the company in the last "
        "three years.",
    ),
    DefaultItem(
        "business_reputation",
        "R2.1",
        "良好的商业信誉",
        "Sound business standing and reputation",
        "企业信用报告（国家企业信用信息公示系统、信用中国）及主要合作方的履约评价。"
        "平台自动核验登记状态和信用记录。",
        "Credit reports (national enterprise credit information publicity system, Credit "
        "China) and main partners' references on performance. The platform checks the "
        "registration status and the credit records itself.",
    ),
    DefaultItem(
        "data_management_rules",
        "R2.6",
        "数据管理制度和流程",
        "Data management rules and processes",
        "数据全生命周期管理制度、数据质量管理和数据分类分级流程文件。",
        "Rules for the whole data life cycle, data quality management and data "
        "classification procedures.",
    ),
    DefaultItem(
        "data_processing",
        "R2.6",
        "数据处理能力",
        "Data processing capacity",
        "数据加工、分析、建模和产品开发的技术能力说明及案例；也可依托实施机构提供的运营平台开展业务，"
        "选择此方式的无须另附本项证明材料。",
        "Technical capacity to process, analyse and model data and build products, with "
        "cases; or rely on the platform the bureau provides, in which case this item needs no "
        "evidence of its own.",
        accepts_platform_reliance=True,
    ),
    DefaultItem(
        "pricing_experience",
        "R2.6",
        "定价交易与收益分配经验",
        "Pricing, trading and revenue-distribution experience",
        "数据产品定价、交易和收益分配的经验或方案。",
        "Experience with, or a plan for, pricing and trading data products and distributing "
        "revenue.",
    ),
    DefaultItem(
        "premises",
        "R2.7",
        "经营场所",
        "Business premises",
        "在本市有固定经营场所的产权证明或租赁合同。",
        "Title deed or lease of fixed business premises in the city.",
    ),
    DefaultItem(
        "hardware_software",
        "R2.7",
        "软硬件条件",
        "Hardware and software",
        "开展授权运营所需的软硬件设施清单。",
        "The hardware and software the authorized operation needs.",
    ),
    DefaultItem(
        "qualifications",
        "R2.7",
        "资质证书",
        "Qualification certificates",
        "信息安全、数据管理等相关资质证书（如等级保护测评、DCMM、ISO 27001）。",
        "Relevant certificates (e.g. classified protection assessment, DCMM, ISO 27001).",
    ),
    DefaultItem(
        "staff",
        "R2.7",
        "专业人员",
        "Professional staff",
        "数据、技术、安全、法务等专业人员名单及资质。",
        "Data, technical, security and legal staff and their qualifications.",
    ),
    DefaultItem(
        "compliance_system",
        "R2.7",
        "合规制度",
        "Compliance system",
        "合规管理制度、合规负责人及审查流程。",
        "Compliance rules, the person responsible and the review process.",
    ),
    DefaultItem(
        "security_rules",
        "R2.8",
        "内部安全管理制度",
        "Internal security rules",
        "网络安全和数据安全管理制度、应急预案、安全责任人。",
        "Network and data security rules, emergency plans, the person responsible.",
    ),
    DefaultItem(
        "platform_commitment",
        "R2.8",
        "使用指定平台承诺",
        "Commitment to use the designated platform",
        "承诺所有授权数据的加工处理均在市公共数据授权运营平台内进行（盖章承诺书）。",
        "A sealed commitment that all processing of authorized data happens inside the city's "
        "designated platform.",
    ),
    DefaultItem(
        "other_legal_conditions",
        "R2.10",
        "法律法规规定的其他条件",
        "Further conditions set by law",
        "符合法律、行政法规规定的其他条件的承诺书。",
        "A commitment that the further conditions set by laws and administrative regulations "
        "are met.",
    ),
)


ITEM_ENTITY = "operator_checklist_item"


audit.declare_actions(
    {
        f"{ITEM_ENTITY}.created": ("新增资格审核清单项", "Checklist item created"),
        f"{ITEM_ENTITY}.changed": ("修改资格审核清单项", "Checklist item changed"),
        f"{ITEM_ENTITY}.seeded": ("初始化资格审核清单", "Default checklist created"),
    }
)


add_messages(
    {
        "operators.item_unknown": (
            "没有启用中的清单项“{key}”。",
            "There is no active checklist item '{key}'.",
        ),
        "operators.item_key_taken": (
            "清单项标识“{key}”已被使用。",
            "The checklist item key '{key}' is taken.",
        ),
    }
)


class Bilingual(MessageRef):
    """Text the bureau typed in both languages (a checklist item's title) as a parameter."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__("")
        self.zh = zh
        self.en = en

    def render(self, locale: str) -> str:
        return self.en if locale == "en" and self.en else self.zh


def titles(items: Iterable[OperatorChecklistItem]) -> MessageList:
    return _Titles([Bilingual(i.title_zh, i.title_en) for i in items])


class _Titles(MessageList):
    def __init__(self, titles: list[Bilingual]) -> None:
        super().__init__([])
        self.titles = titles

    def render(self, locale: str) -> str:
        separator = "、" if locale == "zh-CN" else ", "
        return separator.join(t.render(locale) for t in self.titles) or "—"


def ensure_default_items(session: Session, *, clock: Clock) -> None:
    """Write the default checklist when the bureau has none yet."""
    if repository.item_count(session):
        return
    now = clock.now()
    for position, item in enumerate(DEFAULT_ITEMS, start=1):
        session.add(
            OperatorChecklistItem(
                key=item.key,
                requirement=item.requirement,
                title_zh=item.title_zh,
                title_en=item.title_en,
                description_zh=item.description_zh,
                description_en=item.description_en,
                evidence_required=item.evidence_required,
                accepts_platform_reliance=item.accepts_platform_reliance,
                active=True,
                position=position * 10,
                created_at=now,
                updated_at=now,
            )
        )
    session.flush()
    audit.record(
        session,
        actor=Principal.system("operators"),
        action=f"{ITEM_ENTITY}.seeded",
        target_type=ITEM_ENTITY,
        target_id="default",
        at=now,
        detail={"keys": [item.key for item in DEFAULT_ITEMS]},
    )


def checklist_items(
    session: Session, *, actor: Principal, clock: Clock, active_only: bool = False
) -> list[OperatorChecklistItem]:
    guards.require_any(
        actor, Permission.OPERATORS_READ, Permission.OPERATORS_APPLY, Permission.OPERATORS_REVIEW
    )
    ensure_default_items(session, clock=clock)
    return repository.items(session, active_only=active_only)


def create_item(
    session: Session, *, actor: Principal, clock: Clock, data: ChecklistItemCreate
) -> OperatorChecklistItem:
    actor.require(Permission.OPERATORS_REVIEW)
    ensure_default_items(session, clock=clock)
    if repository.item_by_key(session, data.key) is not None:
        raise Conflict("operators.item_key_taken", key=data.key)
    now = clock.now()
    item = OperatorChecklistItem(**data.model_dump(), created_at=now, updated_at=now)
    session.add(item)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=f"{ITEM_ENTITY}.created",
        target_type=ITEM_ENTITY,
        target_id=item.key,
        at=now,
        detail=data.model_dump(),
    )
    return item


def update_item(
    session: Session, *, actor: Principal, clock: Clock, key: str, data: ChecklistItemUpdate
) -> OperatorChecklistItem:
    actor.require(Permission.OPERATORS_REVIEW)
    item = repository.item_by_key(session, key)
    if item is None:
        raise NotFound("operators.item_unknown", key=key)
    changes = data.model_dump(exclude_none=True)
    for name, value in changes.items():
        setattr(item, name, value)
    now = clock.now()
    item.updated_at = now
    audit.record(
        session,
        actor=actor,
        action=f"{ITEM_ENTITY}.changed",
        target_type=ITEM_ENTITY,
        target_id=item.key,
        at=now,
        detail=changes,
    )
    return item


def active_item(session: Session, key: str, field: str = "item_key") -> OperatorChecklistItem:
    item = repository.item_by_key(session, key)
    if item is None or not item.active:
        raise guards.invalid("operators.item_unknown", field, key=key)
    return item


def relies_on_platform(item: OperatorChecklistItem, answer: OperatorChecklistAnswer | None) -> bool:
    """The applicant meets ``item`` by relying on the bureau's platform, and may."""
    return bool(answer and answer.relies_on_platform and item.accepts_platform_reliance)


def needs_evidence(
    item: OperatorChecklistItem,
    answer: OperatorChecklistAnswer | None,
    attached: bool,
) -> bool:
    """Evidence is still to be uploaded for ``item`` before the application can go in."""
    return item.evidence_required and not attached and not relies_on_platform(item, answer)


def answer_row(
    session: Session, application_id: uuid.UUID, item_id: uuid.UUID
) -> OperatorChecklistAnswer:
    answer = repository.answer(session, application_id=application_id, item_id=item_id)
    if answer is None:
        answer = OperatorChecklistAnswer(application_id=application_id, item_id=item_id)
        session.add(answer)
    return answer
