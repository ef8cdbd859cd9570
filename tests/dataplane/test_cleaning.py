"""Cleaning gives canonical text and typed values, over whole columns."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sluice.dataplane.cleaning import clean_column, clean_text, halfwidth, parse_date
from sluice.dataplane.schema import FieldSpec


def field(kind: str, **extra: Any) -> FieldSpec:
    return FieldSpec.from_json({"name": "f", "type": kind, **extra})


def cleaned(kind: str, values: list[str | None], **extra: Any) -> tuple[list[Any], list[Any]]:
    result = clean_column(pa.array(values, pa.string()), field(kind, **extra))
    return result.text.to_pylist(), result.value.to_pylist()


def test_full_width_spaces_and_empties() -> None:
    text, _ = cleaned(
        "text", ["  ＡＢＣ１２３！～\u3000", "\u3000张三\u3000", "", "   ", None, "a\u00a0"]
    )
    assert text == ["ABC123!~", "张三", None, None, None, "a"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("21080219900101123x", "21080219900101123X"),
        (" 2108021990 0101123X ", "21080219900101123X"),
        ("２１０８０２１９９００１０１１２３ｘ", "21080219900101123X"),
    ],
)
def test_resident_ids(raw: str, expected: str) -> None:
    assert cleaned("id_number", [raw]) == ([expected], [expected])


@pytest.mark.parametrize(
    "raw",
    [
        "13800138000",
        "+86 138-0013-8000",
        "+8613800138000",
        "0086 13800138000",
        "86-13800138000",
        "8613800138000",
        "(138)0013 8000",
        "１３８００１３８０００",
    ],
)
def test_mobiles_lose_separators_and_country_code(raw: str) -> None:
    assert cleaned("mobile", [raw])[0] == ["13800138000"]


def test_a_short_number_keeps_its_86() -> None:
    # Only a country code in front of a full 11-digit mobile is removed.
    assert cleaned("mobile", ["86123"])[0] == ["86123"]


def test_credit_codes_plates_and_names() -> None:
    assert cleaned("uscc", [" 91110000600037341l "])[0] == ["91110000600037341L"]
    assert cleaned("plate", ["辽h·12345", "辽H D12345", "辽H-12345"])[0] == [
        "辽H12345",
        "辽HD12345",
        "辽H12345",
    ]
    assert cleaned("person_name", ["欧阳  娜娜", "张 三 丰", "阿依古丽•买买提", "Wang  Wei"])[
        0
    ] == [
        "欧阳娜娜",
        "张三丰",
        "阿依古丽·买买提",
        "Wang Wei",
    ]


@pytest.mark.parametrize(
    "raw",
    ["2024-01-05", "2024/1/5", "2024.01.05", "20240105", "2024年1月5日", "2024 年 1 月 5 日",
     "２０２４－０１－０５", " 2024-1-05 ", "2024-01-05 00:00:00", "2024-01-05T00:00:00.000Z",
     "2024/1/5 0:00"],
)  # fmt: skip
def test_date_forms(raw: str) -> None:
    assert cleaned("date", [raw])[1] == [dt.date(2024, 1, 5)]


@pytest.mark.parametrize(
    "raw",
    [
        "2023-02-29",
        "2024-02-30",
        "2024-13-01",
        "2024-00-10",
        "5/1/2024",
        "2024-1x-01",
        "0000-01-01",
    ],
)
def test_impossible_or_unknown_dates_do_not_parse(raw: str) -> None:
    text, value = cleaned("date", [raw])
    assert text == [raw] and value == [None]


def test_a_declared_format_is_tried_first_and_checked() -> None:
    _, value = cleaned("date", ["05/01/2024", "30/02/2024", "2024-01-05"], format="%d/%m/%Y")
    assert value == [dt.date(2024, 1, 5), None, dt.date(2024, 1, 5)]


def test_datetimes_are_utc_and_naive_times_are_china_standard_time() -> None:
    utc = dt.UTC
    _, value = cleaned(
        "datetime",
        [
            "2024-01-05 13:45:00",
            "2024-01-05T13:45:00Z",
            "2024-01-05T13:45:00.123+08:00",
            "2024/1/5 8:05",
            "2024-01-05",
            "20240105134500",
            "2024-01-05 25:00",
        ],
    )
    assert value == [
        dt.datetime(2024, 1, 5, 5, 45, tzinfo=utc),
        dt.datetime(2024, 1, 5, 13, 45, tzinfo=utc),
        dt.datetime(2024, 1, 5, 5, 45, 0, 123000, tzinfo=utc),
        dt.datetime(2024, 1, 5, 0, 5, tzinfo=utc),
        dt.datetime(2024, 1, 4, 16, 0, tzinfo=utc),
        dt.datetime(2024, 1, 5, 5, 45, tzinfo=utc),
        None,
    ]


def test_numbers_and_booleans() -> None:
    assert cleaned("int", ["1,234", "+7", "-5", "1.5", "9223372036854775808", "1,23"])[1] == [
        1234,
        7,
        -5,
        None,
        None,
        None,
    ]
    assert cleaned("decimal", ["1,234.5", ".5", "12.345", "1e3", "-0.05"])[1] == [
        Decimal("1234.50"),
        Decimal("0.50"),
        None,  # three decimals do not fit a scale of 2: refused, not rounded
        None,
        Decimal("-0.05"),
    ]
    assert cleaned("bool", ["是", "否", "TRUE", "n", "√", "maybe"])[1] == [
        True,
        False,
        True,
        False,
        True,
        None,
    ]


# -- properties -------------------------------------------------------------------------

FULL_WIDTH = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "\u3000"
TEXT = st.text(
    alphabet=st.sampled_from(list("ab1 ,.张三欧阳\u00a0\t") + list(FULL_WIDTH) + ["é", "😀"]),
    max_size=12,
)


def reference_halfwidth(value: str) -> str:
    table = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
    return value.translate(table)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), TEXT), max_size=30), st.integers(0, 5))
def test_halfwidth_matches_str_translate(values: list[str | None], offset: int) -> None:
    arr = pa.array(["pad"] * offset + values, pa.string()).slice(offset)
    assert halfwidth(arr).to_pylist() == [
        None if v is None else reference_halfwidth(v) for v in values
    ]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), TEXT), max_size=30))
def test_clean_text_is_halfwidth_strip_and_empty_to_null(values: list[str | None]) -> None:
    expected = []
    for value in values:
        text = None if value is None else reference_halfwidth(value).strip()
        expected.append(text or None)
    assert clean_text(pa.array(values, pa.string())).to_pylist() == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)), max_size=20))
def test_every_real_date_parses_in_every_form(days: list[dt.date]) -> None:
    forms = [
        [d.isoformat() for d in days],
        [f"{d.year:04d}/{d.month}/{d.day}" for d in days],
        [f"{d.year:04d}{d.month:02d}{d.day:02d}" for d in days],
        [f"{d.year:04d}年{d.month}月{d.day}日" for d in days],
    ]
    for texts in forms:
        assert parse_date(pa.array(texts, pa.string())).to_pylist() == days
