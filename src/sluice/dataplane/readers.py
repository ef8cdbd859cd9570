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

**Caps** (``ReadLimits``): rows, and bytes once unpacked. A source past either is refused
(``TooManyRows``, ``ExpandsTooFar``) as soon as that is known, before the rest is read:
from a Parquet footer, from a workbook measured as a stream before it is opened
(``expansion``), from each batch as it is read. Workbooks other than .xlsx (.xls, .xlsb,
.ods) and compressed files are refused with a request to save them as .xlsx or CSV.

**Errors** (``SourceError``) carry a message key that tells the file's owner what is wrong
with their file, in their language; their text, which may quote a library's message
naming a server path, is for the server's log.
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

from sluice.core.i18n import add_messages
from sluice.dataplane.expansion import check_workbook
from sluice.dataplane.limits import (
    EXCEL_MAX_ROWS,
    ExpandsTooFar,
    ReadLimits,
    SourceError,
    TooManyRows,
)

MALFORMED_ROW: Final = "malformed_row"
SourceFormat = Literal["csv", "excel", "parquet", "sql"]

_UTF8_BOM: Final = codecs.BOM_UTF8
_GB18030_BOM: Final = b"\x84\x31\x95\x33"
_SAMPLE_BYTES: Final = 1 << 20
_DELIMITERS: Final = (",", "\t", ";", "|")
_CSV_BLOCK_BYTES: Final = 16 << 20
_SQL_CHUNK_ROWS: Final = 50_000
#: Rows converted at a time from a workbook or a Parquet file.
_BATCH_ROWS: Final = 65_536
#: First bytes of compressed containers a CSV may arrive in; none is read as CSV.
_COMPRESSED: Final = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"7z\xbc\xaf\x27\x1c", b"Rar!")

_MALFORMED_SCHEMA: Final = pa.schema(
    [pa.field("row_number", pa.int64(), nullable=False), pa.field("raw_text", pa.string())]
)


add_messages(
    {
        "source.unreadable": (
            "无法读取上传的文件。请从原系统重新导出后再上传。",
            "The uploaded file could not be read. Please export it again from your system "
            "and upload it.",
        ),
        "source.not_text": (
            "文件既不是 UTF-8 也不是 GB18030（GBK）编码的文本。请另存为 UTF-8 或 GB18030 "
            "编码的 CSV 后再上传。",
            "The file is neither UTF-8 nor GB18030 (GBK) text. Please save it as CSV in "
            "UTF-8 or GB18030 and upload it again.",
        ),
        "source.no_header": (
            "文件没有表头行：第一行非空内容应为各列名称。",
            "The file has no header row: its first non-empty row must name the columns.",
        ),
        "source.header_quote": (
            "表头行的引号没有闭合，无法按 CSV 读取。",
            "A quote in the header row is never closed, so the file cannot be read as CSV.",
        ),
        "source.duplicate_columns": (
            "表头中以下列名重复出现：{columns}。每一列的名称必须唯一。",
            "The header names these columns more than once: {columns}. Every column needs "
            "its own name.",
        ),
        "source.bad_csv": (
            "文件无法按 CSV 读取。请检查分隔符和引号，或从原系统重新导出。",
            "The file cannot be read as CSV. Check its separators and quotes, or export it "
            "again from your system.",
        ),
        "source.bad_workbook": (
            "Excel 文件已损坏或不是有效的 .xlsx 工作簿。请在 Excel 或 WPS 中打开后重新保存为 "
            ".xlsx 再上传。",
            "The Excel file is damaged or not a valid .xlsx workbook. Open it in Excel or "
            "WPS, save it again as .xlsx and upload it.",
        ),
        "source.format_unsupported": (
            "不支持该文件格式。请上传 CSV（UTF-8 或 GB18030）、Excel 工作簿（.xlsx）或 "
            "Parquet 文件；.xls、.ods 和压缩包请先另存为 .xlsx 或 CSV。",
            "This file format is not supported. Upload CSV (UTF-8 or GB18030), an Excel "
            "workbook (.xlsx) or Parquet; save .xls, .ods and compressed files as .xlsx or "
            "CSV first.",
        ),
        "source.bad_parquet": (
            "文件不是有效的 Parquet 文件，或已损坏。请从原系统重新导出后再上传。",
            "The file is not a valid Parquet file, or it is damaged. Please export it again "
            "from your system and upload it.",
        ),
        "source.column_type": (
            "列“{column}”的数据类型（{type}）无法作为文本读取。请导出为文本、数字或日期类型的列。",
            "Column '{column}' has a type ({type}) that cannot be read as text. Export it "
            "as text, numbers or dates.",
        ),
        "source.database": (
            "从数据库拉取数据失败（{problem}）。",
            "The database pull failed ({problem}).",
        ),
        "source.missing_columns": (
            "文件缺少必填数据项对应的列：{columns}。",
            "The file has no column for these required fields: {columns}.",
        ),
        "source.too_many_rows": (
            "文件超过 {limit} 行的上限，未入库，也未保存任何内容。请拆分为多个文件后分别上传。",
            "The file has more than the limit of {limit} rows. Nothing was stored; please "
            "split it into several files.",
        ),
        "source.expands_too_far": (
            "文件解压或展开后超过 {limit} MB 的上限，未入库，也未保存任何内容。",
            "Once unpacked, the file comes to more than the limit of {limit} MB. Nothing "
            "was stored.",
        ),
    }
)


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


def read_source(
    source: Path | SqlSource,
    *,
    delimiter: str | None = None,
    limits: ReadLimits | None = None,
) -> SourceTable:
    """Read a CSV, Excel or Parquet file (told apart by content, then by suffix) or pull
    from a database, within ``limits`` (default: ``ReadLimits()``)."""
    caps = limits or ReadLimits()
    if isinstance(source, SqlSource):
        return read_sql(source, caps)
    return READERS[source_format(source)](source, delimiter, caps)


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


def read_csv(
    path: Path, delimiter: str | None = None, limits: ReadLimits | None = None
) -> SourceTable:
    """Read a delimited text file with a header row (see the module docstring).

    A plain text file expands to its own size, so the byte cap is its size; rows are
    counted as parsed and refused past the row cap before anything else happens.
    """
    caps = limits or ReadLimits()
    size = path.stat().st_size
    if size > caps.max_bytes:
        raise ExpandsTooFar(caps, f"a CSV file of {size} bytes")
    with path.open("rb") as handle:
        sample = handle.read(_SAMPLE_BYTES)
    if sample.startswith(_COMPRESSED):
        raise SourceError("a compressed file, not CSV text", key="source.format_unsupported")
    encoding = detect_encoding(sample)
    if encoding == "utf-8":
        try:
            read = _read_csv(path, sample, "utf-8", delimiter)
        except _NotUtf8:
            read = _read_csv(path, sample, "gb18030", delimiter)
    else:
        read = _read_csv(path, sample, encoding, delimiter)
    if read.rows_total > caps.max_rows:
        raise TooManyRows(caps.max_rows, f"a CSV file of {read.rows_total} rows")
    return read


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
                raise SourceError(
                    "the header row is not valid CSV (an unclosed quote?)",
                    key="source.header_quote",
                )
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
        raise SourceError(
            "the file is neither UTF-8 nor GB18030 text", key="source.not_text"
        ) from None
    if not text.strip():
        raise SourceError("the file has no header row", key="source.no_header")
    sep = delimiter or _sniff_delimiter(text)
    [cells] = list(csv.reader([text], delimiter=sep)) or [[]]
    names = [cell.strip() or f"column_{i}" for i, cell in enumerate(cells, start=1)]
    _refuse_duplicates(names)
    return min(end + 1, len(sample)), _Header(names, sep)


def _refuse_duplicates(names: Sequence[str]) -> None:
    duplicates = sorted({n for n in names if list(names).count(n) > 1})
    if duplicates:
        shown = ", ".join(duplicates)
        raise SourceError(
            f"the header names a column twice: {shown}",
            key="source.duplicate_columns",
            columns=shown,
        )


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
        raise SourceError(
            f"the file cannot be read as CSV: {error}", key="source.bad_csv"
        ) from None
    except UnicodeDecodeError:
        raise SourceError(
            "the file is neither UTF-8 nor GB18030 text", key="source.not_text"
        ) from None
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
        raise SourceError("the CSV reader's row count is inconsistent")  # pragma: no cover
    return pa.array(numbers)


# ---------------------------------------------------------------------------------------
# Excel


def read_excel(
    path: Path,
    delimiter: str | None = None,
    limits: ReadLimits | None = None,
    *,
    sheet: int | str = 0,
) -> SourceTable:
    """Read one sheet of an .xlsx workbook; its first non-blank row is the header.

    Before the workbook is opened, ``expansion.check_workbook`` reads it as a stream and
    refuses one that would pass the caps once unpacked or laid out (a sheet over Excel's
    1,048,576 rows or the row cap, a grid of cells or a part larger than the byte cap);
    other spreadsheet formats (.xls, .xlsb, .ods) are refused with a request to save as
    .xlsx. The sheet is then converted ``_BATCH_ROWS`` rows at a time: python-calamine
    hands over cells as Python objects, so each column of a batch is converted by Arrow
    where its cells share a type, and cell by cell only where a column mixes types. A row
    with a value in a column that has no header is malformed; its raw text is its cells
    joined by commas.
    """
    del delimiter
    caps = limits or ReadLimits()
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic != b"PK\x03\x04":
        raise SourceError("not an .xlsx workbook", key="source.format_unsupported")
    from python_calamine import CalamineError, CalamineWorkbook

    check_workbook(path, caps)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        if isinstance(sheet, int):
            found = workbook.get_sheet_by_index(sheet)
        else:
            found = workbook.get_sheet_by_name(sheet)
        rows = iter(found.iter_rows())
        header: list[Any] | None = None
        for row in rows:
            if not all(map(_blank, row)):
                header = list(row)
                break
        if header is None:
            raise SourceError("the sheet has no header row", key="source.no_header")
        width = len(header)
        while _blank(header[width - 1]):
            width -= 1
        names = [_cell_text(c).strip() or f"column_{i}" for i, c in enumerate(header[:width], 1)]
        _refuse_duplicates(names)
        parts = _SheetParts(names, width)
        batch: list[list[Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) == _BATCH_ROWS:
                parts.add(batch, caps)
                batch = []
        parts.add(batch, caps)
    except (CalamineError, OSError, ValueError, IndexError) as error:
        if isinstance(error, SourceError):
            raise
        raise SourceError(
            f"the workbook cannot be read: {error}", key="source.bad_workbook"
        ) from None
    return parts.source()


class _SheetParts:
    """A sheet's body converted batch by batch: good rows, malformed rows, row numbers."""

    def __init__(self, names: list[str], width: int) -> None:
        self.names = names
        self.width = width
        self.tables: list[pa.Table] = [
            pa.table({name: pa.array([], pa.string()) for name in names})
        ]
        self.numbers: list[Any] = []
        self.bad: list[pa.Table] = []
        self.counted = 0  # non-blank rows so far

    def add(self, body: list[list[Any]], limits: ReadLimits) -> None:
        if not body:
            return
        columns = [_column_text(list(c)) for c in zip(*body, strict=True)]
        present = [pc.not_equal(c, "").to_numpy(zero_copy_only=False) for c in columns]
        non_blank = np.logical_or.reduce(present)
        beyond = np.logical_or.reduce([*present[self.width :], np.zeros(len(body), dtype=bool)])
        numbers = self.counted + np.cumsum(non_blank, dtype=np.int64)
        self.counted = int(numbers[-1])
        if self.counted > limits.max_rows:
            raise TooManyRows(limits.max_rows, f"a sheet of over {self.counted} rows")
        good = non_blank & ~beyond
        bad = non_blank & beyond
        self.tables.append(
            pa.table(dict(zip(self.names, columns[: self.width], strict=True))).filter(
                pa.array(good)
            )
        )
        self.numbers.append(numbers[good])
        raw = pc.binary_join_element_wise(*columns, ",").filter(pa.array(bad))
        self.bad.append(
            pa.table(
                {"row_number": pa.array(numbers[bad]), "raw_text": raw}, schema=_MALFORMED_SCHEMA
            )
        )

    def source(self) -> SourceTable:
        numbers = np.concatenate([*self.numbers, np.zeros(0, dtype=np.int64)])
        return SourceTable(
            table=pa.concat_tables(self.tables).combine_chunks(),
            row_numbers=pa.array(numbers, pa.int64()),
            malformed=pa.concat_tables([_MALFORMED_SCHEMA.empty_table(), *self.bad]),
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
            raise SourceError(
                "a binary column does not hold UTF-8 text",
                key="source.column_type",
                column="?",
                type=str(kind),
            ) from None
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
    raise SourceError(
        f"a column of type {kind} cannot be read as text",
        key="source.column_type",
        column="?",
        type=str(kind),
    )


# ---------------------------------------------------------------------------------------
# Parquet


def read_parquet(
    path: Path, delimiter: str | None = None, limits: ReadLimits | None = None
) -> SourceTable:
    """Read a Parquet file ``_BATCH_ROWS`` rows at a time and turn every column into text
    (see ``arrow_text``).

    The footer's row count and the column chunks' uncompressed sizes are checked against
    the caps before any data is read. Text columns are read dictionary-encoded, so a value
    repeated a million times (a few bytes in the file) is measured before it is spelled
    out; every batch then counts towards the caps as decoded, and the read stops at the
    first cap passed.
    """
    del delimiter
    caps = limits or ReadLimits()
    try:
        footer = pq.ParquetFile(path)
        meta = footer.metadata
        if meta.num_rows > caps.max_rows:
            raise TooManyRows(caps.max_rows, f"the footer declares {meta.num_rows} rows")
        declared = sum(
            meta.row_group(g).column(c).total_uncompressed_size
            for g in range(meta.num_row_groups)
            for c in range(meta.num_columns)
        )
        if declared > caps.max_bytes:
            raise ExpandsTooFar(caps, f"the footer declares {declared} bytes")
        schema = footer.schema_arrow
        _refuse_duplicates(schema.names)
        # Only a column with a dictionary page can hold one value for many rows.
        with_dictionary = {
            meta.row_group(g).column(c).path_in_schema
            for g in range(meta.num_row_groups)
            for c in range(meta.num_columns)
            if meta.row_group(g).column(c).has_dictionary_page
        }
        text_like = [
            f.name
            for f in schema
            if f.name in with_dictionary
            and (
                pa.types.is_string(f.type)
                or pa.types.is_large_string(f.type)
                or pa.types.is_binary(f.type)
                or pa.types.is_large_binary(f.type)
            )
        ]
        reader = pq.ParquetFile(path, read_dictionary=text_like) if text_like else footer
        batches: list[pa.RecordBatch] = []
        rows = 0
        held = 0
        for batch in reader.iter_batches(batch_size=_BATCH_ROWS):
            rows += batch.num_rows
            if rows > caps.max_rows:
                raise TooManyRows(caps.max_rows, f"over {rows} rows")
            spelled = sum(_spelled_bytes(column) for column in batch.columns)
            if held + spelled > caps.max_bytes:
                raise ExpandsTooFar(caps, f"over {held + spelled} bytes decoded")
            columns = [
                _text_column(name, column)
                for name, column in zip(batch.schema.names, batch.columns, strict=True)
            ]
            text = pa.RecordBatch.from_arrays(columns, names=batch.schema.names)
            held += text.nbytes
            batches.append(text)
    except (pa.ArrowException, OSError) as error:
        raise SourceError(
            f"the Parquet file cannot be read: {error}", key="source.bad_parquet"
        ) from None
    empty = pa.schema([pa.field(name, pa.string()) for name in schema.names])
    table = pa.Table.from_batches(batches, schema=empty) if batches else empty.empty_table()
    return SourceTable(
        table=table,
        row_numbers=pa.array(np.arange(1, table.num_rows + 1, dtype=np.int64)),
        malformed=_MALFORMED_SCHEMA.empty_table(),
        format="parquet",
    )


def _spelled_bytes(column: pa.Array) -> int:
    """The bytes a column takes once its dictionary (if any) is spelled out."""
    if pa.types.is_dictionary(column.type):
        lengths = pc.binary_length(column.dictionary)
        if len(lengths) == 0:
            return int(column.nbytes)
        taken = pc.take(lengths, pc.fill_null(column.indices, 0))
        return int(pc.sum(taken).as_py() or 0) + 4 * len(column) + int(column.nbytes)
    return int(column.nbytes)


def _text_column(name: str, column: pa.Array) -> Any:
    try:
        return pc.fill_null(arrow_text(column), "")
    except SourceError as error:
        raise SourceError(str(error), key=error.key, **{**error.params, "column": name}) from None


# ---------------------------------------------------------------------------------------
# SQL


def read_sql(source: SqlSource, limits: ReadLimits | None = None) -> SourceTable:
    """Pull rows through SQLAlchemy, ``chunk_rows`` at a time, into Arrow text columns,
    stopping at the first cap passed.

    The database driver hands rows over as Python tuples (DB-API has no columnar
    interface); each chunk is transposed once and converted by Arrow column by column.
    """
    caps = limits or ReadLimits()
    batches = []
    rows = held = 0
    for batch in iter_sql(source):
        rows += batch.num_rows
        held += batch.nbytes
        if rows > caps.max_rows:
            raise TooManyRows(caps.max_rows, f"over {rows} rows pulled")
        if held > caps.max_bytes:
            raise ExpandsTooFar(caps, f"over {held} bytes pulled")
        batches.append(batch)
    if not batches:
        raise SourceError("the query returned no columns", key="source.database", problem="—")
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
            _refuse_duplicates(names)
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
        problem = type(error).__name__
        raise SourceError(
            f"the database pull failed: {problem}", key="source.database", problem=problem
        ) from None
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


READERS: Final[dict[str, Callable[[Path, str | None, ReadLimits], SourceTable]]] = {
    "csv": read_csv,
    "excel": read_excel,
    "parquet": read_parquet,
}

__all__ = [
    "EXCEL_MAX_ROWS",
    "MALFORMED_ROW",
    "READERS",
    "ExpandsTooFar",
    "ReadLimits",
    "SourceError",
    "SourceTable",
    "SqlSource",
    "TooManyRows",
    "arrow_text",
    "detect_encoding",
    "read_csv",
    "read_excel",
    "read_parquet",
    "read_source",
    "read_sql",
    "source_format",
]
