"""营口市民政局 (mzj): minimum living allowance recipients."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Final

import numpy as np

from sluice.demo.datasets.city import City, DatasetSpec, _weighted_sample
from sluice.demo.datasets.people import _DISTRICT_CODES, _STREET_NAMES, _STREET_URBAN
from sluice.demo.datasets.shared import (
    _AS_OF_DAY,
    ID,
    Columns,
    _between,
    _choice,
    _dates,
    _day,
    _digits,
    _f,
    _ints,
    _join,
    _plus_years,
    _pool,
    _rng,
    _take,
)

# Monthly minimum living standard per person (fen), urban and rural.
_ALLOWANCE_STANDARD: Final = {True: 74_000, False: 53_000}


def _subsistence_allowance(city: City, stream: int) -> Iterator[Columns]:
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


SPEC: Final = DatasetSpec(
    "mzj",
    "subsistence_allowance",
    "最低生活保障对象信息",
    "Minimum living allowance recipients",
    "城乡最低生活保障家庭：户主、所在街道、类别、家庭人口、月保障金、批准日期和保障状态。",
    "monthly",
    (
        _f("case_no", "text", "identifier", "低保证编号"),
        _f(ID, "id_number", "identifier", "户主身份证号码"),
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
)
