"""Validation finds exactly the defects placed in hand-built files, and nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sluice.dataplane import validation
from sluice.dataplane.check import check_file
from sluice.dataplane.schema import FIELD_CLASSES, FIELD_TYPES, DatasetSchema, SchemaError
from sluice.dataplane.validation import MissingColumns, check, repeated_rows
from tests.dataplane import defects

RESIDENTS = DatasetSchema.from_json(defects.RESIDENTS_SCHEMA)
ENTERPRISES = DatasetSchema.from_json(defects.ENTERPRISES_SCHEMA)


def schema(*fields: dict[str, Any]) -> DatasetSchema:
    return DatasetSchema.from_json({"fields": list(fields)})


def failures(cells: list[str | None], **spec: Any) -> dict[str, dict[str, int]]:
    result = check(pa.table({"f": pa.array(cells, pa.string())}), schema({"name": "f", **spec}))
    return result.as_json()["failures"]


@pytest.mark.parametrize(
    ("encoding", "bom"), [("utf-8", False), ("utf-8", True), ("gb18030", False)]
)
def test_residents_csv_gives_exactly_the_planted_counts(
    tmp_path: Path, encoding: str, bom: bool
) -> None:
    path = defects.write_csv(
        tmp_path / "residents.csv",
        defects.RESIDENTS_HEADER,
        defects.RESIDENTS_ROWS,
        encoding=encoding,
        bom=bom,
    )
    result = check_file(path, RESIDENTS)

    assert result.as_json() == defects.RESIDENTS_EXPECTED
    assert result.samples == {
        "id_number": {"id_number": [5, 16], "unique": [7]},
        "name": {"required": [8, 13]},
        "mobile": {"mobile": [6, 13]},
        "birth_date": {"date": [10]},
        "district": {"enum": [12]},
        "_row": {"malformed_row": [11]},
    }
    rejected = np.asarray(result.row_numbers)[result.rejected].tolist()
    assert rejected == sorted(set(defects.RESIDENTS_REASONS) - {11})
    assert result.reasons.to_pylist() == [defects.RESIDENTS_REASONS[n] for n in rejected]


def test_residents_excel_gives_the_same_counts(tmp_path: Path) -> None:
    path = defects.write_xlsx(tmp_path / "r.xlsx", defects.RESIDENTS_HEADER, defects.RESIDENTS_ROWS)
    assert check_file(path, RESIDENTS).as_json() == defects.RESIDENTS_EXPECTED


def test_residents_parquet_has_no_broken_row(tmp_path: Path) -> None:
    path = defects.write_parquet(
        tmp_path / "r.parquet", defects.RESIDENTS_HEADER, defects.RESIDENTS_ROWS
    )
    expected = dict(defects.RESIDENTS_EXPECTED)
    expected["rows_total"] = 15
    expected["rows_rejected"] = 8
    expected["failures"] = {k: v for k, v in expected["failures"].items() if k != "_row"}
    assert check_file(path, RESIDENTS).as_json() == expected


def test_enterprises_gives_exactly_the_planted_counts(tmp_path: Path) -> None:
    path = defects.write_csv(
        tmp_path / "e.csv", defects.ENTERPRISES_HEADER, defects.ENTERPRISES_ROWS
    )
    result = check_file(path, ENTERPRISES)
    assert result.as_json() == defects.ENTERPRISES_EXPECTED
    assert result.samples == {"uscc": {"uscc": [2], "unique": [6]}, "capital": {"range": [4]}}


def test_a_clean_file_has_no_failures(tmp_path: Path) -> None:
    rows = [r for i, r in enumerate(defects.RESIDENTS_ROWS, 1) if i in defects.RESIDENTS_ACCEPTED]
    path = defects.write_csv(tmp_path / "clean.csv", defects.RESIDENTS_HEADER, rows)
    assert check_file(path, RESIDENTS).as_json() == {
        "rows_total": 7,
        "rows_rejected": 0,
        "failures": {},
    }


def test_empty_optional_values_fail_nothing_empty_required_fail_required() -> None:
    assert failures(["", None, "  "], type="mobile") == {}
    assert failures(["", None, "  ", "13800138000"], type="mobile", required=True) == {
        "f": {"required": 3}
    }


def test_unique_lets_the_first_occurrence_pass() -> None:
    result = check(
        pa.table({"f": ["a", "b", "a", None, None, " a", "b", "c"]}),
        schema({"name": "f", "type": "text", "unique": True}),
    )
    assert result.as_json()["failures"] == {"f": {"unique": 3}}
    assert result.samples["f"]["unique"] == [3, 6, 7]


def test_unique_compares_parsed_values() -> None:
    assert failures(
        ["2024-01-05", "2024/1/5", "2024年1月5日", "2024-01-06"], type="date", unique=True
    ) == {"f": {"unique": 2}}
    assert failures(["1,000", "1000", "+1000", "1001"], type="int", unique=True) == {
        "f": {"unique": 2}
    }


def test_unique_spans_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validation, "CHUNK_ROWS", 3)
    values = [f"v{i % 7}" for i in range(40)]
    result = check(pa.table({"f": values}), schema({"name": "f", "type": "text", "unique": True}))
    assert result.as_json()["failures"] == {"f": {"unique": 33}}
    assert result.samples["f"]["unique"] == [8, 9, 10, 11, 12]


def test_range_enum_and_pattern() -> None:
    assert failures(["-1", "0", "100", "101", "x"], type="int", min=0, max=100) == {
        "f": {"int": 1, "range": 2}
    }
    assert failures(["0.01", "-0.01", "99999.99"], type="decimal", min="0", max=99999.99) == {
        "f": {"range": 1}
    }
    assert failures(["2023-12-31", "2024-01-01", "2025-01-01"], type="date", min="2024-01-01",
                    max="2024-12-31") == {"f": {"range": 2}}  # fmt: skip
    assert failures(["1", "2", "9", ""], type="enum", values=["1", "2"]) == {"f": {"enum": 1}}
    # The pattern must match the whole cleaned value.
    assert failures(["ABC", "ABCD", "xABC", " ABC "], type="text", pattern="[A-Z]{3}") == {
        "f": {"pattern": 2}
    }


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [
        ("mobile", ["13800138000", "19912345678"],
         ["12800138000", "1380013800", "138001380001", "1380013800a", "13a00138000"]),
        ("plate", ["辽H12345", "京A0000学", "辽HD12345", "辽H12345D"],
         ["辽I12345", "辽H1234", "AB12345"]),
        ("person_name", ["张三", "欧阳娜娜", "阿依古丽·买买提", "Wang Wei"],
         ["张", "张3", "·张三"]),
        ("address", ["辽宁省营口市站前区", "营口", "12号"], ["1234", "x", "号"]),
        ("uscc", ["91110000600037341L", "914403001922038216"], ["91110000600037341A"]),
        ("id_number", ["11010519491231002X"], ["110105194912310021", "11010519490231002X"]),
        ("bool", ["是", "false"], ["maybe"]),
    ],
)  # fmt: skip
def test_type_rules(kind: str, good: list[str], bad: list[str]) -> None:
    assert failures(good, type=kind) == {}
    assert failures(bad, type=kind) == {"f": {kind: len(bad)}}


def test_a_missing_required_column_is_an_error_an_optional_one_is_empty() -> None:
    fields = (
        {"name": "id", "type": "id_number", "required": True},
        {"name": "note", "type": "text"},
    )
    with pytest.raises(MissingColumns, match="id"):
        check(pa.table({"note": ["x"]}), schema(*fields))
    result = check(pa.table({"id": ["11010519491231002X"]}), schema(*fields))
    assert result.as_json() == {"rows_total": 1, "rows_rejected": 0, "failures": {}}


def test_schema_errors_name_the_field() -> None:
    with pytest.raises(SchemaError, match="field 'x': unknown type 'money'"):
        schema({"name": "x", "type": "money"})
    with pytest.raises(SchemaError, match="unknown class 'secret'"):
        schema({"name": "x", "type": "text", "class": "secret"})
    with pytest.raises(SchemaError, match="needs its allowed 'values'"):
        schema({"name": "x", "type": "enum"})
    with pytest.raises(SchemaError, match="not a valid date"):
        schema({"name": "x", "type": "date", "min": "2024-13-01"})
    with pytest.raises(SchemaError, match="not a valid RE2"):
        schema({"name": "x", "type": "text", "pattern": "(unclosed"})
    with pytest.raises(SchemaError, match="declared twice"):
        schema({"name": "x", "type": "text"}, {"name": "x", "type": "int"})
    assert "person_name" in FIELD_TYPES and FIELD_CLASSES == (
        "public",
        "internal",
        "sensitive",
        "identifier",
    )


def test_schema_keeps_extra_keys_and_defaults_identifier_classes() -> None:
    parsed = DatasetSchema.from_json(
        {"title": "人口", "fields": [{"name": "m", "type": "mobile", "title_zh": "手机"}]}
    )
    [spec] = parsed.fields
    assert spec.field_class == "identifier"  # a forgotten class never leaks an identifier
    assert spec.extra == {"title_zh": "手机"}
    assert parsed.to_json()["title"] == "人口"
    assert DatasetSchema.from_json(parsed.to_json()) == parsed


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.integers(0, 6)), max_size=80),
    st.integers(1, 4),
)
def test_repeated_rows_flags_every_occurrence_after_the_first(
    values: list[int | None], pieces: int
) -> None:
    blocks = np.zeros((len(values), 16), dtype=np.uint8)
    blocks[:, 3] = [v or 0 for v in values]
    present = np.array([v is not None for v in values], dtype=bool)
    seen: set[int] = set()
    expected = []
    for value in values:
        expected.append(value is not None and value in seen)
        if value is not None:
            seen.add(value)
    got = repeated_rows(np.array_split(blocks, pieces), present)
    assert got.tolist() == expected


def test_allowed_values_are_cleaned_like_the_data_and_stored_as_declared() -> None:
    """R4.3: cleaning turns （）and ，into half-width; the vocabulary goes through the same
    cleaning, so the enterprise types and statuses departments write are not rejected
    (85.5 % of the demo's enterprises were), and what is stored is spelled as declared."""
    types = ["有限责任公司（自然人独资）", "吊销，未注销", "Ｂ类"]
    cells = [
        "有限责任公司（自然人独资）",  # as declared
        "有限责任公司(自然人独资)",  # half-width brackets
        " 吊销,未注销 ",  # half-width comma, spaces
        "B类",  # half-width letter for a full-width one
        "有限责任公司（法人独资）",  # not in the vocabulary
    ]
    table = pa.table({"f": pa.array(cells, pa.string())})
    spec = schema({"name": "f", "type": "enum", "values": types})
    validated = validation.validate(readers_source(table), spec)
    assert validated.result.as_json()["failures"] == {"f": {"enum": 1}}
    assert validated.result.rejected.tolist() == [False, False, False, False, True]
    stored = validated.cleaned["f"].text.to_pylist()
    assert stored[:4] == [types[0], types[0], types[1], types[2]]


def readers_source(table: pa.Table) -> Any:
    from sluice.dataplane.readers import SourceTable

    return SourceTable(
        table=table,
        row_numbers=pa.array(np.arange(1, table.num_rows + 1, dtype=np.int64)),
        malformed=pa.table(
            {"row_number": pa.array([], pa.int64()), "raw_text": pa.array([], pa.string())}
        ),
        format="csv",
    )
