"""营口市公安局 (gaj): registered residents."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Final

import numpy as np

from sluice.demo.datasets.city import City, DatasetSpec
from sluice.demo.datasets.people import (
    _DISTRICT_CODES,
    _ETHNICITIES,
    _ETHNICITY_WEIGHTS,
    _STREET_NAMES,
)
from sluice.demo.datasets.shared import (
    _AS_OF_DAY,
    _GENDERS,
    ID,
    Columns,
    _between,
    _choice,
    _chunks,
    _dates,
    _day,
    _f,
    _pool,
    _rng,
    _take,
    _timestamps,
)


def _residents(city: City, stream: int) -> Iterator[Columns]:
    people = city.people
    ethnicities = _pool(_ETHNICITIES)
    for number, part in _chunks(people.count):
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


SPEC: Final = DatasetSpec(
    "gaj",
    "residents",
    "户籍人口基本信息",
    "Registered residents",
    "全市户籍人口的身份、性别、民族、出生日期、户籍地址和联系电话。",
    "daily",
    (
        _f(ID, "id_number", "identifier", "公民身份号码"),
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
)
