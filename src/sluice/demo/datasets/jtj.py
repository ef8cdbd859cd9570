"""营口市交通运输局 (jtj): commercial road transport vehicles."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any, Final

import numpy as np
import pyarrow as pa

from sluice.demo import regions
from sluice.demo.datasets.city import City, DatasetSpec
from sluice.demo.datasets.enterprises import _INDUSTRIES
from sluice.demo.datasets.shared import (
    _AS_OF_DAY,
    Columns,
    _age,
    _between,
    _choice,
    _chunks,
    _dates,
    _day,
    _decimals,
    _digits,
    _f,
    _from_ymd,
    _ints,
    _join,
    _nullable,
    _plus_years,
    _pool,
    _rng,
    _sample,
    _take,
    _unique_ints,
    _words,
    _ymd,
)

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


def _vehicles(city: City, stream: int) -> Iterator[Columns]:
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
    for _, part in _chunks(n):
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


SPEC: Final = DatasetSpec(
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
)
