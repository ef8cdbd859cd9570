"""营口市人力资源和社会保障局 (rsj): social insurance contributions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

import numpy as np

from sluice.demo.datasets.city import City, DatasetSpec
from sluice.demo.datasets.shared import ID, Columns, Ints, _chunks, _f, _ints, _pool, _rng, _take

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


def _social_insurance(city: City, stream: int) -> Iterator[Columns]:
    jobs, people = city.jobs, city.people
    years, kinds = len(_INSURANCE_YEARS), len(_INSURANCES)
    per_worker = years * kinds
    for number, part in _chunks(jobs.person.shape[0], rows_each=per_worker):
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


SPEC: Final = DatasetSpec(
    "rsj",
    "social_insurance",
    "社会保险缴费记录",
    "Social insurance contributions",
    "职工按年度、险种的社会保险缴费：缴费单位、缴费月数、缴费基数和个人、单位缴费金额。",
    "monthly",
    (
        _f(ID, "id_number", "identifier", "公民身份号码"),
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
)
