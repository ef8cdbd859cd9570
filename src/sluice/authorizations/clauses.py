"""What an agreement may grant and the clauses it must record (R3.2, R3.4, N1).

The clause texts below are the city's model wording: the bureau edits them per agreement,
but none may be left empty, because N1 lists each as a required part of the agreement.
"""

from __future__ import annotations

from typing import Final

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sluice.core.i18n import add_messages, translate

MODES: Final = ("whole", "domain", "scenario")

#: The only rights an authorization grants (R3.4): use, and operating products.
GRANTABLE_RIGHTS: Final = ("processing", "product_operation")
#: Rights that are never granted; naming one is refused with its own message.
NEVER_GRANTED: Final = ("ownership", "holding")

add_messages(
    {
        "mode.whole": ("整体授权", "Whole"),
        "mode.domain": ("分领域授权", "By domain"),
        "mode.scenario": ("依场景授权", "By scenario"),
        "right.processing": ("数据加工使用权", "Right to process and use the data"),
        "right.product_operation": ("数据产品经营权", "Right to operate data products"),
        "right.ownership": ("数据所有权", "Ownership"),
        "right.holding": ("数据资源持有权", "Right to hold the data"),
        "rights.excluded": (
            "本协议不转让公共数据的所有权，也不授予数据资源持有权；运营机构仅在授权场景内"
            "加工使用数据并经营数据产品，不得直接或间接向第三方提供原始数据。",
            "This agreement transfers no ownership of public data and grants no right to hold "
            "it; the operator may only process and use the data, and operate data products, "
            "within the authorized scenario, and may not pass raw data to any third party "
            "directly or indirectly.",
        ),
    }
)


class ProductClause(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=2000)
    #: How the product passes security and compliance review before it is offered.
    review: str = Field(min_length=1, max_length=2000)


class RevenueClause(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    #: The government's share of operating revenue, in basis points (10000 = 100 %).
    government_share_bp: int = Field(ge=0, le=10000)
    method: str = Field(min_length=1, max_length=4000)


#: The text clauses in the order the agreement shows them, with their titles.
TEXT_CLAUSES: Final = (
    ("platform", "运营平台", "Platform"),
    ("asset_ownership", "资产权属", "Ownership of assets"),
    ("disclosure", "信息披露", "Disclosure duties"),
    ("security", "安全与风险监测", "Security and risk monitoring"),
    ("evaluation_renewal_exit", "评估、续期与退出", "Evaluation, renewal and exit"),
    ("liability", "违约责任", "Liability"),
    ("disputes", "争议解决", "Disputes"),
    ("change_termination", "变更与终止", "Change and termination"),
)

add_messages({f"clause.{key}": (zh, en) for key, zh, en in TEXT_CLAUSES})
add_messages(
    {
        "clause.scope": ("数据资源范围和目录", "Resource scope and catalog"),
        "clause.term": ("授权期限", "Term"),
        "clause.products": ("数据产品清单及安全合规审查", "Products and their review"),
        "clause.revenue": ("核算与收益分配", "Accounting and revenue split"),
    }
)

#: The parts N1 requires every agreement to record, in the order the document shows them,
#: each with the label it goes by (``clause.<key>``). Scope and term are articles of their
#: own; the rest are the clauses above. Parties commenting on a draft name one of them.
N1_PARTS: Final = (
    "term",
    "scope",
    "products",
    "revenue",
    *(key for key, _, _ in TEXT_CLAUSES),
)

DEFAULT_TEXT: Final[dict[str, str]] = {
    "platform": "运营机构应当在市公共数据授权运营平台内开展数据加工、产品开发和服务提供，"
    "原始数据不出平台，数据产品和服务经平台对外提供。",
    "asset_ownership": "授权运营形成的公共数据资产和开发的数据产品归政府所有；运营机构自行"
    "投入形成的资产归运营机构所有。",
    "disclosure": "运营机构应当按规定公开授权范围、数据产品和服务清单、收费标准、收益分配"
    "及安全事件处置情况，接受社会监督。",
    "security": "运营机构应当落实数据安全主体责任，建立安全管理制度、风险监测预警和应急"
    "处置机制，定期开展安全培训和演练。",
    "evaluation_renewal_exit": "授权期满前由数据局组织评估，评估合格的可以续期；运营机构"
    "自愿退出的，应当至少提前三个月书面申请；违法违规或发生重大安全事件且整改不到位的，"
    "依法终止授权。",
    "liability": "任何一方违反本协议约定的，应当承担相应违约责任；造成损失的，依法承担赔偿责任。",
    "disputes": "因本协议产生的争议，双方协商解决；协商不成的，依法向数据局所在地人民法院"
    "提起诉讼。",
    "change_termination": "授权范围的扩大、调整或撤回以新版本协议记载；授权终止时，运营"
    "机构的平台访问立即关闭，留存数据依规删除销毁并出具证明。",
}


class AgreementClauses(BaseModel):
    """The N1 clauses that are not the scope or the term (those have their own fields)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    products: list[ProductClause] = Field(min_length=1)
    revenue: RevenueClause
    platform: str = Field(default=DEFAULT_TEXT["platform"], min_length=1, max_length=4000)
    asset_ownership: str = Field(
        default=DEFAULT_TEXT["asset_ownership"], min_length=1, max_length=4000
    )
    disclosure: str = Field(default=DEFAULT_TEXT["disclosure"], min_length=1, max_length=4000)
    security: str = Field(default=DEFAULT_TEXT["security"], min_length=1, max_length=4000)
    evaluation_renewal_exit: str = Field(
        default=DEFAULT_TEXT["evaluation_renewal_exit"], min_length=1, max_length=4000
    )
    liability: str = Field(default=DEFAULT_TEXT["liability"], min_length=1, max_length=4000)
    disputes: str = Field(default=DEFAULT_TEXT["disputes"], min_length=1, max_length=4000)
    change_termination: str = Field(
        default=DEFAULT_TEXT["change_termination"], min_length=1, max_length=4000
    )

    @field_validator("products")
    @classmethod
    def _distinct_products(cls, products: list[ProductClause]) -> list[ProductClause]:
        names = [p.name for p in products]
        if len(set(names)) != len(names):
            raise ValueError("product names must be distinct")
        return products


def right_labels(rights: list[str], locale: str) -> list[str]:
    return [translate(f"right.{r}", locale) for r in rights]
