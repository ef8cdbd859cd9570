"""The ranking arithmetic, exactly: weighted means as fractions, tie-break, shared ranks."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from fractions import Fraction

import pytest

from sluice.operators.selection.ranking import exact, rank, tiebreak_criterion, two_decimals


@dataclass(frozen=True)
class Crit:
    id: uuid.UUID
    weight: int
    position: int


def _criteria(*weights: int) -> list[Crit]:
    return [Crit(uuid.uuid4(), w, i) for i, w in enumerate(weights, start=1)]


A, B, C = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
NAMES = [(A, "甲"), (B, "乙"), (C, "丙")]


def _scores(criteria: list[Crit], sheets: dict[uuid.UUID, list[list[int]]]) -> list[tuple]:
    """sheets: organization -> one list of scores (criterion order) per member."""
    return [
        (org, c.id, score)
        for org, members in sheets.items()
        for scores in members
        for c, score in zip(criteria, scores, strict=True)
    ]


def test_worked_example_three_members() -> None:
    criteria = _criteria(40, 30, 20, 10)
    sheets = {
        A: [[90, 80, 70, 60], [85, 83, 72, 65], [88, 79, 75, 62]],
        B: [[85, 90, 80, 70], [88, 86, 79, 75], [84, 88, 81, 72]],
        C: [[70, 75, 95, 100], [72, 70, 90, 95], [74, 72, 92, 96]],
    }
    result = rank(criteria, NAMES, _scores(criteria, sheets))
    # 乙: (40·257 + 30·264 + 20·240 + 10·217) / 300 = 25170/300
    # 甲: (40·263 + 30·242 + 20·217 + 10·187) / 300 = 23990/300
    # 丙: (40·216 + 30·217 + 20·277 + 10·291) / 300 = 23600/300
    assert [(e.name, e.rank, e.weighted) for e in result.entries] == [
        ("乙", 1, Fraction(839, 10)),
        ("甲", 2, Fraction(2399, 30)),
        ("丙", 3, Fraction(236, 3)),
    ]
    assert [two_decimals(e.weighted) for e in result.entries] == ["83.90", "79.97", "78.67"]
    assert result.entry(A) is not None
    assert result.entry(A).means[criteria[0].id] == Fraction(263, 3)  # type: ignore[union-attr]
    assert result.winner is not None and result.winner.organization_id == B
    assert not result.tie_at_top
    assert not any(e.tied or e.separated_by_tiebreak for e in result.entries)


def test_equal_weighted_scores_are_ordered_by_the_highest_weighted_criterion() -> None:
    criteria = _criteria(30, 50, 20)  # the second criterion weighs most
    # 甲: 0.3·80 + 0.5·70 + 0.2·90 = 77 ; 乙: 0.3·60 + 0.5·80 + 0.2·95 = 77
    sheets = {A: [[80, 70, 90]], B: [[60, 80, 95]], C: [[50, 50, 50]]}
    result = rank(criteria, NAMES, _scores(criteria, sheets))
    assert tiebreak_criterion(criteria) is criteria[1]
    assert [(e.name, e.rank, e.weighted) for e in result.entries] == [
        ("乙", 1, Fraction(77)),
        ("甲", 2, Fraction(77)),
        ("丙", 3, Fraction(50)),
    ]
    assert [e.separated_by_tiebreak for e in result.entries] == [True, True, False]
    assert not result.tie_at_top
    assert result.winner is not None and result.winner.name == "乙"


def test_candidates_equal_on_both_keys_share_the_rank_and_the_tie_is_named() -> None:
    criteria = _criteria(60, 40)
    # 甲 and 乙: 0.6·80 + 0.4·70 = 76 with the same mean 80 on the heavier criterion.
    sheets = {A: [[80, 70]], B: [[80, 70]], C: [[90, 90]]}
    result = rank(criteria, NAMES, _scores(criteria, sheets))
    assert [(e.name, e.rank, e.tied) for e in result.entries] == [
        ("丙", 1, False),
        ("乙", 2, True),
        ("甲", 2, True),
    ]
    assert not result.tie_at_top
    top_tie = rank(criteria, NAMES[:2], _scores(criteria, {A: [[80, 70]], B: [[80, 70]]}))
    assert [e.rank for e in top_tie.entries] == [1, 1]
    assert top_tie.tie_at_top
    assert top_tie.winner is None


def test_a_rank_after_a_shared_rank_skips_the_shared_places() -> None:
    criteria = _criteria(100)
    result = rank(
        criteria, NAMES, [(A, criteria[0].id, 90), (B, criteria[0].id, 90), (C, criteria[0].id, 80)]
    )
    assert [e.rank for e in result.entries] == [1, 1, 3]


def test_when_several_criteria_share_the_top_weight_the_first_listed_breaks_ties() -> None:
    criteria = _criteria(40, 40, 20)
    assert tiebreak_criterion(criteria) is criteria[0]


def test_ranking_needs_criteria() -> None:
    with pytest.raises(ValueError, match="criteria"):
        rank([], NAMES, [])


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Fraction(839, 10), "83.90"),
        (Fraction(2399, 30), "79.97"),  # 79.9666…
        (Fraction(236, 3), "78.67"),  # 78.666…
        (Fraction(1067, 12), "88.92"),  # 88.91666…
        (Fraction(85335, 1000), "85.34"),  # exactly half a hundredth: rounds up
        (Fraction(0), "0.00"),
        (Fraction(100), "100.00"),
    ],
)
def test_two_decimals_rounds_half_up(value: Fraction, shown: str) -> None:
    assert two_decimals(value) == shown


def test_exact_writes_the_fraction() -> None:
    assert exact(Fraction(2399, 30)) == "2399/30"
    assert exact(Fraction(77)) == "77"
