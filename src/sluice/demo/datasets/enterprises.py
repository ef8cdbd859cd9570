"""The city's registered enterprises: names, types, legal representatives, credit codes.

Every department's records about an enterprise draw from this one register."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from sluice.core.checksums import org_code_check_chars, uscc_from_bodies
from sluice.demo import regions
from sluice.demo.datasets.people import (
    _ADDRESS_KEYS,
    _DISTRICT_CODES,
    _STREET_KIND_WEIGHT,
    _STREET_OFFSET,
    People,
    _address,
)
from sluice.demo.datasets.shared import (
    _AS_OF_DAY,
    AS_OF,
    Ints,
    _choice,
    _day,
    _digits,
    _join,
    _nullable,
    _plus_years,
    _pool,
    _sample,
    _take,
    _unique_ints,
    _words,
)

# ---------------------------------------------------------------------------------------
# Enterprises


# GB/T 4754-2017 sections: code, name, share of registrations, words used in names.
# No word starts with a character of _TRADE_CHARS, so trade name + word splits one way.
_INDUSTRIES: Final = (
    ("A", "农、林、牧、渔业", 0.04, "果业 农业科技 水产养殖 农产品"),
    ("B", "采矿业", 0.01, "矿业 菱镁矿业"),
    ("C", "制造业", 0.15, "机械制造 镁制品 耐火材料 化工 钢结构 服装 食品 塑料制品 阀门 包装制品"),
    ("D", "电力、热力、燃气及水生产和供应业", 0.01, "热力 燃气 电力工程"),
    ("E", "建筑业", 0.08, "建筑工程 装饰工程 市政工程 防水工程"),
    ("F", "批发和零售业", 0.30, "商贸 贸易 五金 建材 超市 医药 粮油 汽车销售"),
    ("G", "交通运输、仓储和邮政业", 0.07, "物流 运输 仓储 货运代理 船务"),
    ("H", "住宿和餐饮业", 0.08, "餐饮管理 酒店 饭店 火锅"),
    ("I", "信息传输、软件和信息技术服务业", 0.04, "网络科技 软件 数据科技"),
    ("K", "房地产业", 0.03, "房地产开发 物业管理"),
    ("L", "租赁和商务服务业", 0.08, "商务咨询 人力资源 广告传媒 企业管理咨询"),
    ("M", "科学研究和技术服务业", 0.03, "工程设计 检测技术 环保科技"),
    ("O", "居民服务、修理和其他服务业", 0.04, "家政服务 汽车维修 洗浴"),
    ("Q", "卫生和社会工作", 0.01, "医疗管理 养老服务"),
    ("R", "文化、体育和娱乐业", 0.03, "文化传媒 体育 影视"),
)
_TRADE_CHARS: Final = (
    "恒鑫华盛泰达源隆丰利宏昌福瑞祥嘉诚通辽港金银宝兴旺安康德"
    "博远新中正永鸿腾凯顺和美佳天润龙鼎辰峰创亿众宇晟锦泓鹏航翔"
)
_ENTERPRISE_TYPES: Final = (
    # (type, name suffix, share)
    ("有限责任公司（自然人独资）", "有限公司", 0.42),
    ("有限责任公司（自然人投资或控股）", "有限公司", 0.40),
    ("股份有限公司（非上市、自然人投资或控股）", "股份有限公司", 0.03),
    ("个人独资企业", "经营部", 0.09),
    ("普通合伙企业", "中心（普通合伙）", 0.06),
)
_STATUSES: Final = ("存续", "注销", "吊销，未注销", "迁出")
_STATUS_WEIGHTS: Final = (0.84, 0.10, 0.04, 0.02)
_ACTIVE = 0
# The 2015 reform gave new organizations codes starting "MA" instead of 8 digits.
_MA_CODES_FROM: Final = _day(date(2015, 10, 1))
_EARLIEST_ENTERPRISE: Final = _day(date(1992, 1, 1))


@dataclass(frozen=True, slots=True)
class Enterprises:
    uscc: Any  # Arrow strings
    name: Any  # Arrow strings
    established: Ints
    status: Ints
    district: Ints  # index into regions.DISTRICTS (the address)
    registrar: Any  # Arrow strings: 2108xx code of the registering authority
    street: Ints
    address_key: Ints
    legal_rep: Ints  # resident row
    capital_fen: Ints
    industry: Ints
    kind: Ints

    @property
    def count(self) -> int:
        return int(self.established.shape[0])

    def active(self, before: date = AS_OF) -> Ints:
        day = _day(before)
        return np.flatnonzero((self.status == _ACTIVE) & (self.established < day)).astype(np.int64)

    def addresses(self, rows: npt.NDArray[Any]) -> Any:
        return _address(self.street[rows], self.address_key[rows], dwelling=False)


def _trade_names(rng: np.random.Generator, industry: Ints) -> Any:
    """A distinct trade name + industry word per enterprise (恒盛机械制造, 恒盛达物流).

    Within an industry an integer key numbers each (characters, word) combination, so
    distinct keys make distinct names. Most trade names have two characters, some three.
    """
    chars = len(_TRADE_CHARS)
    trade = _pool(list(_TRADE_CHARS))
    names, rows_in_order = [], []
    for index, (_, _, _, word_list) in enumerate(_INDUSTRIES):
        rows = np.flatnonzero(industry == index)
        words = _pool(_words(word_list))
        two_char = chars * chars * len(words)  # combinations with a two-character name
        short = min(int(rows.shape[0] * 0.6), two_char // 2)
        keys = np.concatenate(
            [
                _unique_ints(rng, two_char, short),
                _unique_ints(rng, two_char * chars, rows.shape[0] - short),
            ]
        )
        third = keys // two_char  # 0 for the short ones, whose third character is left out
        keys = keys % two_char
        word = keys % len(words)
        first = (keys // len(words)) % chars
        second = keys // (len(words) * chars)
        third_char = _nullable(_take(trade, third), np.arange(rows.shape[0]) >= short)
        names.append(
            pc.binary_join_element_wise(
                _take(trade, first),
                _take(trade, second),
                third_char,
                _take(words, word),
                "",
                null_handling="replace",
            )
        )
        rows_in_order.append(rows)
    order = np.argsort(np.concatenate(rows_in_order))
    return pa.concat_arrays(names).take(pa.array(order))


def make_enterprises(rng: np.random.Generator, n: int, people: People) -> Enterprises:
    districts = regions.DISTRICTS
    district = _choice(rng, n, [d.population_share for d in districts])
    street = np.empty(n, dtype=np.int64)
    for index, d in enumerate(districts):
        rows = np.flatnonzero(district == index)
        # Businesses cluster in the subdistricts even more than homes do.
        weights = [_STREET_KIND_WEIGHT[s.kind] ** 2 for s in d.streets]
        street[rows] = _STREET_OFFSET[index] + _choice(rng, rows.shape[0], weights)
    # Larger companies register with the city bureau (210800), the rest with the district.
    city_level = rng.random(n) < 0.15
    registrar = pc.if_else(
        pa.array(city_level), pa.scalar(regions.CITY_CODE), _take(_DISTRICT_CODES, district)
    )

    legal_rep = _sample(rng, people.aged(22, 75), n)
    # Registered once the representative was 20 and the register existed, later more often.
    earliest = np.maximum(_plus_years(people.birth[legal_rep], 20), _EARLIEST_ENTERPRISE)
    span = np.maximum(_AS_OF_DAY - earliest, 0)
    established = earliest + np.floor(span * rng.random(n) ** 0.6).astype(np.int64)
    status = _choice(rng, n, _STATUS_WEIGHTS)
    status[established > _AS_OF_DAY - 365] = _ACTIVE

    industry = _choice(rng, n, [i[2] for i in _INDUSTRIES])
    kind = _choice(rng, n, [t[2] for t in _ENTERPRISE_TYPES])
    capital_wan = np.clip(np.round(10 ** rng.normal(2.0, 0.7, size=n)), 1, 500_000)
    capital_fen = capital_wan.astype(np.int64) * 10_000 * 100

    # Organization code: 8 digits before the reform, "MA" + 6 code characters after.
    ma = established >= _MA_CODES_FROM
    old_rows, new_rows = np.flatnonzero(~ma), np.flatnonzero(ma)
    old_codes = _digits(_unique_ints(rng, 10**8, old_rows.shape[0]), 8)
    alphabet = _pool(list("0123456789ABCDEFGHJKLMNPQRTUWXY"))
    new_keys = _unique_ints(rng, 31**6, new_rows.shape[0])
    new_parts = [_take(alphabet, (new_keys // 31**p) % 31) for p in range(5, -1, -1)]
    new_codes = _join("MA", *new_parts) if new_rows.shape[0] else pa.array([], pa.string())
    order = np.argsort(np.concatenate([old_rows, new_rows]))
    org_body = pa.concat_arrays([old_codes, new_codes]).take(pa.array(order))
    org_code = _join(org_body, pa.array(org_code_check_chars(org_body)))
    # 91: registered by market regulation (9), as an enterprise (1).
    uscc = uscc_from_bodies(_join("91", registrar, org_code))

    places = np.array(["营口"] * len(districts), dtype=object)
    places[[i for i, d in enumerate(districts) if d.code == "210881"]] = "盖州"
    places[[i for i, d in enumerate(districts) if d.code == "210882"]] = "大石桥"
    suffixes = _pool([t[1] for t in _ENTERPRISE_TYPES])
    name = _join(
        _take(_pool(list(places)), district),
        _trade_names(rng, industry),
        _take(suffixes, kind),
    )
    return Enterprises(
        uscc=uscc,
        name=name,
        established=established,
        status=status,
        district=district,
        registrar=registrar,
        street=street,
        address_key=rng.integers(0, _ADDRESS_KEYS, size=n),
        legal_rep=legal_rep,
        capital_fen=capital_fen,
        industry=industry,
        kind=kind,
    )
