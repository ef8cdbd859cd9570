"""The synthetic 营口: each provider department's own source data, as raw Parquet files.

``build_datasets`` writes one file per dataset at ``<sources_dir>/<provider>/<dataset>.parquet``:
what the departments' systems hold before the platform ingests anything. The files are

- **linked**: the same people and enterprises appear across departments under the same
  resident ID number and credit code (a legal representative is a registered resident, an
  employer is a registered enterprise, a student's guardian is a resident of the same
  district, and so on);
- **valid**: every resident ID passes ``stdnum.cn.ric.validate`` (region code in force in
  the birth year, real birth date, check character, gender in digit 17), every credit code
  passes ``stdnum.cn.uscc.validate`` and its embedded organization code its GB 11714 check;
- **deterministic**: a function of ``seed`` and ``scale`` only, byte for byte;
- **vectorized**: numpy and Arrow over whole columns, loops only per dataset, batch,
  column or category, so scale 100 (about 100M rows) is a matter of minutes;
- **clean on purpose**: no defect is planted. ``INTENDED_QUARANTINE_SHARE`` says so as
  data: the share of each dataset's rows the platform is meant to quarantine is 0, and
  the demo prints the share it actually quarantined next to it. Values the platform's
  cleaning has to normalise still occur as the departments' systems write them (the
  full-width brackets and commas of ``有限责任公司（自然人独资）`` or ``吊销，未注销``).

The files stand for the departments' own systems, outside the platform: the demo builds
them in a private temporary directory, never under ``SLUICE_HOME`` (``city.DemoSources``).

Money is integer fen, dates are ``date32``, areas and loads are ``decimal128(12, 2)``.
Everything is dated as of ``AS_OF``, not today, so a build never changes with the clock.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sluice.core.checksums import org_code_check_chars, ric_from_bodies, uscc_from_bodies
from sluice.demo import regions

FieldType = Literal[
    "text",
    "int",
    "decimal",
    "date",
    "datetime",
    "bool",
    "enum",
    "id_number",
    "uscc",
    "mobile",
    "plate",
    "address",
    "person_name",
]
FieldClass = Literal["public", "internal", "sensitive", "identifier"]
UpdateFrequency = Literal["daily", "weekly", "monthly", "quarterly", "yearly"]

Ints: TypeAlias = npt.NDArray[np.int64]
Columns: TypeAlias = dict[str, Any]

AS_OF: Final = date(2026, 10, 31)
# Rows per Parquet row group and per generated batch: bounds memory at any scale.
BATCH_ROWS: Final = 1_000_000
MIN_SCALE: Final = 0.01

PROVIDERS: Final[tuple[tuple[str, str, str], ...]] = (
    ("gaj", "营口市公安局", "Yingkou Municipal Public Security Bureau"),
    ("scjgj", "营口市市场监督管理局", "Yingkou Administration for Market Regulation"),
    ("rsj", "营口市人力资源和社会保障局", "Yingkou Human Resources and Social Security Bureau"),
    ("gjj", "营口市住房公积金管理中心", "Yingkou Housing Provident Fund Management Center"),
    ("bdc", "营口市不动产登记中心", "Yingkou Real Estate Registration Center"),
    ("swj", "国家税务总局营口市税务局", "Yingkou Taxation Bureau, State Taxation Administration"),
    ("mzj", "营口市民政局", "Yingkou Civil Affairs Bureau"),
    ("wjw", "营口市卫生健康委员会", "Yingkou Health Commission"),
    ("jyj", "营口市教育局", "Yingkou Education Bureau"),
    ("jtj", "营口市交通运输局", "Yingkou Transportation Bureau"),
    ("water", "营口市水务集团", "Yingkou Water Group"),
    ("power", "国网营口供电公司", "State Grid Yingkou Power Supply Company"),
)


@dataclass(frozen=True, slots=True)
class DemoField:
    name: str
    type: FieldType
    field_class: FieldClass
    title_zh: str


@dataclass(frozen=True, slots=True)
class DemoDataset:
    provider_code: str
    code: str
    title_zh: str
    title_en: str
    description_zh: str
    update_frequency: UpdateFrequency
    rows: int
    path: Path
    fields: tuple[DemoField, ...]
    #: The share of rows (0 to 1) the platform is meant to quarantine on ingestion.
    intended_quarantine_share: float = 0.0


#: The share of each dataset's rows (0 to 1) the generator means the platform to
#: quarantine when the dataset is ingested with its catalog fields. The generator plants
#: no defect, so every share is 0: a quarantined row of the demo is a defect of the
#: platform's cleaning or validation, not of the data.
INTENDED_QUARANTINE_SHARE: Final[dict[str, float]] = {
    "residents": 0.0,
    "enterprises": 0.0,
    "social_insurance": 0.0,
    "provident_fund_accounts": 0.0,
    "property_registrations": 0.0,
    "tax_credit_ratings": 0.0,
    "subsistence_allowance": 0.0,
    "vaccinations": 0.0,
    "student_enrolment": 0.0,
    "operating_vehicles": 0.0,
    "water_bills": 0.0,
    "electricity_bills": 0.0,
}


ARROW_TYPES: Final[dict[FieldType, pa.DataType]] = {
    "text": pa.string(),
    "int": pa.int64(),
    "decimal": pa.decimal128(12, 2),
    "date": pa.date32(),
    "datetime": pa.timestamp("ms", tz="UTC"),
    "bool": pa.bool_(),
    "enum": pa.string(),
    "id_number": pa.string(),
    "uscc": pa.string(),
    "mobile": pa.string(),
    "plate": pa.string(),
    "address": pa.string(),
    "person_name": pa.string(),
}

# Rows at scale 1 of the datasets whose size is set directly; the others follow from the
# population (children, students) or from enterprises x years and accounts x months.
_BASE_COUNTS: Final = {
    "residents": 200_000,
    "enterprises": 20_000,
    "workers": 20_000,
    "fund_extra": 4_000,
    "properties": 80_000,
    "allowance": 6_000,
    "vehicles": 30_000,
    "water_accounts": 12_500,
    "power_accounts": 14_000,
}


# ---------------------------------------------------------------------------------------
# Dates


_EPOCH = date(1970, 1, 1)


def _day(d: date) -> int:
    return (d - _EPOCH).days


_AS_OF_DAY: Final = _day(AS_OF)


def _ymd(days: npt.NDArray[Any]) -> tuple[Ints, Ints, Ints]:
    """Year, month and day of each day number (days since 1970-01-01)."""
    d = np.asarray(days, dtype="datetime64[D]")
    months = d.astype("datetime64[M]")
    years = months.astype("datetime64[Y]")
    year = years.astype(np.int64) + 1970
    month = (months - years).astype(np.int64) + 1
    day = (d - months).astype(np.int64) + 1
    return year, month, day


def _from_ymd(year: Ints, month: Ints, day: Ints) -> Ints:
    """Day numbers; a day past the month's end rolls over (29 Feb -> 1 Mar)."""
    months = (year - 1970) * 12 + (month - 1)
    first = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    return np.asarray(first + day - 1, dtype=np.int64)


def _plus_years(days: npt.NDArray[Any], years: int) -> Ints:
    year, month, day = _ymd(days)
    return _from_ymd(year + years, month, day)


def _age(birth: npt.NDArray[Any], on: npt.NDArray[Any] | int) -> Ints:
    """Completed years of age on a day."""
    by, bm, bd = _ymd(birth)
    oy, om, od = _ymd(np.broadcast_to(np.asarray(on), np.shape(birth)))
    return np.asarray(oy - by - ((om < bm) | ((om == bm) & (od < bd))), dtype=np.int64)


def _between(rng: np.random.Generator, low: npt.NDArray[Any], high: npt.NDArray[Any]) -> Ints:
    """A uniform day in ``[low, high]`` for each row (``high < low`` yields ``low``)."""
    start = np.asarray(low, dtype=np.int64)
    span = np.maximum(np.asarray(high, dtype=np.int64) - start, 0)
    offset = np.floor(rng.random(start.shape[0]) * (span + 1)).astype(np.int64)
    return np.asarray(start + offset, dtype=np.int64)


# ---------------------------------------------------------------------------------------
# Arrow helpers


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _weighted_words(text: str) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """Split ``"王7.8 李7.5"`` into words and their weights."""
    pairs = [re.fullmatch(r"(\D+)([\d.]+)", entry) for entry in text.split()]
    matches = [m for m in pairs if m is not None]
    return tuple(m[1] for m in matches), tuple(float(m[2]) for m in matches)


def _pool(values: Sequence[str]) -> Any:
    return pa.array(list(values), type=pa.string())


# Decimal strings of small numbers: a take from here is ten times faster than a cast.
_NUMBERS: Final = _pool([str(i) for i in range(2000)])


def _take(pool: Any, index: npt.NDArray[Any]) -> Any:
    return pool.take(pa.array(np.asarray(index, dtype=np.int64)))


def _join(*parts: Any) -> Any:
    return pc.binary_join_element_wise(*parts, "")


def _digits(values: npt.NDArray[Any], width: int) -> Any:
    """Non-negative integers as zero-padded decimal strings."""
    text = pa.array(np.asarray(values, dtype=np.int64)).cast(pa.string())
    return pc.utf8_lpad(text, width, "0")


def _dates(days: npt.NDArray[Any], valid: npt.NDArray[np.bool_] | None = None) -> Any:
    values = np.asarray(days, dtype=np.int32)
    return pa.array(values, type=pa.date32(), mask=None if valid is None else ~valid)


def _ints(values: npt.NDArray[Any], valid: npt.NDArray[np.bool_] | None = None) -> Any:
    values = np.asarray(values, dtype=np.int64)
    return pa.array(values, type=pa.int64(), mask=None if valid is None else ~valid)


def _decimals(hundredths: npt.NDArray[Any], valid: npt.NDArray[np.bool_] | None = None) -> Any:
    """decimal128(12, 2) from integer hundredths, built from the 128-bit words directly."""
    low = np.asarray(hundredths, dtype=np.int64)
    words = np.stack([low, np.where(low < 0, -1, 0)], axis=1)
    arr = pa.Array.from_buffers(ARROW_TYPES["decimal"], low.shape[0], [None, pa.py_buffer(words)])
    if valid is None:
        return arr
    return pc.if_else(pa.array(valid), arr, pa.scalar(None, arr.type))


def _nullable(values: Any, valid: npt.NDArray[np.bool_]) -> Any:
    return pc.if_else(pa.array(valid), values, pa.scalar(None, values.type))


def _choice(rng: np.random.Generator, n: int, weights: Sequence[float]) -> Ints:
    p = np.asarray(weights, dtype=np.float64)
    return rng.choice(p.shape[0], size=n, p=p / p.sum()).astype(np.int64)


def _sample(rng: np.random.Generator, pool: npt.NDArray[Any], n: int) -> Ints:
    """``n`` members of ``pool``, without repeats while the pool is big enough."""
    pool = np.asarray(pool, dtype=np.int64)
    if pool.shape[0] == 0:
        raise ValueError("cannot sample from an empty population; raise the scale")
    replace = n > pool.shape[0]
    return np.asarray(rng.choice(pool, size=n, replace=replace), dtype=np.int64)


def _unique_ints(rng: np.random.Generator, space: int, n: int) -> Ints:
    if n > space:
        raise ValueError(f"cannot draw {n} distinct values from {space}; lower the scale")
    return np.asarray(rng.choice(space, size=n, replace=False), dtype=np.int64)


def _rng(seed: int, stream: int, batch: int = 0) -> np.random.Generator:
    """One independent generator per (seed, stream, batch): batches never share draws."""
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(stream, batch)))
    )


def _chunks(n: int, size: int) -> Iterator[tuple[int, slice]]:
    for number, start in enumerate(range(0, n, size)):
        yield number, slice(start, min(start + size, n))


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
class _People:
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


def _make_people(rng: np.random.Generator, n: int) -> _People:
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

    return _People(
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
class _Enterprises:
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


def _make_enterprises(rng: np.random.Generator, n: int, people: _People) -> _Enterprises:
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
    return _Enterprises(
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


# ---------------------------------------------------------------------------------------
# Employment: who works where, shared by social insurance and the provident fund


@dataclass(frozen=True, slots=True)
class _Jobs:
    person: Ints  # resident rows
    employer: Ints  # enterprise rows
    base_fen: Ints  # monthly wage base in 2023, before the year's floor and cap


@dataclass(frozen=True, slots=True)
class _City:
    seed: int
    scale: float
    people: _People
    firms: _Enterprises
    jobs: _Jobs

    def count(self, name: str) -> int:
        return max(1, round(_BASE_COUNTS[name] * self.scale))


def _weighted_sample(
    rng: np.random.Generator, pool: Ints, weights: npt.NDArray[Any], n: int
) -> Ints:
    """``n`` distinct members of ``pool`` drawn with probability proportional to weight
    (Efraimidis–Spirakis: the ``n`` largest ``u ** (1 / w)``), in random order."""
    if n >= pool.shape[0]:
        return rng.permutation(pool)
    keys = rng.random(pool.shape[0]) ** (1.0 / np.asarray(weights, dtype=np.float64))
    top = np.argpartition(-keys, n - 1)[:n]
    return rng.permutation(pool[top])


def _make_city(seed: int, scale: float) -> _City:
    counts = {name: max(1, round(base * scale)) for name, base in _BASE_COUNTS.items()}
    people = _make_people(_rng(seed, 1), counts["residents"])
    firms = _make_enterprises(_rng(seed, 2), counts["enterprises"], people)
    rng = _rng(seed, 3)
    employers = firms.active(before=date(2023, 1, 1))
    if employers.shape[0] == 0:
        employers = np.arange(firms.count, dtype=np.int64)
    # Bigger companies employ more people.
    weight = np.sqrt(firms.capital_fen[employers].astype(np.float64))
    workers = counts["workers"]
    # Monthly wages around a median of 5,200 yuan, whole yuan.
    wage_yuan = np.round(np.exp(rng.normal(np.log(5_200), 0.45, size=workers))).astype(np.int64)
    jobs = _Jobs(
        person=_sample(rng, people.aged(22, 59), workers),
        employer=employers[_choice(rng, workers, list(weight))],
        base_fen=wage_yuan * 100,
    )
    return _City(seed=seed, scale=scale, people=people, firms=firms, jobs=jobs)


# ---------------------------------------------------------------------------------------
# The datasets, one generator of column batches each


def _f(name: str, kind: FieldType, field_class: FieldClass, title_zh: str) -> DemoField:
    return DemoField(name, kind, field_class, title_zh)


_GENDERS: Final = _pool(["女", "男"])
_OFFICE_HOURS: Final = (8 * 3600, 18 * 3600)
_SHANGHAI_OFFSET: Final = 8 * 3600


def _timestamps(rng: np.random.Generator, days: Ints) -> Any:
    """Times of day in office hours, Shanghai time, stored as UTC instants."""
    seconds = days * 86_400 + rng.integers(*_OFFICE_HOURS, size=days.shape[0]) - _SHANGHAI_OFFSET
    return pa.array(seconds * 1000, type=ARROW_TYPES["datetime"])


def _residents(city: _City, stream: int) -> Iterator[Columns]:
    people = city.people
    ethnicities = _pool(_ETHNICITIES)
    for number, part in _chunks(people.count, BATCH_ROWS):
        rng = _rng(city.seed, stream, number)
        rows = np.arange(part.start, part.stop, dtype=np.int64)
        updated = _between(
            rng,
            np.maximum(people.birth[rows], _day(date(2016, 1, 1))),
            np.full(rows.shape[0], _AS_OF_DAY),
        )
        yield {
            "id_number": people.ids(rows),
            "name": people.names(rows),
            "gender": _take(_GENDERS, people.male[rows]),
            "ethnicity": _take(ethnicities, _choice(rng, rows.shape[0], _ETHNICITY_WEIGHTS)),
            "birth_date": _dates(people.birth[rows]),
            "district_code": _take(_DISTRICT_CODES, people.district[rows]),
            "street_name": _take(_STREET_NAMES, people.street[rows]),
            "address": people.addresses(rows),
            "mobile": people.mobiles(rows),
            "updated_at": _timestamps(rng, updated),
        }


def _enterprise_rows(city: _City, stream: int) -> Iterator[Columns]:
    firms, people = city.firms, city.people
    types = _pool([t[0] for t in _ENTERPRISE_TYPES])
    for _, part in _chunks(firms.count, BATCH_ROWS):
        rows = np.arange(part.start, part.stop, dtype=np.int64)
        reps = firms.legal_rep[rows]
        yield {
            "uscc": firms.uscc.slice(part.start, rows.shape[0]),
            "name": firms.name.slice(part.start, rows.shape[0]),
            "enterprise_type": _take(types, firms.kind[rows]),
            "legal_rep_name": people.names(reps),
            "legal_rep_id_number": people.ids(reps),
            "registered_capital_fen": _ints(firms.capital_fen[rows]),
            "established_on": _dates(firms.established[rows]),
            "status": _take(_pool(_STATUSES), firms.status[rows]),
            "industry_code": _take(_pool([i[0] for i in _INDUSTRIES]), firms.industry[rows]),
            "industry_name": _take(_pool([i[1] for i in _INDUSTRIES]), firms.industry[rows]),
            "registrar_code": firms.registrar.slice(part.start, rows.shape[0]),
            "address": firms.addresses(rows),
        }


# Contribution base floor and cap (yuan a month) and rates (basis points, personal and
# employer), approximating Liaoning's published figures.
_INSURANCE_YEARS: Final = {2023: (3_900, 19_500), 2024: (4_100, 20_500), 2025: (4_300, 21_500)}
_INSURANCES: Final = (("企业职工基本养老保险", 800, 1600), ("职工基本医疗保险", 200, 750))


def _yearly_bases(base_fen: Ints) -> Ints:
    """Each worker's contribution base per year, (workers, years): 4 % raises, clipped."""
    raises = 1.04 ** np.arange(len(_INSURANCE_YEARS))
    floors = np.array([low for low, _ in _INSURANCE_YEARS.values()]) * 100
    caps = np.array([high for _, high in _INSURANCE_YEARS.values()]) * 100
    bases = np.round(base_fen[:, None] * raises / 100) * 100
    return np.clip(bases, floors, caps).astype(np.int64)


def _social_insurance(city: _City, stream: int) -> Iterator[Columns]:
    jobs, people = city.jobs, city.people
    years, kinds = len(_INSURANCE_YEARS), len(_INSURANCES)
    per_worker = years * kinds
    for number, part in _chunks(jobs.person.shape[0], BATCH_ROWS // per_worker):
        rng = _rng(city.seed, stream, number)
        workers = part.stop - part.start
        bases = _yearly_bases(jobs.base_fen[part])
        # Most pay all year; some joined or left part way through.
        months = np.where(
            rng.random((workers, years)) < 0.88, 12, rng.integers(1, 12, size=(workers, years))
        )
        person = np.repeat(jobs.person[part], per_worker)
        employer = np.repeat(jobs.employer[part], per_worker)
        year = np.tile(np.repeat(np.array(list(_INSURANCE_YEARS)), kinds), workers)
        kind = np.tile(np.arange(kinds), workers * years)
        base = np.repeat(bases.ravel(), kinds)
        paid = np.repeat(months.ravel(), kinds)
        personal_bp = np.array([k[1] for k in _INSURANCES])[kind]
        employer_bp = np.array([k[2] for k in _INSURANCES])[kind]
        yield {
            "id_number": people.ids(person),
            "name": people.names(person),
            "employer_uscc": _take(city.firms.uscc, employer),
            "insurance_type": _take(_pool([k[0] for k in _INSURANCES]), kind),
            "contribution_year": _ints(year),
            "months_paid": _ints(paid),
            "contribution_base_fen": _ints(base),
            "personal_amount_fen": _ints(base * personal_bp // 10_000 * paid),
            "employer_amount_fen": _ints(base * employer_bp // 10_000 * paid),
        }


_FUND_STATUSES: Final = _pool(["正常", "封存", "销户"])


def _provident_fund(city: _City, stream: int) -> Iterator[Columns]:
    rng = _rng(city.seed, stream)
    jobs, people, firms = city.jobs, city.people, city.firms
    # Four in five workers have an account with their employer; others kept a sealed or
    # closed account from an earlier job.
    covered = np.flatnonzero(rng.random(jobs.person.shape[0]) < 0.8)
    extra = city.count("fund_extra")
    holders = np.concatenate([jobs.person[covered], _sample(rng, people.aged(25, 60), extra)])
    employer = np.concatenate([jobs.employer[covered], rng.integers(0, firms.count, size=extra)])
    status = np.concatenate(
        [np.zeros(covered.shape[0], dtype=np.int64), _choice(rng, extra, (0, 0.8, 0.2))]
    )
    n = holders.shape[0]
    opened = _between(
        rng,
        np.maximum.reduce(
            [
                firms.established[employer],
                _plus_years(people.birth[holders], 18),
                np.full(n, _EARLIEST_ENTERPRISE),
            ]
        ),
        np.full(n, _AS_OF_DAY - 31),
    )
    base = np.concatenate(
        [
            _yearly_bases(jobs.base_fen[covered])[:, -1],
            np.round(np.exp(rng.normal(np.log(4_500), 0.4, size=extra))) * 100,
        ]
    ).astype(np.int64)
    rate = np.asarray(rng.integers(5, 13, size=n), dtype=np.int64)
    monthly = base * rate * 2 // 100
    months_open = (_AS_OF_DAY - opened) // 30
    balance = (monthly * months_open * rng.uniform(0.15, 0.9, size=n)).astype(np.int64)
    balance[status == 2] = 0
    last_month = np.where(
        status == 0,
        _day(date(2026, 10, 1)),
        _between(rng, opened, np.full(n, _AS_OF_DAY - 60)),
    )
    year, month, _ = _ymd(last_month)
    last_month = _from_ymd(year, month, np.ones(n, dtype=np.int64))
    accounts = _join("2108", _digits(_unique_ints(rng, 10**10, n), 10))
    for _, part in _chunks(n, BATCH_ROWS):
        rows = holders[part]
        yield {
            "account_no": accounts.slice(part.start, part.stop - part.start),
            "id_number": people.ids(rows),
            "name": people.names(rows),
            "employer_uscc": _take(firms.uscc, employer[part]),
            "opened_on": _dates(opened[part]),
            "status": _take(_FUND_STATUSES, status[part]),
            "deposit_base_fen": _ints(base[part]),
            "deposit_rate_pct": _ints(rate[part]),
            "monthly_deposit_fen": _ints(monthly[part]),
            "balance_fen": _ints(balance[part]),
            "last_deposit_month": _dates(last_month[part]),
        }


# Property use: name, share for a first home and for further properties, area range (m²)
# and price (yuan per m²).
_USAGES: Final = (
    ("住宅", 0.95, 0.55, (30, 300), 6_000),
    ("车库", 0.0, 0.20, (12, 40), 4_000),
    ("商业", 0.03, 0.15, (15, 2_000), 8_000),
    ("办公", 0.01, 0.05, (60, 800), 6_500),
    ("工业", 0.01, 0.05, (300, 20_000), 1_500),
)
_OWNERSHIP: Final = (("单独所有", 0.55), ("共同共有", 0.40), ("按份共有", 0.05))
_CERTIFICATE_ISSUERS: Final = {"210881": "盖州市", "210882": "大石桥市"}
_UNIFIED_REGISTRATION: Final = _day(date(2016, 1, 1))


def _certificate_numbers(rng: np.random.Generator, issuer: Ints, registered: Ints) -> Ints:
    """Serial numbers restarting each year per issuer, rising with the registration date;
    gaps stand for certificates issued to people outside the sample."""
    year, _, _ = _ymd(registered)
    group = issuer * 10_000 + year
    order = np.lexsort((registered, group))
    ordered = group[order]
    gaps = rng.integers(1, 12, size=order.shape[0])
    running = np.cumsum(gaps)
    starts = np.ones(order.shape[0], dtype=bool)
    starts[1:] = ordered[1:] != ordered[:-1]
    before_group = np.maximum.accumulate(np.where(starts, running - gaps, 0))
    serial = np.empty(order.shape[0], dtype=np.int64)
    serial[order] = running - before_group
    return serial


def _properties(city: _City, stream: int) -> Iterator[Columns]:
    rng = _rng(city.seed, stream)
    people = city.people
    n = city.count("properties")
    first_count = max(1, round(n * 0.78))
    owners_first = _sample(rng, people.aged(22, 95), first_count)
    owner = np.concatenate([owners_first, rng.choice(owners_first, size=n - first_count)])
    first = np.arange(n) < first_count
    usage = np.where(
        first, _choice(rng, n, [u[1] for u in _USAGES]), _choice(rng, n, [u[2] for u in _USAGES])
    )
    # A first home is where its owner is registered; anything else anywhere in the city.
    at_home = first & (usage == 0)
    street = np.where(at_home, people.street[owner], _choice(rng, n, list(_street_weights())))
    key = np.where(at_home, people.address_key[owner], rng.integers(0, _ADDRESS_KEYS, size=n))
    district = _STREET_DISTRICT[street]

    low = np.array([u[3][0] for u in _USAGES])[usage] * 100
    high = np.array([u[3][1] for u in _USAGES])[usage] * 100
    median = np.sqrt(low * high) * np.where(usage == 0, 0.55, 1.0)
    area = np.clip(np.round(median * np.exp(rng.normal(0, 0.35, size=n))), low, high).astype(
        np.int64
    )
    # area is in hundredths of m², so hundredths x yuan/m² is fen.
    unit_price = np.array([u[4] for u in _USAGES])[usage] * np.exp(rng.normal(0, 0.2, size=n))
    price = (area * np.round(unit_price)).astype(np.int64)

    registered = _between(
        rng,
        np.maximum(_UNIFIED_REGISTRATION, _plus_years(people.birth[owner], 18)),
        np.full(n, _AS_OF_DAY),
    )
    mortgaged = (usage == 0) & (rng.random(n) < 0.35)
    ownership = _choice(rng, n, [o[1] for o in _OWNERSHIP])

    issuer_names = ["营口市", *_CERTIFICATE_ISSUERS.values()]
    issuer = np.zeros(n, dtype=np.int64)
    for index, code in enumerate(_CERTIFICATE_ISSUERS, start=1):
        issuer[district == [d.code for d in regions.DISTRICTS].index(code)] = index
    serial = _certificate_numbers(rng, issuer, registered)
    year, _, _ = _ymd(registered)
    certificate = _join(
        "辽（",
        _digits(year, 4),
        "）",
        _take(_pool(issuer_names), issuer),
        "不动产权第",
        _digits(serial, 7),
        "号",
    )
    dwelling = np.isin(usage, [0, 3])
    for _, part in _chunks(n, BATCH_ROWS):
        rows = owner[part]
        location = pc.if_else(
            pa.array(dwelling[part]),
            _address(street[part], key[part], dwelling=True),
            _address(street[part], key[part], dwelling=False),
        )
        yield {
            "certificate_no": certificate.slice(part.start, part.stop - part.start),
            "owner_id_number": people.ids(rows),
            "owner_name": people.names(rows),
            "district_code": _take(_DISTRICT_CODES, district[part]),
            "location": location,
            "usage": _take(_pool([u[0] for u in _USAGES]), usage[part]),
            "building_area_m2": _decimals(area[part]),
            "ownership_type": _take(_pool([o[0] for o in _OWNERSHIP]), ownership[part]),
            "registered_on": _dates(registered[part]),
            "price_fen": _ints(price[part]),
            "mortgaged": pa.array(mortgaged[part]),
        }


def _street_weights() -> npt.NDArray[np.float64]:
    """Chance that a random place in the city is on each street."""
    weights = np.array([_STREET_KIND_WEIGHT[s.kind] for s in _STREETS])
    for index, d in enumerate(regions.DISTRICTS):
        rows = index == _STREET_DISTRICT
        weights[rows] *= d.population_share / weights[rows].sum()
    return np.asarray(weights / weights.sum(), dtype=np.float64)


_TAX_YEARS: Final = (2021, 2022, 2023, 2024, 2025)
_RATINGS: Final = _pool(["A", "B", "M", "C", "D"])


def _tax_ratings(city: _City, stream: int) -> Iterator[Columns]:
    firms = city.firms
    active = firms.active()
    per_firm = len(_TAX_YEARS)
    for number, part in _chunks(active.shape[0], BATCH_ROWS // per_firm):
        rng = _rng(city.seed, stream, number)
        chunk = active[part]
        # A steady compliance level per enterprise, plus each year's ups and downs.
        quality = rng.normal(82, 7, size=chunk.shape[0])
        firm = np.repeat(chunk, per_firm)
        year = np.tile(np.array(_TAX_YEARS), chunk.shape[0])
        noise = rng.normal(0, 4, size=firm.shape[0])
        score = np.clip(np.round(np.repeat(quality, per_firm) + noise), 20, 100)
        # Serious violations (false invoices, evasion) mean D whatever the score.
        serious = rng.random(firm.shape[0]) < 0.02
        score = np.where(
            serious, np.minimum(score, rng.integers(20, 40, size=firm.shape[0])), score
        )
        year_start = _from_ymd(year, np.ones_like(year), np.ones_like(year))
        next_year = _from_ymd(year + 1, np.ones_like(year), np.ones_like(year))
        rated = firms.established[firm] < next_year
        # M: newly set up in the year rated (新设立), unless the score says C or D.
        new = firms.established[firm] >= year_start
        rating = np.select(
            [score < 40, new & (score >= 70), score >= 90, score >= 70], [4, 2, 0, 1], 3
        )
        firm, year, score, rating = firm[rated], year[rated], score[rated], rating[rated]
        published = _from_ymd(year + 1, np.full_like(year, 4), np.full_like(year, 20))
        yield {
            "uscc": _take(firms.uscc, firm),
            "taxpayer_name": _take(firms.name, firm),
            "rating_year": _ints(year),
            "rating": _take(_RATINGS, rating),
            "score": _ints(score),
            "published_on": _dates(published),
        }


# Monthly minimum living standard per person (fen), urban and rural.
_ALLOWANCE_STANDARD: Final = {True: 74_000, False: 53_000}


def _subsistence_allowance(city: _City, stream: int) -> Iterator[Columns]:
    rng = _rng(city.seed, stream)
    people = city.people
    adults = people.aged(18, 95)
    ages = people.age[adults]
    rural = ~_STREET_URBAN[people.street[adults]]
    weight = 1.0 + 1.5 * (ages >= 60) + 1.5 * rural
    heads = _weighted_sample(rng, adults, weight, min(city.count("allowance"), adults.shape[0]))
    n = heads.shape[0]
    urban = _STREET_URBAN[people.street[heads]]
    size = _choice(rng, n, (0.35, 0.30, 0.18, 0.12, 0.05)) + 1
    standard = np.where(urban, _ALLOWANCE_STANDARD[True], _ALLOWANCE_STANDARD[False])
    # The allowance tops household income up to the standard, rounded to whole yuan.
    per_person = np.round(standard * (1 - rng.uniform(0, 0.6, size=n)) / 100) * 100
    approved = _between(
        rng,
        np.maximum(_day(date(2012, 1, 1)), _plus_years(people.birth[heads], 18)),
        np.full(n, _AS_OF_DAY - 30),
    )
    case = _join(
        "DB", _take(_DISTRICT_CODES, people.district[heads]), _digits(rng.permutation(n) + 1, 7)
    )
    yield {
        "case_no": case,
        "id_number": people.ids(heads),
        "name": people.names(heads),
        "district_code": _take(_DISTRICT_CODES, people.district[heads]),
        "street_name": _take(_STREET_NAMES, people.street[heads]),
        "category": _take(_pool(["农村低保", "城市低保"]), urban),
        "household_size": _ints(size),
        "monthly_allowance_fen": _ints(per_person.astype(np.int64) * size),
        "approved_on": _dates(approved),
        "status": _take(_pool(["停保", "在保"]), np.asarray(rng.random(n) < 0.9)),
    }


# The national immunization programme schedule for children (2021 edition): vaccine
# code, name, dose, age in days, manufacturers.
_KANGTAI, _JINTAN = "深圳康泰生物制品股份有限公司", "华北制药金坦生物技术股份有限公司"
_IMBCAMS, _BEIJING = "中国医学科学院医学生物学研究所", "北京生物制品研究所有限责任公司"
_CHENGDU, _WUHAN = "成都生物制品研究所有限责任公司", "武汉生物制品研究所有限责任公司"
_SHANGHAI, _LANZHOU = "上海生物制品研究所有限责任公司", "兰州生物制品研究所有限责任公司"
_WALVAX, _PUKANG = "玉溪沃森生物技术有限公司", "浙江普康生物技术股份有限公司"
_SCHEDULE: Final = (
    ("HepB", "乙肝疫苗", 1, 0, (_KANGTAI, _JINTAN)),
    ("BCG", "卡介苗", 1, 0, (_SHANGHAI, _CHENGDU)),
    ("HepB", "乙肝疫苗", 2, 30, (_KANGTAI, _JINTAN)),
    ("IPV", "脊灰灭活疫苗", 1, 61, (_IMBCAMS, _BEIJING)),
    ("IPV", "脊灰灭活疫苗", 2, 91, (_IMBCAMS, _BEIJING)),
    ("DTaP", "百白破疫苗", 1, 91, (_WUHAN, _CHENGDU)),
    ("bOPV", "脊灰减毒活疫苗", 1, 122, (_IMBCAMS, _BEIJING)),
    ("DTaP", "百白破疫苗", 2, 122, (_WUHAN, _CHENGDU)),
    ("DTaP", "百白破疫苗", 3, 152, (_WUHAN, _CHENGDU)),
    ("HepB", "乙肝疫苗", 3, 183, (_KANGTAI, _JINTAN)),
    ("MPSV-A", "A群流脑多糖疫苗", 1, 183, (_LANZHOU, _WALVAX)),
    ("MMR", "麻腮风疫苗", 1, 243, (_BEIJING, _SHANGHAI)),
    ("JE-L", "乙脑减毒活疫苗", 1, 243, (_CHENGDU,)),
    ("MPSV-A", "A群流脑多糖疫苗", 2, 274, (_LANZHOU, _WALVAX)),
    ("DTaP", "百白破疫苗", 4, 548, (_WUHAN, _CHENGDU)),
    ("MMR", "麻腮风疫苗", 2, 548, (_BEIJING, _SHANGHAI)),
    ("HepA-L", "甲肝减毒活疫苗", 1, 548, (_PUKANG, _IMBCAMS)),
    ("JE-L", "乙脑减毒活疫苗", 2, 730, (_CHENGDU,)),
    ("MPSV-AC", "A群C群流脑多糖疫苗", 1, 1096, (_WALVAX, _LANZHOU)),
    ("bOPV", "脊灰减毒活疫苗", 2, 1461, (_IMBCAMS, _BEIJING)),
    ("DT", "白破疫苗", 1, 2192, (_WUHAN,)),
    ("MPSV-AC", "A群C群流脑多糖疫苗", 2, 2192, (_WALVAX, _LANZHOU)),
)


def _vaccinations(city: _City, stream: int) -> Iterator[Columns]:
    people = city.people
    children = people.aged(0, 6)
    doses = len(_SCHEDULE)
    manufacturers = sorted({m for entry in _SCHEDULE for m in entry[4]})
    maker_choices = np.array(
        [
            [manufacturers.index(entry[4][i % len(entry[4])]) for i in range(2)]
            for entry in _SCHEDULE
        ]
    )
    district_names = [d.name_zh for d in regions.DISTRICTS]
    clinics = _pool(
        [
            f"{district_names[_STREET_DISTRICT[i]]}{s.name_zh}"
            + ("社区卫生服务中心预防接种门诊" if s.kind == "subdistrict" else "卫生院预防接种门诊")
            for i, s in enumerate(_STREETS)
        ]
        + [f"{name}妇幼保健院产科接种室" for name in district_names]
    )
    written = 0
    for number, part in _chunks(children.shape[0], BATCH_ROWS // doses):
        rng = _rng(city.seed, stream, number)
        child = np.repeat(children[part], doses)
        dose = np.tile(np.arange(doses), part.stop - part.start)
        due = people.birth[child] + np.array([entry[3] for entry in _SCHEDULE])[dose]
        at_birth = np.array([entry[3] == 0 for entry in _SCHEDULE])[dose]
        delay = np.where(
            at_birth,
            rng.integers(0, 2, size=dose.shape[0]),
            np.round(rng.exponential(8, size=dose.shape[0])),
        )
        given = (due + delay).astype(np.int64)
        keep = (given <= _AS_OF_DAY) & (rng.random(dose.shape[0]) > 0.015)
        child, dose, given, at_birth = child[keep], dose[keep], given[keep], at_birth[keep]
        rows = child.shape[0]
        clinic = np.where(at_birth, len(_STREETS) + people.district[child], people.street[child])
        maker = maker_choices[dose, rng.integers(0, 2, size=rows)]
        year, month, _ = _ymd(given - rng.integers(60, 400, size=rows))
        lot = _join(
            _digits(year, 4), _digits(month, 2), _digits(rng.integers(1, 300, size=rows), 3)
        )
        yield {
            "record_id": _join("YM", _digits(written + np.arange(1, rows + 1), 12)),
            "id_number": people.ids(child),
            "name": people.names(child),
            "vaccine_code": _take(_pool([e[0] for e in _SCHEDULE]), dose),
            "vaccine_name": _take(_pool([e[1] for e in _SCHEDULE]), dose),
            "dose_no": _ints(np.array([e[2] for e in _SCHEDULE])[dose]),
            "vaccinated_on": _dates(given),
            "clinic_name": _take(clinics, clinic),
            "manufacturer": _take(_pool(manufacturers), maker),
            "lot_no": lot,
        }
        written += rows


_SCHOOL_YEAR_START: Final = date(2026, 9, 1)
_ORDINALS: Final = ("一", "二", "三", "四")
# (stage, first grade, age at the start of the school year of the first grade)
_STAGES: Final = (("小学", 1, 6), ("初中", 7, 12), ("高中", 10, 15))


def _guardians(rng: np.random.Generator, people: _People, children: Ints) -> Ints:
    """A parent for each child: an adult of the same district 20 to 45 years older, with
    the child's surname when there is one close to a drawn age gap of 24 to 36 years."""
    youngest, oldest = round(20 * 365.25), round(45 * 365.25)
    adults = people.aged(22, 70)
    born = people.birth[children]
    # Same district and surname, born nearest the target date: sort adults by that key.
    surnames = len(SURNAMES)
    offset = 10**6  # larger than any span of day numbers here
    adult_key = (people.district[adults] * surnames + people.surname[adults]) * offset
    adult_key = adult_key + people.birth[adults] + offset // 2
    order = np.argsort(adult_key)
    adults, adult_key = adults[order], adult_key[order]
    target = born - np.round(rng.uniform(24, 36, size=children.shape[0]) * 365.25).astype(np.int64)
    child_key = (people.district[children] * surnames + people.surname[children]) * offset
    child_key = child_key + target + offset // 2
    after = np.clip(np.searchsorted(adult_key, child_key), 0, adults.shape[0] - 1)
    before = np.maximum(after - 1, 0)
    nearest = np.where(
        np.abs(adult_key[before] - child_key) < np.abs(adult_key[after] - child_key), before, after
    )
    guardian: Ints = adults[nearest]
    gap = born - people.birth[guardian]
    ok = (adult_key[nearest] // offset == child_key // offset) & (gap >= youngest) & (gap <= oldest)
    # Otherwise anyone of the district in the age range.
    for index in range(len(regions.DISTRICTS)):
        missing = np.flatnonzero(~ok & (people.district[children] == index))
        pool = adults[people.district[adults] == index]
        if missing.shape[0] == 0 or pool.shape[0] == 0:
            continue
        pool = pool[np.argsort(people.birth[pool], kind="stable")]
        births = people.birth[pool]
        low = np.searchsorted(births, born[missing] - oldest)
        high = np.searchsorted(births, born[missing] - youngest, side="right")
        pick = low + np.floor(rng.random(missing.shape[0]) * (high - low)).astype(np.int64)
        guardian[missing] = pool[np.where(high > low, pick, np.maximum(high - 1, 0))]
    return guardian


def _students(city: _City, stream: int) -> Iterator[Columns]:
    rng = _rng(city.seed, stream)
    people = city.people
    start = _day(_SCHOOL_YEAR_START)
    age = _age(people.birth, start - 1)
    stage = np.select(
        [(age >= 6) & (age <= 11), (age >= 12) & (age <= 14), (age >= 15) & (age <= 17)],
        [0, 1, 2],
        -1,
    )
    # Most 15-17-year-olds are in senior high school; the rest go to vocational schools.
    stage[(stage == 2) & (rng.random(people.count) > 0.85)] = -1
    students = np.flatnonzero(stage >= 0).astype(np.int64)
    stage = stage[students]
    grade = (
        np.array([s[1] for s in _STAGES])[stage]
        + age[students]
        - np.array([s[2] for s in _STAGES])[stage]
    )
    entry_year = _SCHOOL_YEAR_START.year - (grade - np.array([s[1] for s in _STAGES])[stage])
    enrolled = _from_ymd(entry_year, np.full_like(entry_year, 9), np.ones_like(entry_year))
    district_names = [d.name_zh for d in regions.DISTRICTS]
    primary = _pool(
        [
            f"{district_names[_STREET_DISTRICT[i]]}{s.name_zh.removesuffix('街道')}小学"
            if s.kind == "subdistrict"
            else f"{district_names[_STREET_DISTRICT[i]]}{s.name_zh}中心小学"
            for i, s in enumerate(_STREETS)
        ]
    )
    secondary = _pool(
        [f"{name}第{o}初级中学" for name in district_names for o in _ORDINALS[:3]]
        + [f"{name}第{o}高级中学" for name in district_names for o in _ORDINALS[:2]]
    )
    district = people.district[students]
    which = rng.integers(0, 6, size=students.shape[0])
    secondary_index = np.where(
        stage == 1, district * 3 + which % 3, len(district_names) * 3 + district * 2 + which % 2
    )
    guardian = _guardians(rng, people, students)
    class_no = rng.integers(1, 9, size=students.shape[0])
    for _, part in _chunks(students.shape[0], BATCH_ROWS):
        rows = students[part]
        ids = people.ids(rows)
        school = pc.if_else(
            pa.array(stage[part] == 0),
            _take(primary, people.street[rows]),
            _take(secondary, secondary_index[part]),
        )
        yield {
            "student_no": _join("G", ids),
            "id_number": ids,
            "name": people.names(rows),
            "gender": _take(_GENDERS, people.male[rows]),
            "school_name": school,
            "school_stage": _take(_pool([s[0] for s in _STAGES]), stage[part]),
            "grade": _ints(grade[part]),
            "class_no": _ints(class_no[part]),
            "enrolled_on": _dates(enrolled[part]),
            "guardian_id_number": people.ids(guardian[part]),
            "guardian_name": people.names(guardian[part]),
            "guardian_mobile": people.mobiles(guardian[part]),
        }


# Plate serials: five characters after 辽H·, letters without I and O, at most two of
# them; new-energy plates have six (D/F = battery/hybrid first for cars, last for trucks).
_PLATE_LETTERS: Final = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_PLATE_PATTERNS: Final = (
    ("DDDDD", 0.10),
    ("LDDDD", 0.30),
    ("DLDDD", 0.06),
    ("DDLDD", 0.04),
    ("DDDLD", 0.04),
    ("DDDDL", 0.08),
    *(
        (pattern, 0.038)
        for pattern in _words("LLDDD LDLDD LDDLD LDDDL DLLDD DLDLD DLDDL DDLLD DDLDL DDDLL")
    ),
)
_CLASS_CHARS: Final = {
    "L": _PLATE_LETTERS,
    "D": "0123456789",
    "E": "DF",
    "A": _PLATE_LETTERS + "0123456789",
}


def _serials(rng: np.random.Generator, pattern: str, count: int) -> Any:
    """``count`` distinct serials of one pattern (one character class per position)."""
    keys = _unique_ints(rng, int(np.prod([len(_CLASS_CHARS[c]) for c in pattern])), count)
    chars = []
    for c in pattern:
        pool = _CLASS_CHARS[c]
        chars.append(_take(_pool(list(pool)), keys % len(pool)))
        keys = keys // len(pool)
    return _join(*chars) if count else pa.array([], pa.string())


def _regular_serials(rng: np.random.Generator, n: int) -> Any:
    capacity = np.array([np.prod([len(_CLASS_CHARS[c]) for c in p]) for p, _ in _PLATE_PATTERNS])
    weights = np.array([w for _, w in _PLATE_PATTERNS])
    counts = np.minimum(rng.multinomial(n, weights / weights.sum()), capacity)
    # A pattern that ran out passes its surplus on to the next ones with room left.
    for index in range(len(counts)):
        counts[index] += min(capacity[index] - counts[index], n - counts.sum())
    if counts.sum() < n:
        raise ValueError("more vehicles than plate numbers; lower the scale")
    serials = pa.concat_arrays(
        [_serials(rng, p, int(c)) for (p, _), c in zip(_PLATE_PATTERNS, counts, strict=True)]
    )
    return serials.take(pa.array(rng.permutation(n)))


# Operating vehicle kinds: name, share, share owned by companies, large (yellow plate),
# share electric, seats, load (t), brands.
_VEHICLE_KINDS: Final = (
    ("出租汽车", 0.12, 0.7, False, 0.4, (5, 5), None, "大众 丰田 比亚迪 现代"),
    ("网络预约出租汽车", 0.10, 0.2, False, 0.5, (5, 7), None, "比亚迪 吉利 大众 丰田"),
    ("普通货运车辆", 0.55, 0.5, True, 0.02, None, (2, 49), "一汽解放 东风 中国重汽 陕汽 福田"),
    ("危险货物运输车辆", 0.05, 1.0, True, 0.0, None, (10, 40), "一汽解放 中国重汽 陕汽"),
    ("班线客车", 0.05, 1.0, True, 0.1, (19, 55), None, "宇通 金龙 中通"),
    ("公交车", 0.08, 1.0, True, 0.6, (20, 45), None, "宇通 金龙 中通 比亚迪"),
    ("旅游客车", 0.05, 1.0, True, 0.05, (19, 55), None, "宇通 金龙 海格"),
)
_FUELS: Final = _pool(["汽油", "天然气", "柴油", "纯电动", "插电式混合动力"])
_PLATE_COLORS: Final = _pool(["蓝色", "渐变绿色", "黄色", "黄绿双拼色"])
_VEHICLE_STATUSES: Final = _pool(["营运", "停运", "注销"])


def _vehicles(city: _City, stream: int) -> Iterator[Columns]:
    rng = _rng(city.seed, stream)
    people, firms = city.people, city.firms
    n = city.count("vehicles")
    kind = _choice(rng, n, [k[1] for k in _VEHICLE_KINDS])
    large = np.array([k[3] for k in _VEHICLE_KINDS])[kind]
    electric = rng.random(n) < np.array([k[4] for k in _VEHICLE_KINDS])[kind]
    by_company = rng.random(n) < np.array([k[2] for k in _VEHICLE_KINDS])[kind]

    # Transport companies (industry G) own most company vehicles.
    active = firms.active()
    transport = [i[0] for i in _INDUSTRIES].index("G")
    weight = np.where(firms.industry[active] == transport, 20.0, 1.0)
    company = active[_choice(rng, n, list(weight))]
    person = _sample(rng, people.aged(23, 65), n)
    earliest = np.where(
        by_company, firms.established[company], _plus_years(people.birth[person], 18)
    )
    registered = _between(rng, np.maximum(earliest, _day(date(2012, 1, 1))), np.full(n, _AS_OF_DAY))
    # The annual review falls on the registration anniversary; some are overdue, which
    # takes the vehicle off the road until it passes.
    year, month, day = _ymd(registered)
    overdue = rng.random(n) < 0.05
    reviews = _age(registered, _AS_OF_DAY) + 1 - overdue
    valid_until = _from_ymd(year + np.maximum(reviews, 1), month, day)
    status = np.where(valid_until < _AS_OF_DAY, 1, np.where(rng.random(n) < 0.04, 2, 0))

    fuel = np.select(
        [electric, large, ~large],
        [
            np.where(rng.random(n) < 0.8, 3, 4),
            np.where(rng.random(n) < 0.85, 2, 1),
            np.where(rng.random(n) < 0.7, 0, 1),
        ],
    )
    color = np.where(large, 2, 0) + electric
    seats_range = [k[5] or (0, 0) for k in _VEHICLE_KINDS]
    seats = rng.integers(
        np.array([s[0] for s in seats_range])[kind], np.array([s[1] for s in seats_range])[kind] + 1
    )
    loads_range = [k[6] or (0, 0) for k in _VEHICLE_KINDS]
    low_load = np.array([r[0] for r in loads_range])[kind] * 100
    high_load = np.array([r[1] for r in loads_range])[kind] * 100
    load = (low_load + rng.random(n) * (high_load - low_load)).astype(np.int64) // 5 * 5
    brands = [_words(k[7]) for k in _VEHICLE_KINDS]
    brand_pool = _pool(sorted({b for names in brands for b in names}))
    brand_names = brand_pool.to_pylist()
    brand_table = np.array(
        [[brand_names.index(names[i % len(names)]) for i in range(5)] for names in brands]
    )
    brand = brand_table[kind, rng.integers(0, 5, size=n)]

    # Serials: one pool of five-character plates for cars and trucks alike, plus the
    # electric formats; each vehicle takes the next unused one of its format.
    formats = [(~electric, None), (electric & ~large, "EADDDD"), (electric & large, "DDDDDE")]
    taken = []
    order = []
    for mask, pattern in formats:
        rows = np.flatnonzero(mask)
        taken.append(
            _regular_serials(rng, rows.shape[0])
            if pattern is None
            else _serials(rng, pattern, rows.shape[0])
        )
        order.append(rows)
    serial = pa.concat_arrays(taken).take(pa.array(np.argsort(np.concatenate(order))))
    plates = _join(regions.PLATE_PREFIX, "·", serial)
    permits = _join("辽交运管营字2108", _digits(_unique_ints(rng, 10**8, n), 8))
    has_seats = np.array([k[5] is not None for k in _VEHICLE_KINDS])[kind]
    for _, part in _chunks(n, BATCH_ROWS):
        count = part.stop - part.start
        mine = by_company[part]
        yield {
            "plate": plates.slice(part.start, count),
            "plate_color": _take(_PLATE_COLORS, color[part]),
            "vehicle_type": _take(_pool([k[0] for k in _VEHICLE_KINDS]), kind[part]),
            "owner_type": _take(_pool(["个人", "单位"]), mine),
            "owner_id_number": _nullable(people.ids(person[part]), ~mine),
            "owner_uscc": _nullable(_take(firms.uscc, company[part]), mine),
            "brand": _take(brand_pool, brand[part]),
            "fuel_type": _take(_FUELS, fuel[part]),
            "seats": _ints(seats[part], has_seats[part]),
            "load_tonnes": _decimals(load[part], ~has_seats[part]),
            "transport_permit_no": permits.slice(part.start, count),
            "registered_on": _dates(registered[part]),
            "inspection_valid_until": _dates(valid_until[part]),
            "status": _take(_VEHICLE_STATUSES, status[part]),
        }


@dataclass(frozen=True, slots=True)
class _Utility:
    accounts: str  # key of _BASE_COUNTS
    account_prefix: str
    usage_field: str
    home_median: float
    firm_median: float
    # Usage relative to the yearly mean, October 2025 to September 2026.
    seasonal: tuple[float, ...]
    tariff: Callable[[Ints, npt.NDArray[np.bool_]], Ints]


def _water_tariff(usage: Ints, home: npt.NDArray[np.bool_]) -> Ints:
    # Yuan per m³ including the sewage charge: 3.50 for homes, 5.90 for business.
    return np.asarray(usage * np.where(home, 350, 590), dtype=np.int64)


def _power_tariff(usage: Ints, home: npt.NDArray[np.bool_]) -> Ints:
    # Homes pay by monthly tier (0.50 / 0.55 / 0.80 yuan per kWh), business 0.68 flat.
    tiered = (
        50 * np.minimum(usage, 180)
        + 55 * np.clip(usage - 180, 0, 100)
        + 80 * np.maximum(usage - 280, 0)
    )
    return np.asarray(np.where(home, tiered, 68 * usage), dtype=np.int64)


_WATER: Final = _Utility(
    accounts="water_accounts",
    account_prefix="01",
    usage_field="usage_m3",
    home_median=6.0,
    firm_median=60.0,
    seasonal=(1.0, 0.95, 0.9, 0.9, 0.9, 0.9, 0.95, 1.0, 1.1, 1.2, 1.2, 1.1),
    tariff=_water_tariff,
)
# Electric heaters in winter, air conditioning in July and August.
_POWER: Final = _Utility(
    accounts="power_accounts",
    account_prefix="08",
    usage_field="usage_kwh",
    home_median=150.0,
    firm_median=2_500.0,
    seasonal=(0.95, 1.0, 1.15, 1.15, 1.1, 0.95, 0.85, 0.85, 1.0, 1.3, 1.35, 1.05),
    tariff=_power_tariff,
)
_BILL_MONTHS: Final = np.arange("2025-10", "2026-10", dtype="datetime64[M]")


def _bills(utility: _Utility) -> Callable[[_City, int], Iterator[Columns]]:
    def rows(city: _City, stream: int) -> Iterator[Columns]:
        rng = _rng(city.seed, stream)
        people, firms = city.people, city.firms
        n = city.count(utility.accounts)
        firm_count = min(round(n * 0.1), firms.active().shape[0])
        homes = _sample(rng, people.aged(25, 95), n - firm_count)
        companies = (
            _sample(rng, firms.active(), firm_count) if firm_count else np.zeros(0, np.int64)
        )
        holder = np.concatenate([homes, companies])
        home = np.arange(n) < homes.shape[0]
        numbers = _join(utility.account_prefix, _digits(_unique_ints(rng, 10**8, n), 8))
        mean = np.exp(rng.normal(0, 0.5, size=n)) * np.where(
            home, utility.home_median, utility.firm_median
        )
        # Some households pay late now and then; a few rarely pay on time.
        lateness = rng.beta(0.7, 9, size=n)
        months = len(_BILL_MONTHS)
        month_start = _BILL_MONTHS.astype("datetime64[D]").astype(np.int64)
        next_month = (_BILL_MONTHS + 1).astype("datetime64[D]").astype(np.int64)
        issued, due = next_month + 4, next_month + 24
        for number, part in _chunks(n, BATCH_ROWS // months):
            chunk_rng = _rng(city.seed, stream, number + 1)
            accounts = np.arange(part.start, part.stop)
            account = np.repeat(accounts, months)
            month = np.tile(np.arange(months), accounts.shape[0])
            is_home = home[account]
            usage = chunk_rng.poisson(mean[account] * np.array(utility.seasonal)[month]).astype(
                np.int64
            )
            late = chunk_rng.random(account.shape[0]) < lateness[account]
            unpaid = late & (chunk_rng.random(account.shape[0]) < 0.2)
            paid = np.where(
                late,
                due[month] + 1 + chunk_rng.geometric(1 / 20, size=account.shape[0]),
                _between(chunk_rng, issued[month], due[month]),
            )
            paid_valid = ~unpaid & (paid <= _AS_OF_DAY)
            holder_rows = holder[account]
            address = pc.if_else(
                pa.array(is_home),
                people.addresses(np.where(is_home, holder_rows, 0)),
                firms.addresses(np.where(is_home, 0, holder_rows)),
            )
            yield {
                "account_no": _take(numbers, account),
                "customer_type": _take(_pool(["非居民", "居民"]), is_home),
                "id_number": _nullable(people.ids(np.where(is_home, holder_rows, 0)), is_home),
                "uscc": _nullable(_take(firms.uscc, np.where(is_home, 0, holder_rows)), ~is_home),
                "address": address,
                "billing_month": _dates(month_start[month]),
                utility.usage_field: _ints(usage),
                "amount_fen": _ints(utility.tariff(usage, is_home)),
                "due_date": _dates(due[month]),
                "paid_on": _dates(paid, paid_valid),
                "on_time": pa.array(paid_valid & (paid <= due[month])),
            }

    return rows


# ---------------------------------------------------------------------------------------
# The catalogue and the build


@dataclass(frozen=True, slots=True)
class _Spec:
    provider_code: str
    code: str
    title_zh: str
    title_en: str
    description_zh: str
    update_frequency: UpdateFrequency
    fields: tuple[DemoField, ...]
    rows: Callable[[_City, int], Iterator[Columns]]


_ID = "id_number"
_SPECS: Final = (
    _Spec(
        "gaj",
        "residents",
        "户籍人口基本信息",
        "Registered residents",
        "全市户籍人口的身份、性别、民族、出生日期、户籍地址和联系电话。",
        "daily",
        (
            _f(_ID, "id_number", "identifier", "公民身份号码"),
            _f("name", "person_name", "identifier", "姓名"),
            _f("gender", "enum", "internal", "性别"),
            _f("ethnicity", "enum", "internal", "民族"),
            _f("birth_date", "date", "sensitive", "出生日期"),
            _f("district_code", "enum", "internal", "户籍地区县代码"),
            _f("street_name", "text", "internal", "户籍地街道（乡镇）"),
            _f("address", "address", "identifier", "户籍地址"),
            _f("mobile", "mobile", "identifier", "联系电话"),
            _f("updated_at", "datetime", "internal", "更新时间"),
        ),
        _residents,
    ),
    _Spec(
        "scjgj",
        "enterprises",
        "企业登记信息",
        "Registered enterprises",
        "在营口登记的企业：统一社会信用代码、名称、类型、法定代表人、注册资本、成立日期、登记状态、行业和住所。",
        "daily",
        (
            _f("uscc", "uscc", "identifier", "统一社会信用代码"),
            _f("name", "text", "public", "企业名称"),
            _f("enterprise_type", "enum", "public", "企业类型"),
            _f("legal_rep_name", "person_name", "identifier", "法定代表人"),
            _f("legal_rep_id_number", "id_number", "identifier", "法定代表人身份证号码"),
            _f("registered_capital_fen", "int", "public", "注册资本（分）"),
            _f("established_on", "date", "public", "成立日期"),
            _f("status", "enum", "public", "登记状态"),
            _f("industry_code", "enum", "public", "行业门类代码"),
            _f("industry_name", "enum", "public", "行业门类"),
            _f("registrar_code", "enum", "public", "登记机关区划代码"),
            _f("address", "address", "identifier", "住所"),
        ),
        _enterprise_rows,
    ),
    _Spec(
        "rsj",
        "social_insurance",
        "社会保险缴费记录",
        "Social insurance contributions",
        "职工按年度、险种的社会保险缴费：缴费单位、缴费月数、缴费基数和个人、单位缴费金额。",
        "monthly",
        (
            _f(_ID, "id_number", "identifier", "公民身份号码"),
            _f("name", "person_name", "identifier", "姓名"),
            _f("employer_uscc", "uscc", "identifier", "缴费单位统一社会信用代码"),
            _f("insurance_type", "enum", "internal", "险种"),
            _f("contribution_year", "int", "internal", "缴费年度"),
            _f("months_paid", "int", "internal", "缴费月数"),
            _f("contribution_base_fen", "int", "sensitive", "月缴费基数（分）"),
            _f("personal_amount_fen", "int", "sensitive", "个人缴费金额（分）"),
            _f("employer_amount_fen", "int", "sensitive", "单位缴费金额（分）"),
        ),
        _social_insurance,
    ),
    _Spec(
        "gjj",
        "provident_fund_accounts",
        "住房公积金个人账户",
        "Housing provident fund accounts",
        "住房公积金个人账户：缴存单位、开户日期、账户状态、缴存基数和比例、月缴存额、余额。",
        "monthly",
        (
            _f("account_no", "text", "identifier", "个人账号"),
            _f(_ID, "id_number", "identifier", "公民身份号码"),
            _f("name", "person_name", "identifier", "姓名"),
            _f("employer_uscc", "uscc", "identifier", "缴存单位统一社会信用代码"),
            _f("opened_on", "date", "internal", "开户日期"),
            _f("status", "enum", "internal", "账户状态"),
            _f("deposit_base_fen", "int", "sensitive", "缴存基数（分）"),
            _f("deposit_rate_pct", "int", "internal", "单位和个人缴存比例（%）"),
            _f("monthly_deposit_fen", "int", "sensitive", "月缴存额（分）"),
            _f("balance_fen", "int", "sensitive", "账户余额（分）"),
            _f("last_deposit_month", "date", "internal", "最后缴存月份"),
        ),
        _provident_fund,
    ),
    _Spec(
        "bdc",
        "property_registrations",
        "不动产权登记信息",
        "Real estate title registrations",
        "不动产统一登记以来的产权登记：证书号、权利人、坐落、用途、面积、共有情况、登记价款和抵押。",
        "daily",
        (
            _f("certificate_no", "text", "identifier", "不动产权证书号"),
            _f("owner_id_number", "id_number", "identifier", "权利人身份证号码"),
            _f("owner_name", "person_name", "identifier", "权利人"),
            _f("district_code", "enum", "internal", "区县代码"),
            _f("location", "address", "identifier", "坐落"),
            _f("usage", "enum", "internal", "用途"),
            _f("building_area_m2", "decimal", "internal", "建筑面积（平方米）"),
            _f("ownership_type", "enum", "internal", "共有情况"),
            _f("registered_on", "date", "internal", "登记日期"),
            _f("price_fen", "int", "sensitive", "登记价款（分）"),
            _f("mortgaged", "bool", "sensitive", "是否抵押"),
        ),
        _properties,
    ),
    _Spec(
        "swj",
        "tax_credit_ratings",
        "纳税信用等级评价结果",
        "Taxpayer credit ratings",
        "企业纳税人年度纳税信用评价：评价年度、等级（A/B/M/C/D）、得分和发布日期。",
        "yearly",
        (
            _f("uscc", "uscc", "identifier", "纳税人识别号"),
            _f("taxpayer_name", "text", "public", "纳税人名称"),
            _f("rating_year", "int", "public", "评价年度"),
            _f("rating", "enum", "public", "纳税信用级别"),
            _f("score", "int", "internal", "评价得分"),
            _f("published_on", "date", "public", "发布日期"),
        ),
        _tax_ratings,
    ),
    _Spec(
        "mzj",
        "subsistence_allowance",
        "最低生活保障对象信息",
        "Minimum living allowance recipients",
        "城乡最低生活保障家庭：户主、所在街道、类别、家庭人口、月保障金、批准日期和保障状态。",
        "monthly",
        (
            _f("case_no", "text", "identifier", "低保证编号"),
            _f(_ID, "id_number", "identifier", "户主身份证号码"),
            _f("name", "person_name", "identifier", "户主姓名"),
            _f("district_code", "enum", "internal", "区县代码"),
            _f("street_name", "text", "internal", "街道（乡镇）"),
            _f("category", "enum", "sensitive", "保障类别"),
            _f("household_size", "int", "sensitive", "保障人数"),
            _f("monthly_allowance_fen", "int", "sensitive", "月保障金额（分）"),
            _f("approved_on", "date", "sensitive", "批准日期"),
            _f("status", "enum", "sensitive", "保障状态"),
        ),
        _subsistence_allowance,
    ),
    _Spec(
        "wjw",
        "vaccinations",
        "儿童预防接种记录",
        "Childhood vaccinations",
        "国家免疫规划疫苗的儿童接种记录：受种者、疫苗、剂次、接种日期、接种单位、生产企业和批号。",
        "daily",
        (
            _f("record_id", "text", "internal", "接种记录编号"),
            _f(_ID, "id_number", "identifier", "受种者身份证号码"),
            _f("name", "person_name", "identifier", "受种者姓名"),
            _f("vaccine_code", "enum", "sensitive", "疫苗代码"),
            _f("vaccine_name", "enum", "sensitive", "疫苗名称"),
            _f("dose_no", "int", "sensitive", "剂次"),
            _f("vaccinated_on", "date", "sensitive", "接种日期"),
            _f("clinic_name", "text", "internal", "接种单位"),
            _f("manufacturer", "enum", "internal", "生产企业"),
            _f("lot_no", "text", "internal", "疫苗批号"),
        ),
        _vaccinations,
    ),
    _Spec(
        "jyj",
        "student_enrolment",
        "中小学生学籍信息",
        "School enrolment",
        "2026 学年中小学在籍学生：全国学籍号、学校、学段、年级、班级、入学日期和监护人。",
        "quarterly",
        (
            _f("student_no", "text", "identifier", "全国学籍号"),
            _f(_ID, "id_number", "identifier", "学生身份证号码"),
            _f("name", "person_name", "identifier", "学生姓名"),
            _f("gender", "enum", "internal", "性别"),
            _f("school_name", "text", "internal", "学校名称"),
            _f("school_stage", "enum", "internal", "学段"),
            _f("grade", "int", "internal", "年级"),
            _f("class_no", "int", "internal", "班级"),
            _f("enrolled_on", "date", "internal", "入学日期"),
            _f("guardian_id_number", "id_number", "identifier", "监护人身份证号码"),
            _f("guardian_name", "person_name", "identifier", "监护人姓名"),
            _f("guardian_mobile", "mobile", "identifier", "监护人联系电话"),
        ),
        _students,
    ),
    _Spec(
        "jtj",
        "operating_vehicles",
        "道路运输营运车辆信息",
        "Commercial road transport vehicles",
        "出租、网约、货运、危货、客运和公交营运车辆：号牌、车辆类型、业户、燃料、核定载客或载质量、道路运输证和年审。",
        "weekly",
        (
            _f("plate", "plate", "identifier", "车牌号码"),
            _f("plate_color", "enum", "internal", "车牌颜色"),
            _f("vehicle_type", "enum", "internal", "营运类别"),
            _f("owner_type", "enum", "internal", "业户类型"),
            _f("owner_id_number", "id_number", "identifier", "业户身份证号码"),
            _f("owner_uscc", "uscc", "identifier", "业户统一社会信用代码"),
            _f("brand", "text", "internal", "品牌"),
            _f("fuel_type", "enum", "internal", "燃料类型"),
            _f("seats", "int", "internal", "核定载客（人）"),
            _f("load_tonnes", "decimal", "internal", "核定载质量（吨）"),
            _f("transport_permit_no", "text", "identifier", "道路运输证号"),
            _f("registered_on", "date", "internal", "发证日期"),
            _f("inspection_valid_until", "date", "internal", "年审有效期至"),
            _f("status", "enum", "internal", "营运状态"),
        ),
        _vehicles,
    ),
    _Spec(
        "water",
        "water_bills",
        "用水缴费记录",
        "Water bills and payments",
        "居民和非居民用户按月用水量、应缴水费（含污水处理费）、缴费期限、缴费日期和是否按时缴费。",
        "monthly",
        (
            _f("account_no", "text", "identifier", "用户号"),
            _f("customer_type", "enum", "internal", "用户类型"),
            _f(_ID, "id_number", "identifier", "户主身份证号码"),
            _f("uscc", "uscc", "identifier", "单位统一社会信用代码"),
            _f("address", "address", "identifier", "用水地址"),
            _f("billing_month", "date", "internal", "账期"),
            _f("usage_m3", "int", "internal", "用水量（立方米）"),
            _f("amount_fen", "int", "sensitive", "应缴金额（分）"),
            _f("due_date", "date", "internal", "缴费截止日期"),
            _f("paid_on", "date", "sensitive", "缴费日期"),
            _f("on_time", "bool", "sensitive", "是否按时缴费"),
        ),
        _bills(_WATER),
    ),
    _Spec(
        "power",
        "electricity_bills",
        "用电缴费记录",
        "Electricity bills and payments",
        "居民（阶梯电价）和一般工商业用户按月用电量、应缴电费、缴费期限、缴费日期和是否按时缴费。",
        "monthly",
        (
            _f("account_no", "text", "identifier", "用户编号"),
            _f("customer_type", "enum", "internal", "用户类型"),
            _f(_ID, "id_number", "identifier", "户主身份证号码"),
            _f("uscc", "uscc", "identifier", "单位统一社会信用代码"),
            _f("address", "address", "identifier", "用电地址"),
            _f("billing_month", "date", "internal", "账期"),
            _f("usage_kwh", "int", "internal", "用电量（千瓦时）"),
            _f("amount_fen", "int", "sensitive", "应缴金额（分）"),
            _f("due_date", "date", "internal", "缴费截止日期"),
            _f("paid_on", "date", "sensitive", "缴费日期"),
            _f("on_time", "bool", "sensitive", "是否按时缴费"),
        ),
        _bills(_POWER),
    ),
)


def _schema(spec: _Spec, *, seed: int, scale: float) -> pa.Schema:
    fields = [
        pa.field(
            f.name,
            ARROW_TYPES[f.type],
            metadata={"title_zh": f.title_zh, "type": f.type, "field_class": f.field_class},
        )
        for f in spec.fields
    ]
    metadata = {
        "provider_code": spec.provider_code,
        "dataset_code": spec.code,
        "title_zh": spec.title_zh,
        "as_of": AS_OF.isoformat(),
        "seed": str(seed),
        "scale": repr(scale),
    }
    return pa.schema(fields, metadata=metadata)


def _write(path: Path, schema: pa.Schema, batches: Iterator[Columns]) -> int:
    """Stream batches into one Parquet file, renamed into place only once complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    rows = 0
    with pq.ParquetWriter(partial, schema, compression="zstd") as writer:
        for columns in batches:
            arrays = [columns[field.name].cast(field.type) for field in schema]
            table = pa.Table.from_arrays(arrays, schema=schema)
            writer.write_table(table, row_group_size=BATCH_ROWS)
            rows += table.num_rows
    partial.replace(path)
    return rows


def build_datasets(
    *, sources_dir: Path, seed: int = 20261126, scale: float = 1
) -> list[DemoDataset]:
    """Write every provider dataset of the demo city under ``sources_dir``.

    ``scale`` multiplies the row counts (1 is about a million rows in all, 100 about a
    hundred million); it may be fractional, down to ``MIN_SCALE``, for quick builds.
    """
    if not scale >= MIN_SCALE:
        raise ValueError(f"scale must be at least {MIN_SCALE}")
    city = _make_city(seed, scale)
    built = []
    # Streams 1-9 made the city; each dataset draws from its own stream after that.
    for stream, spec in enumerate(_SPECS, start=10):
        path = sources_dir / spec.provider_code / f"{spec.code}.parquet"
        rows = _write(path, _schema(spec, seed=seed, scale=scale), spec.rows(city, stream))
        built.append(
            DemoDataset(
                provider_code=spec.provider_code,
                code=spec.code,
                title_zh=spec.title_zh,
                title_en=spec.title_en,
                description_zh=spec.description_zh,
                update_frequency=spec.update_frequency,
                rows=rows,
                path=path,
                fields=spec.fields,
                intended_quarantine_share=INTENDED_QUARANTINE_SHARE[spec.code],
            )
        )
    return built
