"""The checklist items the bureau starts with (R2.6, R2.7, R2.8, R2.10).

They are written to ``operator_checklist_items`` when that table is empty; from then on the
bureau keeps the list in the console (adds, rewords, deactivates, reorders).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class DefaultItem:
    key: str
    requirement: str
    title_zh: str
    title_en: str
    description_zh: str
    description_en: str
    evidence_required: bool = True


DEFAULT_ITEMS: Final = (
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
        "数据加工、分析、建模和产品开发的技术能力说明及案例。",
        "Technical capacity to process, analyse and model data and build products, with cases.",
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
