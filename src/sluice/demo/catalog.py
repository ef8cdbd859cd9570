"""The demo city's catalog: 31 departments and about 6,900 published entries (the plan's figures).

The twelve departments with real demo data list those datasets with their true fields;
every department also lists metadata-only resources built from its real subject areas,
the way Chinese city catalogs read (企业登记信息, 2024年分区县统计 …). Deterministic.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy.orm import Session

from sluice.catalog import service as catalog
from sluice.catalog.schemas import BatchCreate, ResourceCreate
from sluice.core.clock import Clock
from sluice.core.principal import Principal
from sluice.identity import repository as identity_repository

TARGET_ENTRIES: Final = 6_900
BATCHES: Final = 3

#: Departments that publish metadata only in the demo (the other 12 have data too).
EXTRA_PROVIDERS: Final[tuple[tuple[str, str, str], ...]] = (
    ("fgw", "营口市发展和改革委员会", "Yingkou Development and Reform Commission"),
    ("gxj", "营口市工业和信息化局", "Yingkou Industry and Information Technology Bureau"),
    ("zrzyj", "营口市自然资源局", "Yingkou Natural Resources Bureau"),
    ("sthjj", "营口市生态环境局", "Yingkou Ecology and Environment Bureau"),
    ("zjj", "营口市住房和城乡建设局", "Yingkou Housing and Urban-Rural Development Bureau"),
    ("nyncj", "营口市农业农村局", "Yingkou Agriculture and Rural Affairs Bureau"),
    ("swuj", "营口市商务局", "Yingkou Commerce Bureau"),
    ("wlj", "营口市文化旅游和广播电视局", "Yingkou Culture, Tourism, Radio and TV Bureau"),
    ("yjj", "营口市应急管理局", "Yingkou Emergency Management Bureau"),
    ("tjj", "营口市统计局", "Yingkou Statistics Bureau"),
    ("ybj", "营口市医疗保障局", "Yingkou Healthcare Security Bureau"),
    ("tyjrj", "营口市退役军人事务局", "Yingkou Veterans Affairs Bureau"),
    ("sfj", "营口市司法局", "Yingkou Justice Bureau"),
    ("spj", "营口市行政审批局", "Yingkou Administrative Approval Bureau"),
    ("kjj", "营口市科学技术局", "Yingkou Science and Technology Bureau"),
    ("slj", "营口市水利局", "Yingkou Water Resources Bureau"),
    ("qxj", "营口市气象局", "Yingkou Meteorological Bureau"),
    ("ykhg", "营口海关", "Yingkou Customs"),
    ("ghj", "营口市港航管理局", "Yingkou Port and Shipping Administration"),
)


@dataclass(frozen=True)
class Area:
    """A subject area of a department: what its resources describe, and how."""

    subject: str
    kind: str  # person | enterprise | statistic | object
    domain: str


_A = Area
AREAS: Final[dict[str, tuple[Area, ...]]] = {
    "gaj": (
        _A("户籍人口", "person", "governance"),
        _A("居民身份证", "person", "governance"),
        _A("机动车驾驶人", "person", "industry:transport"),
        _A("道路交通事故", "statistic", "governance"),
        _A("出入境证件", "person", "governance"),
        _A("旅馆业治安", "enterprise", "industry:tourism"),
    ),
    "scjgj": (
        _A("企业", "enterprise", "industry:commerce"),
        _A("个体工商户", "enterprise", "industry:commerce"),
        _A("食品经营", "enterprise", "welfare"),
        _A("特种设备", "object", "governance"),
        _A("药品零售", "enterprise", "industry:health"),
        _A("商标质押", "enterprise", "industry:finance"),
    ),
    "rsj": (
        _A("社会保险参保", "person", "welfare"),
        _A("社会保险缴费", "person", "industry:finance"),
        _A("就业登记", "person", "welfare"),
        _A("职业技能等级", "person", "welfare"),
        _A("劳动保障监察", "enterprise", "governance"),
        _A("人力资源服务机构", "enterprise", "industry:commerce"),
    ),
    "gjj": (
        _A("住房公积金缴存", "person", "industry:finance"),
        _A("住房公积金提取", "person", "industry:finance"),
        _A("住房公积金贷款", "person", "industry:finance"),
        _A("公积金缴存单位", "enterprise", "industry:finance"),
    ),
    "bdc": (
        _A("不动产登记", "person", "industry:realestate"),
        _A("不动产抵押", "person", "industry:finance"),
        _A("不动产查封", "person", "governance"),
        _A("房屋交易", "statistic", "industry:realestate"),
    ),
    "swj": (
        _A("纳税信用", "enterprise", "industry:finance"),
        _A("发票开具", "statistic", "industry:finance"),
        _A("税务登记", "enterprise", "governance"),
        _A("欠税公告", "enterprise", "industry:finance"),
    ),
    "mzj": (
        _A("最低生活保障", "person", "welfare"),
        _A("婚姻登记", "person", "welfare"),
        _A("社会组织", "enterprise", "governance"),
        _A("养老机构", "object", "welfare"),
    ),
    "wjw": (
        _A("预防接种", "person", "welfare"),
        _A("出生医学证明", "person", "welfare"),
        _A("医疗机构执业", "enterprise", "industry:health"),
        _A("医师执业", "person", "industry:health"),
    ),
    "jyj": (
        _A("学籍", "person", "welfare"),
        _A("中小学校", "object", "welfare"),
        _A("民办教育机构", "enterprise", "welfare"),
        _A("教师资格", "person", "welfare"),
    ),
    "jtj": (
        _A("道路运输车辆", "object", "industry:transport"),
        _A("道路运输经营", "enterprise", "industry:transport"),
        _A("公交线路", "object", "welfare"),
        _A("出租汽车", "object", "industry:transport"),
    ),
    "water": (
        _A("居民用水缴费", "person", "industry:energy"),
        _A("供水管网", "object", "industry:energy"),
        _A("非居民用水", "enterprise", "industry:energy"),
    ),
    "power": (
        _A("居民用电缴费", "person", "industry:energy"),
        _A("企业用电", "enterprise", "industry:energy"),
        _A("供电台区", "object", "industry:energy"),
    ),
    "fgw": (
        _A("政府投资项目", "object", "governance"),
        _A("价格监测", "statistic", "industry:commerce"),
        _A("社会信用体系", "enterprise", "industry:finance"),
    ),
    "gxj": (
        _A("规模以上工业企业", "enterprise", "industry:manufacturing"),
        _A("工业用电", "statistic", "industry:energy"),
        _A("专精特新企业", "enterprise", "industry:manufacturing"),
    ),
    "zrzyj": (
        _A("国有建设用地供应", "object", "industry:realestate"),
        _A("地质灾害隐患点", "object", "governance"),
        _A("规划许可", "enterprise", "industry:realestate"),
    ),
    "sthjj": (
        _A("空气质量", "statistic", "welfare"),
        _A("排污许可", "enterprise", "governance"),
        _A("环境行政处罚", "enterprise", "governance"),
    ),
    "zjj": (
        _A("建筑业企业资质", "enterprise", "industry:realestate"),
        _A("商品房预售", "object", "industry:realestate"),
        _A("物业服务企业", "enterprise", "welfare"),
    ),
    "nyncj": (
        _A("农村土地承包", "person", "industry:agriculture"),
        _A("农业经营主体", "enterprise", "industry:agriculture"),
        _A("农产品质量", "statistic", "industry:agriculture"),
    ),
    "swuj": (
        _A("对外贸易经营者", "enterprise", "industry:commerce"),
        _A("单用途预付卡", "enterprise", "industry:commerce"),
        _A("社会消费品零售", "statistic", "industry:commerce"),
    ),
    "wlj": (
        _A("A级旅游景区", "object", "industry:tourism"),
        _A("旅行社", "enterprise", "industry:tourism"),
        _A("游客接待", "statistic", "industry:tourism"),
    ),
    "yjj": (
        _A("危险化学品经营", "enterprise", "governance"),
        _A("应急避难场所", "object", "welfare"),
        _A("安全生产行政处罚", "enterprise", "governance"),
    ),
    "tjj": (
        _A("地区生产总值", "statistic", "governance"),
        _A("常住人口", "statistic", "governance"),
        _A("居民收支", "statistic", "welfare"),
    ),
    "ybj": (
        _A("基本医疗保险参保", "person", "welfare"),
        _A("医保定点机构", "enterprise", "industry:health"),
        _A("医保结算", "statistic", "industry:health"),
    ),
    "tyjrj": (_A("退役军人", "person", "welfare"), _A("优抚对象", "person", "welfare")),
    "sfj": (
        _A("律师执业", "person", "governance"),
        _A("公证机构", "enterprise", "governance"),
        _A("人民调解", "statistic", "welfare"),
    ),
    "spj": (
        _A("建设工程施工许可", "enterprise", "industry:realestate"),
        _A("行政许可", "enterprise", "governance"),
        _A("政务服务办件", "statistic", "governance"),
    ),
    "kjj": (
        _A("高新技术企业", "enterprise", "industry:manufacturing"),
        _A("科技型中小企业", "enterprise", "industry:finance"),
    ),
    "slj": (
        _A("取水许可", "enterprise", "governance"),
        _A("水库", "object", "governance"),
        _A("河道水位", "statistic", "welfare"),
    ),
    "qxj": (_A("气象观测", "statistic", "welfare"), _A("气象预警", "statistic", "welfare")),
    "ykhg": (
        _A("进出口企业", "enterprise", "industry:maritime"),
        _A("进出口货物", "statistic", "industry:maritime"),
    ),
    "ghj": (
        _A("港口经营", "enterprise", "industry:maritime"),
        _A("船舶进出港", "statistic", "industry:maritime"),
        _A("港口吞吐量", "statistic", "industry:maritime"),
    ),
}

ASPECTS: Final[dict[str, tuple[str, ...]]] = {
    "person": ("基本信息", "变更记录", "核验", "办理记录", "注销信息", "汇总统计"),
    "enterprise": (
        "登记信息",
        "许可信息",
        "行政处罚信息",
        "监督检查结果",
        "信用评价",
        "备案信息",
        "年报信息",
    ),
    "statistic": ("月度统计", "年度统计", "分区县统计", "同比分析"),
    "object": ("基础信息", "台账", "空间分布", "运行监测"),
}
_PROFILE: Final[dict[str, dict[str, Any]]] = {
    "person": {
        "classification": "population",
        "grade": "3",
        "open_level": "conditional",
        "update_frequency": "daily",
    },
    "enterprise": {
        "classification": "legal_entity",
        "grade": "2",
        "open_level": "conditional",
        "update_frequency": "weekly",
    },
    "statistic": {
        "classification": "economy",
        "grade": "1",
        "open_level": "open",
        "update_frequency": "monthly",
    },
    "object": {
        "classification": "geography",
        "grade": "2",
        "open_level": "open",
        "update_frequency": "quarterly",
    },
}
_FIELDS: Final[dict[str, list[dict[str, Any]]]] = {
    "person": [
        {
            "name": "id_number",
            "type": "id_number",
            "class": "identifier",
            "title": "公民身份号码",
            "required": True,
        },
        {
            "name": "name",
            "type": "person_name",
            "class": "identifier",
            "title": "姓名",
            "required": True,
        },
        {"name": "district", "type": "text", "class": "public", "title": "所属区县"},
        {"name": "record_date", "type": "date", "class": "internal", "title": "登记日期"},
        {"name": "status", "type": "text", "class": "internal", "title": "状态"},
    ],
    "enterprise": [
        {
            "name": "uscc",
            "type": "uscc",
            "class": "identifier",
            "title": "统一社会信用代码",
            "required": True,
        },
        {
            "name": "enterprise_name",
            "type": "text",
            "class": "public",
            "title": "企业名称",
            "required": True,
        },
        {
            "name": "legal_representative",
            "type": "person_name",
            "class": "identifier",
            "title": "法定代表人",
        },
        {"name": "decision_date", "type": "date", "class": "public", "title": "决定日期"},
        {"name": "authority", "type": "text", "class": "public", "title": "决定机关"},
        {"name": "content", "type": "text", "class": "public", "title": "主要内容"},
    ],
    "statistic": [
        {"name": "district", "type": "text", "class": "public", "title": "区县"},
        {"name": "period", "type": "text", "class": "public", "title": "统计期"},
        {"name": "indicator", "type": "text", "class": "public", "title": "指标名称"},
        {"name": "value", "type": "decimal", "class": "public", "title": "指标值"},
        {"name": "unit", "type": "text", "class": "public", "title": "计量单位"},
    ],
    "object": [
        {
            "name": "object_code",
            "type": "text",
            "class": "internal",
            "title": "编号",
            "required": True,
        },
        {"name": "object_name", "type": "text", "class": "public", "title": "名称"},
        {"name": "location", "type": "text", "class": "public", "title": "位置"},
        {"name": "longitude", "type": "decimal", "class": "public", "title": "经度"},
        {"name": "latitude", "type": "decimal", "class": "public", "title": "纬度"},
    ],
}
_SHARED_FROM: Final = (
    "辽宁省数据局",
    "辽宁省公安厅",
    "辽宁省市场监督管理局",
    "辽宁省人力资源和社会保障厅",
)


def _names(areas: tuple[Area, ...], count: int) -> list[tuple[str, Area]]:
    """Subject × aspect first, then year editions of the statistical ones, until `count`."""
    names = [(f"{a.subject}{aspect}", a) for a in areas for aspect in ASPECTS[a.kind]]
    yearly = [(n, a) for n, a in names if a.kind == "statistic" or n.endswith(("统计", "年报信息"))]
    yearly = yearly or names
    year = 2025
    while len(names) < count:
        for name, area in yearly:
            names.append((f"{year}年{name}", area))
            if len(names) == count:
                break
        year -= 1
    return names[:count]


def _resource(
    code: str, name: str, area: Area, provider_name: str, rng: random.Random
) -> ResourceCreate:
    profile = dict(_PROFILE[area.kind])
    if area.kind == "enterprise" and rng.random() < 0.3:
        profile["open_level"] = "open"
    if rng.random() < 0.15:
        profile["update_frequency"] = rng.choice(["monthly", "quarterly", "yearly", "irregular"])
    shared = rng.random() < 0.05
    return ResourceCreate.model_validate(
        {
            "code": code,
            "name": name,
            "description": f"{provider_name}履职过程中形成的{name}，"
            f"按{_FREQUENCY_ZH[profile['update_frequency']]}更新。",
            "domain": area.domain,
            "origin": "shared" if shared else "own",
            "shared_from": rng.choice(_SHARED_FROM) if shared else None,
            "fields": _FIELDS[area.kind],
            **profile,
        }
    )


_FREQUENCY_ZH: Final = {
    "realtime": "实时",
    "daily": "日",
    "weekly": "周",
    "monthly": "月",
    "quarterly": "季度",
    "yearly": "年",
    "irregular": "不定期",
}


def _dataset_resource(dataset: dict[str, Any]) -> ResourceCreate:
    """A dataset of the demo sources, listed with its real fields (see city.build_sources)."""
    kinds = {f["class"] for f in dataset["fields"]}
    legal = dataset["code"] in ("enterprises", "tax_credit_ratings")
    return ResourceCreate.model_validate(
        {
            "code": dataset["code"],
            "name": dataset["title"],
            "description": dataset["description"],
            "domain": "governance" if dataset["provider"] in ("gaj", "mzj") else "welfare",
            "update_frequency": dataset["update_frequency"],
            "open_level": "conditional",
            "classification": "legal_entity" if legal else "population",
            "grade": "3" if "identifier" in kinds else "2",
            "fields": [_rules_for(dataset["code"], f) for f in dataset["fields"]],
        }
    )


#: Key fields the departments declare required and unique, and the cross-dataset rule
#: that an enterprise's legal representative is a registered resident.
_KEYS = {("residents", "id_number"), ("enterprises", "uscc")}
_REFERENCES = {
    ("enterprises", "legal_rep_id_number"): {"resource": "gaj/residents", "field": "id_number"}
}


def _rules_for(dataset: str, field: dict[str, Any]) -> dict[str, Any]:
    rules = dict(field)
    if (dataset, field["name"]) in _KEYS:
        rules.update(required=True, unique=True)
    reference = _REFERENCES.get((dataset, field["name"]))
    if reference:
        rules["references"] = reference
    return rules


def entries_for_scale(scale: float) -> int:
    """The plan's 6,900 entries from scale 1 up; a proportional share for smaller trial runs."""
    return max(len(AREAS) * 4, math.ceil(TARGET_ENTRIES * min(scale, 1.0)))


def seed_catalog(
    session: Session,
    *,
    clock: Clock,
    datasets: list[dict[str, Any]],
    seed: int,
    target: int = TARGET_ENTRIES,
) -> int:
    """Register and publish the city's catalog unless it is already there; returns entries."""
    system = Principal.system("demo")
    existing, _ = catalog.list_resources(session, actor=system, limit=1)
    if existing:
        return existing
    rng = random.Random(seed)
    provider_codes = list(AREAS)
    per_provider = math.ceil(target / len(provider_codes))
    listable = []
    for code in provider_codes:
        provider = identity_repository.organization_by_code(session, code)
        if provider is None:
            raise RuntimeError(f"demo provider {code} is missing; seed identity first")
        own = [d for d in datasets if d["provider"] == code]
        for dataset in own:
            resource = catalog.create_resource_row(
                session,
                actor=system,
                clock=clock,
                provider_id=provider.id,
                data=_dataset_resource(dataset),
            )
            listable.append(resource.id)
        for index, (name, area) in enumerate(_names(AREAS[code], per_provider - len(own)), start=1):
            data = _resource(f"r{index:04d}", name, area, provider.name, rng)
            resource = catalog.create_resource_row(
                session, actor=system, clock=clock, provider_id=provider.id, data=data
            )
            if data.origin == "shared" and rng.random() < 0.8:
                resource.sharing_consent_at = clock.now()
                resource.sharing_consent_evidence = f"{data.shared_from}同意函"
            listable.append(resource.id)
        # One resource per department is barred from opening and stays out of the catalog.
        closed = _resource(
            "r9999", f"{AREAS[code][0].subject}内部工作数据", AREAS[code][0], provider.name, rng
        )
        catalog.create_resource_row(
            session,
            actor=system,
            clock=clock,
            provider_id=provider.id,
            data=closed.model_copy(update={"open_level": "closed", "grade": "4"}),
        )
    session.flush()
    size = math.ceil(len(listable) / BATCHES)
    for number in range(BATCHES):
        batch = catalog.create_batch(session, actor=system, clock=clock, data=BatchCreate())
        catalog.add_to_batch(
            session,
            actor=system,
            clock=clock,
            batch_id=batch.id,
            resource_ids=listable[number * size : (number + 1) * size],
        )
        catalog.publish_batch(session, actor=system, clock=clock, batch_id=batch.id)
    return len(listable)
