"""The city's people: names by cohort, regions, addresses, resident ID numbers.

Every department's records about a person draw from this one population, so the same
person carries the same name and ID number everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from sluice.core.checksums import ric_from_bodies
from sluice.demo import regions
from sluice.demo.datasets.shared import (
    _AS_OF_DAY,
    _NUMBERS,
    Ints,
    _age,
    _choice,
    _join,
    _pool,
    _take,
    _unique_ints,
    _weighted_words,
    _words,
    _ymd,
)

# ---------------------------------------------------------------------------------------
# People: names, regions, addresses


# Surnames and rough shares in Liaoning: 王 李 张 刘 lead; 于 孙 高 曲 姜 are commoner
# here than nationally, and 关 佟 那 富 are frequent among Manchu families.
SURNAMES, _SURNAME_WEIGHTS = _weighted_words(
    "王7.8 李7.5 张7.3 刘6.2 陈3.6 杨3.2 赵3.0 孙2.5 于2.1 高2.0 徐1.8 马1.6 "
    "郭1.4 周1.4 吴1.3 朱1.2 宋1.2 董1.1 姜1.0 韩1.0 黄1.0 胡0.9 林0.8 许0.8 "
    "冯0.8 曹0.8 田0.8 崔0.8 杜0.7 魏0.7 梁0.7 郑0.7 曲0.6 何0.6 唐0.6 肖0.6 "
    "苏0.6 吕0.6 丁0.6 任0.6 金0.6 付0.6 孟0.6 袁0.5 潘0.5 谢0.5 程0.5 姚0.5 "
    "卢0.5 范0.5 石0.5 贾0.5 白0.5 闫0.5 侯0.5 关0.5 罗0.4 邓0.4 彭0.4 蒋0.4 "
    "蔡0.4 沈0.4 秦0.4 尹0.4 薛0.4 史0.4 郝0.4 武0.4 常0.4 曾0.3 叶0.3 谭0.3 "
    "陆0.3 汪0.3 夏0.3 方0.3 邹0.3 邱0.3 段0.3 雷0.3 陶0.3 贺0.3 顾0.3 毛0.3 "
    "邵0.3 孔0.3 佟0.3 葛0.3 宫0.3 余0.3 钟0.2 廖0.2 熊0.2 万0.2 钱0.2 严0.2 "
    "戴0.2 鲍0.2 隋0.2 迟0.2 龙0.1 黎0.1 那0.1 富0.1 滕0.1 盖0.1 栾0.1 "
)

# Given-name characters by birth cohort and sex: names follow fashions (建国 and 淑芬
# in the 1950s, 子涵 and 梓轩 since 2000).
_COHORT_YEARS: Final = (1970, 1995)
_GIVEN_POOLS: Final = {
    ("old", True): "国建军明伟志强华平刚勇林海东成文福德春庆忠学光永富贵宝金双利新民立广胜长山玉清",
    ("old", False): "淑秀桂玉凤兰芬英华珍霞梅丽萍琴红云荣敏艳春香芳娟秋菊莲素彩琳",
    ("mid", True): "伟磊鹏超涛亮健斌军鑫浩宇博帅峰刚明辉龙阳晨旭东杰凯威波强飞勇毅宁",
    ("mid", False): "丽静婷娜颖雪晶丹艳莹琳佳慧敏倩爽楠蕾薇洋月欣悦玲燕红霞媛岩",
    ("young", True): "子梓宇轩浩博睿泽辰俊皓宸航铭一诺嘉昊然天奕煜翔鑫晨阳毅恒锦瑞",
    ("young", False): "子梓涵欣怡雨诗佳可馨萱彤琪悦妍瑶晴若依思语琳一诺沐汐茜蕊桐",
}
# Share of one-character given names per cohort.
_SINGLE_GIVEN: Final = {"old": 0.3, "mid": 0.35, "young": 0.1}
_GIVEN_CHARS: Final = ("", *(c for pool in _GIVEN_POOLS.values() for c in pool))

_ETHNICITIES: Final = ("汉族", "满族", "回族", "朝鲜族", "蒙古族", "锡伯族")
_ETHNICITY_WEIGHTS: Final = (0.82, 0.15, 0.01, 0.008, 0.007, 0.005)

# Relative number of residents at each age 0..95: an ageing northeastern city, the 1960s
# and 1980s birth peaks large, recent cohorts small. Interpolated between these anchors.
_AGE_POINTS: Final = (0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95)
_AGE_DENSITY: Final = (
    0.45, 0.65, 0.85, 0.85, 0.9, 1.0, 1.15, 1.2, 1.25, 1.45, 1.7, 1.8, 1.6, 1.45, 1.1, 0.7, 0.45,
    0.25, 0.1, 0.03,
)  # fmt: skip
_MAX_AGE: Final = 95

# Mobile prefixes of the three carriers, weighted roughly by subscribers.
_MOBILE_PREFIXES: Final = _words(
    "134 135 136 137 138 139 147 150 151 152 157 158 159 178 182 183 184 187 188 195 "
    "198 130 131 132 145 155 156 166 175 176 185 186 196 133 149 153 173 177 180 181 "
    "189 190 191 193 199 "
)
_MOBILE_WEIGHTS: Final = [
    3.0 if p in {"138", "139", "135", "136", "137", "150", "151", "152", "158", "159"} else 1.5
    for p in _MOBILE_PREFIXES
]

_STREETS: Final = tuple(s for d in regions.DISTRICTS for s in d.streets)
_STREET_DISTRICT: Final = np.array(
    [i for i, d in enumerate(regions.DISTRICTS) for _ in d.streets], dtype=np.int64
)
_STREET_OFFSET: Final = np.cumsum([0, *(len(d.streets) for d in regions.DISTRICTS)])[:-1]
_STREET_URBAN: Final = np.array([s.kind == "subdistrict" for s in _STREETS])
# Most people live in the subdistricts (街道) of the towns, fewer in 镇, fewest in 乡.
_STREET_KIND_WEIGHT: Final = {"subdistrict": 3.0, "town": 1.0, "township": 0.6}
_STREET_PREFIX: Final = _pool(
    [
        f"{regions.PROVINCE_ZH}{regions.CITY_ZH}{d.name_zh}{s.name_zh}"
        for d in regions.DISTRICTS
        for s in d.streets
    ]
)
_STREET_NAMES: Final = _pool([s.name_zh for s in _STREETS])
_DISTRICT_CODES: Final = _pool([d.code for d in regions.DISTRICTS])
_ROADS: Final = _pool(regions.ROADS_ZH)
_VILLAGE_HEADS: Final = _pool(regions.VILLAGE_HEADS_ZH)
_VILLAGE_TAILS: Final = _pool(regions.VILLAGE_TAILS_ZH)
# An address key packs road, house number, building, unit, floor and room.
_ADDRESS_RADIX: Final = (len(regions.ROADS_ZH), 300, 30, 6, 18, 4)
_ADDRESS_KEYS: Final = int(np.prod(_ADDRESS_RADIX))

# ID region code of each district for birth years 1900..2100.
_FIRST_BIRTH_YEAR: Final = 1900
_ID_REGION: Final = np.array(
    [
        [int(d.id_region_code(year)) for year in range(_FIRST_BIRTH_YEAR, 2101)]
        for d in regions.DISTRICTS
    ],
    dtype=np.int64,
)
# Order codes (顺序码) run 001..999: odd for men, even for women; 499 per sex per group.
_ORDER_CODES_PER_SEX: Final = 499


def _address(street: npt.NDArray[Any], key: npt.NDArray[Any], *, dwelling: bool) -> Any:
    """Full addresses: a road address in a subdistrict, a village address elsewhere.

    ``dwelling`` adds building, unit and flat (``56号3-2-501``) to road addresses.
    """
    k = np.asarray(key, dtype=np.int64)
    parts = []
    for radix in _ADDRESS_RADIX:
        parts.append(k % radix)
        k = k // radix
    road, number, building, unit, floor, room = parts
    urban = [_take(_ROADS, road), _take(_NUMBERS, number + 1), "号"]
    if dwelling:
        flat = (floor + 1) * 100 + room + 1
        urban += [_take(_NUMBERS, building + 1), "-", _take(_NUMBERS, unit + 1), "-"]
        urban += [_take(_NUMBERS, flat)]
    k = np.asarray(key, dtype=np.int64)
    heads, tails = len(regions.VILLAGE_HEADS_ZH), len(regions.VILLAGE_TAILS_ZH)
    village = [
        _take(_VILLAGE_HEADS, k % heads),
        _take(_VILLAGE_TAILS, (k // heads) % tails),
        "村",
    ]
    if dwelling:
        group = (k // (heads * tails)) % 12 + 1
        house = (k // (heads * tails * 12)) % 200 + 1
        village += [_take(_NUMBERS, group), "组", _take(_NUMBERS, house), "号"]
    detail = pc.if_else(pa.array(_STREET_URBAN[street]), _join(*urban), _join(*village))
    return _join(_take(_STREET_PREFIX, street), detail)


@dataclass(frozen=True, slots=True)
class People:
    """The registered population, one compact numeric row per resident.

    Every other dataset refers to residents by row number and renders their ID number,
    name, mobile or address from these arrays on demand, so they agree everywhere.
    """

    body: Ints  # the 17-digit ID body as an integer
    birth: Ints  # day number
    male: npt.NDArray[np.bool_]
    district: Ints  # index into regions.DISTRICTS
    street: Ints  # index into _STREETS
    address_key: Ints
    surname: Ints
    given1: Ints  # index into _GIVEN_CHARS, 0 for none
    given2: Ints
    mobile: Ints  # 11-digit number, 0 for none
    age: Ints  # completed years on AS_OF

    @property
    def count(self) -> int:
        return int(self.body.shape[0])

    def ids(self, rows: npt.NDArray[Any]) -> Any:
        return ric_from_bodies(self.body[rows])

    def names(self, rows: npt.NDArray[Any]) -> Any:
        return _join(
            _take(_SURNAME_POOL, self.surname[rows]),
            _take(_GIVEN_POOL, self.given1[rows]),
            _take(_GIVEN_POOL, self.given2[rows]),
        )

    def mobiles(self, rows: npt.NDArray[Any]) -> Any:
        numbers = self.mobile[rows]
        return pa.array(numbers, mask=numbers == 0).cast(pa.string())

    def addresses(self, rows: npt.NDArray[Any]) -> Any:
        return _address(self.street[rows], self.address_key[rows], dwelling=True)

    def aged(self, low: int, high: int) -> Ints:
        """Rows of residents aged ``low``..``high`` (inclusive) on ``AS_OF``."""
        return np.flatnonzero((self.age >= low) & (self.age <= high)).astype(np.int64)


_SURNAME_POOL: Final = _pool(SURNAMES)
_GIVEN_POOL: Final = _pool(_GIVEN_CHARS)


def _order_codes(
    rng: np.random.Generator, region: Ints, birth: Ints, male: npt.NDArray[np.bool_]
) -> Ints:
    """A 3-digit order code per resident, unique within (region, birth date, sex).

    Ranks residents within each group by sorting, then rotates each group's ranks by a
    random offset so the codes look issued rather than counted from 001.
    """
    n = region.shape[0]
    key = (region * 100_000 + (birth + 50_000)) * 2 + male
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    starts_mask = np.ones(n, dtype=bool)
    starts_mask[1:] = ordered[1:] != ordered[:-1]
    group = np.cumsum(starts_mask) - 1
    starts = np.flatnonzero(starts_mask)
    rank = np.arange(n) - starts[group]
    if n and rank.max() >= _ORDER_CODES_PER_SEX:
        raise ValueError("too many residents share a birth date and district; lower the scale")
    offset = rng.integers(0, _ORDER_CODES_PER_SEX, size=starts.shape[0])
    half = (rank + offset[group]) % _ORDER_CODES_PER_SEX + 1
    codes = np.empty(n, dtype=np.int64)
    codes[order] = half * 2 + male[order]
    return codes


def make_people(rng: np.random.Generator, n: int) -> People:
    shares = [d.population_share for d in regions.DISTRICTS]
    district = _choice(rng, n, shares)
    street = np.empty(n, dtype=np.int64)
    for index, d in enumerate(regions.DISTRICTS):
        rows = np.flatnonzero(district == index)
        weights = [_STREET_KIND_WEIGHT[s.kind] for s in d.streets]
        street[rows] = _STREET_OFFSET[index] + _choice(rng, rows.shape[0], weights)

    ages = np.arange(_MAX_AGE + 1)
    age = _choice(rng, n, list(np.interp(ages, _AGE_POINTS, _AGE_DENSITY)))
    # Days back from AS_OF: whole years of age plus a day within the year of age.
    birth = _AS_OF_DAY - (age * 365 + age // 4 + rng.integers(0, 365, size=n))
    # Women outlive men: the share of men falls past 60.
    male = rng.random(n) < np.where(age > 60, 0.51 - (age - 60) * 0.006, 0.51)

    year, month, day = _ymd(birth)
    region = _ID_REGION[district, year - _FIRST_BIRTH_YEAR]
    order = _order_codes(rng, region, birth, male)
    body = (region * 10**8 + year * 10**4 + month * 100 + day) * 1000 + order

    surname = _choice(rng, n, _SURNAME_WEIGHTS)
    given1 = np.zeros(n, dtype=np.int64)
    given2 = np.zeros(n, dtype=np.int64)
    cohort = np.digitize(year, _COHORT_YEARS)
    start = 1
    for (name, is_male), chars in _GIVEN_POOLS.items():
        rows = np.flatnonzero((cohort == ("old", "mid", "young").index(name)) & (male == is_male))
        given1[rows] = start + rng.integers(0, len(chars), size=rows.shape[0])
        two = rng.random(rows.shape[0]) >= _SINGLE_GIVEN[name]
        given2[rows[two]] = start + rng.integers(0, len(chars), size=int(two.sum()))
        start += len(chars)

    # Children under 12 have no phone of their own; some of the very old share one.
    has_mobile = rng.random(n) < np.interp(
        age, [0, 11, 12, 17, 18, 75, 80, 95], [0, 0, 0.6, 0.6, 0.97, 0.97, 0.6, 0.4]
    )
    mobile = np.zeros(n, dtype=np.int64)
    counts = rng.multinomial(
        int(has_mobile.sum()), np.array(_MOBILE_WEIGHTS) / sum(_MOBILE_WEIGHTS)
    )
    numbers = np.concatenate(
        [
            int(prefix) * 10**8 + _unique_ints(rng, 10**8, int(count))
            for prefix, count in zip(_MOBILE_PREFIXES, counts, strict=True)
        ]
    )
    rng.shuffle(numbers)
    mobile[has_mobile] = numbers

    return People(
        body=body,
        birth=birth.astype(np.int64),
        male=male,
        district=district,
        street=street,
        address_key=rng.integers(0, _ADDRESS_KEYS, size=n),
        surname=surname,
        given1=given1,
        given2=given2,
        mobile=mobile,
        age=_age(birth, _AS_OF_DAY),
    )
