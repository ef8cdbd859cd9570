"""Ingestion: a source file (or database pull) becomes a new queryable Parquet version.

``ingest_file`` runs, in order:

1. **hash** the raw bytes with SM3; content in ``previous_hashes`` (the control plane
   passes the current version's) is a ``duplicate`` and nothing is written;
2. **read** the source as strings (``readers``, within ``limits``: a source over the row
   or the unpacked-bytes cap is refused as it is read, and nothing is written), **clean**
   and **validate** every field (``cleaning``, ``validation``);
3. **split** the rows: accepted rows go on, rejected and malformed rows go to the
   quarantine with their reasons. Nothing is dropped silently:
   ``rows_total == rows_accepted + rows_rejected``;
4. for accepted rows, each ``identifier`` field becomes ``<name>_token`` (``tokens``, key
   scope ``tokenization``) and ``<name>_masked`` (``masking``); the plaintext column is
   not written. Other fields keep their types (``int64``, ``decimal128(p, s)``,
   ``date32``, ``timestamp[ms, UTC]``, ``bool``, ``string``); source columns the schema
   does not declare are not written either (their class is unknown);
5. **write** ``<dataset_dir>/part-0.parquet`` (snappy; token columns uncompressed; no
   statistics for tokens and masked forms; dictionaries for text that repeats; row groups
   of about a million rows), renamed into place when complete;
6. keep the **raw upload** only SM4-GCM encrypted, under the dataset's data key, as
   ``<raw_dir>/<sm3>.raw.sm4``; the **quarantine** (plaintext identifiers included) under
   the same key as ``<quarantine_dir>/<sm3>.quarantine.sm4`` (an Arrow IPC stream; read
   it with ``read_quarantine``);
7. **report** quality (``quality.build_report``), cross-dataset checks included.

A database pull has no file: its rows, as pulled (strings, in the order the query
returns them), are serialized once as an Arrow IPC stream, and that stream is what is
hashed and kept encrypted as the raw upload.

The raw file is hashed, parsed and encrypted at the same time (three passes over it,
in three threads); the encryption goes to a temporary name and is discarded if the hash
shows a duplicate, so a duplicate leaves nothing behind. If anything fails, the files
this run wrote are removed again.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final, Literal, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sluice.core.crypto import (
    decrypt_bytes,
    encrypt_file,
    encrypt_stream,
    sm3_file,
)
from sluice.core.ids import sm3_hex
from sluice.core.keystore import KeyStore
from sluice.dataplane.masking import MaskingProfile, mask, resolve
from sluice.dataplane.quality import (
    CONSISTENCY_RULE,
    FREQUENCY_WINDOWS,
    ConsistencyResult,
    QualityReport,
    build_report,
    consistency_check,
)
from sluice.dataplane.readers import (
    ReadLimits,
    SourceTable,
    SqlSource,
    arrow_text,
    read_source,
)
from sluice.dataplane.schema import DatasetSchema, FieldSpec
from sluice.dataplane.tokens import TOKEN_SCOPE, tokenize
from sluice.dataplane.validation import THREADS, CheckResult, CleanedColumn, validate

PART_NAME: Final = "part-0.parquet"
RAW_SUFFIX: Final = ".raw.sm4"
QUARANTINE_SUFFIX: Final = ".quarantine.sm4"
ROW_GROUP_ROWS: Final = 1 << 20
#: Quarantine columns before the source's own (a source column of the same name is
#: stored as ``source.<name>``).
QUARANTINE_COLUMNS: Final = ("row_number", "reasons", "raw_text")

T = TypeVar("T")


class VersionExists(FileExistsError):
    """The version directory already holds a Parquet part: versions are immutable."""


@dataclass(frozen=True, slots=True)
class ReferenceCheck:
    """A cross-dataset consistency rule: every value of ``field`` in the new data must
    occur in ``reference_column`` of the reference dataset (a Parquet file or version
    directory). For an identifier field the tokens are compared, so the reference column
    is a token column (``id_number_token``)."""

    field: str
    reference: Path
    reference_column: str
    rule: str = CONSISTENCY_RULE


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    status: Literal["ingested", "duplicate"]
    content_hash: str
    rows_total: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    check: CheckResult | None = field(default=None, repr=False)
    report: QualityReport | None = None
    parquet_path: Path | None = None
    raw_path: Path | None = None
    quarantine_path: Path | None = None
    #: The files this run created (not those an earlier run of the same content left):
    #: what to remove if the control plane does not keep the run after all.
    written: tuple[Path, ...] = ()


def ingest_file(
    *,
    source: Path | SqlSource,
    schema: DatasetSchema,
    dataset_dir: Path,
    quarantine_dir: Path,
    raw_dir: Path,
    keys: KeyStore,
    dataset_scope: str,
    previous_hashes: set[str] | frozenset[str] | None = None,
    masking_profiles: Mapping[str, MaskingProfile] | None = None,
    references: Sequence[ReferenceCheck] = (),
    update_frequency: str | None = None,
    last_update: datetime | None = None,
    as_of: datetime | None = None,
    token_scope: str = TOKEN_SCOPE,
    delimiter: str | None = None,
    threads: int = THREADS,
    limits: ReadLimits | None = None,
) -> IngestOutcome:
    """Ingest one source as a new version (see the module docstring)."""
    part = dataset_dir / PART_NAME
    if part.exists():
        raise VersionExists(f"{part} exists: a version is written once")
    for spec in schema.fields:  # unknown masking profiles fail before any work
        if spec.is_identifier:
            resolve(spec, masking_profiles)
    if update_frequency is not None and update_frequency not in FREQUENCY_WINDOWS:
        raise ValueError(f"unknown update frequency {update_frequency!r}")

    data_key = keys.data_key(dataset_scope)
    token_key = keys.data_key(token_scope)
    raw = _RawUpload(raw_dir)
    if isinstance(source, SqlSource):
        table = read_source(source, limits=limits)
        pulled = _ipc_bytes(table.table)
        content_hash = sm3_hex(pulled)
        if not (previous_hashes and content_hash in previous_hashes):
            raw.start(lambda path, stop: encrypt_stream([pulled], path, data_key, cancel=stop))
    else:
        # Hash, parse and encrypt the upload at the same time: three independent passes
        # over the file. The encryption goes to a temporary name and is dropped if the
        # content turns out to have been ingested before.
        upload = source
        raw.start(lambda path, stop: encrypt_file(upload, path, data_key, cancel=stop))
        try:
            with ThreadPoolExecutor(max_workers=1) as pool:
                hashing = pool.submit(sm3_file, source)
                table = read_source(source, delimiter=delimiter, limits=limits)
                content_hash = hashing.result()
        except BaseException:
            raw.discard()
            raise
    if previous_hashes and content_hash in previous_hashes:
        raw.discard()
        return IngestOutcome(status="duplicate", content_hash=content_hash)

    raw_path = raw_dir / f"{content_hash}{RAW_SUFFIX}"
    quarantine_path = quarantine_dir / f"{content_hash}{QUARANTINE_SUFFIX}"
    ours: list[Path] = [p for p in (raw_path, quarantine_path) if not p.exists()]
    created_dir = not dataset_dir.exists()
    try:
        validated = validate(table, schema, threads=threads)
        check = validated.result
        accepted = ~check.rejected
        dataset_dir.mkdir(parents=True, exist_ok=True)
        ours.append(part)
        _write_output(
            part, schema, validated.cleaned, accepted, token_key, masking_profiles, threads
        )
        numbers = pc.filter(check.row_numbers, pa.array(accepted))
        consistency = [
            _reference_check(part, schema.field(ref.field), ref, numbers) for ref in references
        ]
        if check.rows_rejected:
            quarantine_dir.mkdir(parents=True, exist_ok=True)
            quarantine = _quarantine_table(table, check)
            encrypt_stream(_ipc_pieces(quarantine), quarantine_path, data_key)
        raw.commit(raw_path)
    except BaseException:
        raw.discard()
        for written in ours:  # what this run wrote, never an earlier run's files
            written.unlink(missing_ok=True)
        if created_dir and dataset_dir.exists() and not any(dataset_dir.iterdir()):
            dataset_dir.rmdir()
        raise
    report = build_report(
        check,
        consistency=consistency,
        frequency=update_frequency,
        last_update=last_update,
        as_of=as_of,
    )
    return IngestOutcome(
        status="ingested",
        content_hash=content_hash,
        rows_total=check.rows_total,
        rows_accepted=check.rows_accepted,
        rows_rejected=check.rows_rejected,
        check=check,
        report=report,
        parquet_path=part,
        raw_path=raw_path,
        quarantine_path=quarantine_path if check.rows_rejected else None,
        written=tuple(p for p in ours if p.exists()),
    )


def read_quarantine(path: Path, keys: KeyStore, scope: str) -> pa.Table:
    """The rejected rows of an ingestion, decrypted: ``row_number``, ``reasons``
    (``["<field>:<rule>", ...]``, ``"_row:malformed_row"`` for a row that did not parse),
    ``raw_text`` (a malformed row's text, else null), then the source's columns as read."""
    plain = decrypt_bytes(path, keys.data_key(scope))
    with pa.ipc.open_stream(plain) as reader:
        return reader.read_all()


def output_schema(schema: DatasetSchema) -> pa.Schema:
    """The columns an ingestion writes for a schema: see the module docstring."""
    fields: list[pa.Field] = []
    for spec in schema.fields:
        meta = {"type": spec.type, "field_class": spec.field_class, "source_field": spec.name}
        if spec.is_identifier:
            fields.append(
                pa.field(f"{spec.name}_token", pa.string(), metadata={**meta, "form": "token"})
            )
            fields.append(
                pa.field(f"{spec.name}_masked", pa.string(), metadata={**meta, "form": "masked"})
            )
        else:
            fields.append(pa.field(spec.name, spec.arrow_type, metadata={**meta, "form": "value"}))
    return pa.schema(fields)


# ---------------------------------------------------------------------------------------


def _write_output(
    part: Path,
    schema: DatasetSchema,
    cleaned: Mapping[str, CleanedColumn],
    accepted: np.ndarray[Any, Any],
    token_key: bytes,
    profiles: Mapping[str, MaskingProfile] | None,
    threads: int,
) -> None:
    """Tokenize, mask and write the accepted rows, chunk by chunk.

    Worker threads build the next chunks while this thread writes the current row group,
    so encoding Parquet overlaps with the SM4 work. An identifier column whose values
    repeat (names: at most half of its first chunk distinct) is tokenized and masked once
    per distinct value and the results taken back to the rows: the same principle as a
    Parquet dictionary, and far less SM4 work.
    """
    target = output_schema(schema)
    first = cleaned[schema.fields[0].name].value
    bounds = np.concatenate([[0], np.cumsum([len(c) for c in first.chunks])]).astype(np.int64)
    rules = {s.name: resolve(s, profiles) for s in schema.fields if s.is_identifier}
    repeating = {
        s.name for s in schema.fields if s.is_identifier and _repeats_often(cleaned[s.name].value)
    }

    def build(index: int) -> pa.Table:
        rows = accepted[bounds[index] : bounds[index + 1]]
        keep = None if rows.all() else pa.array(rows)
        columns: list[Any] = []
        for spec in schema.fields:
            value = cleaned[spec.name].value.chunk(index)
            if keep is not None:
                value = value.filter(keep)
            if not spec.is_identifier:
                columns.append(value)
                continue
            # Tokens and masks are of the canonical text (an ISO date, not its source form).
            text = value if pa.types.is_string(value.type) else arrow_text(value)
            if spec.name in repeating:
                encoded = pc.dictionary_encode(text)
                distinct, rows_of = encoded.dictionary, encoded.indices
                columns.append(pc.take(tokenize(distinct, token_key), rows_of))
                columns.append(pc.take(mask(distinct, rules[spec.name]), rows_of))
            else:
                columns.append(tokenize(text, token_key))
                columns.append(mask(text, rules[spec.name]))
        return pa.Table.from_arrays(columns, schema=target)

    forms = {f.name: (f.metadata or {}).get(b"form") for f in target}
    tokens = {name for name, form in forms.items() if form == b"token"}
    masked = {name for name, form in forms.items() if form == b"masked"}
    partial = part.with_name(part.name + ".partial")
    writer: pq.ParquetWriter | None = None
    try:
        for group in _row_groups(_ordered_map(build, range(len(bounds) - 1), threads)):
            if writer is None:
                writer = pq.ParquetWriter(
                    partial,
                    target,
                    # Tokens are random: compressing, a dictionary or min/max statistics
                    # gain nothing on them and cost more than the rest of the write.
                    # Nobody filters on a masked form, so it needs no statistics either.
                    compression={n: "none" if n in tokens else "snappy" for n in target.names},
                    use_dictionary=_repetitive(group, exclude=tokens),
                    write_statistics=[n for n in target.names if n not in tokens | masked],
                )
            writer.write_table(group, row_group_size=max(group.num_rows, 1))
        if writer is None:  # no rows at all: still a valid, empty file
            pq.write_table(target.empty_table(), partial)
        else:
            writer.close()
            writer = None
        partial.replace(part)
    finally:
        if writer is not None:
            writer.close()
        partial.unlink(missing_ok=True)


def _repeats_often(values: pa.ChunkedArray) -> bool:
    """Whether at most half of the values of the first non-empty chunk are distinct."""
    for chunk in values.chunks:
        if len(chunk):
            distinct = pc.count_distinct(chunk).as_py()
            return bool(distinct <= len(chunk) // 2)
    return False


def _row_groups(tables: Iterator[pa.Table]) -> Iterator[pa.Table]:
    """Consecutive tables joined (without copying) into row groups of about
    ``ROW_GROUP_ROWS`` rows: fewer, larger groups are cheaper to write and to scan."""
    pending: list[pa.Table] = []
    rows = 0
    for table in tables:
        pending.append(table)
        rows += table.num_rows
        if rows >= ROW_GROUP_ROWS:
            yield pa.concat_tables(pending)
            pending, rows = [], 0
    if pending:
        yield pa.concat_tables(pending)


def _repetitive(sample: pa.Table, *, exclude: set[str]) -> list[str]:
    """Text columns whose values repeat (at most half of them distinct in the first row
    group): a dictionary pays off there. Numbers and dates compress well without one,
    and building it costs more than the rest of their write."""
    rows = max(sample.num_rows, 1)
    return [
        name
        for name, kind in zip(sample.column_names, sample.schema.types, strict=True)
        if name not in exclude
        and pa.types.is_string(kind)
        and pc.count_distinct(sample.column(name)).as_py() <= rows // 2
    ]


def _ordered_map(function: Callable[[int], T], items: range, threads: int) -> Iterator[T]:
    """``map`` over a thread pool, results in order, at most ``2 * threads`` ahead (so
    finished row groups wait in memory only briefly)."""
    ahead = max(2 * threads, 1)
    with ThreadPoolExecutor(max_workers=max(threads, 1)) as pool:
        pending: list[Future[T]] = []
        for item in items:
            pending.append(pool.submit(function, item))
            if len(pending) >= ahead:
                yield pending.pop(0).result()
        while pending:
            yield pending.pop(0).result()


def _reference_check(
    part: Path, spec: FieldSpec, ref: ReferenceCheck, numbers: pa.Array
) -> ConsistencyResult:
    column = f"{spec.name}_token" if spec.is_identifier else spec.name
    return consistency_check(
        part,
        column,
        ref.reference,
        ref.reference_column,
        field_name=spec.name,
        row_numbers=numbers,
        rule=ref.rule,
    )


def _quarantine_table(source: SourceTable, check: CheckResult) -> pa.Table:
    rejected = pa.array(check.rejected)
    parsed = source.table.filter(rejected)
    names = [
        f"source.{name}" if name in QUARANTINE_COLUMNS else name for name in parsed.column_names
    ]
    columns: dict[str, Any] = {
        "row_number": pc.filter(check.row_numbers, rejected),
        "reasons": check.reasons,
        "raw_text": pa.nulls(parsed.num_rows, pa.string()),
    }
    columns.update(zip(names, parsed.columns, strict=True))
    rows = pa.table(columns)
    bad = check.malformed
    if bad.num_rows:
        extra = {
            "row_number": bad.column("row_number"),
            "reasons": pa.array([["_row:malformed_row"]] * bad.num_rows, pa.list_(pa.string())),
            "raw_text": bad.column("raw_text"),
        }
        extra.update({name: pa.nulls(bad.num_rows, pa.string()) for name in names})
        rows = pa.concat_tables([rows, pa.table(extra, schema=rows.schema)])
    return rows.sort_by("row_number")


def _ipc_pieces(table: pa.Table) -> Iterator[bytes]:
    yield _ipc_bytes(table)


def _ipc_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table, max_chunksize=ROW_GROUP_ROWS)
    return bytes(sink.getvalue())


class _RawUpload:
    """The encryption of the raw upload, running in its own thread under a temporary
    name in ``raw_dir``: ``commit`` waits for it and gives it its final name, ``discard``
    stops it and removes every trace (and ``raw_dir`` itself if this run created it)."""

    def __init__(self, raw_dir: Path) -> None:
        self._dir = raw_dir
        self._created = not raw_dir.exists()
        self._pending = raw_dir / f".{uuid.uuid4().hex}{RAW_SUFFIX}"
        self._stop = threading.Event()
        self._future: Future[Any] = Future()
        self._thread: threading.Thread | None = None

    def start(self, encrypt: Callable[[Path, threading.Event], Any]) -> None:
        self._dir.mkdir(parents=True, exist_ok=True)

        def run() -> None:
            try:
                self._future.set_result(encrypt(self._pending, self._stop))
            except BaseException as error:  # handed to the caller by commit()
                self._future.set_exception(error)

        self._thread = threading.Thread(target=run, name="raw-upload", daemon=True)
        self._thread.start()

    def commit(self, final: Path) -> None:
        self._future.result()
        self._pending.replace(final)

    def discard(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._pending.unlink(missing_ok=True)
        if self._created and self._dir.exists() and not any(self._dir.iterdir()):
            self._dir.rmdir()
