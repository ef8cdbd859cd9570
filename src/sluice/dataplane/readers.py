"""Read a source into an Arrow table of strings, keeping every row, broken ones included.

Every reader returns a ``SourceTable``: the source's columns under their header names,
all of type ``string`` (type inference turns mobiles, district codes and gender codes into
numbers and loses leading zeros, so types are applied later by cleaning), the row number
of each row, and the rows that could not be parsed at all.

**Row numbers** are 1-based numbers of the data rows: the header is not counted (row 1 is
the first record after the header), and blank lines or blank spreadsheet rows are skipped
and not counted either. A CSV record with a quoted line break is one row. In a file
without blank rows, row *n* is line (or sheet row) *n + 1*.

**Broken rows** never abort a read and are never dropped: a CSV record with the wrong
number of fields, or a spreadsheet row with values beyond the named columns, becomes an
entry of ``SourceTable.malformed`` (its row number and raw text) with reason
``malformed_row``. A quote that is never closed runs on to the next quote character, as
in every CSV reader: the lines it swallows are part of that one malformed row's raw text.

**Encodings** (CSV): UTF-8 with or without a byte-order mark, else GB18030 (which covers
GBK and GB2312). The choice is not a guess from a sample: a sample that is not UTF-8
selects GB18030 at once, and a file whose sample is UTF-8 is read with Arrow validating
every value as UTF-8; if any later byte is not, the whole file is read again as GB18030.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

MALFORMED_ROW: Final = "malformed_row"
SourceFormat = Literal["csv", "excel", "parquet", "sql"]

_UTF8_BOM: Final = codecs.BOM_UTF8
_GB18030_BOM: Final = b"\x84\x31\x95\x33"
_SAMPLE_BYTES: Final = 1 << 20
_DELIMITERS: Final = (",", "\t", ";", "|")
_CSV_BLOCK_BYTES: Final = 16 << 20
_SQL_CHUNK_ROWS: Final = 50_000

_MALFORMED_SCHEMA: Final = pa.schema(
    [pa.field("row_number", pa.int64(), nullable=False), pa.field("raw_text", pa.string())]
)


class SourceError(ValueError):
    """A source that cannot be read as a table at all (as opposed to a broken row)."""


@dataclass(frozen=True, slots=True)
class SourceTable:
    """A source read as strings: the parsed rows and the rows that could not be parsed."""

    table: pa.Table
    #: ``int64``, the row number of each row of ``table``, ascending.
    row_numbers: pa.Array
    #: ``row_number`` (int64) and ``raw_text`` (string) of every malformed row.
    malformed: pa.Table
    format: SourceFormat
    encoding: str | None = None

    @property
    def rows_total(self) -> int:
        return int(self.table.num_rows) + int(self.malformed.num_rows)


@dataclass(frozen=True, slots=True)
class SqlSource:
    """A pull from a database: a SQLAlchemy URL and either a query or a table name.

    Rows come out in the order the database returns them, so a query whose content is to
    be recognised when ingested again (the idempotency hash) needs an ``ORDER BY``.
    """

    url: str = field(repr=False)
    query: str | None = None
    table: str | None = None
    db_schema: str | None = None
    chunk_rows: int = _SQL_CHUNK_ROWS

    def __post_init__(self) -> None:
        if (self.query is None) == (self.table is None):
            raise ValueError("a SqlSource needs exactly one of 'query' and 'table'")
        if self.chunk_rows < 1:
            raise ValueError("chunk_rows must be positive")

    def __repr__(self) -> str:
        from sqlalchemy.engine import make_url

        url = make_url(self.url).render_as_string(hide_password=True)
        what = f"query={self.query!r}" if self.query is not None else f"table={self.table!r}"
        return f"SqlSource({url!r}, {what})"


def read_source(source: Path | SqlSource, *, delimiter: str | None = None) -> SourceTable:
    """Read a CSV, Excel or Parquet file (told apart by content, then by suffix) or pull
    from a database."""
    if isinstance(source, SqlSource):
        return read_sql(source)
    return READERS[source_format(source)](source, delimiter)


def source_format(path: Path) -> Literal["csv", "excel", "parquet"]:
    with path.open("rb") as handle:
        magic = handle.read(8)
    if magic.startswith(b"PAR1"):
        return "parquet"
    if magic.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):  # xlsx / xls containers
        return "excel"
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}:
        return "excel"
    if suffix == ".parquet":
        return "parquet"
    return "csv"


# ---------------------------------------------------------------------------------------
# CSV


def detect_encoding(sample: bytes) -> str:
    """``utf-8`` or ``gb18030`` from the first bytes of a file (see the module docstring:
    ``read_csv`` confirms a UTF-8 verdict over the whole file)."""
    if sample.startswith(_UTF8_BOM):
        return "utf-8"
    if sample.startswith(_GB18030_BOM):
        return "gb18030"
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        decoder.decode(sample, final=False)  # a character cut at the end is not an error
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def read_csv(path: Path, delimiter: str | None = None) -> SourceTable:
    """Read a delimited text file with a header row (see the module docstring)."""
    with path.open("rb") as handle:
        sample = handle.read(_SAMPLE_BYTES)
    encoding = detect_encoding(sample)
    if encoding == "utf-8":
        try:
            return _read_csv(path, sample, "utf-8", delimiter)
        except _NotUtf8:
            encoding = "gb18030"
    return _read_csv(path, sample, encoding, delimiter)


class _NotUtf8(Exception):
    pass


def _read_csv(path: Path, sample: bytes, encoding: str, delimiter: str | None) -> SourceTable:
    start, header = _header(sample, encoding, delimiter, at_eof=len(sample) < _SAMPLE_BYTES)
    sep = header.delimiter
    internal = [f"c{i}" for i in range(len(header.names))]
    # Fast path: both cores, blocks split at line ends (quote-blind, so cheaper), broken
    # rows only counted. Arrow numbers rows only when it reads serially, and a quoted
    # line break at a block boundary shows up as a broken row or a parse error, so any of
    # these means reading again serially and quote-aware: exact rows, exact numbers.
    try:
        table, malformed = _parse(path, start, encoding, sep, internal, fast=True)
    except SourceError:
        malformed = [(-1, "")]
    if malformed:
        table, malformed = _parse(path, start, encoding, sep, internal, fast=False)
    table = table.rename_columns(header.names)
    numbers = _numbers_around(table.num_rows, [number for number, _ in malformed])
    bad = pa.table(
        {
            "row_number": pa.array([number for number, _ in malformed], pa.int64()),
            "raw_text": pa.array([text for _, text in malformed], pa.string()),
        },
        schema=_MALFORMED_SCHEMA,
    )
    return SourceTable(
        table=table, row_numbers=numbers, malformed=bad, format="csv", encoding=encoding
    )


@dataclass(frozen=True, slots=True)
class _Header:
    names: list[str]
    delimiter: str


def _header(
    sample: bytes, encoding: str, delimiter: str | None, *, at_eof: bool
) -> tuple[int, _Header]:
    """The byte offset where data rows start, and the column names.

    The header is the first non-blank record. Its end is the first line feed outside
    quotes; in GB18030 as in UTF-8, line feeds and quotes never occur inside a multi-byte
    character, so this byte scan is exact for both.
    """
    position = 0
    for bom in (_UTF8_BOM, _GB18030_BOM):
        if sample.startswith(bom):
            position = len(bom)
    while True:
        end = _record_end(sample, position)
        if end is None:
            if not at_eof:
                raise SourceError("the header row is not valid CSV (an unclosed quote?)")
            end = len(sample)
        raw = sample[position:end]
        if raw.strip(b" \t\r\n") or end >= len(sample):
            break
        position = end + 1
    try:
        text = raw.decode(encoding).rstrip("\r\n")
    except UnicodeDecodeError:
        if encoding == "utf-8":
            raise _NotUtf8 from None
        raise SourceError("the file is neither UTF-8 nor GB18030 text") from None
    if not text.strip():
        raise SourceError("the file has no header row")
    sep = delimiter or _sniff_delimiter(text)
    [cells] = list(csv.reader([text], delimiter=sep)) or [[]]
    names = [cell.strip() or f"column_{i}" for i, cell in enumerate(cells, start=1)]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SourceError(f"the header names a column twice: {', '.join(duplicates)}")
    return min(end + 1, len(sample)), _Header(names, sep)


def _record_end(data: bytes, start: int) -> int | None:
    """The index of the line feed that ends the record starting at ``start``."""
    position = start
    while True:
        newline = data.find(b"\n", position)
        if newline < 0:
            return None
        if data.count(b'"', start, newline) % 2 == 0:
            return newline
        position = newline + 1


def _sniff_delimiter(header: str) -> str:
    counts = {sep: header.count(sep) for sep in _DELIMITERS}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _parse(
    path: Path, start: int, encoding: str, sep: str, names: list[str], *, fast: bool
) -> tuple[pa.Table, list[tuple[int, str]]]:
    malformed: list[tuple[int, str]] = []

    def on_invalid(row: Any) -> str:
        malformed.append((int(row.number) if row.number is not None else -1, str(row.text)))
        return "skip"

    stream = pa.OSFile(str(path))
    try:
        stream.seek(start)
        table = pcsv.read_csv(
            stream,
            read_options=pcsv.ReadOptions(
                use_threads=fast,
                column_names=names,
                encoding=encoding,
                block_size=_CSV_BLOCK_BYTES,
            ),
            parse_options=pcsv.ParseOptions(
                delimiter=sep,
                # Quote-aware block splitting on the exact path: a quoted line break is
                # never a row end.
                newlines_in_values=not fast,
                invalid_row_handler=on_invalid,
            ),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                # Empty and "NULL"-like strings stay strings; cleaning decides what is empty.
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as error:
        if str(error).startswith("Empty CSV file"):  # a header and no data rows
            empty = [pa.array([], pa.string()) for _ in names]
            return pa.Table.from_arrays(empty, names=names), malformed
        if encoding == "utf-8" and ("UTF8" in str(error) or "UTF-8" in str(error)):
            raise _NotUtf8 from None
        raise SourceError(f"the file cannot be read as CSV: {error}") from None
    except UnicodeDecodeError:
        raise SourceError("the file is neither UTF-8 nor GB18030 text") from None
    finally:
        stream.close()
    return table, malformed


def _numbers_around(parsed: int, malformed: Sequence[int]) -> pa.Array:
    """Row numbers of the parsed rows: 1..N in order, skipping the malformed rows' numbers."""
    total = parsed + len(malformed)
    if not malformed:
        return pa.array(np.arange(1, total + 1, dtype=np.int64))
    keep = np.ones(total + 1, dtype=bool)
    keep[0] = False
    keep[np.asarray(malformed, dtype=np.int64)] = False
    numbers = np.flatnonzero(keep).astype(np.int64)
    if numbers.shape[0] != parsed:
        raise SourceError("the CSV reader's row count is inconsistent")  # never expected
    return pa.array(numbers)


# ---------------------------------------------------------------------------------------
# Excel


def read_excel(path: Path, delimiter: str | None = None, *, sheet: int | str = 0) -> SourceTable:
    """Read one sheet of a workbook; its first non-blank row is the header.

    python-calamine hands over cells as Python objects, so each column is converted by
    Arrow where its cells share a type, and cell by cell only where a column mixes types
    (a sheet holds at most 1,048,576 rows). A row with a value in a column that has no
    header is malformed; its raw text is its cells joined by commas.
    """
    del delimiter
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        if isinstance(sheet, int):
            rows = workbook.get_sheet_by_index(sheet).to_python(skip_empty_area=True)
        else:
            rows = workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=True)
    except (CalamineError, OSError, ValueError, IndexError) as error:
        raise SourceError(f"the workbook cannot be read: {error}") from None
    first = next((i for i, row in enumerate(rows) if not all(map(_blank, row))), None)
    if first is None:
        raise SourceError("the sheet has no header row")
    header, body = rows[first], rows[first + 1 :]
    width = len(header)
    while _blank(header[width - 1]):
        width -= 1
    names = [_cell_text(c).strip() or f"column_{i}" for i, c in enumerate(header[:width], 1)]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SourceError(f"the header names a column twice: {', '.join(duplicates)}")

    columns = [_column_text(list(c)) for c in zip(*body, strict=True)] if body else []
    if not columns:
        columns = [pa.array([], pa.string()) for _ in header]
    present = [pc.not_equal(c, "").to_numpy(zero_copy_only=False) for c in columns]
    non_blank = np.logical_or.reduce(present)
    beyond = np.logical_or.reduce([*present[width:], np.zeros(len(body), dtype=bool)])
    numbers = np.cumsum(non_blank, dtype=np.int64)
    good = non_blank & ~beyond
    bad = non_blank & beyond
    table = pa.table(dict(zip(names, columns[:width], strict=True))).filter(pa.array(good))
    raw = pc.binary_join_element_wise(*columns, ",").filter(pa.array(bad))
    return SourceTable(
        table=table,
        row_numbers=pa.array(numbers[good]),
        malformed=pa.table(
            {"row_number": pa.array(numbers[bad]), "raw_text": raw}, schema=_MALFORMED_SCHEMA
        ),
        format="excel",
    )


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _column_text(cells: list[Any]) -> pa.Array:
    """One spreadsheet column as strings; ``""`` for empty cells."""
    try:
        arr = pa.array(cells)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
        # A column mixing strings, numbers and dates: one cell at a time, the only loop.
        return pa.array([_cell_text(cell) for cell in cells], pa.string())
    return pc.fill_null(arrow_text(arr), "")


def _cell_text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, str):
        return cell
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, float):
        return _float_text(cell)
    if isinstance(cell, dt.datetime):
        return cell.isoformat(sep=" ")
    if isinstance(cell, dt.date | dt.time):
        return cell.isoformat()
    return str(cell)


def _float_text(value: float) -> str:
    if value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(value)


def arrow_text(arr: pa.Array | pa.ChunkedArray) -> Any:
    """Any Arrow column as strings, written the way a person would type the value.

    Whole floats lose their ``.0`` (a mobile stored as a number is 13800138000, not
    1.3800138e+10), dates are ISO, timestamps ``YYYY-MM-DD HH:MM:SS[.fff][Z]``.
    """
    kind = arr.type
    if pa.types.is_string(kind):
        return arr
    if pa.types.is_dictionary(kind):
        return arrow_text(pc.cast(arr, kind.value_type))
    if pa.types.is_null(kind):
        return pc.cast(arr, pa.string())
    if pa.types.is_floating(kind):
        values = arr.to_numpy(zero_copy_only=False).astype(np.float64)
        whole = np.isfinite(values) & (np.floor(values) == values) & (np.abs(values) < 2**53)
        as_int = pc.cast(pa.array(np.where(whole, values, 0).astype(np.int64)), pa.string())
        as_float = pc.cast(arr, pa.string())
        text = pc.if_else(pa.array(whole), as_int, as_float)
        return pc.if_else(pc.is_null(arr), pa.scalar(None, pa.string()), text)
    if pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        return pc.cast(arr, pa.string())
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        try:
            return pc.cast(arr, pa.string())  # checks UTF-8
        except pa.ArrowInvalid:
            raise SourceError("a binary column does not hold UTF-8 text") from None
    if pa.types.is_timestamp(kind) or pa.types.is_time(kind):
        text = pc.cast(arr, pa.string())
        return pc.replace_substring_regex(text, pattern=r"\.0+(Z?)$", replacement=r"\1")
    if (
        pa.types.is_integer(kind)
        or pa.types.is_decimal(kind)
        or pa.types.is_boolean(kind)
        or pa.types.is_date(kind)
    ):
        return pc.cast(arr, pa.string())
    raise SourceError(f"a column of type {kind} cannot be read as text")


# ---------------------------------------------------------------------------------------
# Parquet


def read_parquet(path: Path, delimiter: str | None = None) -> SourceTable:
    """Read a Parquet file and turn every column into text (see ``arrow_text``)."""
    del delimiter
    try:
        source = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as error:
        raise SourceError(f"the Parquet file cannot be read: {error}") from None
    columns = [pc.fill_null(arrow_text(column), "") for column in source.columns]
    table = pa.table(dict(zip(source.column_names, columns, strict=True)))
    return SourceTable(
        table=table,
        row_numbers=pa.array(np.arange(1, table.num_rows + 1, dtype=np.int64)),
        malformed=_MALFORMED_SCHEMA.empty_table(),
        format="parquet",
    )


# ---------------------------------------------------------------------------------------
# SQL


def read_sql(source: SqlSource) -> SourceTable:
    """Pull rows through SQLAlchemy, ``chunk_rows`` at a time, into Arrow text columns.

    The database driver hands rows over as Python tuples (DB-API has no columnar
    interface); each chunk is transposed once and converted by Arrow column by column.
    """
    batches = list(iter_sql(source))
    if not batches:
        raise SourceError("the query returned no columns")  # iter_sql yields one at least
    table = pa.Table.from_batches(batches).combine_chunks()
    return SourceTable(
        table=table,
        row_numbers=pa.array(np.arange(1, table.num_rows + 1, dtype=np.int64)),
        malformed=_MALFORMED_SCHEMA.empty_table(),
        format="sql",
    )


def iter_sql(source: SqlSource) -> Iterator[pa.RecordBatch]:
    """The pulled rows as record batches of strings; at least one batch (maybe empty)."""
    import sqlalchemy as sa
    from sqlalchemy.exc import SQLAlchemyError

    engine = sa.create_engine(source.url)
    try:
        with engine.connect() as connection:
            if source.table is not None:
                statement: Any = sa.select(sa.text("*")).select_from(
                    sa.table(source.table, schema=source.db_schema)
                )
            else:
                statement = sa.text(source.query or "")
            result = connection.execution_options(
                stream_results=True, yield_per=source.chunk_rows
            ).execute(statement)
            names = [str(name) for name in result.keys()]  # noqa: SIM118  # a Result is not a dict
            duplicates = sorted({n for n in names if names.count(n) > 1})
            if duplicates:
                raise SourceError(f"the query names a column twice: {', '.join(duplicates)}")
            schema = pa.schema([pa.field(name, pa.string()) for name in names])
            sent = False
            for chunk in result.partitions():
                columns = list(zip(*chunk, strict=True))
                arrays = [pc.fill_null(_sql_column(list(c)), "") for c in columns]
                yield pa.RecordBatch.from_arrays(arrays, schema=schema)
                sent = True
            if not sent:
                empty = [pa.array([], pa.string()) for _ in names]
                yield pa.RecordBatch.from_arrays(empty, schema=schema)
    except SQLAlchemyError as error:
        raise SourceError(f"the database pull failed: {type(error).__name__}") from None
    finally:
        engine.dispose()


def _sql_column(values: list[Any]) -> pa.Array:
    try:
        arr = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
        return pa.array([_sql_text(v) for v in values], pa.string())
    try:
        return arrow_text(arr)
    except SourceError:
        return pa.array([_sql_text(v) for v in values], pa.string())


def _sql_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return bytes(value).hex()
    if isinstance(value, Decimal):
        return format(value, "f")
    return _cell_text(value)


READERS: Final[dict[str, Callable[[Path, str | None], SourceTable]]] = {
    "csv": read_csv,
    "excel": read_excel,
    "parquet": read_parquet,
}

__all__ = [
    "MALFORMED_ROW",
    "READERS",
    "SourceError",
    "SourceTable",
    "SqlSource",
    "arrow_text",
    "detect_encoding",
    "read_csv",
    "read_excel",
    "read_parquet",
    "read_source",
    "read_sql",
    "source_format",
]
