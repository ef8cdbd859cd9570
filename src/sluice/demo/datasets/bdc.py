"""营口市不动产登记中心 (bdc): real estate title registrations."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from sluice.demo import regions
from sluice.demo.datasets.city import City, DatasetSpec
from sluice.demo.datasets.people import (
    _ADDRESS_KEYS,
    _DISTRICT_CODES,
    _STREET_DISTRICT,
    _STREET_KIND_WEIGHT,
    _STREETS,
    _address,
)
from sluice.demo.datasets.shared import (
    _AS_OF_DAY,
    Columns,
    Ints,
    _between,
    _choice,
    _chunks,
    _dates,
    _day,
    _decimals,
    _digits,
    _f,
    _ints,
    _join,
    _plus_years,
    _pool,
    _rng,
    _sample,
    _take,
    _ymd,
)

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


def _properties(city: City, stream: int) -> Iterator[Columns]:
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
    for _, part in _chunks(n):
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


SPEC: Final = DatasetSpec(
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
)
