"""The demo city's catalog: 31 departments and about 6,900 published entries (the plan's figures).

Each department lists what its duties produce, the way Chinese city catalogs read: the
records of the matters it handles (建设用地规划许可证信息, 不动产抵押权登记信息 …) and the
statistical tables it compiles every year (and every quarter, for the largest catalogs),
one entry per edition (2024年分区县常住人口统计),
which hold aggregates only: a period, a breakdown, an indicator and its value, never a
person. The twelve departments with demo data also list those datasets with their true
fields. Titles are unique across the catalog. Deterministic.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
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
#: The yearly editions of statistical tables, newest first (the catalog is of late 2026).
EDITIONS: Final = tuple(range(2025, 2014, -1))

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
class Record:
    """Records of one matter a department handles, listed once."""

    title: str
    kind: str  # a key of KINDS
    domain: str


@dataclass(frozen=True)
class Series:
    """A statistical table compiled every year: one entry per edition and breakdown."""

    indicator: str  # 常住人口
    measures: tuple[str, ...]  # 常住人口数, 城镇人口数 …
    breakdowns: tuple[str, ...]  # 分区县, 分月度 …; the city total comes first
    domain: str


@dataclass(frozen=True)
class Department:
    domain: str
    records: tuple[Record, ...]
    series: tuple[Series, ...]


def _department(domain: str, records: str, series: str) -> Department:
    """A department from its table: one record per line (``title kind [domain]``), one
    series per line (``indicator: measure、measure | breakdown breakdown [| domain]``)."""
    listed = []
    for line in filter(None, (raw.split() for raw in records.splitlines())):
        title, kind, *rest = line
        listed.append(Record(title, kind, rest[0] if rest else domain))
    tables = []
    for raw in filter(None, (raw.strip() for raw in series.splitlines())):
        head, breakdowns, *rest = (part.strip() for part in raw.split("|"))
        indicator, measures = (part.strip() for part in head.split(":"))
        tables.append(
            Series(
                indicator,
                tuple(measures.split("、")),
                ("", *breakdowns.split()),
                rest[0] if rest else domain,
            )
        )
    return Department(domain, tuple(listed), tuple(tables))


_D = _department
#: What each department's duties produce. The real datasets of the twelve with demo data
#: (户籍人口基本信息, 企业登记信息, 社会保险缴费记录 …) come from the datasets themselves.
DEPARTMENTS: Final[dict[str, Department]] = {
    "gaj": _D(
        "governance",
        """
        户籍迁入登记信息 person
        户籍迁出登记信息 person
        出生登记信息 person
        死亡人口户籍注销信息 person
        居民身份证申领信息 person
        居住证签发信息 person
        流动人口居住登记信息 person
        机动车登记信息 vehicle industry:transport
        机动车驾驶证信息 person industry:transport
        道路交通违法处理信息 vehicle industry:transport
        道路交通事故认定信息 person industry:transport
        出入境证件签发信息 person
        旅馆业特种行业许可证信息 licence industry:tourism
        公章刻制备案信息 licence
        保安服务公司许可信息 licence
        剧毒化学品购买许可信息 licence
        民用爆炸物品运输许可信息 licence
        养犬登记信息 person
        电动自行车登记信息 person
        """,
        """
        户籍人口: 户数、户籍人口数、男性人口数、女性人口数 | 分区县 分乡镇街道 分年龄段 分民族
        出生人口: 出生登记人数、男婴人数、女婴人数 | 分区县 分乡镇街道 分月度
        机动车保有量: 机动车保有量、汽车保有量、新能源汽车保有量 | 分区县 分车辆类型 分使用性质
        机动车驾驶人: 驾驶人数量、新领证驾驶人数量 | 分准驾车型 分年龄段
        道路交通事故: 事故起数、死亡人数、受伤人数、直接财产损失 | 分区县 分月度 分事故形态
        出入境证件签发: 普通护照签发量、往来港澳通行证签发量 | 分月度 分区县 分证件类型
        """,
    ),
    "scjgj": _D(
        "industry:commerce",
        """
        个体工商户登记信息 roster
        农民专业合作社登记信息 roster industry:agriculture
        企业变更登记信息 roster
        企业注销登记信息 roster
        企业年度报告公示信息 roster
        经营异常名录信息 roster
        严重违法失信企业名单 roster
        食品经营许可证信息 licence welfare
        食品生产许可证信息 licence welfare
        药品经营许可证信息 licence industry:health
        医疗器械经营备案信息 licence industry:health
        工业产品生产许可证信息 licence industry:manufacturing
        特种设备使用登记信息 facility governance
        特种设备定期检验信息 inspection governance
        计量器具强制检定信息 inspection
        食品安全抽检结果 inspection welfare
        产品质量监督抽查结果 inspection
        市场监管行政处罚信息 penalty governance
        市场监管双随机抽查结果 inspection governance
        注册商标专用权质押登记信息 licence industry:finance
        消费投诉举报处理信息 person welfare
        """,
        """
        市场主体: 市场主体户数、新设户数、注销户数、注册资本 | 分区县 分行业 分市场主体类型
        企业登记: 新设企业户数、新设企业注册资本 | 分区县 分行业 分月度
        个体工商户: 个体工商户户数、从业人数 | 分区县 分行业 分月度
        食品安全抽检: 抽检批次、不合格批次、合格率 | 分食品类别 分月度 分区县 | welfare
        特种设备: 在用特种设备台数、定期检验台数 | 分设备种类 分区县 | governance
        消费投诉举报: 投诉件数、举报件数、挽回经济损失 | 分月度 分投诉类别 | welfare
        知识产权: 有效注册商标量、地理标志商标数 | 分区县 分商标类别
        """,
    ),
    "rsj": _D(
        "welfare",
        """
        社会保险参保登记信息 person
        社会保险待遇发放信息 person
        失业保险金申领信息 person
        工伤认定信息 person
        城乡居民基本养老保险参保信息 person
        社会保障卡制发信息 person
        就业登记信息 person
        失业登记信息 person
        就业困难人员认定信息 person
        职业技能等级证书信息 person
        专业技术职称评审结果 person
        劳动人事争议仲裁案件信息 person governance
        人力资源服务许可信息 licence industry:commerce
        劳务派遣经营许可信息 licence industry:commerce
        劳动保障监察行政处罚信息 penalty governance
        技工院校名录 roster
        参保单位信息 roster
        """,
        """
        社会保险参保: 养老保险参保人数、失业保险参保人数、工伤保险参保人数 | 分区县 分险种 分月度
        社会保险基金收支: 基金收入、基金支出、累计结余 | 分险种 分月度 | industry:finance
        城镇新增就业: 城镇新增就业人数、失业人员再就业人数、城镇登记失业率 | 分区县 分月度
        职业技能培训: 培训人数、取证人数 | 分职业类别 分区县
        劳动人事争议处理: 受理案件数、结案数、涉及劳动者人数 | 分月度 分争议类型 分区县 | governance
        社会保障卡应用: 持卡人数、电子社会保障卡签发量 | 分区县 分月度
        """,
    ),
    "gjj": _D(
        "industry:finance",
        """
        住房公积金缴存单位信息 roster
        住房公积金缴存明细 person
        住房公积金提取信息 person
        住房公积金个人贷款信息 person
        住房公积金贷款逾期信息 person
        住房公积金缴存证明出具记录 person
        灵活就业人员住房公积金缴存信息 person
        住房公积金异地转移接续信息 person
        住房公积金行政处罚信息 penalty governance
        """,
        """
        住房公积金缴存: 缴存单位数、缴存职工人数、缴存额、缴存余额 | 分区县 分单位性质 分月度
        住房公积金提取: 提取人数、提取额 | 分提取原因 分月度 分区县
        住房公积金个人贷款: 发放笔数、发放金额、贷款余额、逾期率 | 分月度 分贷款类型
        住房公积金增值收益: 增值收益、廉租住房建设补充资金 | 分季度
        住房公积金归集: 归集额、实缴单位数 | 分区县 分行业 分季度
        """,
    ),
    "bdc": _D(
        "industry:realestate",
        """
        不动产首次登记信息 person
        不动产转移登记信息 person
        不动产变更登记信息 person
        不动产抵押权登记信息 person industry:finance
        不动产查封登记信息 person governance
        不动产预告登记信息 person
        不动产异议登记信息 person
        不动产注销登记信息 person
        不动产登记证明信息 person
        不动产单元信息 facility
        宗地信息 facility
        """,
        """
        不动产登记业务: 登记业务量、首次登记件数、转移登记件数 | 分区县 分月度 分登记类型
        不动产抵押: 抵押登记件数、抵押金额 | 分区县 分月度 分抵押权人类型 | industry:finance
        存量房交易: 交易套数、交易面积 | 分区县 分月度 分房屋用途
        新建商品房首次登记: 登记套数、登记面积 | 分区县 分季度
        不动产登记办理时限: 平均办理时长、即时办结率 | 分登记类型 分月度 | governance
        """,
    ),
    "swj": _D(
        "industry:finance",
        """
        纳税人登记信息 roster governance
        纳税信用A级纳税人名单 roster
        重大税收违法失信主体信息 roster
        欠税公告信息 roster
        非正常户认定信息 roster
        税务行政处罚信息 penalty governance
        增值税发票领用信息 roster
        税收优惠享受信息 roster
        出口退税企业名录 roster industry:commerce
        个人所得税纳税记录 person
        """,
        """
        税收收入: 税收收入、同比增长率 | 分税种 分区县 分月度 分行业
        增值税发票开具: 开票户数、开具金额 | 分行业 分月度 分区县
        纳税人户数: 企业纳税人户数、个体纳税人户数 | 分区县 分登记注册类型
        纳税信用评价: A级户数、B级户数、M级户数、C级户数、D级户数 | 分区县 分行业
        减税降费: 减税金额、降费金额、受益户数 | 分政策类别 分月度 分区县
        """,
    ),
    "mzj": _D(
        "welfare",
        """
        特困人员供养信息 person
        临时救助信息 person
        结婚登记信息 person
        离婚登记信息 person
        孤儿基本生活保障信息 person
        高龄津贴发放信息 person
        残疾人两项补贴发放信息 person
        社会组织登记信息 roster governance
        慈善组织认定信息 roster
        养老机构备案信息 facility
        殡葬服务机构信息 facility
        社区综合服务设施信息 facility
        标准地名信息 facility governance
        社会组织行政处罚信息 penalty governance
        """,
        """
        最低生活保障: 城市低保人数、农村低保人数、低保金支出 | 分区县 分月度 分保障类别
        特困人员救助供养: 特困人员人数、集中供养人数、供养资金支出 | 分区县 分月度 分供养方式
        婚姻登记: 结婚登记对数、离婚登记对数 | 分区县 分月度 分年龄段
        养老服务: 养老机构数、养老床位数、收住老人数 | 分区县 分机构性质
        残疾人两项补贴: 困难残疾人生活补贴人数、重度残疾人护理补贴人数、补贴金额 | 分区县 分月度
        社会组织: 社会团体数、民办非企业单位数、基金会数 | 分区县 分业务领域 | governance
        """,
    ),
    "wjw": _D(
        "industry:health",
        """
        出生医学证明签发信息 person welfare
        医疗机构执业许可信息 licence
        医师执业注册信息 person
        护士执业注册信息 person
        母婴保健技术服务许可信息 licence
        公共场所卫生许可信息 licence welfare
        放射诊疗许可信息 licence
        卫生健康行政处罚信息 penalty governance
        卫生监督检查结果 inspection governance
        居民电子健康档案信息 person welfare
        家庭医生签约服务信息 person welfare
        医疗机构名录 facility
        """,
        """
        医疗卫生机构: 机构数、床位数、卫生技术人员数 | 分区县 分机构类别 分举办主体
        医疗服务: 门急诊人次、出院人数、病床使用率 | 分月度 分医院等级 分区县
        妇幼健康: 活产数、出生缺陷发生率、孕产妇死亡率 | 分区县 分月度 | welfare
        预防接种: 接种剂次、适龄儿童接种率 | 分疫苗种类 分区县 分月度 | welfare
        法定传染病疫情: 发病数、死亡数 | 分病种 分月度 分区县 | welfare
        卫生健康监督: 监督检查户次、立案查处数 | 分专业类别 分月度 | governance
        """,
    ),
    "jyj": _D(
        "welfare",
        """
        中小学校基本信息 facility
        幼儿园基本信息 facility
        民办学校办学许可信息 licence
        校外培训机构信息 roster
        教师资格认定信息 person
        中小学教师信息 person
        义务教育入学登记信息 person
        学生资助信息 person
        初中学业水平考试报名信息 person
        校车使用许可信息 licence
        教育行政处罚信息 penalty governance
        """,
        """
        在校学生: 在校学生数、招生数、毕业生数 | 分区县 分学段 分学校性质
        教职工: 专任教师数、教职工数、生师比 | 分区县 分学段 分学校性质
        学校办学条件: 学校数、班级数、校舍面积 | 分区县 分学段
        学前教育: 幼儿园数、在园幼儿数、普惠性幼儿园覆盖率 | 分区县 分办园性质
        学生资助: 资助人次、资助金额 | 分学段 分资助项目 分区县
        高中阶段教育: 普通高中在校生数、中职在校生数、毕业生升学率 | 分区县 分学校类型
        """,
    ),
    "jtj": _D(
        "industry:transport",
        """
        道路运输经营许可信息 licence
        道路运输从业人员资格信息 person
        巡游出租汽车经营许可信息 licence
        网络预约出租汽车运输证信息 vehicle
        网约车驾驶员证信息 person
        机动车维修经营备案信息 licence
        机动车驾驶员培训机构信息 roster
        公交线路信息 facility welfare
        公交站点信息 facility welfare
        公路桥梁信息 facility
        农村公路信息 facility industry:agriculture
        客运班线信息 facility
        超限超载运输行政处罚信息 penalty governance
        交通运输行政检查结果 inspection governance
        """,
        """
        公路运输量: 公路客运量、公路旅客周转量、公路货运量、公路货物周转量 | 分月度 分区县 分季度
        城市公共交通: 公交客运量、运营线路条数、运营车辆数 | 分月度 分线路类型 | welfare
        出租汽车运营: 出租汽车数量、载客里程、客运量 | 分月度 分经营方式
        营运车辆: 营运车辆数、营运客车数、营运货车数 | 分区县 分车辆类型 分燃料类型
        公路里程: 公路里程、高速公路里程、农村公路里程 | 分区县 分技术等级
        交通运输固定资产投资: 完成投资额、新改建公路里程 | 分月度 分项目类型
        """,
    ),
    "water": _D(
        "industry:energy",
        """
        供水用户信息 person
        非居民用水户信息 roster
        供水管网信息 facility
        二次供水设施信息 facility
        水表信息 facility
        供水水质检测结果 monitoring welfare
        水厂运行信息 monitoring
        用水报装信息 person
        计划停水信息 facility welfare
        供水服务热线工单信息 person welfare
        """,
        """
        供水量: 供水总量、售水量、漏损率 | 分月度 分水厂
        用水量: 居民用水量、非居民用水量、特种用水量 | 分月度 分区县 分用水性质
        供水用户: 居民用户数、非居民用户数 | 分区县 分月度 分用水性质
        供水管网维修: 维修次数、平均修复时长 | 分月度 分区县
        水费回收: 应收水费、实收水费、回收率 | 分月度 分用水性质
        供水水质: 检测样品数、合格样品数、综合合格率 | 分月度 分检测项目 | welfare
        """,
    ),
    "power": _D(
        "industry:energy",
        """
        用电客户信息 person
        高压用电客户信息 roster
        供电台区信息 facility
        变电站信息 facility
        电动汽车充电桩信息 facility industry:transport
        计划停电信息 facility welfare
        分布式光伏并网信息 roster
        电能表信息 facility
        业扩报装信息 roster
        供电服务工单信息 person welfare
        """,
        """
        全社会用电量: 全社会用电量、工业用电量、居民生活用电量 | 分月度 分区县 分行业 分季度
        售电量: 售电量、售电收入 | 分月度 分用电类别
        电网负荷: 最高负荷、平均负荷 | 分月度 分区县
        新能源发电: 光伏发电量、风电发电量、装机容量 | 分月度 分电源类型
        电动汽车充电设施: 充电桩数量、充电量 | 分区县 分月度 | industry:transport
        电费回收: 应收电费、实收电费、回收率 | 分月度 分用电类别
        """,
    ),
    "fgw": _D(
        "governance",
        """
        政府投资项目审批信息 project
        企业投资项目核准信息 project industry:manufacturing
        企业投资项目备案信息 project industry:manufacturing
        重点建设项目信息 project
        节能审查意见信息 project industry:energy
        重要商品价格监测信息 monitoring industry:commerce
        成品油零售价格信息 monitoring industry:energy
        政府定价目录 catalogue industry:commerce
        信用修复信息 roster industry:finance
        守信激励对象名单 roster industry:finance
        失信惩戒对象名单 roster industry:finance
        粮食收储企业信息 roster industry:agriculture
        """,
        """
        重点项目投资: 重点项目个数、年度计划投资、完成投资 | 分区县 分行业 分月度
        政府投资项目: 项目个数、计划投资额、完成投资额 | 分行业 分区县 分月度
        重要商品价格: 猪肉价格、蔬菜价格、粮油价格 | 分月度 分商品类别 | industry:commerce
        居民生活必需品价格: 粮食价格、食用油价格、鸡蛋价格 | 分月度 分监测点 | welfare
        能源消费: 能源消费总量、单位地区生产总值能耗 | 分行业 分能源品种 | industry:energy
        社会信用信息归集: 归集量、守信激励对象数、失信惩戒对象数 | 分月度 | industry:finance
        粮食储备: 储备规模、轮换数量 | 分粮食品种 | industry:agriculture
        """,
    ),
    "gxj": _D(
        "industry:manufacturing",
        """
        规模以上工业企业名录 roster
        专精特新中小企业名单 roster
        省级以上企业技术中心名单 roster
        绿色工厂名单 roster
        工业园区信息 facility
        工业互联网示范项目信息 project
        工业企业技术改造项目信息 project
        民用爆炸物品生产销售许可信息 licence governance
        无线电台执照信息 licence governance
        通信基站信息 facility governance
        中小企业公共服务平台信息 roster
        """,
        """
        规模以上工业: 工业总产值、工业增加值增速、营业收入、利润总额 | 分行业 分月度 分区县
        主要工业产品产量: 钢材产量、化学纤维产量、发电量 | 分月度 分产品类别
        工业用电量: 工业用电量、同比增长率 | 分行业 分月度 | industry:energy
        工业能耗: 综合能源消费量、万元工业增加值能耗 | 分行业 分区县 | industry:energy
        信息通信基础设施: 5G基站数、千兆光网覆盖率 | 分区县 分季度 | governance
        中小企业发展: 中小企业户数、专精特新企业户数 | 分区县 分行业
        """,
    ),
    "zrzyj": _D(
        "industry:realestate",
        """
        建设用地规划许可证信息 licence
        建设工程规划许可证信息 licence
        乡村建设规划许可证信息 licence industry:agriculture
        规划条件核实信息 licence
        国有建设用地使用权出让信息 project
        国有建设用地划拨信息 project
        土地征收信息 project governance
        采矿许可证信息 licence industry:energy
        测绘资质信息 licence
        海域使用权信息 licence industry:maritime
        地质灾害隐患点信息 facility governance
        永久基本农田信息 facility industry:agriculture
        国土空间总体规划信息 facility governance
        林地信息 facility
        自然资源行政处罚信息 penalty governance
        卫片执法检查结果 inspection governance
        """,
        """
        土地供应: 供应宗数、供应面积、成交价款 | 分区县 分土地用途 分供应方式
        土地利用现状: 耕地面积、园地面积、林地面积、建设用地面积 | 分区县 分地类
        建设用地审批: 批准宗数、批准面积 | 分区县 分月度 分用地类型
        地质灾害防治: 隐患点数量、威胁人数、治理项目数 | 分区县 分灾害类型 | governance
        海域使用: 确权海域面积、海域使用金 | 分用海类型 分区县 | industry:maritime
        矿产资源开发: 矿山数量、开采总量 | 分矿种 分区县 | industry:energy
        """,
    ),
    "sthjj": _D(
        "welfare",
        """
        排污许可证信息 licence governance
        建设项目环境影响评价审批信息 project governance
        重点排污单位名录 roster governance
        危险废物经营许可证信息 licence governance
        辐射安全许可证信息 licence governance
        环境监测站点信息 facility
        空气质量自动监测数据 monitoring
        地表水水质自动监测数据 monitoring
        近岸海域水质监测数据 monitoring industry:maritime
        声环境质量监测数据 monitoring
        污染源在线监测数据 monitoring governance
        生态环境行政处罚信息 penalty governance
        生态环境执法检查结果 inspection governance
        """,
        """
        环境空气质量: 优良天数比例、细颗粒物浓度、可吸入颗粒物浓度 | 分月度 分区县 分监测站点
        地表水水质: 监测断面数、达标断面比例 | 分月度 分河流 分区县
        声环境质量: 昼间平均等效声级、夜间平均等效声级 | 分功能区 分季度
        主要污染物排放: 化学需氧量排放量、氨氮排放量、氮氧化物排放量 | 分行业 分区县 | governance
        环境行政处罚: 处罚案件数、罚款金额 | 分月度 分违法类型 | governance
        危险废物产生利用: 产生量、利用处置量 | 分行业 分废物类别 | governance
        """,
    ),
    "zjj": _D(
        "industry:realestate",
        """
        建筑业企业资质信息 licence
        房地产开发企业资质信息 licence
        商品房预售许可信息 licence
        建筑施工安全生产许可证信息 licence
        燃气经营许可证信息 licence industry:energy
        商品房网签备案信息 person
        存量房网签备案信息 person
        住宅专项维修资金信息 person
        建筑工人实名制信息 person
        公租房保障对象信息 person welfare
        物业服务企业信息 roster welfare
        建设工程竣工验收备案信息 project
        城镇老旧小区改造项目信息 project welfare
        保障性住房信息 facility welfare
        住房城乡建设行政处罚信息 penalty governance
        """,
        """
        商品房销售: 销售面积、销售套数、销售金额 | 分区县 分月度 分房屋用途
        房地产开发投资: 开发投资额、新开工面积、竣工面积 | 分区县 分月度 分房屋用途
        建筑业生产: 建筑业总产值、签订合同额 | 分月度 分企业资质等级 分区县
        住房保障: 保障户数、公租房套数、租赁补贴发放金额 | 分区县 分保障方式 | welfare
        城镇老旧小区改造: 改造小区数、惠及户数、完成投资 | 分区县 分季度 | welfare
        """,
    ),
    "nyncj": _D(
        "industry:agriculture",
        """
        农村土地承包经营权信息 person
        农机购置补贴信息 person
        耕地地力保护补贴发放信息 person
        家庭农场名录 roster
        农业产业化龙头企业名单 roster
        农村集体经济组织信息 roster
        农药经营许可证信息 licence
        兽药经营许可证信息 licence
        种子生产经营许可证信息 licence
        动物防疫条件合格证信息 licence
        高标准农田建设项目信息 project
        渔业船舶登记信息 facility industry:maritime
        农产品质量安全监测结果 inspection welfare
        农业行政处罚信息 penalty governance
        """,
        """
        农作物播种与产量: 播种面积、总产量 | 分区县 分作物品种
        畜牧业生产: 生猪出栏、牛出栏、肉类总产量、禽蛋产量 | 分区县 分季度
        渔业生产: 水产品产量、海水养殖面积 | 分区县 分养殖方式
        农业机械化: 农机总动力、综合机械化率 | 分区县 分作业环节
        农产品质量安全抽检: 抽检批次、合格率 | 分产品类别 分月度 | welfare
        农林牧渔业总产值: 农林牧渔业总产值、农林牧渔业增加值 | 分区县 分行业
        """,
    ),
    "swuj": _D(
        "industry:commerce",
        """
        对外贸易经营者备案信息 roster
        单用途商业预付卡发卡企业备案信息 roster
        再生资源回收经营者备案信息 roster
        拍卖企业信息 roster
        外商投资企业信息 roster
        重点商贸流通企业名录 roster
        电子商务企业名录 roster
        肉菜追溯企业信息 roster welfare
        二手车交易市场信息 facility
        商品交易市场信息 facility
        成品油零售经营许可信息 licence industry:energy
        商务领域行政处罚信息 penalty governance
        """,
        """
        社会消费品零售总额: 零售总额、同比增长率 | 分月度 分行业 分区县
        进出口贸易: 进出口总额、出口额、进口额 | 分月度 分贸易方式 分国别地区
        实际使用外资: 合同外资额、实际使用外资额、新设外资企业数 | 分月度 分行业 分国别地区
        网络零售: 网络零售额、实物商品网络零售额 | 分月度 分商品类别 分区县
        限额以上批发零售业: 商品销售额、企业数 | 分行业 分区县
        """,
    ),
    "wlj": _D(
        "industry:tourism",
        """
        A级旅游景区名录 facility
        星级饭店名录 roster
        乡村旅游重点村信息 facility industry:agriculture
        旅行社业务经营许可信息 licence
        营业性演出许可信息 licence
        互联网上网服务营业场所许可信息 licence
        娱乐场所经营许可信息 licence
        导游证信息 person
        旅游投诉处理信息 person
        文物保护单位信息 facility welfare
        非物质文化遗产代表性项目名录 catalogue welfare
        公共图书馆信息 facility welfare
        博物馆信息 facility welfare
        广播电视台站信息 facility governance
        文化市场行政处罚信息 penalty governance
        """,
        """
        游客接待: 接待游客人次、旅游总收入 | 分月度 分景区 分区县
        A级旅游景区经营: 接待人次、门票收入 | 分月度 分景区等级 分区县
        星级饭店经营: 客房出租率、营业收入 | 分月度 分星级
        公共文化设施: 图书馆数、文化馆数、博物馆数、藏书量 | 分区县 分设施类型 | welfare
        文化产业: 文化产业增加值、规模以上文化企业数 | 分行业 分区县
        节假日旅游市场: 接待游客人次、旅游收入 | 分节假日 分区县
        """,
    ),
    "yjj": _D(
        "governance",
        """
        危险化学品经营许可证信息 licence
        危险化学品安全生产许可证信息 licence
        烟花爆竹经营许可证信息 licence
        非煤矿山安全生产许可证信息 licence
        安全生产行政处罚信息 penalty
        安全生产执法检查结果 inspection
        应急避难场所信息 facility welfare
        应急物资储备库信息 facility
        重大危险源信息 facility
        森林防火重点区域信息 facility
        应急救援队伍信息 roster
        自然灾害灾情信息 monitoring welfare
        """,
        """
        生产安全事故: 事故起数、死亡人数、直接经济损失 | 分行业 分月度 分区县
        自然灾害损失: 受灾人口、农作物受灾面积、直接经济损失 | 分灾种 分区县 分月度 | welfare
        安全生产执法: 检查企业数、发现隐患数、整改隐患数、罚款金额 | 分月度 分行业
        森林火灾: 火灾起数、受害森林面积 | 分区县 分月度
        应急避难场所建设: 场所数量、有效避难面积、可容纳人数 | 分区县 分场所类型 | welfare
        """,
    ),
    "tjj": _D(
        "governance",
        """
        基本单位名录信息 roster
        统计执法检查结果 inspection
        统计行政处罚信息 penalty
        """,
        """
        地区生产总值: 地区生产总值、三次产业增加值 | 分区县 分季度 分行业
        常住人口: 常住人口数、城镇人口数、乡村人口数、城镇化率 | 分区县 分年龄段 分性别
        居民人均可支配收入: 城镇居民收入、农村居民收入 | 分区县 分季度 分收入来源 | welfare
        居民消费支出: 人均消费支出、恩格尔系数 | 分区县 分消费类别 | welfare
        居民消费价格: 居民消费价格指数、食品烟酒类价格指数 | 分月度 分商品类别 | welfare
        固定资产投资: 固定资产投资增速、民间投资增速 | 分行业 分区县 分月度
        城镇单位就业人员工资: 就业人员数、平均工资 | 分行业 分登记注册类型 | welfare
        规模以上服务业: 营业收入、营业利润 | 分行业 分季度
        人口变动: 出生率、死亡率、自然增长率 | 分区县
        城乡居民住户调查: 调查户数、人均住房建筑面积 | 分区县 分城乡 | welfare
        劳动力调查: 城镇调查失业率、劳动参与率 | 分季度 分年龄段 | welfare
        """,
    ),
    "ybj": _D(
        "welfare",
        """
        基本医疗保险参保信息 person
        门诊慢特病待遇认定信息 person
        医疗保险费用结算信息 person industry:health
        异地就医备案信息 person
        长期护理保险待遇信息 person
        医疗救助信息 person
        医保定点医药机构信息 roster industry:health
        医疗服务价格项目目录 catalogue industry:health
        药品集中带量采购目录 catalogue industry:health
        医保基金监督检查结果 inspection governance
        医疗保障行政处罚信息 penalty governance
        """,
        """
        基本医疗保险参保: 职工医保参保人数、居民医保参保人数、参保率 | 分区县 分月度 分参保类别
        医保基金收支: 基金收入、基金支出、累计结存 | 分险种 分月度 | industry:finance
        医疗费用结算: 结算人次、医疗总费用、基金支付 | 分机构等级 分月度 分就医类别
        医疗救助: 救助人次、救助金额 | 分区县 分救助类别 分月度
        长期护理保险: 参保人数、享受待遇人数、基金支出 | 分区县 分护理方式 分月度
        医药集中采购: 采购金额、中选药品数 | 分药品类别 分季度 | industry:health
        """,
    ),
    "tyjrj": _D(
        "welfare",
        """
        退役军人基本信息 person
        优抚对象信息 person
        抚恤补助发放信息 person
        退役士兵安置信息 person
        退役军人就业创业信息 person
        军队离退休干部服务管理信息 person
        光荣院信息 facility
        烈士纪念设施信息 facility
        退役军人服务站信息 facility
        拥军优属企业名单 roster
        """,
        """
        退役军人接收安置: 退役军人人数、新接收退役军人人数 | 分区县 分安置方式 分年龄段
        优抚对象抚恤补助: 优抚对象人数、抚恤补助金额 | 分区县 分优抚类别 分月度
        光荣院集中供养: 光荣院数、床位数、集中供养人数 | 分区县
        烈士纪念设施保护: 设施数量、年度祭扫人次 | 分区县 分保护级别
        退役军人就业创业: 就业人数、技能培训人数、创业扶持人数 | 分区县 分季度
        """,
    ),
    "sfj": _D(
        "governance",
        """
        律师事务所执业许可信息 licence
        律师执业信息 person
        公证员执业信息 person
        公证机构信息 roster
        司法鉴定机构信息 roster
        基层法律服务所信息 roster
        人民调解组织信息 roster welfare
        公共法律服务站点信息 facility welfare
        法律援助案件信息 person welfare
        行政复议案件信息 person
        规范性文件备案审查目录 catalogue
        律师和律师事务所行政处罚信息 penalty
        """,
        """
        法律援助: 受理案件数、受援人数 | 分区县 分案件类型 | welfare
        人民调解: 调解案件数、调解成功率 | 分区县 分纠纷类型 分月度 | welfare
        行政复议: 受理案件数、审结案件数 | 分案件领域 分季度
        公证业务: 办理公证件数 | 分公证类别 分月度 分区县
        律师业务: 律师人数、办理诉讼案件数 | 分业务类别
        社区矫正: 在册社区矫正对象人数、新接收人数、解除矫正人数 | 分区县 分季度
        """,
    ),
    "spj": _D(
        "governance",
        """
        建设工程施工许可证信息 licence industry:realestate
        城市道路占用挖掘许可信息 licence
        户外广告设施设置许可信息 licence
        城市建筑垃圾处置核准信息 licence
        人防工程审批信息 project
        工程建设项目审批信息 project industry:realestate
        企业开办一网通办信息 roster industry:commerce
        中介服务机构信息 roster
        政务服务事项办件信息 person
        高效办成一件事办件信息 person
        政务服务好差评信息 person
        行政许可事项目录 catalogue
        电子证照目录 catalogue
        """,
        """
        政务服务办件: 办件量、按时办结率、即办件数量 | 分月度 分事项类别 分区县
        工程建设项目审批: 审批项目数、平均审批用时 | 分月度 分审批阶段 | industry:realestate
        政务服务好差评: 评价数、好评率 | 分月度 分评价渠道 分区县
        政务服务便民热线: 受理量、办结率、满意率 | 分月度 分诉求类型
        行政许可办理: 受理件数、办结件数 | 分月度 分许可类别
        企业开办: 新开办企业数、平均开办时间 | 分月度 分区县 | industry:commerce
        """,
    ),
    "kjj": _D(
        "industry:manufacturing",
        """
        高新技术企业名单 roster
        科技型中小企业名单 roster industry:finance
        新型研发机构名单 roster
        技术合同登记信息 roster
        科技企业孵化器信息 facility
        众创空间信息 facility
        重点实验室信息 facility
        科技计划项目信息 project
        科技成果登记信息 project
        科技特派员信息 person industry:agriculture
        """,
        """
        研究与试验发展经费: 研发经费支出、研发投入强度 | 分行业 分区县 分执行部门
        高新技术企业发展: 高新技术企业数、高新技术产业产值 | 分区县 分技术领域
        技术合同成交: 合同数、成交额 | 分技术领域 分季度 分区县
        科技企业孵化: 孵化器数量、在孵企业数、毕业企业数 | 分区县 分孵化器级别
        专利授权: 专利授权量、发明专利拥有量 | 分区县 分专利类型
        """,
    ),
    "slj": _D(
        "governance",
        """
        取水许可证信息 licence
        河道采砂许可信息 licence
        河道管理范围内建设项目审批信息 project
        水土保持方案审批信息 project
        水库信息 facility
        堤防信息 facility
        水闸信息 facility
        河长制责任河段信息 facility
        水文监测站点信息 facility
        农村饮水工程信息 facility welfare
        水雨情监测数据 monitoring welfare
        地下水监测数据 monitoring
        水利行政处罚信息 penalty
        """,
        """
        水资源: 水资源总量、地表水资源量、地下水资源量 | 分区县 分流域
        用水总量: 用水总量、农业用水量、工业用水量、生活用水量 | 分区县 分行业
        水情: 主要河流平均水位、大中型水库蓄水量 | 分月度 分河流 | welfare
        农村供水保障: 农村供水工程数、农村自来水普及率 | 分区县
        水土流失治理: 治理面积、水土保持率 | 分区县 分治理措施
        水利工程: 水库数量、总库容、堤防长度 | 分区县 分工程类型
        """,
    ),
    "qxj": _D(
        "welfare",
        """
        气象观测站信息 facility
        地面气象观测数据 monitoring
        气象灾害预警信号信息 monitoring
        城市天气预报信息 monitoring
        农业气象服务信息 monitoring industry:agriculture
        海洋气象观测数据 monitoring industry:maritime
        雷电防护装置检测资质信息 licence governance
        升放气球活动许可信息 licence governance
        气象行政处罚信息 penalty governance
        """,
        """
        气温: 平均气温、最高气温、最低气温 | 分月度 分观测站
        降水: 降水量、降水日数 | 分月度 分观测站
        日照: 日照时数、日照百分率 | 分月度 分观测站
        风速: 平均风速、最大风速 | 分月度 分观测站
        气象灾害: 暴雨日数、大风日数、寒潮次数 | 分月度 分灾害种类
        """,
    ),
    "ykhg": _D(
        "industry:maritime",
        """
        进出口货物收发货人备案信息 roster
        海关高级认证企业名单 roster
        报关企业备案信息 roster
        进口食品境外生产企业注册信息 roster welfare
        出口食品生产企业备案信息 roster welfare
        保税仓库信息 facility
        海关监管作业场所信息 facility
        进境动植物检疫审批信息 licence
        原产地证书签发信息 licence industry:commerce
        进出口商品检验结果 inspection
        海关行政处罚信息 penalty governance
        """,
        """
        进出口货物: 进出口总值、出口总值、进口总值 | 分月度 分贸易方式 分商品类别 分国别地区
        口岸监管: 进出境船舶艘次、进出境集装箱数量 | 分月度 分口岸
        保税物流: 保税货物进出区货值 | 分月度 分监管方式 分商品类别
        跨境电子商务: 进出口清单数、交易额 | 分月度 分监管方式
        进出口商品检验: 检验批次、不合格批次 | 分月度 分商品类别
        """,
    ),
    "ghj": _D(
        "industry:maritime",
        """
        港口经营许可信息 licence
        港口危险货物作业附证信息 licence governance
        水路运输经营许可信息 licence
        船员服务机构信息 roster
        港口理货企业信息 roster
        港口码头泊位信息 facility
        航道信息 facility
        锚地信息 facility
        船舶进出港动态信息 monitoring
        引航作业信息 monitoring
        港航行政处罚信息 penalty governance
        """,
        """
        港口吞吐量: 货物吞吐量、集装箱吞吐量、外贸货物吞吐量 | 分月度 分港区 分货类
        船舶进出港: 进出港船舶艘次、总吨位 | 分月度 分船舶类型
        水路运输: 水路货运量、水路客运量 | 分月度 分航线
        港口危险货物作业: 作业量、作业次数 | 分月度 分货物种类
        船员注册: 注册船员人数、新增船员人数 | 分船员类别
        港口设施: 泊位数量、万吨级以上泊位数量、码头岸线长度 | 分港区
        """,
    ),
}


def _field(name: str, title: str, type_: str = "text", **rules: Any) -> dict[str, Any]:
    return {"name": name, "title": title, "type": type_, **rules}


_ID = _field("id_number", "公民身份号码", "id_number", required=True)
_NAME = _field("name", "姓名", "person_name", required=True)
_USCC = _field("uscc", "统一社会信用代码", "uscc", required=True)
_LEGAL = _field("legal_representative", "法定代表人", "person_name")
_DISTRICT = _field("district", "所属区县")
_AUTHORITY = _field("authority", "决定机关")


@dataclass(frozen=True)
class Kind:
    """How a department's records of one kind read: their fields and their profile."""

    fields: tuple[dict[str, Any], ...]
    #: What the records are, after the department's name: the description's first clause.
    what: str
    profile: dict[str, str]


def _profile(classification: str, grade: str, open_level: str, frequency: str) -> dict[str, str]:
    return {
        "classification": classification,
        "grade": grade,
        "open_level": open_level,
        "update_frequency": frequency,
    }


KINDS: Final[dict[str, Kind]] = {
    "person": Kind(
        (
            _ID,
            _NAME,
            _DISTRICT,
            _field("handled_on", "办理日期", "date"),
            _field("status", "办理状态"),
            _field("agency", "经办机构"),
        ),
        "在办理业务中登记的个人记录，每条对应一名办理人",
        _profile("population", "3", "conditional", "daily"),
    ),
    "licence": Kind(
        (
            _USCC,
            _field("holder", "持证单位名称", required=True),
            _LEGAL,
            _field("licence_no", "许可证编号", required=True),
            _field("scope", "许可内容"),
            _field("valid_from", "有效期自", "date"),
            _field("valid_to", "有效期至", "date"),
            _AUTHORITY,
        ),
        "依法作出的行政许可决定，依照“双公示”要求公开",
        _profile("certificate", "2", "open", "weekly"),
    ),
    "penalty": Kind(
        (
            _USCC,
            _field("party", "当事人名称", required=True),
            _field("decision_no", "行政处罚决定书文号", required=True),
            _field("violation", "违法行为类型"),
            _field("penalty", "处罚内容"),
            _field("amount", "罚没款金额（元）", "decimal"),
            _field("decided_on", "处罚决定日期", "date"),
            _AUTHORITY,
        ),
        "依法作出的行政处罚决定，依照“双公示”要求公开",
        _profile("credit", "2", "open", "daily"),
    ),
    "inspection": Kind(
        (
            _USCC,
            _field("target", "检查对象名称", required=True),
            _field("item", "检查事项"),
            _field("method", "检查方式"),
            _field("result", "检查结果"),
            _field("checked_on", "检查日期", "date"),
            _field("inspector", "检查实施机关"),
        ),
        "依法开展监督检查的结果",
        _profile("credit", "2", "open", "monthly"),
    ),
    "roster": Kind(
        (
            _USCC,
            _field("unit_name", "单位名称", required=True),
            _LEGAL,
            _field("domicile", "住所"),
            _field("recognized_on", "登记或认定日期", "date"),
            _field("status", "状态"),
        ),
        "登记或认定的单位名录",
        _profile("legal_entity", "2", "conditional", "monthly"),
    ),
    "facility": Kind(
        (
            _field("facility_code", "编号", required=True),
            _field("facility_name", "名称", required=True),
            _field("category", "类别"),
            _DISTRICT,
            _field("location", "位置描述"),
            _field("longitude", "经度", "decimal"),
            _field("latitude", "纬度", "decimal"),
            _field("manager", "管理单位"),
        ),
        "管理的设施、场所及其空间位置",
        _profile("geography", "1", "open", "quarterly"),
    ),
    "vehicle": Kind(
        (
            _field("plate", "号牌号码", "plate", required=True),
            _field("plate_kind", "号牌种类"),
            _field("vehicle_type", "车辆类型"),
            _field("use_nature", "使用性质"),
            _field("registered_on", "初次登记日期", "date"),
            _DISTRICT,
        ),
        "登记管理的车辆记录",
        _profile("transport", "3", "conditional", "daily"),
    ),
    "project": Kind(
        (
            _field("project_code", "项目代码", required=True),
            _field("project_name", "项目名称", required=True),
            _field("builder", "建设单位"),
            _field("site", "建设地点"),
            _field("investment", "总投资（万元）", "decimal"),
            _field("approval_no", "批复文号"),
            _field("approved_on", "批复日期", "date"),
            _field("status", "项目状态"),
        ),
        "审批和管理的项目",
        _profile("economy", "1", "open", "monthly"),
    ),
    "monitoring": Kind(
        (
            _field("station_code", "站点编号", required=True),
            _field("station_name", "站点名称"),
            _DISTRICT,
            _field("observed_at", "监测时间", "datetime"),
            _field("item", "监测项目"),
            _field("value", "监测值", "decimal"),
            _field("unit", "计量单位"),
        ),
        "自动监测取得的观测数据",
        _profile("environment", "1", "open", "realtime"),
    ),
    "catalogue": Kind(
        (
            _field("item_code", "编码", required=True),
            _field("item_name", "名称", required=True),
            _field("category", "类别"),
            _field("specification", "规格或说明"),
            _field("effective_on", "生效日期", "date"),
            _field("status", "状态"),
        ),
        "编制发布的目录清单",
        _profile("social", "1", "open", "irregular"),
    ),
}
#: A statistical table's fields: the period, the breakdown's own columns, then the
#: indicator in long form. Aggregates only: nothing here can name a person.
_PERIOD = _field("year", "统计年度", "int", required=True)
_MEASURE = (
    _field("indicator", "指标名称", required=True),
    _field("value", "指标值", "decimal"),
    _field("unit", "计量单位"),
)
_BREAKDOWN_FIELDS: Final[dict[str, tuple[dict[str, Any], ...]]] = {
    "": (_field("region_code", "行政区划代码"), _field("region_name", "地区")),
    "分区县": (_field("region_code", "行政区划代码"), _field("region_name", "区县名称")),
    "分乡镇街道": (_field("street_code", "乡镇街道代码"), _field("street_name", "乡镇街道名称")),
    "分行业": (_field("industry_code", "国民经济行业代码"), _field("industry_name", "行业名称")),
    "分月度": (_field("month", "统计月份", "int"),),
    "分季度": (_field("quarter", "统计季度", "int"),),
}
_STATISTIC = _profile("economy", "1", "open", "yearly")


def statistic_fields(breakdown: str) -> list[dict[str, Any]]:
    """``分X`` with no columns of its own is one column titled X (分车辆类型 → 车辆类型)."""
    own = _BREAKDOWN_FIELDS.get(breakdown) or (_field("category", breakdown.removeprefix("分")),)
    return [_PERIOD, *own, *_MEASURE]


@dataclass(frozen=True)
class Listing:
    """One resource a department registers for the catalog."""

    title: str
    description: str
    domain: str
    fields: tuple[dict[str, Any], ...] | list[dict[str, Any]]
    profile: dict[str, str]


_FREQUENCY_ZH: Final = {
    "realtime": "实时",
    "daily": "按日",
    "weekly": "按周",
    "monthly": "按月",
    "quarterly": "按季度",
    "yearly": "按年",
    "irregular": "不定期",
}


def _record(record: Record, provider_name: str) -> Listing:
    kind = KINDS[record.kind]
    fields = "、".join(f["title"] for f in kind.fields)
    frequency = _FREQUENCY_ZH[kind.profile["update_frequency"]]
    return Listing(
        record.title,
        f"{provider_name}{kind.what}，包括{fields}等数据项，{frequency}更新。",
        record.domain,
        kind.fields,
        kind.profile,
    )


def _edition(
    series: Series, breakdown: str, year: int, provider_name: str, quarter: str = ""
) -> Listing:
    period = f"{year}年{quarter}"
    scope = f"按{breakdown.removeprefix('分')}分列的" if breakdown else "全市"
    fields = statistic_fields(breakdown)
    if quarter:
        fields.insert(1, _QUARTER)
    return Listing(
        f"{period}{breakdown}{series.indicator}统计",
        f"营口市{period}{scope}{series.indicator}统计，指标包括{'、'.join(series.measures)}。"
        f"由{provider_name}汇总编制，为统计汇总数据，不含个人信息。",
        series.domain,
        fields,
        _STATISTIC,
    )


_QUARTER = _field("quarter", "统计季度", "int", required=True)
#: Quarterly editions, newest first, of the tables a department counts within the year.
_QUARTERS: Final = ("第四季度", "第三季度", "第二季度", "第一季度")
_WITHIN_THE_YEAR: Final = frozenset({"分月度", "分季度"})


def listings(code: str, provider_name: str) -> Iterator[Listing]:
    """A department's resources, most telling first: its records, then its statistical
    tables' yearly editions, newest first, then the quarterly editions of the tables it
    counts within the year (the largest catalogs only reach those)."""
    department = DEPARTMENTS[code]
    for record in department.records:
        yield _record(record, provider_name)
    for year in EDITIONS:
        for series in department.series:
            for breakdown in series.breakdowns:
                yield _edition(series, breakdown, year, provider_name)
    quarterly = [s for s in department.series if _WITHIN_THE_YEAR & set(s.breakdowns)]
    for year in EDITIONS:
        for quarter in _QUARTERS:
            for series in quarterly:
                for breakdown in series.breakdowns:
                    if breakdown not in _WITHIN_THE_YEAR:
                        yield _edition(series, breakdown, year, provider_name, quarter)


def plan(
    provider_names: dict[str, str], datasets: list[dict[str, Any]], target: int
) -> dict[str, list[Listing]]:
    """Which resources each department lists: taken in turn from each, so every department
    is represented at any size, until the catalog (the datasets included) holds ``target``.
    A title already taken (a dataset's, another department's) is passed over."""
    taken = {d["title"] for d in datasets}
    planned: dict[str, list[Listing]] = {code: [] for code in provider_names}
    queues = {code: listings(code, name) for code, name in provider_names.items()}
    count = len(datasets)
    while count < target and queues:
        for code in list(queues):
            listing = next((x for x in queues[code] if x.title not in taken), None)
            if listing is None:
                del queues[code]
                continue
            taken.add(listing.title)
            planned[code].append(listing)
            count += 1
            if count == target:
                break
    return planned


def _resource(code: str, listing: Listing, rng: random.Random) -> ResourceCreate:
    profile = dict(listing.profile)
    if profile["classification"] == "legal_entity" and rng.random() < 0.3:
        profile["open_level"] = "open"
    shared = profile["classification"] in ("population", "legal_entity") and rng.random() < 0.05
    return ResourceCreate.model_validate(
        {
            "code": code,
            "name": listing.title,
            "description": listing.description,
            "domain": listing.domain,
            "origin": "shared" if shared else "own",
            "shared_from": rng.choice(_SHARED_FROM) if shared else None,
            "fields": list(listing.fields),
            **profile,
        }
    )


_SHARED_FROM: Final = (
    "辽宁省数据局",
    "辽宁省公安厅",
    "辽宁省市场监督管理局",
    "辽宁省人力资源和社会保障厅",
)


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
    return max(len(DEPARTMENTS) * 4, math.ceil(TARGET_ENTRIES * min(scale, 1.0)))


def _closed(department: Department, provider_name: str) -> ResourceCreate:
    """The one resource per department barred from opening: its working papers."""
    first = department.records[0]
    listing = _record(first, provider_name)
    return ResourceCreate.model_validate(
        {
            "code": "r9999",
            "name": f"{first.title.removesuffix('信息')}内部审核材料",
            "description": f"{provider_name}内部审核{first.title.removesuffix('信息')}的工作材料，"
            "不予开放。",
            "domain": first.domain,
            "fields": list(listing.fields),
            **{**listing.profile, "open_level": "closed", "grade": "4"},
        }
    )


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
    providers = {}
    for code in DEPARTMENTS:
        provider = identity_repository.organization_by_code(session, code)
        if provider is None:
            raise RuntimeError(f"demo provider {code} is missing; seed identity first")
        providers[code] = provider
    planned = plan({c: p.name for c, p in providers.items()}, datasets, target)
    listable = []
    for code, provider in providers.items():
        for dataset in (d for d in datasets if d["provider"] == code):
            resource = catalog.create_resource_row(
                session,
                actor=system,
                clock=clock,
                provider_id=provider.id,
                data=_dataset_resource(dataset),
            )
            listable.append(resource.id)
        for index, listing in enumerate(planned[code], start=1):
            data = _resource(f"r{index:04d}", listing, rng)
            resource = catalog.create_resource_row(
                session, actor=system, clock=clock, provider_id=provider.id, data=data
            )
            if data.origin == "shared" and rng.random() < 0.8:
                resource.sharing_consent_at = clock.now()
                resource.sharing_consent_evidence = f"{data.shared_from}同意函"
            listable.append(resource.id)
        catalog.create_resource_row(
            session,
            actor=system,
            clock=clock,
            provider_id=provider.id,
            data=_closed(DEPARTMENTS[code], provider.name),
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
