"""国家税务总局营口市税务局 (swj): taxpayer credit ratings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

import numpy as np

from sluice.demo.datasets.city import City, DatasetSpec
from sluice.demo.datasets.shared import (
    Columns,
    _chunks,
    _dates,
    _f,
    _from_ymd,
    _ints,
    _pool,
    _rng,
    _take,
)

_TAX_YEARS: Final = (2021, 2022, 2023, 2024, 2025)
_RATINGS: Final = _pool(["A", "B", "M", "C", "D"])


def _tax_ratings(city: City, stream: int) -> Iterator[Columns]:
    firms = city.firms
    active = firms.active()
    per_firm = len(_TAX_YEARS)
    for number, part in _chunks(active.shape[0], rows_each=per_firm):
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


SPEC: Final = DatasetSpec(
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
)
