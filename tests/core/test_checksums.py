"""The vectorized ID and credit-code checks agree with python-stdnum, value for value."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import exceptions
from stdnum.cn import ric, uscc

from sluice.core import checksums

DIGITS = "0123456789"
ALPHABET = checksums.USCC_ALPHABET

# Public, well-known codes: the python-stdnum doctest, Huawei, Tencent, Alibaba (China).
KNOWN_USCC = [
    "91110000600037341L",
    "914403001922038216",
    "9144030071526726XG",
    "91330100716105852F",
]
KNOWN_ORG_BODIES = ["60003734", "19220382", "71526726", "71610585"]
KNOWN_ORG_CHECKS = ["1", "1", "X", "2"]


# -- oracles built on python-stdnum -----------------------------------------------------


def stdnum_ric_ok(value: str | None, *, check_birth_date: bool = True) -> bool:
    """python-stdnum's verdict on the canonical form, leaving out the region history.

    ``valid_ric`` does not know which region codes existed when; stdnum does and raises
    InvalidComponent or KeyError for that, after having checked everything else.
    """
    if value is None or value != ric.compact(value):
        return False
    if len(value) != 18 or not all(c in DIGITS for c in value[:17]):
        return False
    if value[17] != ric.calc_check_digit(value):
        return False
    if not check_birth_date:
        return True
    try:
        ric.get_birth_date(value)
    except exceptions.ValidationError:
        return False
    return True


def stdnum_uscc_ok(value: str | None) -> bool:
    if value is None or value != uscc.compact(value):
        return False
    if len(value) == 18 and all(c in DIGITS for c in value[:2]):
        return uscc.is_valid(value)
    # Letters as registration authority or entity type: allowed by GB 32100, refused by
    # stdnum 2.2, so check its other rules with stdnum's own check character.
    return (
        len(value) == 18
        and all(c in ALPHABET for c in value)
        and all(c in DIGITS for c in value[2:8])
        and value[17] == uscc.calc_check_digit(value[:17])
    )


def textbook_org_check(body: str) -> str:
    """GB 11714: letters count 10..35, weights 3 7 9 10 5 8 4 2, check 11 - sum mod 11."""
    values = [int(c) if c in DIGITS else ord(c) - 55 for c in body]
    check = 11 - sum(v * w for v, w in zip(values, [3, 7, 9, 10, 5, 8, 4, 2], strict=True)) % 11
    return {10: "X", 11: "0"}.get(check, str(check))


# -- strategies ---------------------------------------------------------------------------

regions = st.sampled_from(["110101", "210802", "210881", "360426", "440305", "650102"])


@st.composite
def resident_ids(draw: st.DrawFn) -> str:
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 12, 31)))
    body = f"{draw(regions)}{born:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    return body + ric.calc_check_digit(body + "0")


@st.composite
def ids_with_any_date_field(draw: st.DrawFn) -> str:
    """Right check character, but the date field may be no date (30 Feb, month 13, …)."""
    year = draw(st.sampled_from([0, 1, 1900, 1996, 2000, 2023, 2024, 2100, 9999]))
    month, day = draw(st.integers(0, 13)), draw(st.integers(0, 32))
    body = f"{draw(regions)}{year:04d}{month:02d}{day:02d}{draw(st.integers(0, 999)):03d}"
    return body + ric.calc_check_digit(body + "0")


@st.composite
def credit_codes(draw: st.DrawFn, region_alphabet: str = DIGITS) -> str:
    head = draw(st.text(alphabet=DIGITS, min_size=2, max_size=2) | st.sampled_from(["N2", "Y1"]))
    region = draw(st.text(alphabet=region_alphabet, min_size=6, max_size=6))
    org = draw(st.text(alphabet=ALPHABET, min_size=9, max_size=9))
    body = head + region + org
    return body + uscc.calc_check_digit(body)


def corrupted(valid: st.SearchStrategy[str], noise: str) -> st.SearchStrategy[str]:
    """A valid value with one typo: a changed, swapped, dropped or extra character."""

    @st.composite
    def typo(draw: st.DrawFn) -> str:
        value = draw(valid)
        i = draw(st.integers(0, len(value) - 1))
        kind = draw(st.sampled_from(["change", "swap", "drop", "insert", "lower"]))
        if kind == "change":
            return value[:i] + draw(st.sampled_from(noise)) + value[i + 1 :]
        if kind == "swap" and i < len(value) - 1:
            return value[:i] + value[i + 1] + value[i] + value[i + 2 :]
        if kind == "drop":
            return value[:i] + value[i + 1 :]
        if kind == "insert":
            return value[:i] + draw(st.sampled_from(noise)) + value[i:]
        return value.lower()

    return typo()


ric_noise = DIGITS + "Xx -O"
ric_values = st.one_of(
    resident_ids(),
    ids_with_any_date_field(),
    corrupted(resident_ids(), ric_noise),
    st.text(alphabet=ric_noise, max_size=20),
    st.none(),
)
uscc_noise = ALPHABET + "IOSVZxa -"
uscc_values = st.one_of(
    credit_codes(),
    credit_codes(region_alphabet=ALPHABET),  # letters in the region code, check made to fit
    corrupted(credit_codes(), uscc_noise),
    st.text(alphabet=uscc_noise, max_size=20),
    st.none(),
)


# -- agreement with stdnum ----------------------------------------------------------------


@settings(deadline=None)
@given(st.lists(st.text(alphabet=DIGITS, min_size=17, max_size=17), min_size=1, max_size=40))
def test_ric_check_chars_match_stdnum_for_strings_and_integers(bodies: list[str]) -> None:
    expected = [ric.calc_check_digit(body + "0") for body in bodies]
    assert checksums.ric_check_chars(bodies).tolist() == expected
    as_ints = np.array([int(body) for body in bodies], dtype=np.int64)
    assert checksums.ric_check_chars(as_ints).tolist() == expected
    assert checksums.ric_from_bodies(as_ints).to_pylist() == [
        b + c for b, c in zip(bodies, expected, strict=True)
    ]


@settings(deadline=None)
@given(st.lists(ric_values, max_size=60))
def test_valid_ric_agrees_with_stdnum(values: list[str | None]) -> None:
    assert checksums.valid_ric(values).tolist() == [stdnum_ric_ok(v) for v in values]
    assert checksums.valid_ric(values, check_birth_date=False).tolist() == [
        stdnum_ric_ok(v, check_birth_date=False) for v in values
    ]


@settings(deadline=None)
@given(resident_ids())
def test_generated_ids_with_a_region_in_force_pass_full_stdnum_validation(value: str) -> None:
    assert checksums.valid_ric([value]).tolist() == [True]
    try:
        ric.validate(value)
    except (exceptions.InvalidComponent, KeyError):
        # Only the region history may object, e.g. 210881 for a birth before 1992.
        assert ric.get_birth_date(value)


@settings(deadline=None)
@given(st.lists(uscc_values, max_size=60))
def test_valid_uscc_agrees_with_stdnum(values: list[str | None]) -> None:
    assert checksums.valid_uscc(values).tolist() == [stdnum_uscc_ok(v) for v in values]


@settings(deadline=None)
@given(st.lists(st.text(alphabet=ALPHABET, min_size=17, max_size=17), min_size=1, max_size=40))
def test_uscc_check_chars_match_stdnum(bodies: list[str]) -> None:
    expected = [uscc.calc_check_digit(body) for body in bodies]
    assert checksums.uscc_check_chars(bodies).tolist() == expected
    assert checksums.uscc_from_bodies(bodies).to_pylist() == [
        b + c for b, c in zip(bodies, expected, strict=True)
    ]


@settings(deadline=None)
@given(st.lists(st.text(alphabet=DIGITS + "ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=8, max_size=8)))
def test_org_code_check_chars_follow_gb_11714(bodies: list[str]) -> None:
    checks = checksums.org_code_check_chars(bodies).tolist()
    assert checks == [textbook_org_check(b) for b in bodies]


@settings(deadline=None)
@given(st.lists(credit_codes(), min_size=1, max_size=40))
def test_org_code_check_only_narrows_credit_code_validity(codes: list[str]) -> None:
    plain = checksums.valid_uscc(codes)
    strict = checksums.valid_uscc(codes, check_org_code=True)
    assert plain.all()
    assert strict.tolist() == [textbook_org_check(c[8:16]) == c[16] for c in codes]


# -- known answers and edge cases ----------------------------------------------------------


def test_known_public_credit_codes_pass_both_checks() -> None:
    assert all(uscc.is_valid(code) for code in KNOWN_USCC)
    assert checksums.valid_uscc(KNOWN_USCC, check_org_code=True).all()
    assert checksums.org_code_check_chars(KNOWN_ORG_BODIES).tolist() == KNOWN_ORG_CHECKS
    assert [textbook_org_check(b) for b in KNOWN_ORG_BODIES] == KNOWN_ORG_CHECKS


def with_check(body: str) -> str:
    return body + ric.calc_check_digit(body + "0")


def test_known_resident_id_and_its_typos() -> None:
    ends_in_x = next(
        with_check(f"21080219900101{n:03d}")
        for n in range(1000)
        if with_check(f"21080219900101{n:03d}").endswith("X")
    )
    values = [
        "360426199101010071",  # stdnum's doctest
        "360426199101010072",  # wrong check character
        with_check("36042619910230007"),  # 30 February
        ends_in_x,
        ends_in_x.lower(),  # stdnum would upper-case it; canonical form only here
        " 360426199101010071",
        "３６０４２６１９９１０１０１００７１",  # full-width digits
    ]
    assert checksums.valid_ric(values).tolist() == [True, False, False, True, False, False, False]
    assert ric.is_valid(ends_in_x.lower())


@pytest.mark.parametrize(
    ("birth", "valid"),
    [
        ("20000229", True),  # divisible by 400: leap
        ("19000229", False),  # divisible by 100 only: not leap
        ("21000229", False),
        ("20240229", True),
        ("20230229", False),
        ("20230431", False),
        ("20231231", True),
        ("20231301", False),
        ("20230001", False),
        ("20230100", False),
        ("00000101", False),  # there is no year 0
        ("00010101", True),
    ],
)
def test_birth_date_field_must_be_a_calendar_date(birth: str, valid: bool) -> None:
    value = with_check(f"110101{birth}001")
    assert stdnum_ric_ok(value) is valid
    assert checksums.valid_ric([value]).tolist() == [valid]
    assert checksums.valid_ric([value], check_birth_date=False).tolist() == [True]


def test_credit_code_with_letter_authority_is_valid_here_but_not_in_stdnum() -> None:
    body = "N2210802MA0000000"
    code = body + uscc.calc_check_digit(body)
    assert not uscc.is_valid(code)
    assert checksums.valid_uscc([code]).tolist() == [True]


ID = "360426199101010071"
CODE = "91110000600037341L"


@pytest.mark.parametrize(
    "values",
    [
        pytest.param([ID, None, "", "x", CODE], id="list"),
        pytest.param(np.array([ID, "", "", "x", CODE]), id="numpy-unicode"),
        pytest.param(np.array([ID, None, 3, 4.5, CODE], dtype=object), id="numpy-mixed-objects"),
        pytest.param(pa.array([ID, None, "", "x", CODE]), id="arrow-string"),
        pytest.param(pa.array([ID, None, "", "x", CODE], pa.large_string()), id="large-string"),
        pytest.param(pa.array([ID, None, "", "x", CODE], pa.string_view()), id="string-view"),
        pytest.param(pa.array([ID, None, "", "x", CODE]).dictionary_encode(), id="dictionary"),
        pytest.param(pa.chunked_array([[ID, None], ["", "x", CODE]]), id="chunked"),
        pytest.param(pa.array(["pad", ID, None, "", "x", CODE]).slice(1), id="sliced"),
        pytest.param(pa.array([ID.encode(), None, b"", b"x", CODE.encode()]), id="binary"),
        pytest.param(
            pa.array([ID.encode(), None, b" " * 18, b"x" * 18, CODE.encode()], pa.binary(18)),
            id="fixed-size-binary",
        ),
    ],
)
def test_any_column_shape_is_checked_without_raising(values: Any) -> None:
    assert checksums.valid_ric(values).tolist() == [True, False, False, False, False]
    assert checksums.valid_uscc(values).tolist() == [False, False, False, False, True]


def test_columns_that_are_not_text_are_all_invalid() -> None:
    numbers = np.array([360426199101010071, 1], dtype=np.int64)
    assert checksums.valid_ric(numbers).tolist() == [False, False]
    assert checksums.valid_uscc(pa.array([1.5, None])).tolist() == [False, False]
    assert checksums.valid_ric([]).tolist() == []
    assert checksums.valid_ric(pa.array([None, None], pa.string())).tolist() == [False, False]


@pytest.mark.parametrize(
    ("function", "bodies"),
    [
        (checksums.ric_check_chars, ["3604261991010100"]),
        (checksums.ric_check_chars, ["3604261991010100X"]),
        (checksums.ric_check_chars, [None]),
        (checksums.ric_check_chars, np.array([-1])),
        (checksums.ric_check_chars, np.array([10**17])),
        (checksums.uscc_check_chars, ["91110000600037341"[:-1] + "I"]),
        (checksums.uscc_check_chars, ["9111000060003734"]),
        (checksums.org_code_check_chars, ["6000373a"]),
    ],
)
def test_making_check_characters_refuses_malformed_bodies(
    function: Callable[[Any], object], bodies: Any
) -> None:
    with pytest.raises(ValueError):
        function(bodies)


def test_large_columns_are_checked_row_for_row_across_blocks() -> None:
    # More rows than one processing block, with every 7th value spoiled.
    rng = np.random.default_rng(7)
    n = 600_001
    bodies = 110101_19800101_000 + rng.integers(0, 10_000_000, size=n)
    ids = checksums.ric_from_bodies(bodies)
    spoiled = np.zeros(n, dtype=bool)
    spoiled[::7] = True
    wrong = pa.array(np.where(checksums.ric_check_chars(bodies) == "0", "1", "0"))
    last = pa.compute.utf8_slice_codeunits(ids, 17, 18)
    ids = pa.compute.binary_join_element_wise(
        pa.compute.utf8_slice_codeunits(ids, 0, 17),
        pa.compute.if_else(pa.array(spoiled), wrong, last),
        "",
    )
    valid = checksums.valid_ric(ids, check_birth_date=False)
    assert (valid == ~spoiled).all()
    sample = ids.take(pa.array(rng.integers(0, n, size=2_000))).to_pylist()
    assert checksums.valid_ric(sample, check_birth_date=False).tolist() == [
        stdnum_ric_ok(v, check_birth_date=False) for v in sample
    ]
