"""``sluice quality check``: read, clean and validate a file without ingesting it."""

from __future__ import annotations

from pathlib import Path

from sluice.dataplane.readers import SqlSource, read_source
from sluice.dataplane.schema import DatasetSchema
from sluice.dataplane.validation import THREADS, CheckResult, validate


def check_file(
    path: Path | SqlSource,
    schema: DatasetSchema,
    *,
    delimiter: str | None = None,
    threads: int = THREADS,
) -> CheckResult:
    """Read a source and check it against a schema; nothing is written anywhere.

    Raises ``SourceError`` (or its ``MissingColumns``) when the source cannot be read as a
    table or lacks a required field's column; broken rows are counted, not raised.
    """
    source = read_source(path, delimiter=delimiter)
    return validate(source, schema, threads=threads).result
