"""The ranking of a competitive consultation, exactly: no floats between scores and rank.

A candidate's weighted score is Σ (weight / 100) × the panel's mean score on the criterion,
a fraction on a 0–100 scale, shown with two decimals (half up). Candidates with equal
weighted scores are ordered by their mean on the highest-weighted criterion (the first
listed if several share the top weight); candidates equal on both share a rank, and the
bureau must then break the tie itself, with a reason.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol, TypeVar


class WeightedCriterion(Protocol):
    @property
    def id(self) -> uuid.UUID: ...
    @property
    def weight(self) -> int: ...
    @property
    def position(self) -> int: ...


C = TypeVar("C", bound=WeightedCriterion)


@dataclass(frozen=True)
class RankedCandidate:
    organization_id: uuid.UUID
    name: str
    weighted: Fraction
    #: criterion id -> the panel's mean score on it.
    means: Mapping[uuid.UUID, Fraction]
    rank: int
    #: Shares its rank with another candidate: equal weighted score and tie-break mean.
    tied: bool
    #: Equal weighted score with another candidate, ordered by the tie-break criterion.
    separated_by_tiebreak: bool


@dataclass(frozen=True)
class Ranking:
    entries: tuple[RankedCandidate, ...]
    tiebreak_criterion_id: uuid.UUID

    @property
    def top(self) -> tuple[RankedCandidate, ...]:
        return tuple(e for e in self.entries if e.rank == 1)

    @property
    def tie_at_top(self) -> bool:
        return len(self.top) > 1

    @property
    def winner(self) -> RankedCandidate | None:
        """The single top-ranked candidate; None when several share first place."""
        top = self.top
        return top[0] if len(top) == 1 else None

    def entry(self, organization_id: uuid.UUID) -> RankedCandidate | None:
        return next((e for e in self.entries if e.organization_id == organization_id), None)


def tiebreak_criterion(criteria: Sequence[C]) -> C:
    """The highest-weighted criterion; the first listed if several share the top weight."""
    return min(criteria, key=lambda c: (-c.weight, c.position))


def rank(
    criteria: Sequence[WeightedCriterion],
    candidates: Sequence[tuple[uuid.UUID, str]],
    scores: Iterable[tuple[uuid.UUID, uuid.UUID, int]],
) -> Ranking:
    """Rank ``candidates`` (organization id, name) from ``scores`` (organization id,
    criterion id, score). Every candidate needs at least one score on every criterion."""
    if not criteria:
        raise ValueError("a ranking needs criteria")
    total: dict[tuple[uuid.UUID, uuid.UUID], int] = defaultdict(int)
    count: dict[tuple[uuid.UUID, uuid.UUID], int] = defaultdict(int)
    for organization_id, criterion_id, score in scores:
        total[organization_id, criterion_id] += score
        count[organization_id, criterion_id] += 1
    breaker = tiebreak_criterion(criteria).id
    rows = []
    for organization_id, name in candidates:
        means = {
            c.id: Fraction(total[organization_id, c.id], count[organization_id, c.id])
            for c in criteria
        }
        weighted = sum((Fraction(c.weight, 100) * means[c.id] for c in criteria), Fraction(0))
        rows.append((organization_id, name, weighted, means))
    # Best first; the name only makes the order of a true tie stable on screen.
    rows.sort(key=lambda r: (-r[2], -r[3][breaker], r[1]))
    keys = [(weighted, means[breaker]) for _, _, weighted, means in rows]
    entries: list[RankedCandidate] = []
    for index, (organization_id, name, weighted, means) in enumerate(rows):
        shared = index > 0 and keys[index] == keys[index - 1]
        same_key = keys.count(keys[index])
        same_weighted = sum(1 for k in keys if k[0] == weighted)
        entries.append(
            RankedCandidate(
                organization_id=organization_id,
                name=name,
                weighted=weighted,
                means=means,
                rank=entries[-1].rank if shared else index + 1,
                tied=same_key > 1,
                separated_by_tiebreak=same_weighted > same_key,
            )
        )
    return Ranking(tuple(entries), breaker)


def two_decimals(value: Fraction) -> str:
    """A non-negative score with two decimals, rounded half up (1067/12 = 88.9166… -> 88.92)."""
    hundredths = math.floor(value * 100 + Fraction(1, 2))
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def exact(value: Fraction) -> str:
    """The fraction as text: ``88`` or ``1067/12``."""
    if value.denominator == 1:
        return str(value.numerator)
    return f"{value.numerator}/{value.denominator}"
