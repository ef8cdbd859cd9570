"""The demo city's data products (issue 12): four products on the market, each declared by
its operator in the workspace of an agreement in force, reviewed by the bureau and listed.

* **小微企业信用画像** (``sme-credit-score``, 营口数据集团 under 普惠金融): a score from 0 to
  100 about one enterprise, from its tax credit ratings, its provident-fund headcount and how
  punctually it pays its water and power bills; the enterprise's consent is needed; ¥2.00 a
  call under the bureau's cap for finance scores. Registered by the data centre through the
  registration workflow (application, acceptance, formal review, ten working days of public
  notice, certificate), so the market shows its registration code.
* **就业状况核验** (``employment-verification``, 辽宁海港数智 under 就业服务): is this person,
  by ID number and name, insured by this employer? ``match`` or ``no_match``; the person's
  consent is needed; ¥1.50 a call.
* **分区县人口统计** (``population-by-district-age``, 营口数据集团 under 人口发展监测): registered
  residents by district and age band, groups under the export threshold suppressed; public
  governance, so free (N5), and about no single person, so no consent.
* **不动产权属核验** (``property-ownership-verification``, 营口数据集团 under 普惠金融): does
  this person, by ID number and name (and, if given, the property's address), hold a title?
  The 普惠金融 agreement did not name it, so 营口数据集团 first files an amendment adding it,
  which the bureau countersigns; the person's consent is needed; ¥2.00 a call.

Everything goes through the services with the clock set to when each step happened, counted
from the day each agreement took effect. Idempotent: a product whose code exists is left as
it is, and so is a cap or a registration already there.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, Final

from sqlalchemy.orm import Session

from sluice.authorizations import service as authorizations
from sluice.core.clock import SHANGHAI, local
from sluice.core.database import Database
from sluice.core.paging import ListQuery
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.core.workdays import add_working_days
from sluice.demo import regions
from sluice.identity import repository as identity_repository
from sluice.identity import service as identity
from sluice.products import pricing
from sluice.products import service as products
from sluice.products.registration_kind import KIND as PRODUCT_KIND
from sluice.products.schemas import ProductIn
from sluice.registration import service as registration
from sluice.registration.models import RegistrationApplication
from sluice.sandbox import workspaces

#: The bureau's caps for the priced classes (fen per unit) and the grounds it gives.
CAPS: Final = (
    ("score", "industry:finance", 500),
    ("verification", "industry:finance", 300),
)
CAP_REASON: Final = (
    "依据《营口市公共数据产品和服务价格管理办法（试行）》，参照同类核验、评分服务市场价格核定。"
)
#: Who reviews for the bureau, and who registers for the data centre.
BUREAU: Final = "bureau"
REGISTRY: Final = "registry"
LOAN: Final = "贷前审查"
INSURANCE: Final = "投保资格核验"
PLANNING: Final = "区域规划研究"

_DISTRICT_CASE: Final = (
    "CASE district_code "
    + " ".join(f"WHEN '{d.code}' THEN '{d.name_zh}'" for d in regions.DISTRICTS)
    + " ELSE '其他' END"
)
#: Age on the day the statistics are asked, by birth year (a year is as fine as the
#: column rule lets a birth date be grouped).
_AGE = "year(current_date) - year(birth_date)"
_AGE_BAND: Final = (
    f"CASE WHEN {_AGE} < 18 THEN '0-17岁' WHEN {_AGE} < 35 THEN '18-34岁' "
    f"WHEN {_AGE} < 60 THEN '35-59岁' ELSE '60岁及以上' END"
)

#: The credit score: 40 to start with, up to 30 for the tax credit rating of the last three
#: years, up to 15 for staff paying into the provident fund, up to 15 for paying the water
#: and power bills on time; each part names its reason.
SCORE_SQL: Final = """-- 小微企业信用画像：基础分 40，纳税信用、公积金缴存职工、水电按时缴费另计
SELECT 40 + t.points + f.points + u.points AS score,
       concat_ws(',', t.reason, f.reason, u.reason) AS reasons
FROM (SELECT CASE max(CASE rating WHEN 'A' THEN 4 WHEN 'B' THEN 3 WHEN 'M' THEN 2
                                  WHEN 'C' THEN 1 ELSE 0 END)
               WHEN 4 THEN 30 WHEN 3 THEN 22 WHEN 2 THEN 15 WHEN 1 THEN 5 ELSE 0 END AS points,
             CASE max(CASE rating WHEN 'A' THEN 4 WHEN 'B' THEN 3 WHEN 'M' THEN 2
                                  WHEN 'C' THEN 1 ELSE 0 END)
               WHEN 4 THEN 'tax_a' WHEN 3 THEN 'tax_b' WHEN 2 THEN 'tax_m'
               WHEN 1 THEN 'tax_low' WHEN 0 THEN 'tax_low' ELSE 'tax_none' END AS reason
      FROM swj_tax_credit_ratings
      WHERE uscc_token = :subject AND rating_year >= 2023) AS t,
     (SELECT CASE WHEN count(DISTINCT id_number_token) >= 10 THEN 15
                  WHEN count(DISTINCT id_number_token) >= 3 THEN 10
                  WHEN count(DISTINCT id_number_token) >= 1 THEN 5 ELSE 0 END AS points,
             CASE WHEN count(DISTINCT id_number_token) >= 3 THEN 'staff_steady'
                  WHEN count(DISTINCT id_number_token) >= 1 THEN 'staff_few'
                  ELSE 'staff_none' END AS reason
      FROM gjj_provident_fund_accounts
      WHERE employer_uscc_token = :subject AND status = '正常') AS f,
     (SELECT CASE WHEN count(*) = 0 THEN 5
                  WHEN avg(CASE WHEN on_time THEN 1 ELSE 0 END) >= 0.9 THEN 15
                  WHEN avg(CASE WHEN on_time THEN 1 ELSE 0 END) >= 0.7 THEN 8
                  ELSE 0 END AS points,
             CASE WHEN count(*) = 0 THEN 'utility_none'
                  WHEN avg(CASE WHEN on_time THEN 1 ELSE 0 END) >= 0.9 THEN 'utility_on_time'
                  ELSE 'utility_late' END AS reason
      FROM (SELECT on_time FROM power_electricity_bills WHERE uscc_token = :subject
            UNION ALL
            SELECT on_time FROM water_water_bills WHERE uscc_token = :subject) AS bills) AS u"""
SCORE_REASONS: Final = {
    "tax_a": ("近三年纳税信用评价为 A 级", "Tax credit rated A in the last three years"),
    "tax_b": ("近三年纳税信用最高为 B 级", "Tax credit rated B at best in the last three years"),
    "tax_m": ("新设立企业，纳税信用为 M 级", "Newly established, tax credit rated M"),
    "tax_low": ("纳税信用为 C 级或 D 级", "Tax credit rated C or D"),
    "tax_none": ("近三年无纳税信用评价", "No tax credit rating in the last three years"),
    "staff_steady": (
        "正常缴存公积金的职工 3 人以上",
        "Three or more staff paying into the provident fund",
    ),
    "staff_few": (
        "正常缴存公积金的职工不足 3 人",
        "Fewer than three staff paying into the provident fund",
    ),
    "staff_none": ("无正常缴存公积金的职工", "No staff paying into the provident fund"),
    "utility_on_time": (
        "水电费按时缴纳率 90% 以上",
        "Pays 90 % or more of its water and power bills on time",
    ),
    "utility_late": ("水电费时有逾期", "Pays water or power bills late now and then"),
    "utility_none": ("无单位水电缴费记录", "No water or power account in its name"),
}


@dataclass(frozen=True)
class DemoProduct:
    """One product of the demo, as declared (``seed_products`` makes it so)."""

    code: str
    name: str
    scenario: str
    operator: str  # the operator's demo login
    description: str
    type: str
    spec: dict[str, Any]
    consent_required: bool
    purposes: tuple[str, ...]
    domain: str
    price_fen: int
    #: The agreement names it only after an amendment (the product is declared first).
    amendment: bool = False
    #: Registered through the registration workflow.
    register: bool = False


PRODUCTS: Final = (
    DemoProduct(
        code="sme-credit-score",
        name="小微企业信用画像",
        scenario="普惠金融",
        operator="operator",
        description="按统一社会信用代码给出小微企业信用评分（0–100）与评分原因：近三年纳税信用、"
        "正常缴存公积金的职工人数、水电费按时缴纳情况。只返回评分和原因代码，不返回任何明细。",
        type="score",
        spec={
            "kind": "score",
            "subject": {"name": "uscc", "type": "uscc", "title": "统一社会信用代码"},
            "sql": SCORE_SQL,
            "reasons": {code: list(labels) for code, labels in SCORE_REASONS.items()},
            "score_range": [0, 100],
        },
        consent_required=True,
        purposes=(LOAN, "贷后管理"),
        domain="industry:finance",
        price_fen=200,
        register=True,
    ),
    DemoProduct(
        code="employment-verification",
        name="就业状况核验",
        scenario="就业服务",
        operator="operator2",
        description="经本人同意，核验其是否由所称单位缴纳社会保险：输入身份证号码、姓名和单位统一社会"
        "信用代码，只返回一致（match）或不一致（no_match）。",
        type="verification",
        spec={
            "kind": "verification",
            "view": "rsj_social_insurance",
            "inputs": [
                {"name": "id_number", "type": "id_number", "title": "身份证号码"},
                {"name": "name", "type": "person_name", "title": "姓名"},
                {"name": "employer_uscc", "type": "uscc", "title": "单位统一社会信用代码"},
            ],
            "subject": "id_number",
            "match": {
                "id_number": "id_number_token",
                "name": "name_token",
                "employer_uscc": "employer_uscc_token",
            },
        },
        consent_required=True,
        purposes=(LOAN, INSURANCE),
        domain="industry:finance",
        price_fen=150,
    ),
    DemoProduct(
        code="population-by-district-age",
        name="分区县人口统计",
        scenario="人口发展监测",
        operator="operator",
        description="按区县和年龄段统计户籍人口数，人数少于阈值的分组不予输出（只计入被抑制的组数）。"
        "公共治理产品，免费提供。",
        type="statistics",
        spec={
            "kind": "statistics",
            "sql": f"SELECT {_DISTRICT_CASE} AS district,\n       {_AGE_BAND} AS age_band,\n"
            "       count(DISTINCT id_number_token) AS residents\nFROM gaj_residents\n"
            "GROUP BY 1, 2\nORDER BY 1, 2",
            "parameters": [],
            "dimensions": ["district", "age_band"],
        },
        consent_required=False,
        purposes=(PLANNING, "公共服务规划"),
        domain="governance",
        price_fen=0,
    ),
    DemoProduct(
        code="property-ownership-verification",
        name="不动产权属核验",
        scenario="普惠金融",
        operator="operator",
        description="经本人同意，核验其是否为不动产权利人：输入身份证号码、姓名，可加不动产坐落，"
        "只返回一致（match）或不一致（no_match）。",
        type="verification",
        spec={
            "kind": "verification",
            "view": "bdc_property_registrations",
            "inputs": [
                {"name": "id_number", "type": "id_number", "title": "身份证号码"},
                {"name": "name", "type": "person_name", "title": "姓名"},
                {
                    "name": "location",
                    "type": "address",
                    "title": "不动产坐落（可选）",
                    "required": False,
                },
            ],
            "subject": "id_number",
            "match": {
                "id_number": "owner_id_number_token",
                "name": "owner_name_token",
                "location": "location_token",
            },
        },
        consent_required=True,
        purposes=(LOAN,),
        domain="industry:finance",
        price_fen=200,
        amendment=True,
    ),
)
BY_CODE: Final = {p.code: p for p in PRODUCTS}


def login(session: Session, username: str) -> Principal:
    """A demo login acting as itself (its name is on what it does)."""
    user = identity_repository.user_by_username(session, username)
    assert user is not None, username
    return identity.principal_for(session, user, via="session")


def _at(day: datetime, hour: int, minute: int = 0) -> datetime:
    """That Beijing day at that time."""
    return datetime.combine(local(day).date(), time(hour, minute), tzinfo=SHANGHAI)


@dataclass(frozen=True)
class Listed:
    """A demo product on the market: its id, code and when it was listed."""

    id: uuid.UUID
    code: str
    listed_at: datetime


def seed_products(database: Database, *, settings: Settings, now: datetime) -> list[Listed]:
    """Declare, review and list the demo's products (once); returns them as listed, in the
    order of ``PRODUCTS``. A product whose agreement is missing or not yet a day in force is
    left out."""
    starts = _agreement_starts(database, now)
    if not starts:
        return []
    _set_caps(database, at=min(starts.values()) - timedelta(days=1))
    listed = []
    for product in PRODUCTS:
        with database.unit_of_work() as session:
            found = products.find_product(session, code=product.code)
            if found is not None:
                if found.listed_at is not None:
                    listed.append(Listed(found.id, found.code, found.listed_at))
                continue
        start = starts.get(product.scenario)
        if start is None or start + timedelta(days=2) > now:
            continue
        listed.append(_launch(database, settings, product, start))
    for product in PRODUCTS:
        made = next((p for p in listed if p.code == product.code), None)
        if product.register and made is not None:
            _register(database, settings, made, now)
    return listed


def _agreement_starts(database: Database, now: datetime) -> dict[str, datetime]:
    """The first morning of each demo scenario's agreement in force, by scenario."""
    starts = {}
    with database.unit_of_work() as session:
        for username in sorted({p.operator for p in PRODUCTS}):
            actor = login(session, username)
            for row in workspaces.workspace_rows(session, actor=actor, at=now):
                agreement = workspaces.agreement(session, row.workspace, at=now)
                if agreement.status == "active" and agreement.term_start is not None:
                    first = datetime.combine(agreement.term_start, time(9), tzinfo=SHANGHAI)
                    starts[row.workspace.scenario] = first
    return starts


def _set_caps(database: Database, *, at: datetime) -> None:
    with database.unit_of_work() as session:
        bureau = login(session, BUREAU)
        have = {(c.product_type, c.domain) for c in pricing.caps(session, actor=bureau)}
        for product_type, domain, cap_fen in CAPS:
            if (product_type, domain) not in have:
                pricing.set_cap(
                    session,
                    actor=bureau,
                    at=at,
                    product_type=product_type,
                    domain=domain,
                    cap_fen=cap_fen,
                    reason=CAP_REASON,
                )


def _workspace_id(session: Session, actor: Principal, scenario: str, at: datetime) -> uuid.UUID:
    found = [
        r.workspace
        for r in workspaces.workspace_rows(session, actor=actor, at=at)
        if r.workspace.scenario == scenario
    ]
    assert found, scenario
    return found[0].id


def _launch(
    database: Database, settings: Settings, product: DemoProduct, start: datetime
) -> Listed:
    """Declared the day after its agreement took effect, reviewed the next morning and
    listed that afternoon (a product the agreement does not name is added by an amendment
    the bureau countersigns before it is submitted)."""
    declared = _at(start + timedelta(days=1), 9, 30)
    with database.unit_of_work() as session:
        operator = login(session, product.operator)
        bureau = login(session, BUREAU)
        made = products.declare(
            session,
            actor=operator,
            settings=settings,
            at=declared,
            data=ProductIn(
                workspace_id=_workspace_id(session, operator, product.scenario, declared),
                code=product.code,
                name=product.name,
                description=product.description,
                type=product.type,
                spec=product.spec,
                consent_required=product.consent_required,
                purposes=list(product.purposes),
                domain=product.domain,
                billing_unit="call",
                price_fen=product.price_fen,
            ),
        )
        submitted = declared + timedelta(hours=1)
        if product.amendment:
            products.amend(
                session,
                actor=operator,
                settings=settings,
                at=declared + timedelta(minutes=20),
                product_id=made.id,
                review="上线前经数据局安全与合规审查通过后方可提供；仅返回核验结果，不提供权属明细。",
            )
            authorizations.sign(
                session,
                actor=bureau,
                settings=settings,
                at=declared + timedelta(hours=2),
                authorization_id=made.authorization_id,
            )
            submitted = declared + timedelta(hours=3)
        products.submit(session, actor=operator, at=submitted, product_id=made.id)
        reviewed = _at(submitted + timedelta(days=1), 10)
        products.review(
            session,
            actor=bureau,
            at=reviewed,
            product_id=made.id,
            decision="approve",
            reason=_review_reason(product),
        )
        listed = products.list_product(
            session,
            actor=operator,
            settings=settings,
            at=reviewed + timedelta(hours=4),
            product_id=made.id,
        )
        assert listed.listed_at is not None
        return Listed(listed.id, listed.code, listed.listed_at)


def _review_reason(product: DemoProduct) -> str:
    if product.type == "statistics":
        return "只输出聚合结果，小于阈值的分组已抑制；公共治理产品免费提供，审查通过。"
    if product.type == "score":
        return "只返回评分和原因代码，不含纳税、公积金和缴费明细；价格不高于上限，审查通过。"
    return (
        "只返回一致或不一致，输入按入库规则令牌化比对，需信息主体同意；价格不高于上限，审查通过。"
    )


def _register(database: Database, settings: Settings, made: Listed, now: datetime) -> None:
    """The operator applies the day after listing; the data centre accepts and passes the
    formal review the next working day, publishes the notice for ten working days and
    issues the registration and its certificate the working day after it ends, once that
    day has come (a later run issues it if this one was too early)."""
    with database.unit_of_work() as session:
        product = products.find_product(session, code=made.code)
        assert product is not None
        if products.registration_of(session, product, now) is not None:
            return
        registry = login(session, REGISTRY)
        filed = registration.applications(
            session,
            actor=registry,
            query=ListQuery(q=made.code, filters={"kind": PRODUCT_KIND, "status": "open"}),
        ).items
        application = next((a for a in filed if a.subject_id == made.id), None)
        if application is None:
            application = _apply(session, settings, made, registry, now)
        if application is None or application.notice_until is None:
            return
        issued = datetime.combine(
            add_working_days(application.notice_until, 1), time(10), tzinfo=SHANGHAI
        )
        if issued <= now:
            registration.issue(
                session, actor=registry, settings=settings, at=issued, application_id=application.id
            )


def _apply(
    session: Session, settings: Settings, made: Listed, registry: Principal, now: datetime
) -> RegistrationApplication | None:
    applied = _at(made.listed_at + timedelta(days=1), 9)
    accepted = datetime.combine(
        add_working_days(local(applied).date(), 1), time(9, 30), tzinfo=SHANGHAI
    )
    if accepted + timedelta(hours=2) > now:
        return None
    application = registration.apply(
        session,
        actor=login(session, BY_CODE[made.code].operator),
        settings=settings,
        at=applied,
        kind=PRODUCT_KIND,
        subject_id=made.id,
        type="first",
        statement="申请首次登记：产品已通过数据局安全与合规审查并上架。",
    )
    registration.accept(session, actor=registry, at=accepted, application_id=application.id)
    return registration.pass_review(
        session,
        actor=registry,
        settings=settings,
        at=accepted + timedelta(hours=2),
        application_id=application.id,
        note="材料齐全，形式审查通过，予以公示。",
    )
