"""A detector of plaintext resident ID numbers in files, for the tests that prove none is
left where it must not be: every 18-character run of letters and digits in a file's text
(a Parquet file's values, or a file's raw bytes) that passes GB 11643 (check character and
birth date), found with Arrow and the vectorized checks of ``dataplane.checksums``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sluice.core.checksums import valid_ric

_SEPARATOR = r"[^0-9A-Za-z]+"


def resident_ids(texts: pa.Array | pa.ChunkedArray) -> list[str]:
    """The checksum-valid resident ID numbers occurring anywhere in some strings."""
    words = pc.list_flatten(pc.split_pattern_regex(texts, pattern=_SEPARATOR))
    candidates = pc.utf8_upper(words.filter(pc.equal(pc.utf8_length(words), 18)))
    if len(candidates) == 0:
        return []
    found: list[str] = candidates.filter(pa.array(valid_ric(candidates))).to_pylist()
    return found


def resident_ids_in(path: Path) -> list[str]:
    """The resident ID numbers in one file: a Parquet file's values, column by column and
    row group by row group (whatever their type), any other file's bytes as text."""
    if path.suffix == ".parquet":
        found: list[str] = []
        parquet = pq.ParquetFile(path)
        for group in range(parquet.num_row_groups):
            for column in parquet.read_row_group(group).columns:
                found += resident_ids(_as_text(column))
        return found
    text = path.read_bytes().decode("latin-1")  # every byte a character; digits stay digits
    return resident_ids(pa.array([text], pa.large_string()))


def _as_text(column: pa.ChunkedArray) -> Any:
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    try:
        return pc.cast(column, pa.string())
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
        # Nested or binary values: their text, value by value (not for the tokens and
        # masked forms the platform writes, all plain strings).
        return pa.array([repr(v) for v in column.to_pylist()], pa.string())
