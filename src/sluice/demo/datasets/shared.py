"""What every department's generator shares: field and dataset descriptions, the
reference date, and vectorized helpers for dates, strings and random draws."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

FieldType = Literal[
    "text",
    "int",
    "decimal",
    "date",
    "datetime",
    "bool",
    "enum",
    "id_number",
    "uscc",
    "mobile",
    "plate",
    "address",
    "person_name",
]
FieldClass = Literal["public", "internal", "sensitive", "identifier"]
UpdateFrequency = Literal["daily", "weekly", "monthly", "quarterly", "yearly"]

Ints: TypeAlias = npt.NDArray[np.int64]
Columns: TypeAlias = dict[str, Any]

AS_OF: Final = date(2026, 10, 31)
# Rows per Parquet row group and per generated batch: bounds memory at any scale.
BATCH_ROWS: Final = 1_000_000
MIN_SCALE: Final = 0.01


@dataclass(frozen=True, slots=True)
class DemoField:
    name: str
    type: FieldType
    field_class: FieldClass
    title_zh: str


@dataclass(frozen=True, slots=True)
class DemoDataset:
    provider_code: str
    code: str
    title_zh: str
    title_en: str
    description_zh: str
    update_frequency: UpdateFrequency
    rows: int
    path: Path
    fields: tuple[DemoField, ...]
    #: The share of rows (0 to 1) the platform is meant to quarantine on ingestion.
    intended_quarantine_share: float = 0.0


ARROW_TYPES: Final[dict[FieldType, pa.DataType]] = {
    "text": pa.string(),
    "int": pa.int64(),
    "decimal": pa.decimal128(12, 2),
    "date": pa.date32(),
    "datetime": pa.timestamp("ms", tz="UTC"),
    "bool": pa.bool_(),
    "enum": pa.string(),
    "id_number": pa.string(),
    "uscc": pa.string(),
    "mobile": pa.string(),
    "plate": pa.string(),
    "address": pa.string(),
    "person_name": pa.string(),
}


# ---------------------------------------------------------------------------------------
# Dates


_EPOCH = date(1970, 1, 1)


def _day(d: date) -> int:
    return (d - _EPOCH).days


_AS_OF_DAY: Final = _day(AS_OF)


def _ymd(days: npt.NDArray[Any]) -> tuple[Ints, Ints, Ints]:
    """Year, month and day of each day number (days since 1970-01-01)."""
    d = np.asarray(days, dtype="datetime64[D]")
    months = d.astype("datetime64[M]")
    years = months.astype("datetime64[Y]")
    year = years.astype(np.int64) + 1970
    month = (months - years).astype(np.int64) + 1
    day = (d - months).astype(np.int64) + 1
    return year, month, day


def _from_ymd(year: Ints, month: Ints, day: Ints) -> Ints:
    """Day numbers; a day past the month's end rolls over (29 Feb -> 1 Mar)."""
    months = (year - 1970) * 12 + (month - 1)
    first = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    return np.asarray(first + day - 1, dtype=np.int64)


def _plus_years(days: npt.NDArray[Any], years: int) -> Ints:
    year, month, day = _ymd(days)
    return _from_ymd(year + years, month, day)


def _age(birth: npt.NDArray[Any], on: npt.NDArray[Any] | int) -> Ints:
    """Completed years of age on a day."""
    by, bm, bd = _ymd(birth)
    oy, om, od = _ymd(np.broadcast_to(np.asarray(on), np.shape(birth)))
    return np.asarray(oy - by - ((om < bm) | ((om == bm) & (od < bd))), dtype=np.int64)


def _between(rng: np.random.Generator, low: npt.NDArray[Any], high: npt.NDArray[Any]) -> Ints:
    """A uniform day in ``[low, high]`` for each row (``high < low`` yields ``low``)."""
    start = np.asarray(low, dtype=np.int64)
    span = np.maximum(np.asarray(high, dtype=np.int64) - start, 0)
    offset = np.floor(rng.random(start.shape[0]) * (span + 1)).astype(np.int64)
    return np.asarray(start + offset, dtype=np.int64)


# ---------------------------------------------------------------------------------------
# Arrow helpers


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _weighted_words(text: str) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """Split ``"王7.8 李7.5"`` into words and their weights."""
    pairs = [re.fullmatch(r"(\D+)([\d.]+)", entry) for entry in text.split()]
    matches = [m for m in pairs if m is not None]
    return tuple(m[1] for m in matches), tuple(float(m[2]) for m in matches)


def _pool(values: Sequence[str]) -> Any:
    return pa.array(list(values), type=pa.string())


# Decimal strings of small numbers: a take from here is ten times faster than a cast.
_NUMBERS: Final = _pool([str(i) for i in range(2000)])


def _take(pool: Any, index: npt.NDArray[Any]) -> Any:
    return pool.take(pa.array(np.asarray(index, dtype=np.int64)))


def _join(*parts: Any) -> Any:
    return pc.binary_join_element_wise(*parts, "")


def _digits(values: npt.NDArray[Any], width: int) -> Any:
    """Non-negative integers as zero-padded decimal strings."""
    text = pa.array(np.asarray(values, dtype=np.int64)).cast(pa.string())
    return pc.utf8_lpad(text, width, "0")


def _dates(days: npt.NDArray[Any], valid: npt.NDArray[np.bool_] | None = None) -> Any:
    values = np.asarray(days, dtype=np.int32)
    return pa.array(values, type=pa.date32(), mask=None if valid is None else ~valid)


def _ints(values: npt.NDArray[Any], valid: npt.NDArray[np.bool_] | None = None) -> Any:
    values = np.asarray(values, dtype=np.int64)
    return pa.array(values, type=pa.int64(), mask=None if valid is None else ~valid)


def _decimals(hundredths: npt.NDArray[Any], valid: npt.NDArray[np.bool_] | None = None) -> Any:
    """decimal128(12, 2) from integer hundredths, built from the 128-bit words directly."""
    low = np.asarray(hundredths, dtype=np.int64)
    words = np.stack([low, np.where(low < 0, -1, 0)], axis=1)
    arr = pa.Array.from_buffers(ARROW_TYPES["decimal"], low.shape[0], [None, pa.py_buffer(words)])
    if valid is None:
        return arr
    return pc.if_else(pa.array(valid), arr, pa.scalar(None, arr.type))


def _nullable(values: Any, valid: npt.NDArray[np.bool_]) -> Any:
    return pc.if_else(pa.array(valid), values, pa.scalar(None, values.type))


def _choice(rng: np.random.Generator, n: int, weights: Sequence[float]) -> Ints:
    p = np.asarray(weights, dtype=np.float64)
    return rng.choice(p.shape[0], size=n, p=p / p.sum()).astype(np.int64)


def _sample(rng: np.random.Generator, pool: npt.NDArray[Any], n: int) -> Ints:
    """``n`` members of ``pool``, without repeats while the pool is big enough."""
    pool = np.asarray(pool, dtype=np.int64)
    if pool.shape[0] == 0:
        raise ValueError("cannot sample from an empty population; raise the scale")
    replace = n > pool.shape[0]
    return np.asarray(rng.choice(pool, size=n, replace=replace), dtype=np.int64)


def _unique_ints(rng: np.random.Generator, space: int, n: int) -> Ints:
    if n > space:
        raise ValueError(f"cannot draw {n} distinct values from {space}; lower the scale")
    return np.asarray(rng.choice(space, size=n, replace=False), dtype=np.int64)


def _rng(seed: int, stream: int, batch: int = 0) -> np.random.Generator:
    """One independent generator per (seed, stream, batch): batches never share draws."""
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(stream, batch)))
    )


def _chunks(n: int, rows_each: int = 1) -> Iterator[tuple[int, slice]]:
    """Batches of ``n`` items that make ``rows_each`` rows each, ``BATCH_ROWS`` rows at most
    (read when called, so a test may lower it)."""
    size = BATCH_ROWS // rows_each
    for number, start in enumerate(range(0, n, size)):
        yield number, slice(start, min(start + size, n))


def _f(name: str, kind: FieldType, field_class: FieldClass, title_zh: str) -> DemoField:
    return DemoField(name, kind, field_class, title_zh)


_GENDERS: Final = _pool(["女", "男"])
_OFFICE_HOURS: Final = (8 * 3600, 18 * 3600)
_SHANGHAI_OFFSET: Final = 8 * 3600


def _timestamps(rng: np.random.Generator, days: Ints) -> Any:
    """Times of day in office hours, Shanghai time, stored as UTC instants."""
    seconds = days * 86_400 + rng.integers(*_OFFICE_HOURS, size=days.shape[0]) - _SHANGHAI_OFFSET
    return pa.array(seconds * 1000, type=ARROW_TYPES["datetime"])


ID: Final = "id_number"
