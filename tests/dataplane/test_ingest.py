"""Ingestion end to end on hand-built files: exact counts, a complete quarantine, no
plaintext identifier in the queryable zone, idempotency, and cross-dataset joins."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from sluice.core.crypto import decrypt_bytes
from sluice.core.keystore import KeyDestroyed, KeyStore
from sluice.dataplane import ingest
from sluice.dataplane.ingest import (
    IngestOutcome,
    ReferenceCheck,
    VersionExists,
    ingest_file,
    output_schema,
    read_quarantine,
)
from sluice.dataplane.masking import MaskingProfile
from sluice.dataplane.readers import SqlSource
from sluice.dataplane.schema import DatasetSchema
from sluice.dataplane.tokens import token_of
from tests.dataplane import defects

RESIDENTS = DatasetSchema.from_json(defects.RESIDENTS_SCHEMA)
ENTERPRISES = DatasetSchema.from_json(defects.ENTERPRISES_SCHEMA)


class Home:
    """A data directory laid out as the platform lays it out."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.keys = KeyStore(root / "keys")

    def ingest(
        self,
        source: Path | SqlSource,
        schema: DatasetSchema,
        dataset: str,
        version: str,
        **extra: Any,
    ) -> IngestOutcome:
        return ingest_file(
            source=source,
            schema=schema,
            dataset_dir=self.root / "data" / dataset / version,
            quarantine_dir=self.root / "quarantine" / dataset,
            raw_dir=self.root / "raw" / dataset,
            keys=self.keys,
            dataset_scope=f"dataset-{dataset}",
            **extra,
        )

    def files(self) -> dict[Path, bytes]:
        return {p: p.read_bytes() for p in sorted(self.root.rglob("*")) if p.is_file()}


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return Home(tmp_path / "home")


def residents_csv(tmp_path: Path, **options: Any) -> Path:
    return defects.write_csv(
        tmp_path / "residents.csv", defects.RESIDENTS_HEADER, defects.RESIDENTS_ROWS, **options
    )


def test_residents_are_ingested_with_exact_counts_and_typed_columns(
    tmp_path: Path, home: Home
) -> None:
    outcome = home.ingest(residents_csv(tmp_path), RESIDENTS, "residents", "v1")

    assert outcome.status == "ingested"
    assert (outcome.rows_total, outcome.rows_accepted, outcome.rows_rejected) == (16, 7, 9)
    assert outcome.check is not None and outcome.check.as_json() == defects.RESIDENTS_EXPECTED
    assert outcome.parquet_path == home.root / "data" / "residents" / "v1" / "part-0.parquet"
    table = pq.read_table(outcome.parquet_path)
    assert table.schema.names == [
        "id_number_token",
        "id_number_masked",
        "name_token",
        "name_masked",
        "mobile_token",
        "mobile_masked",
        "birth_date",
        "registered_on",
        "district",
        "gender",
    ]
    assert table.schema.field("birth_date").type == pa.date32()
    assert table.schema.field("id_number_token").metadata[b"form"] == b"token"
    assert table.schema == output_schema(RESIDENTS)
    token_key = home.keys.data_key("tokenization")
    assert table.column("id_number_token").to_pylist() == [
        token_of(i, token_key) for i in defects.RESIDENTS_ACCEPTED_IDS
    ]
    assert table.column("id_number_masked").to_pylist() == [
        i[:6] + "********" + i[-4:] for i in defects.RESIDENTS_ACCEPTED_IDS
    ]
    assert table.column("name_masked").to_pylist() == ["张*", "李*", "王*", "刘*", "黄*", "欧阳**",
                                                       "孙*"]  # fmt: skip
    assert table.column("mobile_masked").to_pylist() == [
        "138****8000", "139****9000", "150****0000", "186****6000", None, "138****8006",
        "138****8007",
    ]  # fmt: skip
    assert table.column("registered_on").to_pylist()[2] == dt.date(2020, 5, 3)
    assert table.column("birth_date").to_pylist() == [dt.date(1990, 1, 1)] * 7


@pytest.mark.parametrize("variant", ["utf-8", "utf-8-bom", "gb18030", "xlsx"])
def test_no_plaintext_identifier_reaches_the_queryable_zone(
    tmp_path: Path, home: Home, variant: str
) -> None:
    header, rows = defects.RESIDENTS_HEADER, defects.RESIDENTS_ROWS
    if variant == "xlsx":
        source = defects.write_xlsx(tmp_path / "r.xlsx", header, rows)
    else:
        encoding = "gb18030" if variant == "gb18030" else "utf-8"
        source = residents_csv(tmp_path, encoding=encoding, bom=variant == "utf-8-bom")
    outcome = home.ingest(source, RESIDENTS, "residents", "v1")
    assert outcome.check is not None and outcome.check.as_json() == defects.RESIDENTS_EXPECTED

    secrets = defects.identifier_values(header, rows, defects.RESIDENTS_SCHEMA)
    assert "210802199001010005" in secrets and "13800138000" in secrets and "张伟" in secrets
    dataset_dir = home.root / "data"
    stored = [p for p in dataset_dir.rglob("*") if p.is_file()]
    assert stored == [outcome.parquet_path]
    for path in stored:
        blob = path.read_bytes()
        cells = " ".join(
            str(v) for column in pq.read_table(path).columns for v in column.to_pylist()
        )
        for secret in secrets:
            assert secret.encode() not in blob, (secret, path)
            assert secret not in cells, (secret, path)
    # The raw upload and the quarantine are stored, but only encrypted.
    for path in [outcome.raw_path, outcome.quarantine_path]:
        assert path is not None
        blob = path.read_bytes()
        assert not any(secret.encode() in blob for secret in secrets)


def test_every_rejected_row_is_in_the_quarantine_with_its_reasons(
    tmp_path: Path, home: Home
) -> None:
    outcome = home.ingest(residents_csv(tmp_path), RESIDENTS, "residents", "v1")
    assert outcome.quarantine_path is not None

    quarantine = read_quarantine(outcome.quarantine_path, home.keys, "dataset-residents")

    assert quarantine.column_names == [
        "row_number",
        "reasons",
        "raw_text",
        *defects.RESIDENTS_HEADER,
    ]
    assert dict(
        zip(quarantine.column("row_number").to_pylist(), quarantine.column("reasons").to_pylist(),
            strict=True)
    ) == defects.RESIDENTS_REASONS  # fmt: skip
    assert quarantine.num_rows == outcome.rows_rejected
    # Accepted and quarantined rows together are every row of the source, once.
    quarantined = set(quarantine.column("row_number").to_pylist())
    assert quarantined.isdisjoint(defects.RESIDENTS_ACCEPTED)
    assert quarantined | set(defects.RESIDENTS_ACCEPTED) == set(range(1, 17))
    # The original values, as uploaded, for the provider to correct.
    rows = {r["row_number"]: r for r in quarantine.to_pylist()}
    assert rows[5]["id_number"] == defects.BAD_CHECK_ID
    assert rows[7]["id_number"] == f" {defects.ID1} "
    assert rows[13]["mobile"] == "1380013800"
    assert rows[11]["raw_text"] == "210802199001010993,吴刚,13800138004"
    assert rows[11]["id_number"] is None and rows[5]["raw_text"] is None


def test_the_raw_upload_is_kept_encrypted_and_exact(tmp_path: Path, home: Home) -> None:
    source = residents_csv(tmp_path, encoding="gb18030")
    outcome = home.ingest(source, RESIDENTS, "residents", "v1")
    assert outcome.raw_path == home.root / "raw" / "residents" / f"{outcome.content_hash}.raw.sm4"
    assert decrypt_bytes(outcome.raw_path, home.keys.data_key("dataset-residents")) == (
        source.read_bytes()
    )


def test_the_same_content_again_is_a_duplicate_and_writes_nothing(
    tmp_path: Path, home: Home
) -> None:
    source = residents_csv(tmp_path)
    first = home.ingest(source, RESIDENTS, "residents", "v1")
    before = home.files()

    again = home.ingest(source, RESIDENTS, "residents", "v2", previous_hashes={first.content_hash})

    assert again == IngestOutcome(status="duplicate", content_hash=first.content_hash)
    assert home.files() == before
    assert not (home.root / "data" / "residents" / "v2").exists()
    # Other bytes with the same rows (another encoding) are new content.
    other = home.ingest(
        residents_csv(tmp_path, encoding="gb18030"),
        RESIDENTS,
        "residents",
        "v2",
        previous_hashes={first.content_hash},
    )
    assert other.status == "ingested" and other.content_hash != first.content_hash


def test_a_version_is_written_once(tmp_path: Path, home: Home) -> None:
    source = residents_csv(tmp_path)
    home.ingest(source, RESIDENTS, "residents", "v1")
    with pytest.raises(VersionExists):
        home.ingest(source, RESIDENTS, "residents", "v1")


def test_tokens_join_across_datasets_and_consistency_is_reported(
    tmp_path: Path, home: Home
) -> None:
    residents = home.ingest(residents_csv(tmp_path), RESIDENTS, "residents", "v1")
    assert residents.parquet_path is not None
    enterprises_csv = defects.write_csv(
        tmp_path / "e.csv", defects.ENTERPRISES_HEADER, defects.ENTERPRISES_ROWS
    )

    outcome = home.ingest(
        enterprises_csv,
        ENTERPRISES,
        "enterprises",
        "v1",
        references=[
            ReferenceCheck("legal_rep_id", residents.parquet_path.parent, "id_number_token")
        ],
    )

    assert outcome.check is not None
    assert outcome.check.as_json() == defects.ENTERPRISES_EXPECTED
    assert outcome.report is not None
    assert outcome.report.failures["legal_rep_id"] == {"consistency": 2}
    assert outcome.report.samples["legal_rep_id"] == {
        "consistency": defects.ENTERPRISES_INCONSISTENT
    }
    assert outcome.report.consistency < 100
    # The join itself, on tokens only: enterprise 1's representative is resident 1.
    assert outcome.parquet_path is not None
    companies = pq.read_table(outcome.parquet_path).to_pylist()
    people = {r["id_number_token"]: r for r in pq.read_table(residents.parquet_path).to_pylist()}
    assert people[companies[0]["legal_rep_id_token"]]["name_masked"] == "张*"
    assert companies[0]["uscc_masked"] == defects.USCC1[:8] + "*" * 10
    assert companies[1]["uscc_token"] == token_of(defects.USCC3, home.keys.data_key("tokenization"))
    assert companies[0]["address_masked"] == "辽宁省营口市站前区建设街道****"


def test_masking_profiles_come_from_settings(tmp_path: Path, home: Home) -> None:
    outcome = home.ingest(
        residents_csv(tmp_path),
        RESIDENTS,
        "residents",
        "v1",
        masking_profiles={"person_name": MaskingProfile(mask_width=2)},
    )
    assert outcome.parquet_path is not None
    names = pq.read_table(outcome.parquet_path).column("name_masked").to_pylist()
    assert set(names) == {"**"}


def test_bad_settings_fail_before_anything_is_written(tmp_path: Path, home: Home) -> None:
    document = {"fields": [{"name": "name", "type": "person_name", "masking": "nope"}]}
    with pytest.raises(KeyError, match="nope"):
        home.ingest(residents_csv(tmp_path), DatasetSchema.from_json(document), "x", "v1")
    with pytest.raises(ValueError, match="hourly"):
        home.ingest(residents_csv(tmp_path), RESIDENTS, "x", "v1", update_frequency="hourly")
    assert home.files() == {}


def test_a_failed_ingestion_leaves_no_files(tmp_path: Path, home: Home) -> None:
    with pytest.raises(FileNotFoundError):
        home.ingest(
            residents_csv(tmp_path),
            RESIDENTS,
            "residents",
            "v1",
            references=[ReferenceCheck("id_number", tmp_path / "missing.parquet", "x")],
        )
    assert [p for p in home.files() if "keys" not in p.parts] == []
    assert not (home.root / "data" / "residents" / "v1").exists()


def test_a_database_pull_is_ingested_and_recognised_when_pulled_again(
    tmp_path: Path, home: Home
) -> None:
    url = f"sqlite:///{tmp_path / 'hall.db'}"
    engine = sa.create_engine(url)
    good = [r for r in defects.RESIDENTS_ROWS if not isinstance(r, str)]
    with engine.begin() as connection:
        columns = ", ".join(f"{name} TEXT" for name in defects.RESIDENTS_HEADER)
        connection.execute(sa.text(f"CREATE TABLE residents ({columns})"))
        marks = ", ".join(f":{name}" for name in defects.RESIDENTS_HEADER)
        connection.execute(
            sa.text(f"INSERT INTO residents VALUES ({marks})"),  # noqa: S608
            [dict(zip(defects.RESIDENTS_HEADER, r, strict=True)) for r in good],
        )
    engine.dispose()
    source = SqlSource(url, query="SELECT * FROM residents ORDER BY rowid")

    outcome = home.ingest(source, RESIDENTS, "residents", "v1")
    again = home.ingest(
        source, RESIDENTS, "residents", "v2", previous_hashes={outcome.content_hash}
    )

    assert (outcome.rows_total, outcome.rows_rejected) == (15, 8)
    assert again.status == "duplicate"


def test_destroying_the_dataset_key_makes_its_quarantine_unreadable(
    tmp_path: Path, home: Home
) -> None:
    outcome = home.ingest(residents_csv(tmp_path), RESIDENTS, "residents", "v1")
    assert outcome.quarantine_path is not None
    home.keys.destroy("dataset-residents")
    with pytest.raises(KeyDestroyed):
        read_quarantine(outcome.quarantine_path, home.keys, "dataset-residents")


def test_a_clean_file_has_no_quarantine(tmp_path: Path, home: Home) -> None:
    rows = [r for i, r in enumerate(defects.RESIDENTS_ROWS, 1) if i in defects.RESIDENTS_ACCEPTED]
    path = defects.write_csv(tmp_path / "clean.csv", defects.RESIDENTS_HEADER, rows)
    outcome = home.ingest(path, RESIDENTS, "residents", "v1")
    assert (outcome.rows_accepted, outcome.rows_rejected, outcome.quarantine_path) == (7, 0, None)
    assert outcome.report is not None and outcome.report.overall == 100.0


def test_repeating_identifiers_are_tokenized_once_per_value_with_the_same_result(
    tmp_path: Path, home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Names repeat (and most mobiles are missing): the per-distinct-value path is taken,
    # and its tokens and masks are exactly those of the row-by-row path.
    names = ["张伟", "王芳", "欧阳娜娜", "李娜"]
    rows: list[list[str] | str] = [
        [
            defects.resident_id(f"21080219900101{n:03d}"),
            names[n % 4],
            "13800138000" if n % 10 == 0 else "",
            "1990-01-01",
            "",
            "210802",
            "1",
        ]
        for n in range(200)
    ]
    source = defects.write_csv(tmp_path / "many.csv", defects.RESIDENTS_HEADER, rows)
    sizes: list[int] = []
    real_tokenize = ingest.tokenize

    def counting(values: Any, key: bytes) -> Any:
        sizes.append(len(values))
        return real_tokenize(values, key)

    monkeypatch.setattr(ingest, "tokenize", counting)

    outcome = home.ingest(source, RESIDENTS, "residents", "v1")

    assert sorted(sizes) == [1, 4, 200]  # mobiles and names once per value, IDs per row
    assert outcome.parquet_path is not None and outcome.rows_accepted == 200
    table = pq.read_table(outcome.parquet_path)
    key = home.keys.data_key("tokenization")
    assert table.column("name_token").to_pylist() == [
        token_of(names[n % 4], key) for n in range(200)
    ]
    assert table.column("name_masked").to_pylist()[:4] == ["张*", "王*", "欧阳**", "李*"]
    mobiles = table.column("mobile_token").to_pylist()
    assert mobiles[0] == token_of("13800138000", key) and mobiles[1] is None
    assert table.column("mobile_masked").to_pylist()[:2] == ["138****8000", None]
