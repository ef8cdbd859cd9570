"""One identifier cleaned, tokenized and masked exactly as ingestion does a column of them
(``dataplane.subject_tokens``): a subject's account and a buyer's input find the same person
or enterprise as the ingested dataset, however it was typed."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from sluice.core.keystore import KeyStore
from sluice.core.settings import Settings
from sluice.dataplane import subject_tokens
from sluice.dataplane.ingest import ingest_file
from sluice.dataplane.schema import DatasetSchema
from tests.consent.world import ID_LI, ID_ZHANG, USCC_FACTORY

FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
ID_X = "11010519491231002X"


def test_a_typed_identifier_gets_the_token_and_mask_ingestion_gave_it(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "var")
    source = tmp_path / "people.csv"
    source.write_text(
        "id_number,credit_code\n"
        f"{ID_ZHANG},{USCC_FACTORY}\n{ID_LI.translate(FULL_WIDTH)},\n{ID_X.lower()},\n",
        encoding="utf-8",
    )
    schema = DatasetSchema.from_json(
        {
            "fields": [
                {"name": "id_number", "type": "id_number", "class": "identifier"},
                {"name": "credit_code", "type": "uscc", "class": "identifier"},
            ]
        }
    )
    outcome = ingest_file(
        source=source,
        schema=schema,
        dataset_dir=tmp_path / "data" / "v1",
        quarantine_dir=tmp_path / "quarantine",
        raw_dir=tmp_path / "raw",
        keys=KeyStore(settings.keys_path),
        dataset_scope="dataset-people",
    )
    assert outcome.rows_accepted == 3 and outcome.parquet_path is not None
    table = pq.read_table(outcome.parquet_path).to_pydict()
    typed = [f"  {ID_ZHANG} ", ID_LI, ID_X.translate(FULL_WIDTH)]
    found = [subject_tokens.identify(v, "id_number", settings=settings) for v in typed]
    assert [f.token for f in found] == table["id_number_token"]
    assert [f.masked for f in found] == table["id_number_masked"]
    enterprise = subject_tokens.identify(USCC_FACTORY.lower(), "uscc", settings=settings)
    assert enterprise.token == table["credit_code_token"][0]
    assert enterprise.masked == table["credit_code_masked"][0] == "91210800**********"
    assert subject_tokens.subject_token(ID_LI, "id_number", settings=settings) == found[1].token


@pytest.mark.parametrize(
    ("value", "kind", "reason"),
    [
        ("", "id_number", "empty"),
        ("   ", "uscc", "empty"),
        (ID_ZHANG[:-1] + "0", "id_number", "malformed"),
        ("21080219850612341", "id_number", "malformed"),
        (USCC_FACTORY[:-1] + "0", "uscc", "malformed"),
    ],
)
def test_an_empty_or_malformed_identifier_is_refused(
    tmp_path: Path, value: str, kind: str, reason: str
) -> None:
    with pytest.raises(subject_tokens.IdentifierInvalid) as refused:
        subject_tokens.identify(value, kind, settings=Settings(home=tmp_path))
    assert (refused.value.field_type, refused.value.reason) == (kind, reason)
