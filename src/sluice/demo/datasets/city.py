"""The city every department's data is drawn from (people, enterprises, jobs), and
the description of one department's dataset (``DatasetSpec``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from sluice.demo.datasets.enterprises import Enterprises, make_enterprises
from sluice.demo.datasets.people import People, make_people
from sluice.demo.datasets.shared import (
    Columns,
    DemoField,
    Ints,
    UpdateFrequency,
    _choice,
    _rng,
    _sample,
)

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
# Employment: who works where, shared by social insurance and the provident fund


@dataclass(frozen=True, slots=True)
class Jobs:
    person: Ints  # resident rows
    employer: Ints  # enterprise rows
    base_fen: Ints  # monthly wage base in 2023, before the year's floor and cap


@dataclass(frozen=True, slots=True)
class City:
    seed: int
    scale: float
    people: People
    firms: Enterprises
    jobs: Jobs

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


def make_city(seed: int, scale: float) -> City:
    counts = {name: max(1, round(base * scale)) for name, base in _BASE_COUNTS.items()}
    people = make_people(_rng(seed, 1), counts["residents"])
    firms = make_enterprises(_rng(seed, 2), counts["enterprises"], people)
    rng = _rng(seed, 3)
    employers = firms.active(before=date(2023, 1, 1))
    if employers.shape[0] == 0:
        employers = np.arange(firms.count, dtype=np.int64)
    # Bigger companies employ more people.
    weight = np.sqrt(firms.capital_fen[employers].astype(np.float64))
    workers = counts["workers"]
    # Monthly wages around a median of 5,200 yuan, whole yuan.
    wage_yuan = np.round(np.exp(rng.normal(np.log(5_200), 0.45, size=workers))).astype(np.int64)
    jobs = Jobs(
        person=_sample(rng, people.aged(22, 59), workers),
        employer=employers[_choice(rng, workers, list(weight))],
        base_fen=wage_yuan * 100,
    )
    return City(seed=seed, scale=scale, people=people, firms=firms, jobs=jobs)


@dataclass(frozen=True, slots=True)
class DatasetSpec:
    provider_code: str
    code: str
    title_zh: str
    title_en: str
    description_zh: str
    update_frequency: UpdateFrequency
    fields: tuple[DemoField, ...]
    rows: Callable[[City, int], Iterator[Columns]]
