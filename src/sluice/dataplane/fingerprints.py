"""Per-download fingerprints of a CSV file, and naming the download a leaked copy came from.

A dataset product (``guard.product_calls.download``) serves each buyer's download with a
fingerprint of its own, derived from a random 16-byte **seed** the gateway stores with the
download. Nothing is added to the data and no value changes: the fingerprint lives in
choices the file makes anyway.

**Keyed row tag.** Each row's *canonical content* is its cells in the order of the
header's names (sorted), joined by U+001F, with every number written in its shortest form
(``12.50`` → ``12.5``, ``7.0`` → ``7``). Its SM4 CBC-MAC under the seed
(``tokens.token_blocks``, the same vectorized MAC as identifier tokens) is the row's
128-bit tag. It depends only on what the row *means* and on the seed.

**Mark 1: a spelling per number (robust to re-ordering and dropping rows).** A number can
be written with or without one more trailing zero after its decimal point (``12.5`` and
``12.50``; an integer ``12`` and ``12.0``), which no reader can take for a different
value. In every numeric column of the file the number of trailing fraction zeros of each
cell is made even or odd as a bit of the row's tag says (a cell gets one ``0``, or
``.0``, when its spelling has the wrong parity; nothing else changes). A numeric column
is one whose declared type is a number (``numeric_columns``) or, without types, whose
non-empty cells are numbers (nine in ten at least: an ``1e-05`` stays as it is).

**Mark 2: the row order (robust to dropping rows and to re-saving that keeps the order).**
Rows are sorted by the first 64 bits of their tag: a keyed permutation of the export.

**Identifying** a copy (``identify``) needs only the copy and the candidate seeds: each
row's canonical content is computed from the copy itself (so rows can be shuffled,
dropped or duplicated). For each candidate, three tests count agreements with what its
seed predicts: the observed parities against the tags' bits (each distinct row once),
adjacent rows against the keyed order, and both pooled. A wrong seed agrees with
probability ½ per bit; adjacent rows of an order unrelated to the seed ascend about half
the time and vary less than coin flips, so the binomial tail is a conservative p-value
there too. The candidate with the smallest p-value is named if it is at most
``P_THRESHOLD`` (10⁻⁶ per test: with 20 candidates and three tests each, a copy unrelated
to all of them names one with probability below 6·10⁻⁵); else nobody. With every bit
agreeing, 20 numeric cells in distinct rows are enough (2⁻²⁰ ≈ 10⁻⁶), or 20 adjacent
pairs in the keyed order.

**Limits, honestly.** The marks survive what keeps the text of the cells: copying,
filtering or shuffling rows, re-quoting, other line endings or a BOM (a re-save with
Python's ``csv``, a text editor, ``grep``, ``sort``). They do **not** survive
re-formatting the numbers (a spreadsheet or pandas re-save that normalises ``12.50`` to
``12.5``; if it keeps the row order, mark 2 still names the download), editing or
rounding the values, dropping or renaming a column (the canonical content changes), or
re-typing the data by hand. A file with fewer than about 20 numeric cells after what was
dropped (a handful of aggregate rows) cannot be attributed at all, and ``identify`` says
so by naming nobody. Two buyers who merge their copies leave a file whose best candidate
may be either. A column of numeric-looking *text* (codes) that the writer was told not to
mark is read as a carrier anyway, which only dilutes the true download's score. An
attacker who knows the scheme can erase the marks by normalising numbers and shuffling
rows; fingerprinting deters and traces careless or casual leaks, it does not stop a
determined one.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Collection, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from sluice.dataplane.tokens import token_blocks

SEED_BYTES: Final = 16
#: The p-value (per test) at or under which a candidate is named.
P_THRESHOLD: Final = 1e-6
_NUMBER: Final = r"^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?$"
_SEPARATOR: Final = "\x1f"
_BOM: Final = b"\xef\xbb\xbf"
#: SQL type names (as DuckDB describes result columns) that are numbers.
_NUMERIC_TYPES: Final = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
    "FLOAT",
    "DOUBLE",
    "REAL",
    "DECIMAL",
    "NUMERIC",
)

K = TypeVar("K", bound=Hashable)
Bools = npt.NDArray[np.bool_]


class NotCsv(ValueError):
    """The content is not a CSV file this module can read."""


@dataclass(frozen=True)
class Marked:
    content: bytes
    rows: int


@dataclass(frozen=True)
class _Table:
    names: list[str]
    #: The columns as text, in file order.
    columns: list[pa.Array]

    @property
    def rows(self) -> int:
        return len(self.columns[0]) if self.columns else 0


def numeric_type(sql_type: str) -> bool:
    """Whether a result column of this SQL type holds numbers."""
    return sql_type.upper().split("(")[0].strip() in _NUMERIC_TYPES


def mark(content: bytes, seed: bytes, *, numeric_columns: Collection[str] | None = None) -> Marked:
    """The CSV with this seed's fingerprint (see the module docstring): rows in the keyed
    order, each number's spelling chosen by its row's tag. ``numeric_columns`` names the
    columns that hold numbers (by their declared types); without it, a column is numeric
    when all its cells are numbers. UTF-8, a header row, strings quoted."""
    _check_seed(seed)
    table = _read(content, skip_bad_rows=False)
    if table.rows == 0:
        return Marked(_write(table), 0)
    numeric = [_numbers(column) for column in table.columns]
    tags = _tags(table, numeric, seed)
    marked: list[pa.Array] = []
    for index, (name, column) in enumerate(zip(table.names, table.columns, strict=True)):
        info = numeric[index]
        carries = (
            name in numeric_columns if numeric_columns is not None else _all_numbers(info)
        ) and bool(info.is_number.any())
        if not carries:
            marked.append(column)
            continue
        wanted = _bit(tags, _position(table.names, index))
        flip = info.is_number & (info.parity != wanted)
        suffix = pc.if_else(pa.array(info.has_point), "0", ".0")
        longer = pc.binary_join_element_wise(column, suffix, "")
        marked.append(pc.if_else(pa.array(flip), longer, column))
    order = np.argsort(_order_keys(tags), kind="stable")
    shuffled = _Table(table.names, [column.take(pa.array(order)) for column in marked])
    return Marked(_write(shuffled), table.rows)


def identify(
    content: bytes, candidates: Sequence[tuple[K, bytes]], *, threshold: float = P_THRESHOLD
) -> K | None:
    """The candidate whose seed marked this copy, if its p-value is at most ``threshold``
    (see the module docstring); ``None`` for an unrelated or unattributable file."""
    try:
        table = _read(content, skip_bad_rows=True)
    except NotCsv:
        return None
    if table.rows == 0 or not candidates:
        return None
    numeric = [_numbers(column) for column in table.columns]
    carriers = [i for i, info in enumerate(numeric) if _all_numbers(info)]
    keys = _row_keys(table, numeric)
    # Each distinct row once for the bits (a duplicated row repeats the same evidence).
    _, first = np.unique(np.asarray(keys.to_numpy(zero_copy_only=False)), return_index=True)
    first = np.sort(first)
    observed = [
        (numeric[i].is_number[first], numeric[i].parity[first], _position(table.names, i))
        for i in carriers
    ]
    limit = -math.log(threshold)
    best: tuple[float, K] | None = None
    for candidate, seed in candidates:
        if len(seed) != SEED_BYTES:
            continue
        tags = token_blocks(keys, seed)
        bits = _bit_agreement(tags[first], observed)
        order = _order_agreement(_order_keys(tags))
        pooled = (bits[0] + order[0], bits[1] + order[1])
        # The evidence against chance: minus the log of the smallest of the three p-values.
        score = max(_surprise(*bits), _surprise(*order), _surprise(*pooled))
        if score >= limit and (best is None or score > best[0]):
            best = (score, candidate)
    return best[1] if best is not None else None


# -- reading and writing --------------------------------------------------------------------


def _read(content: bytes, *, skip_bad_rows: bool) -> _Table:
    body = content.removeprefix(_BOM)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise NotCsv("not UTF-8") from error
    header = next(csv.reader(io.StringIO(text)), None)
    if not header:
        raise NotCsv("no header row")
    generated = [f"f{i}" for i in range(len(header))]
    try:
        read = pcsv.read_csv(
            io.BytesIO(body),
            read_options=pcsv.ReadOptions(column_names=generated, skip_rows=1),
            parse_options=pcsv.ParseOptions(
                newlines_in_values=True,
                invalid_row_handler=(lambda _row: "skip") if skip_bad_rows else None,
            ),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(generated, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, ValueError) as error:
        raise NotCsv(str(error)[:200]) from error
    columns = [read.column(name).combine_chunks() for name in generated]
    return _Table(list(header), columns)


def _write(table: _Table) -> bytes:
    sink = io.BytesIO()
    arrays = table.columns or []
    out = pa.Table.from_arrays(
        arrays if arrays else [pa.array([], pa.string()) for _ in table.names],
        names=table.names,
    )
    pcsv.write_csv(out, sink, pcsv.WriteOptions(quoting_style="needed"))
    return sink.getvalue()


# -- numbers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Numbers:
    """A column's cells read as numbers: which are, their shortest form, their parity."""

    is_number: Bools
    empty: Bools
    has_point: Bools
    #: Trailing zeros after the decimal point, modulo 2 (0 for integers).
    parity: npt.NDArray[np.uint8]
    #: The shortest spelling of each number (the cell itself where it is not one).
    shortest: pa.Array


def _numbers(column: pa.Array) -> _Numbers:
    is_number = _bools(pc.match_substring_regex(column, pattern=_NUMBER))
    has_point = is_number & _bools(pc.match_substring(column, pattern="."))
    trimmed = pc.utf8_rtrim(column, characters="0")
    zeros = np.asarray(pc.utf8_length(column)) - np.asarray(pc.utf8_length(trimmed))
    parity = np.where(has_point, zeros % 2, 0).astype(np.uint8)
    bare = pc.utf8_rtrim(trimmed, characters=".")
    shortest = pc.if_else(pa.array(has_point), bare, column)
    empty = np.asarray(pc.equal(pc.utf8_length(column), 0), dtype=bool)
    return _Numbers(is_number, empty, has_point, parity, shortest)


def _all_numbers(info: _Numbers) -> bool:
    """The column holds numbers: at least nine in ten of its non-empty cells (a float
    written as ``1e-05`` is left as it is, and must not hide the rest of its column)."""
    numbers = int(np.count_nonzero(info.is_number))
    return numbers > 0 and numbers * 10 >= int(np.count_nonzero(~info.empty)) * 9


# -- tags --------------------------------------------------------------------------------------


def _row_keys(table: _Table, numeric: Sequence[_Numbers]) -> pa.Array:
    """Each row's canonical content: cells in the order of the sorted header names,
    numbers in their shortest form, joined by U+001F."""
    order = sorted(range(len(table.names)), key=lambda i: (table.names[i], i))
    parts = [numeric[i].shortest for i in order]
    if len(parts) == 1:
        return parts[0]
    joined: pa.Array = pc.binary_join_element_wise(*parts, _SEPARATOR)
    return joined


def _tags(table: _Table, numeric: Sequence[_Numbers], seed: bytes) -> npt.NDArray[np.uint8]:
    return token_blocks(_row_keys(table, numeric), seed)


def _position(names: Sequence[str], index: int) -> int:
    """Which of the tag's last 64 bits a column's cells follow: its rank by name."""
    order = sorted(range(len(names)), key=lambda i: (names[i], i))
    return order.index(index) % 64


def _bit(tags: npt.NDArray[np.uint8], position: int) -> npt.NDArray[np.uint8]:
    byte = tags[:, 8 + position // 8]
    return ((byte >> (position % 8)) & 1).astype(np.uint8)


def _order_keys(tags: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint64]:
    return np.ascontiguousarray(tags[:, :8]).view(">u8").reshape(-1).astype(np.uint64)


# -- scores ------------------------------------------------------------------------------------


def _bit_agreement(
    tags: npt.NDArray[np.uint8],
    observed: Sequence[tuple[Bools, npt.NDArray[np.uint8], int]],
) -> tuple[int, int]:
    """How many carrier cells' parities agree with the tags' bits, of how many."""
    agree = total = 0
    for numbers, parity, position in observed:
        agree += int(np.count_nonzero(numbers & (parity == _bit(tags, position))))
        total += int(np.count_nonzero(numbers))
    return agree, total


def _order_agreement(keys: npt.NDArray[np.uint64]) -> tuple[int, int]:
    """How many adjacent pairs of rows (of distinct tags) follow the keyed order."""
    if len(keys) < 2:
        return 0, 0
    before, after = keys[:-1], keys[1:]
    distinct = before != after
    return int(np.count_nonzero(distinct & (before < after))), int(np.count_nonzero(distinct))


def _surprise(agree: int, total: int) -> float:
    """``-ln P(X >= agree)`` for ``X`` the agreements of ``total`` fair coin flips: the
    exact binomial tail, summed in log space (no loop, any ``total``)."""
    if total == 0 or agree <= total // 2:
        return 0.0
    steps = np.arange(1, total + 1, dtype=np.float64)
    # ln C(total, k) for k = 0..total, as running sums of ln((total - i + 1) / i).
    log_choose = np.concatenate([[0.0], np.cumsum(np.log((total - steps + 1) / steps))])
    tail = log_choose[agree:] - total * math.log(2)
    peak = float(tail.max())
    return -(peak + math.log(float(np.exp(tail - peak).sum())))


def _bools(arr: Any) -> Bools:
    return np.asarray(pc.fill_null(arr, False), dtype=bool)


def _check_seed(seed: bytes) -> None:
    if not isinstance(seed, bytes) or len(seed) != SEED_BYTES:
        raise ValueError("a fingerprint seed is 16 random bytes")
