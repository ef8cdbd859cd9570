"""Ingestion through the control plane: a provider uploads, the report and quarantine are
exact, nothing identifying reaches the queryable zone, repeats are recognised."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.settings import Settings
from sluice.dataplane.checksums import ric_from_bodies
from sluice.identity.permissions import Role
from tests.identity.factories import Account, bearer, make_account

IDS = [
    str(v)
    for v in ric_from_bodies(
        ["21080219900101123", "21080419851231456", "21088219700615789", "21088219700610007"]
    )
]
assert IDS[3].endswith("X")  # typed with a lower-case x below: valid once cleaned
BAD_ID = IDS[1][:-1] + ("0" if IDS[1][-1] != "0" else "1")
FIELDS = [
    {
        "name": "id_number",
        "type": "id_number",
        "class": "identifier",
        "title": "公民身份号码",
        "required": True,
        "unique": True,
    },
    {"name": "name", "type": "person_name", "class": "identifier", "title": "姓名"},
    {"name": "mobile", "type": "mobile", "class": "identifier", "title": "手机号码"},
    {"name": "birth_date", "type": "date", "class": "sensitive", "title": "出生日期"},
]
CSV = (
    "id_number,name,mobile,birth_date\n"
    f"{IDS[0]},张三,13800138000,1990-01-01\n"
    f"{BAD_ID},李四,13900139000,1985-12-31\n"
    f"{IDS[2]},欧阳娜娜,+86 138 0013 8001,1970/6/15\n"
    f"{IDS[0]},张三,13800138000,1990-01-01\n"
    f",王五,13700137000,1980-01-01\n"
    f"{IDS[3][:-1]}x,赵六,12345,1970年6月15日\n"
)


def _upload(
    client: TestClient,
    headers: dict[str, str],
    resource_id: str,
    content: bytes,
    name: str = "residents.csv",
) -> dict:
    response = client.post(
        f"/api/v1/resources/{resource_id}/ingestions",
        files={"file": (name, content, "text/csv")},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_upload_gives_exact_counts_and_quarantines_every_rejected_row(
    client: TestClient, provider: tuple[Account, dict[str, str], str], settings: Settings
) -> None:
    _, headers, resource_id = provider
    run = _upload(client, headers, resource_id, CSV.encode())
    assert run["status"] == "ingested" and run["version"] == 1
    assert (run["rows_total"], run["rows_accepted"], run["rows_rejected"]) == (6, 2, 4)
    assert run["report"]["failures"] == {
        "id_number": {"id_number": 1, "unique": 1, "required": 1},
        "mobile": {"mobile": 1},
    }
    rows = client.get(f"/api/v1/ingestions/{run['id']}/quarantine", headers=headers).json()
    assert sorted((r["row_number"], tuple(r["reasons"])) for r in rows) == [
        (2, ("id_number:id_number",)),
        (4, ("id_number:unique",)),
        (5, ("id_number:required",)),
        (6, ("mobile:mobile",)),
    ]
    scores = run["report"]["scores"]
    assert 0 <= scores["accuracy"] < 100 and scores["timeliness"] == 100


def test_no_plaintext_identifier_reaches_the_queryable_zone(
    client: TestClient, provider: tuple[Account, dict[str, str], str], settings: Settings
) -> None:
    _, headers, resource_id = provider
    _upload(client, headers, resource_id, CSV.encode())
    files = [p for p in settings.data_dir.rglob("*") if p.is_file()]
    assert files, "a Parquet version was written"
    blob = b"".join(p.read_bytes() for p in files)
    for secret in [*IDS, "张三", "欧阳娜娜", "13800138000", "13800138001"]:
        assert secret.encode() not in blob, secret
    # The raw upload is kept, but only encrypted.
    raw = b"".join(p.read_bytes() for p in (settings.home / "raw").rglob("*") if p.is_file())
    assert raw and IDS[0].encode() not in raw


def test_the_same_content_again_is_recognised_and_writes_nothing(
    client: TestClient,
    provider: tuple[Account, dict[str, str], str],
    settings: Settings,
    clock: FixedClock,
) -> None:
    _, headers, resource_id = provider
    first = _upload(client, headers, resource_id, CSV.encode())
    clock.advance(timedelta(minutes=5))
    again = _upload(client, headers, resource_id, CSV.encode(), name="copy.csv")
    assert again["status"] == "duplicate" and again["version"] is None
    assert again["content_hash"] == first["content_hash"]
    versions = sorted(p.name for p in (settings.data_dir).rglob("v*") if p.is_dir())
    assert versions == ["v1"]
    runs = client.get(f"/api/v1/resources/{resource_id}/ingestions", headers=headers).json()
    assert [r["status"] for r in runs] == ["duplicate", "ingested"]


def test_gb18030_upload_reads_chinese_names(
    client: TestClient, provider: tuple[Account, dict[str, str], str]
) -> None:
    _, headers, resource_id = provider
    run = _upload(client, headers, resource_id, CSV.encode("gb18030"), name="gbk.csv")
    assert (run["rows_total"], run["rows_rejected"]) == (6, 4)


def test_only_the_owning_provider_may_upload(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    provider: tuple[Account, dict[str, str], str],
) -> None:
    _, _, resource_id = provider
    other = bearer(client, make_account(database, clock, Role.PROVIDER))
    refused = client.post(
        f"/api/v1/resources/{resource_id}/ingestions",
        files={"file": ("x.csv", CSV.encode(), "text/csv")},
        headers=other,
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    buyer = bearer(client, make_account(database, clock, Role.BUYER))
    assert (
        client.post(
            f"/api/v1/resources/{resource_id}/ingestions",
            files={"file": ("x.csv", CSV.encode(), "text/csv")},
            headers=buyer,
        ).status_code
        == 403
    )


def test_an_unreadable_upload_is_explained_and_changes_nothing(
    client: TestClient, provider: tuple[Account, dict[str, str], str]
) -> None:
    _, headers, resource_id = provider
    empty = client.post(
        f"/api/v1/resources/{resource_id}/ingestions",
        files={"file": ("x.csv", b"", "text/csv")},
        headers={**headers, "Accept-Language": "en"},
    )
    assert empty.status_code == 422
    assert empty.json()["detail"] == "The uploaded file is empty."
    assert client.get(f"/api/v1/resources/{resource_id}/ingestions", headers=headers).json() == []


def test_overdue_tickets_lower_the_providers_score(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    provider: tuple[Account, dict[str, str], str],
) -> None:
    account, headers, resource_id = provider
    _upload(client, headers, resource_id, CSV.encode())
    bureau_account = make_account(database, clock, Role.BUREAU)
    bureau = bearer(client, bureau_account)
    assert client.post("/api/v1/quality/assessments", headers=bureau).status_code == 201
    before = client.get("/api/v1/quality/scores", headers=bureau).json()["providers"]
    [mine] = [p for p in before if p["provider_id"] == str(account.organization_id)]
    # Operators file on published resources only; the bureau may file on any.
    filed = client.post(
        "/api/v1/tickets",
        json={
            "resource_id": resource_id,
            "target_level": "dataset",
            "description": "出生日期与身份证号不一致",
        },
        headers=bureau,
    )
    assert filed.status_code == 201, filed.text
    clock.advance(timedelta(days=30))
    bureau = bearer(client, bureau_account)  # a new day, a new token
    assert client.post("/api/v1/quality/assessments", headers=bureau).status_code == 201
    after = client.get("/api/v1/quality/scores", headers=bureau).json()["providers"]
    [now] = [p for p in after if p["provider_id"] == str(account.organization_id)]
    assert now["overdue_tickets"] == 1
    assert [t["score"] for t in now["trend"]] == [mine["score"], now["score"]]
    # 5 points for the overdue ticket; timeliness fell too, since a daily dataset is 30 days old.
    assert now["timeliness"] == 0
    assert now["score"] == pytest.approx(mine["score"] - 5 - 10, abs=0.01)
    assert uuid.UUID(now["provider_id"]) == account.organization_id
