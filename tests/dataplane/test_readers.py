"""Sources become tables of strings; broken rows are kept with exact row numbers."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from sluice.dataplane import readers
from sluice.dataplane.readers import SourceError, SqlSource, read_source
from tests.dataplane import defects


def _rows(source: readers.SourceTable) -> list[list[str]]:
    return [list(row.values()) for row in source.table.to_pylist()]


def test_utf8_with_and_without_bom_and_gb18030_read_alike(tmp_path: Path) -> None:
    header, rows = defects.RESIDENTS_HEADER, defects.RESIDENTS_ROWS
    plain = read_source(defects.write_csv(tmp_path / "a.csv", header, rows))
    bom = read_source(defects.write_csv(tmp_path / "b.csv", header, rows, bom=True))
    gb = read_source(defects.write_csv(tmp_path / "c.csv", header, rows, encoding="gb18030"))

    assert (plain.encoding, bom.encoding, gb.encoding) == ("utf-8", "utf-8", "gb18030")
    assert plain.table.column_names == header  # the BOM is not part of the first name
    assert plain.table.equals(bom.table) and plain.table.equals(gb.table)
    assert plain.table.column("name").to_pylist()[:3] == ["张伟", "李娜", "王芳"]
    # Row 11 is the broken one: everything else is numbered around it.
    assert plain.row_numbers.to_pylist() == [*range(1, 11), *range(12, 17)]
    assert plain.malformed.to_pylist() == [
        {"row_number": 11, "raw_text": "210802199001010993,吴刚,13800138004"}
    ]
    assert plain.rows_total == 16


def test_gb18030_after_a_megabyte_of_ascii_is_still_detected(tmp_path: Path) -> None:
    # The first megabyte is plain ASCII (valid UTF-8 too): only the end shows the encoding.
    lines = ["code,name"] + [f"{i:07d},abc" for i in range(150_000)] + ["9999999,欧阳娜娜"]
    path = tmp_path / "late.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("gb18030"))
    assert path.stat().st_size > 1 << 20

    source = read_source(path)

    assert source.encoding == "gb18030"
    assert source.table.num_rows == 150_001
    assert source.table.column("name")[-1].as_py() == "欧阳娜娜"
    assert source.table.column("code")[0].as_py() == "0000000"


def test_neither_utf8_nor_gb18030_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes(b"a,b\n1,\xff\xfe\xff\n")
    with pytest.raises(SourceError, match="neither UTF-8 nor GB18030"):
        read_source(path)


def test_values_stay_text_exactly_as_written(tmp_path: Path) -> None:
    path = tmp_path / "codes.csv"
    path.write_text("mobile,district,gender,amount\n13800138000,010101,0,007\n,  ,NULL,1e3\n")

    table = read_source(path).table

    assert table.schema == pa.schema([(n, pa.string()) for n in table.column_names])
    assert table.to_pylist() == [
        {"mobile": "13800138000", "district": "010101", "gender": "0", "amount": "007"},
        {"mobile": "", "district": "  ", "gender": "NULL", "amount": "1e3"},
    ]


def test_row_numbers_count_records_not_lines_and_skip_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "tricky.csv"
    path.write_text(
        "\n\nid,note,n\n"  # blank lines before the header
        '1,"two\nlines",a\n'  # row 1 spans two lines
        "2,short\n"  # row 2: too few fields
        "\n"  # blank: skipped, not counted
        "3,x,b,extra\n"  # row 3: too many fields
        '4,"say ""hi""",c\n'  # row 4: escaped quotes
        '5,"never closed,d\n6,y,e\n'  # row 5: the quote swallows the rest
    )

    source = read_source(path)

    assert source.table.to_pylist() == [
        {"id": "1", "note": "two\nlines", "n": "a"},
        {"id": "4", "note": 'say "hi"', "n": "c"},
    ]
    assert source.row_numbers.to_pylist() == [1, 4]
    assert source.malformed.to_pylist() == [
        {"row_number": 2, "raw_text": "2,short"},
        {"row_number": 3, "raw_text": "3,x,b,extra"},
        {"row_number": 5, "raw_text": '5,"never closed,d\n6,y,e'},
    ]


def test_quoted_line_breaks_anywhere_in_a_large_file_read_exactly(tmp_path: Path) -> None:
    # Enough rows for many parallel blocks, quoted line breaks everywhere: whether or not
    # one falls on a block boundary, the result is what Python's csv module reads.
    rng = random.Random(7)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "text", "tail"])
    expected = []
    for i in range(60_000):
        text = rng.choice(["plain", 'with "quotes"', "two\nlines", "a,b", "x" * rng.randint(0, 60)])
        writer.writerow([str(i), text, "t"])
        expected.append([str(i), text, "t"])
    path = tmp_path / "big.csv"
    path.write_text(out.getvalue())

    source = read_source(path)

    assert _rows(source) == expected
    assert source.row_numbers.to_pylist() == list(range(1, 60_001))
    assert source.malformed.num_rows == 0


def test_broken_rows_in_a_large_file_keep_exact_numbers(tmp_path: Path) -> None:
    lines = ["a,b"]
    broken = {17, 40_000, 99_999}
    for number in range(1, 100_001):
        lines.append(f"{number},x,extra" if number in broken else f"{number},x")
    path = tmp_path / "broken.csv"
    path.write_text("\n".join(lines) + "\n")

    source = read_source(path)

    assert source.malformed.column("row_number").to_pylist() == sorted(broken)
    numbers = source.row_numbers.to_pylist()
    assert numbers == [n for n in range(1, 100_001) if n not in broken]
    assert source.table.column("a").to_pylist() == [str(n) for n in numbers]


def test_header_rules(tmp_path: Path) -> None:
    twice = tmp_path / "twice.csv"
    twice.write_text("a,b,a\n1,2,3\n")
    with pytest.raises(SourceError, match="twice: a"):
        read_source(twice)

    unnamed = tmp_path / "unnamed.csv"
    unnamed.write_text(" a ,,c\n1,2,3\n")
    assert read_source(unnamed).table.column_names == ["a", "column_2", "c"]

    tabs = tmp_path / "tabs.tsv"
    tabs.write_text("a\tb\n1,5\t2\n")
    assert read_source(tabs).table.to_pylist() == [{"a": "1,5", "b": "2"}]

    empty = tmp_path / "empty.csv"
    empty.write_text("a,b\n")
    assert read_source(empty).table.num_rows == 0


def test_excel_cells_become_text_and_blank_rows_are_skipped(tmp_path: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["mobile", "when", "amount", "flag", "name"])
    sheet.append([13800138000, dt.date(2024, 1, 5), 12.5, True, "张三"])
    sheet.append([None, None, None, None, None])  # blank: skipped, not counted
    sheet.append(["13900139000", dt.datetime(2024, 1, 5, 13, 45), 3, False, "李四", "stray"])
    sheet.append([0.1, None, -0.0, None, "王五"])
    path = tmp_path / "book.xlsx"
    workbook.save(path)

    source = read_source(path)

    assert source.format == "excel"
    assert source.table.to_pylist() == [
        {"mobile": "13800138000", "when": "2024-01-05", "amount": "12.5", "flag": "true",
         "name": "张三"},
        {"mobile": "0.1", "when": "", "amount": "0", "flag": "", "name": "王五"},
    ]  # fmt: skip
    assert source.row_numbers.to_pylist() == [1, 3]
    assert source.malformed.to_pylist() == [
        {"row_number": 2, "raw_text": "13900139000,2024-01-05 13:45:00,3,false,李四,stray"}
    ]


def test_parquet_columns_are_cast_to_text(tmp_path: Path) -> None:
    path = tmp_path / "typed.parquet"
    pq.write_table(
        pa.table(
            {
                "mobile": pa.array([13800138000.0, None]),
                "count": pa.array([7, -1], pa.int64()),
                "day": pa.array([dt.date(2024, 1, 5), dt.date(1999, 12, 31)]),
                "area": pa.array([Decimal("12.50"), Decimal("0.05")], pa.decimal128(12, 2)),
                "flag": pa.array([True, False]),
                "at": pa.array(
                    [dt.datetime(2024, 1, 5, 13, 45, tzinfo=dt.UTC), None],
                    pa.timestamp("ms", tz="UTC"),
                ),
            }
        ),
        path,
    )

    source = read_source(path)

    assert source.format == "parquet"
    assert source.table.to_pylist() == [
        {"mobile": "13800138000", "count": "7", "day": "2024-01-05", "area": "12.50",
         "flag": "true", "at": "2024-01-05 13:45:00Z"},
        {"mobile": "", "count": "-1", "day": "1999-12-31", "area": "0.05", "flag": "false",
         "at": ""},
    ]  # fmt: skip
    assert source.row_numbers.to_pylist() == [1, 2]


def test_format_is_told_by_content_first(tmp_path: Path) -> None:
    parquet = tmp_path / "upload.csv"  # misnamed
    pq.write_table(pa.table({"a": ["1"]}), parquet)
    assert readers.source_format(parquet) == "parquet"
    text = tmp_path / "upload.txt"
    text.write_text("a\n1\n")
    assert readers.source_format(text) == "csv"


def test_sql_pull_by_query_and_by_table_in_chunks(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'source.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE people (id INTEGER, name TEXT, fee NUMERIC)"))
        connection.execute(
            sa.text("INSERT INTO people VALUES (:id, :name, :fee)"),
            [{"id": i, "name": f"人{i}", "fee": None if i == 3 else i * 1.5} for i in range(5)],
        )
    engine.dispose()

    by_query = read_source(
        SqlSource(url, query="SELECT id, name FROM people ORDER BY id", chunk_rows=2)
    )
    by_table = read_source(SqlSource(url, table="people", chunk_rows=2))

    assert by_query.format == "sql"
    assert by_query.table.to_pylist()[:2] == [
        {"id": "0", "name": "人0"},
        {"id": "1", "name": "人1"},
    ]
    assert by_query.row_numbers.to_pylist() == [1, 2, 3, 4, 5]
    assert by_table.table.column("fee").to_pylist() == ["0", "1.5", "3", "", "6"]
    assert by_table.table.schema.field("id").type == pa.string()


def test_sql_source_hides_its_password_and_needs_one_target() -> None:
    source = SqlSource("postgresql://reader:s3cret@db.example/city", table="people")
    assert "s3cret" not in repr(source)
    with pytest.raises(ValueError, match="exactly one"):
        SqlSource("sqlite://", query="SELECT 1", table="t")


def test_sql_errors_are_source_errors_without_the_url(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'none.db'}"
    with pytest.raises(SourceError) as raised:
        read_source(SqlSource(url, query="SELECT * FROM missing"))
    assert str(tmp_path) not in str(raised.value)
