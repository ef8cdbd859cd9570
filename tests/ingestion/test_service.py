"""Ingestion through the control plane: a provider uploads, the report and quarantine are
exact, nothing identifying reaches the queryable zone, repeats are recognised."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sluice.audit.models import AuditEvent
from sluice.core.checksums import ric_from_bodies
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.ingestion import service
from sluice.ingestion.models import DatasetVersion
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
    outputs = sorted(settings.data_dir.rglob("part-0.parquet"))
    assert [p.parent.name for p in outputs] == [first["id"]]  # one run, one output
    runs = client.get(f"/api/v1/resources/{resource_id}/ingestions", headers=headers).json()
    assert [r["status"] for r in runs] == ["duplicate", "ingested"]


def test_gb18030_upload_reads_chinese_names(
    client: TestClient, provider: tuple[Account, dict[str, str], str]
) -> None:
    _, headers, resource_id = provider
    run = _upload(client, headers, resource_id, CSV.encode("gb18030"), name="gbk.csv")
    assert (run["rows_total"], run["rows_rejected"]) == (6, 4)


def test_another_departments_resource_does_not_exist_for_an_upload(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    provider: tuple[Account, dict[str, str], str],
) -> None:
    """R8.3: uploading into another department's resource is the same 404 as uploading
    into a resource that does not exist; a role without the permission is 403."""
    _, _, resource_id = provider
    other = bearer(client, make_account(database, clock, Role.PROVIDER))

    def attempt(target: str, headers: dict[str, str]) -> Any:
        return client.post(
            f"/api/v1/resources/{target}/ingestions",
            files={"file": ("x.csv", CSV.encode(), "text/csv")},
            headers=headers,
        )

    foreign, unknown = attempt(resource_id, other), attempt(str(uuid.uuid4()), other)
    assert (foreign.status_code, unknown.status_code) == (404, 404)
    assert foreign.json()["code"] == unknown.json()["code"] == "not_found"
    assert foreign.json()["detail"] == unknown.json()["detail"]
    buyer = bearer(client, make_account(database, clock, Role.BUYER))
    assert attempt(resource_id, buyer).status_code == 403
    owner = client.get(f"/api/v1/resources/{resource_id}/ingestions", headers=provider[1])
    assert owner.json() == []  # nothing was written for anyone


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


# ---------------------------------------------------------------------------------------
# Data is never lost or silently replaced (R4.3, R9.3)

HEADER = "id_number,name,mobile,birth_date\n"


def residents(count: int, *, first: int = 0) -> bytes:
    """``count`` valid residents, numbered from ``first`` (distinct IDs and mobiles)."""
    ids = ric_from_bodies([f"21080219900101{n:03d}" for n in range(first, first + count)])
    lines = [
        f"{id_},张三,138{n:08d},1990-01-01\n"
        for n, id_ in zip(range(first, first + count), ids, strict=True)
    ]
    return (HEADER + "".join(lines)).encode()


def _versions(database: Database, resource_id: str) -> list[tuple[int, int, str]]:
    with database.unit_of_work() as session:
        rows = session.execute(
            select(DatasetVersion.version, DatasetVersion.rows, DatasetVersion.content_hash)
            .where(DatasetVersion.resource_id == uuid.UUID(resource_id))
            .order_by(DatasetVersion.version)
        )
        return [(v, n, h) for v, n, h in rows]


def _actions(database: Database, target: str) -> list[tuple[str, dict[str, Any]]]:
    with database.unit_of_work() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.target_id == target).order_by(AuditEvent.id)
        )
        return [(e.action, dict(e.detail)) for e in events]


def test_a_header_only_upload_is_held_and_the_current_version_stays(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    provider: tuple[Account, dict[str, str], str],
) -> None:
    account, headers, resource_id = provider
    first = _upload(client, headers, resource_id, residents(10))
    assert (first["status"], first["version"], first["rows_accepted"]) == ("ingested", 1, 10)
    clock.advance(timedelta(minutes=30))

    empty = _upload(client, headers, resource_id, HEADER.encode(), name="empty.csv")

    assert (empty["status"], empty["version"]) == ("held", None)
    # An upload that stores nothing scores nothing for its content (it used to score 92).
    scores = empty["report"]["scores"]
    assert (scores["completeness"], scores["accuracy"], scores["consistency"]) == (0, 0, 0)
    assert scores["overall"] == 10.0  # 0.1 x timeliness 100, and nothing else
    assert empty["hold"] == {
        "reason": "no_rows",
        "threshold_percent": 50,
        "current_version": 1,
        "current_rows": 10,
        "rows_total": 0,
        "rows_accepted": 0,
        "rows_rejected": 0,
        "rows_change": -10,
        "share_percent": 0.0,
        "score_before": first["report"]["scores"]["overall"],
        "score_after": 10.0,
        "score_change": round(10.0 - first["report"]["scores"]["overall"], 2),
    }
    assert _versions(database, resource_id) == [(1, 10, first["content_hash"])]
    # The scoreboard reads the current version, never the held upload.
    bureau = bearer(client, make_account(database, clock, Role.BUREAU))
    assert client.post("/api/v1/quality/assessments", headers=bureau).status_code == 201
    board = client.get("/api/v1/quality/scores", headers=bureau).json()["providers"]
    [mine] = [p for p in board if p["provider_id"] == str(account.organization_id)]
    assert [r["overall"] for r in mine["resources"]] == [first["report"]["scores"]["overall"]]
    # The provider is asked to decide; the bureau sees the hold but cannot decide it.
    asked = client.get(f"/console/ingestions/{empty['id']}", headers=headers).text
    assert "此次上传等待您确认" in asked and "/confirm" in asked and "数据集将变为空" in asked
    seen = client.get(f"/console/ingestions/{empty['id']}", headers=bureau).text
    assert "等待数据提供部门确认" in seen and "/confirm" not in seen
    [(_, detail)] = [a for a in _actions(database, resource_id) if a[0] == "data.ingest_held"]
    assert (detail["hold_reason"], detail["current_version"], detail["current_rows"]) == (
        "no_rows",
        1,
        10,
    )


def test_a_held_upload_becomes_a_version_only_when_its_provider_confirms(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    provider: tuple[Account, dict[str, str], str],
) -> None:
    account, headers, resource_id = provider
    _upload(client, headers, resource_id, residents(10))
    all_bad = (HEADER + f"{BAD_ID},李四,13900139000,1985-12-31\n" * 3).encode()
    held = _upload(client, headers, resource_id, all_bad, name="bad.csv")
    assert (held["status"], held["rows_total"], held["rows_rejected"]) == ("held", 3, 3)
    assert _versions(database, resource_id)[-1][0] == 1

    confirmed = client.post(f"/api/v1/ingestions/{held['id']}/confirm", headers=headers)

    assert confirmed.status_code == 200, confirmed.text
    body = confirmed.json()
    assert (body["status"], body["version"], body["decided_by"], body["hold"]) == (
        "ingested",
        2,
        account.username,
        None,
    )
    assert [(v, n) for v, n, _ in _versions(database, resource_id)] == [(1, 10), (2, 0)]
    [(action, detail)] = _actions(database, held["id"])
    assert action == "ingestion_run.confirm"
    assert (detail["version"], detail["replaces_version"], detail["rows_before"]) == (2, 1, 10)
    again = client.post(f"/api/v1/ingestions/{held['id']}/confirm", headers=headers)
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")


def test_a_sharply_smaller_upload_is_held_and_discarding_it_leaves_nothing_behind(
    client: TestClient,
    database: Database,
    provider: tuple[Account, dict[str, str], str],
    settings: Settings,
) -> None:
    _, headers, resource_id = provider
    _upload(client, headers, resource_id, residents(10))
    held = _upload(
        client,
        headers,
        resource_id,
        residents(4, first=20) + f"{BAD_ID},李四,13900139000,1985-12-31\n".encode(),
        name="small.csv",
    )
    assert held["status"] == "held"
    assert (held["hold"]["reason"], held["hold"]["share_percent"]) == ("shrinks", 40.0)
    assert (held["hold"]["rows_accepted"], held["hold"]["rows_rejected"]) == (4, 1)
    left = [
        p
        for p in settings.home.rglob("*")
        if p.is_file() and (held["content_hash"] in p.name or held["id"] in str(p))
    ]
    assert len(left) == 3  # its Parquet output, its encrypted raw file and quarantine

    discarded = client.post(f"/api/v1/ingestions/{held['id']}/discard", headers=headers)

    assert discarded.status_code == 200, discarded.text
    assert (discarded.json()["status"], discarded.json()["version"]) == ("discarded", None)
    assert [p for p in left if p.exists()] == []
    assert [v for v, _, _ in _versions(database, resource_id)] == [1]
    assert [a for a, _ in _actions(database, held["id"])] == ["ingestion_run.discard"]
    refused = client.post(f"/api/v1/ingestions/{held['id']}/confirm", headers=headers)
    assert refused.status_code == 409


def test_an_empty_first_upload_is_held_and_a_later_upload_supersedes_it(
    client: TestClient, database: Database, provider: tuple[Account, dict[str, str], str]
) -> None:
    _, headers, resource_id = provider
    empty = _upload(client, headers, resource_id, HEADER.encode(), name="empty.csv")
    assert (empty["status"], empty["hold"]["reason"], empty["hold"]["current_version"]) == (
        "held",
        "no_rows",
        None,
    )
    assert _versions(database, resource_id) == []  # a 0-row version never appears silently

    good = _upload(client, headers, resource_id, residents(3))

    assert (good["status"], good["version"]) == ("ingested", 1)
    stale = client.get(f"/api/v1/ingestions/{empty['id']}", headers=headers).json()
    assert (stale["status"], stale["hold"]) == ("superseded", None)
    assert (
        client.post(f"/api/v1/ingestions/{empty['id']}/confirm", headers=headers).status_code == 409
    )


def test_the_earlier_good_file_restores_its_version_and_only_the_current_one_is_a_duplicate(
    client: TestClient,
    provider: tuple[Account, dict[str, str], str],
    database: Database,
) -> None:
    _, headers, resource_id = provider
    good = residents(10)
    first = _upload(client, headers, resource_id, good, name="good.csv")
    _upload(client, headers, resource_id, residents(9, first=30), name="newer.csv")

    restored = _upload(client, headers, resource_id, good, name="good-again.csv")

    assert (restored["status"], restored["version"], restored["restores_version"]) == (
        "ingested",
        3,
        1,
    )
    assert restored["content_hash"] == first["content_hash"]
    assert [(v, n) for v, n, _ in _versions(database, resource_id)] == [(1, 10), (2, 9), (3, 10)]
    page = client.get(f"/console/ingestions/{restored['id']}", headers=headers)
    assert "v1" in page.text and "v3" in page.text
    repeat = _upload(client, headers, resource_id, good, name="good-thrice.csv")
    assert (repeat["status"], repeat["version"]) == ("duplicate", None)


def test_another_departments_runs_do_not_exist(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    provider: tuple[Account, dict[str, str], str],
) -> None:
    """R8.3: every data-plane route answers another department's run or resource exactly
    as it answers an id that does not exist."""
    _, headers, resource_id = provider
    stored = _upload(client, headers, resource_id, CSV.encode())
    held = _upload(client, headers, resource_id, HEADER.encode(), name="empty.csv")
    other = bearer(client, make_account(database, clock, Role.PROVIDER))
    nobody = str(uuid.uuid4())
    for method, path in [
        ("GET", "/api/v1/ingestions/{run}"),
        ("GET", "/api/v1/ingestions/{run}/quarantine"),
        ("POST", "/api/v1/ingestions/{run}/confirm"),
        ("POST", "/api/v1/ingestions/{run}/discard"),
        ("GET", "/console/ingestions/{run}"),
        ("POST", "/console/ingestions/{run}/confirm"),
        ("POST", "/console/ingestions/{run}/discard"),
    ]:
        for run in (held["id"], stored["id"]):
            foreign = client.request(method, path.format(run=run), headers=other)
            unknown = client.request(method, path.format(run=nobody), headers=other)
            assert foreign.status_code == unknown.status_code == 404, (method, path)
            assert foreign.text.replace(run, nobody) == unknown.text
    page = client.post(
        f"/console/resources/{resource_id}/upload",
        files={"file": ("x.csv", CSV.encode(), "text/csv")},
        headers=other,
    )
    assert page.status_code == 404 and "不存在" in page.text
    listed = client.get(f"/api/v1/resources/{resource_id}/ingestions", headers=other)
    assert listed.status_code == 404
    # Nothing of the owner's changed: the hold still waits, the version is still there.
    mine = client.get(f"/api/v1/ingestions/{held['id']}", headers=headers).json()
    assert (mine["status"], mine["decided_by"]) == ("held", None)
    assert client.get(f"/api/v1/ingestions/{stored['id']}", headers=headers).json()["version"] == 1


def test_the_resource_page_lists_uploads_only_to_their_department_and_the_bureau(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    provider: tuple[Account, dict[str, str], str],
) -> None:
    """R8.3: another department's uploads (file names, row counts, scores) show only to
    that department and the bureau; for another department the resource does not exist."""
    _, headers, resource_id = provider
    _upload(client, headers, resource_id, CSV.encode(), name="户籍导出-机密.csv")
    other = bearer(client, make_account(database, clock, Role.PROVIDER))
    bureau = bearer(client, make_account(database, clock, Role.BUREAU))
    seen = {
        who: client.get(f"/console/resources/{resource_id}", headers=h)
        for who, h in (("owner", headers), ("other", other), ("bureau", bureau))
    }
    assert {who: r.status_code for who, r in seen.items()} == {
        "owner": 200,
        "other": 404,
        "bureau": 200,
    }
    assert "户籍导出-机密.csv" in seen["owner"].text
    assert "户籍导出-机密.csv" in seen["bureau"].text
    assert "户籍导出-机密.csv" not in seen["other"].text


def test_an_unreadable_parquet_upload_says_what_is_wrong_without_server_paths(
    client: TestClient,
    provider: tuple[Account, dict[str, str], str],
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """R8.3: the reader's own message names the server's scratch file; the provider is
    told about their file, in their language, and the path stays in the server log."""
    _, headers, resource_id = provider
    for locale, words in (("zh-CN", "不是有效的 Parquet 文件"), ("en", "not a valid Parquet file")):
        refused = client.post(
            f"/api/v1/resources/{resource_id}/ingestions",
            files={
                "file": ("export.parquet", b"PAR1 this is not parquet", "application/octet-stream")
            },
            headers={**headers, "Accept-Language": locale},
        )
        assert refused.status_code == 422
        problem = refused.json()
        assert problem["code"] == "upload_unreadable"
        assert words in problem["detail"]
        for secret in (str(settings.home.parent), "uploads", ".parquet'", "Arrow"):
            assert secret not in refused.text, secret
    # The reader's own words are kept for the operators, in the server log.
    logged = [r.getMessage() for r in caplog.records if r.name == "sluice.ingestion.service"]
    assert any("export.parquet" in m and "magic bytes" in m for m in logged)
    assert client.get(f"/api/v1/resources/{resource_id}/ingestions", headers=headers).json() == []


def test_a_run_whose_unit_of_work_does_not_commit_leaves_no_file(
    database: Database,
    provider: tuple[Account, dict[str, str], str],
    settings: Settings,
    clock: FixedClock,
) -> None:
    """R4.3: files follow the control plane. An ingestion whose transaction rolls back
    (whatever failed after it) leaves no Parquet output, raw file or quarantine that no
    run refers to."""
    source = settings.home.parent / "upload.csv"
    source.write_bytes(CSV.encode())

    class Later(Exception):
        pass

    with pytest.raises(Later), database.unit_of_work() as session:
        run = service.ingest(
            session,
            actor=Principal.system("test"),
            clock=clock,
            settings=settings,
            resource_id=uuid.UUID(provider[2]),
            source=source,
            source_name="upload.csv",
        )
        assert run.status == "ingested"
        assert any(settings.data_dir.rglob("part-0.parquet"))
        raise Later

    left = [p for p in settings.home.rglob("*") if p.is_file()]
    assert [p for p in left if p.suffix in {".parquet", ".sm4"}] == []
