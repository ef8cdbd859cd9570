"""Queries in a workspace, as an operator meets them through the API (R8.2, R3.5, R8.8):
exact answers on the ingested data, refusals with their code and explanation in both
languages, the row cap, the versions read, one audit row per query, and an agreement no
longer in force.

The tests share one city per database (``conftest.city``) and run in order: the last one
ingests a new version of the tax ratings."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from sluice.audit.models import AuditEvent
from sluice.authorizations import repository as authorizations
from sluice.authorizations import service as authorization_service
from sluice.core.ids import sm3_hex
from sluice.sandbox import queries
from sluice.sandbox.models import WorkspaceQuery
from tests.authorizations.factories import terminate_by_two
from tests.identity.factories import bearer
from tests.sandbox.world import ROW_CAP, SandboxWorld, ratings_csv

PROBLEM = "application/problem+json"
BY_DISTRICT = (
    "SELECT district, count(*) AS firms FROM scjgj_enterprises GROUP BY district "
    "ORDER BY firms DESC"
)
BY_DISTRICT_AND_RATING = """
-- enterprises by district and 2024 tax rating
SELECT e.district, t.rating, count(DISTINCT e.uscc_token) AS firms
FROM scjgj_enterprises AS e
JOIN swj_tax_ratings AS t ON t.uscc_token = e.uscc_token
WHERE t.rating_year = 2024
GROUP BY e.district, t.rating
ORDER BY e.district, t.rating
"""


def _workspace(client: TestClient, headers: dict[str, str], scenario: str) -> str:
    listed = client.get("/api/v1/workspaces", headers=headers)
    assert listed.status_code == 200, listed.text
    found = [w["id"] for w in listed.json() if w["scenario"] == scenario]
    assert len(found) == 1, listed.json()
    return str(found[0])


def _query(
    client: TestClient, headers: dict[str, str], workspace: str, sql: str, **extra: str
) -> Any:
    return client.post(
        f"/api/v1/workspaces/{workspace}/queries", json={"sql": sql}, headers={**headers, **extra}
    )


def _refused(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


def _audit_of(city: SandboxWorld, query_id: str) -> AuditEvent:
    with city.database.unit_of_work() as session:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "guard.sandbox_query")
        ).all()
        found = [r for r in rows if r.detail.get("query") == query_id]
        assert len(found) == 1, [r.detail for r in rows]
        return found[0]


def _rerun(
    city: SandboxWorld, workspace: str, query_id: uuid.UUID
) -> tuple[queries.QueryOutcome, bool]:
    with city.database.unit_of_work() as session:
        return queries.rerun(
            session,
            actor=city.operator(),
            settings=city.settings,
            at=city.clock().now(),
            workspace_id=uuid.UUID(workspace),
            query_id=query_id,
        )


def _history(city: SandboxWorld, workspace: str) -> list[WorkspaceQuery]:
    with city.database.unit_of_work() as session:
        return list(
            session.scalars(
                select(WorkspaceQuery)
                .where(WorkspaceQuery.workspace_id == uuid.UUID(workspace))
                .order_by(WorkspaceQuery.submitted_at, WorkspaceQuery.id)
            )
        )


def test_a_query_runs_end_to_end_with_exact_numbers_and_its_audit_row(
    city: SandboxWorld, client: TestClient
) -> None:
    operator = bearer(client, city.world.operator)
    workspace = _workspace(client, operator, "普惠金融")

    counted = _query(client, operator, workspace, BY_DISTRICT)
    assert counted.status_code == 200, counted.text
    body = counted.json()
    assert body["columns"] == [
        {"name": "district", "type": "VARCHAR"},
        {"name": "firms", "type": "BIGINT"},
    ]
    assert body["rows"] == [["站前区", 5], ["西市区", 4], ["老边区", 3]]
    assert (body["row_count"], body["truncated"]) == (3, False)
    assert body["versions"] == [
        {"view": "scjgj_enterprises", "resource_id": str(city.enterprises), "version": 1}
    ]
    assert isinstance(body["elapsed_ms"], int)

    joined = _query(client, operator, workspace, BY_DISTRICT_AND_RATING)
    assert joined.status_code == 200, joined.text
    expected = sorted(
        [
            ["站前区", "A", 2],
            ["站前区", "B", 1],
            ["站前区", "C", 1],
            ["西市区", "A", 1],
            ["西市区", "B", 2],
            ["老边区", "A", 1],
            ["老边区", "C", 1],
        ]
    )
    assert joined.json()["rows"] == expected
    assert joined.json()["versions"] == [
        {"view": "scjgj_enterprises", "resource_id": str(city.enterprises), "version": 1},
        {"view": "swj_tax_ratings", "resource_id": str(city.ratings), "version": 1},
    ]

    # A sensitive amount may be summed, never shown row by row.
    capital = _query(
        client,
        operator,
        workspace,
        "SELECT district, sum(registered_capital_fen) // 100 AS capital_yuan "
        "FROM scjgj_enterprises GROUP BY district ORDER BY district",
    )
    assert capital.status_code == 200, capital.text
    assert capital.json()["rows"] == sorted(
        [["站前区", 150_000], ["西市区", 300_000], ["老边区", 330_000]]
    )

    event = _audit_of(city, joined.json()["query_id"])
    assert (event.outcome, event.actor_username) == ("ok", city.world.operator.username)
    assert (event.target_type, event.target_id) == ("authorization", str(city.finance))
    detail = event.detail
    assert detail["decision"] == "allowed"
    assert detail["code"] == "ok"
    assert detail["purpose"] == "processing"
    assert detail["authorization"].startswith("营数授〔2026〕")
    assert detail["workspace"] == workspace
    assert detail["resources"] == [str(city.enterprises), str(city.ratings)]
    assert detail["versions"] == {"scjgj_enterprises": 1, "swj_tax_ratings": 1}
    assert detail["sql_sm3"] == sm3_hex(BY_DISTRICT_AND_RATING)
    assert (detail["rows"], detail["truncated"]) == (7, False)

    ran = [q for q in _history(city, workspace) if q.id == uuid.UUID(joined.json()["query_id"])]
    assert len(ran) == 1
    row = ran[0]
    assert (row.outcome, row.row_count, row.truncated, row.row_level) == ("ok", 7, False, False)
    assert row.sql == BY_DISTRICT_AND_RATING and row.sql_sm3 == detail["sql_sm3"]
    assert row.authorization_id == city.finance
    assert [(v["view"], v["version"]) for v in row.versions] == [
        ("scjgj_enterprises", 1),
        ("swj_tax_ratings", 1),
    ]
    # What the export gate re-runs: the SQL as the policy let it run, comments gone; a
    # query of the history submitted again reads the same versions and answers the same.
    assert row.checked_sql is not None and "--" not in row.checked_sql
    again, same_versions = _rerun(city, workspace, row.id)
    assert again.result.rows == expected and same_versions
    assert again.query.id != row.id


def test_row_level_results_are_capped_and_marked_truncated(
    city: SandboxWorld, client: TestClient
) -> None:
    operator = bearer(client, city.world.operator)
    workspace = _workspace(client, operator, "普惠金融")
    rows = _query(
        client, operator, workspace, "SELECT name, district FROM scjgj_enterprises ORDER BY name"
    )
    assert rows.status_code == 200, rows.text
    body = rows.json()
    assert body["row_count"] == ROW_CAP == len(body["rows"])
    assert body["truncated"] is True
    assert body["rows"][0] == ["营口测试企业01有限公司", "站前区"]
    assert body["rows"][-1] == ["营口测试企业05有限公司", "站前区"]
    # An aggregate over the same rows is complete, whatever the row cap.
    total = _query(client, operator, workspace, "SELECT count(*) AS firms FROM scjgj_enterprises")
    assert total.json()["rows"] == [[12]] and total.json()["truncated"] is False
    assert _audit_of(city, body["query_id"]).detail["truncated"] is True


def test_refusals_name_their_code_and_explain_the_offending_part_in_both_languages(
    city: SandboxWorld, client: TestClient
) -> None:
    operator = bearer(client, city.world.operator)
    workspace = _workspace(client, operator, "普惠金融")
    cases = [
        (
            "SELECT uscc_token, district FROM scjgj_enterprises",
            403,
            "column_not_allowed",
            "列 scjgj_enterprises.uscc_token 不能出现在逐行结果中：请只在聚合中使用它。",
            "Column scjgj_enterprises.uscc_token may not appear in row-level results; use it "
            "inside aggregates.",
        ),
        (
            "SELECT count(*) FROM information_schema.tables",
            403,
            "relation_not_allowed",
            "不允许访问 information_schema.tables：只能查询本工作区的视图 "
            "scjgj_enterprises、swj_tax_ratings。",
            "information_schema.tables may not be read; only this workspace's views may: "
            "scjgj_enterprises、swj_tax_ratings.",
        ),
        (
            "SELECT getenv('HOME') AS home",
            403,
            "function_not_allowed",
            "不允许使用函数 getenv",
            "Function getenv is not allowed",
        ),
    ]
    for sql, status, code, zh, en in cases:
        chinese = _refused(_query(client, operator, workspace, sql), status, code)
        assert chinese["detail"].startswith(zh), chinese["detail"]
        english = _refused(
            _query(client, operator, workspace, sql, **{"Accept-Language": "en"}), status, code
        )
        assert english["detail"].startswith(en), english["detail"]

    # Every refusal is in the history and the audit log with its code, the SQL's SM3 and
    # nothing read.
    # (The test clock stands still: every row has the same time, so compare as sets.)
    refused = [q for q in _history(city, workspace) if q.outcome != "ok"]
    assert sorted(q.outcome for q in refused) == sorted(2 * [code for _, _, code, _, _ in cases])
    first = next(q for q in refused if q.sql == cases[0][0])
    assert first.part == "scjgj_enterprises.uscc_token"
    assert first.checked_sql is None and first.row_count is None
    event = _audit_of(city, str(first.id))
    assert event.outcome == "refused"
    assert event.detail["code"] == "column_not_allowed"
    assert event.detail["part"] == "scjgj_enterprises.uscc_token"
    assert event.detail["sql_sm3"] == sm3_hex(cases[0][0])
    assert event.detail["resources"] == [] and event.detail["versions"] == {}


def test_a_rule_the_provider_tightened_at_registration_holds_in_the_workspace(
    city: SandboxWorld, client: TestClient
) -> None:
    operator = bearer(client, city.world.operator)
    workspace = _workspace(client, operator, "普惠金融")
    in_rows = _query(
        client, operator, workspace, "SELECT name, established_on FROM scjgj_enterprises"
    )
    assert "established_on" in _refused(in_rows, 403, "column_not_allowed")["detail"]
    by_day = "SELECT established_on, count(*) FROM scjgj_enterprises GROUP BY established_on"
    _refused(_query(client, operator, workspace, by_day), 403, "column_not_allowed")
    by_year = _query(
        client,
        operator,
        workspace,
        "SELECT year(established_on) AS y, count(*) AS firms FROM scjgj_enterprises "
        "GROUP BY y ORDER BY y",
    )
    assert by_year.status_code == 200, by_year.text
    assert by_year.json()["rows"] == [[2010 + n, 1] for n in range(12)]


def test_a_suspended_or_terminated_agreement_refuses_every_query(
    city: SandboxWorld, client: TestClient
) -> None:
    agreement = city.agreement()
    operator = bearer(client, city.world.operator)
    with city.database.unit_of_work() as session:
        number = authorizations.authorization(session, agreement).number  # type: ignore[union-attr]
    workspace = _workspace(client, operator, _scenario(city, agreement))
    assert _query(client, operator, workspace, BY_DISTRICT).status_code == 200

    with city.database.unit_of_work() as session:
        authorization_service.suspend(
            session,
            actor=city.world.bureau_principal(),
            at=city.clock().now(),
            authorization_id=agreement,
            reason="配合检查",
        )
    suspended = _refused(
        _query(client, operator, workspace, BY_DISTRICT), 403, "authorization_inactive"
    )
    assert suspended["detail"] == f"授权 {number} 当前为“已暂停”，不能使用其数据。"

    with city.database.unit_of_work() as session:
        terminate_by_two(
            session,
            city.world,
            clock=city.clock(),
            settings=city.settings,
            authorization_id=agreement,
            reason="严重违约",
        )
    read = client.get(f"/api/v1/workspaces/{workspace}", headers=operator)
    assert read.json()["status"] == "closed"
    # Refused before its SQL is read: even SQL the policy would refuse gets this answer.
    for sql in (BY_DISTRICT, "SELECT uscc_token FROM scjgj_enterprises"):
        ended = _refused(_query(client, operator, workspace, sql), 403, "authorization_inactive")
        assert ended["detail"] == f"授权 {number} 当前为“已终止”，不能使用其数据。"
    english = _refused(
        _query(client, operator, workspace, BY_DISTRICT, **{"Accept-Language": "en"}),
        403,
        "authorization_inactive",
    )
    assert english["detail"] == f"Authorization {number} is Terminated; its data cannot be used."
    last = next(q for q in _history(city, workspace) if q.sql.startswith("SELECT uscc_token"))
    assert last.outcome == "authorization_inactive"
    event = _audit_of(city, str(last.id))
    assert (event.outcome, event.detail["code"]) == ("refused", "authorization_inactive")
    assert event.detail["status"] == "terminated"


def test_an_agreement_that_grants_no_processing_right_has_its_data_used_for_no_query(
    city: SandboxWorld, client: TestClient
) -> None:
    """Purpose binding (R3.5): a sandbox query processes the data, so the agreement must
    grant the right to process it, not only to operate products."""
    agreement = city.agreement(rights=["product_operation"])
    operator = bearer(client, city.world.operator)
    workspace = _workspace(client, operator, _scenario(city, agreement))
    body = _refused(_query(client, operator, workspace, BY_DISTRICT), 403, "out_of_scope")
    assert "未授予“数据加工使用权”" in body["detail"]
    refused = next(q for q in _history(city, workspace) if q.outcome == "out_of_scope")
    event = _audit_of(city, str(refused.id))
    assert (event.outcome, event.detail["purpose"]) == ("refused", "processing")


def _scenario(city: SandboxWorld, agreement: uuid.UUID) -> str:
    with city.database.unit_of_work() as session:
        found = authorizations.authorization(session, agreement)
        assert found is not None
        return found.scenario


def test_each_query_reads_the_newest_version_and_records_it(
    city: SandboxWorld, client: TestClient
) -> None:
    operator = bearer(client, city.world.operator)
    workspace = _workspace(client, operator, "普惠金融")
    sql = "SELECT rating, count(*) AS firms FROM swj_tax_ratings GROUP BY rating ORDER BY rating"
    before = _query(client, operator, workspace, sql).json()
    assert before["rows"] == [["A", 4], ["B", 3], ["C", 2]]

    # The tax bureau publishes a new version: every enterprise rated, all A.
    city.ingest(city.ratings, city.ratings_provider, ratings_csv([(n, "A") for n in range(12)]))
    after = _query(client, operator, workspace, sql).json()
    assert after["rows"] == [["A", 12]]
    assert after["versions"] == [
        {"view": "swj_tax_ratings", "resource_id": str(city.ratings), "version": 2}
    ]
    view = {
        v["name"]: v
        for v in client.get(f"/api/v1/workspaces/{workspace}", headers=operator).json()["views"]
    }["swj_tax_ratings"]
    assert (view["version"], view["rows"]) == (2, 12)
    rerun, same_versions = _rerun(city, workspace, uuid.UUID(before["query_id"]))
    assert (rerun.result.rows, same_versions) == ([["A", 12]], False)
    versions = {
        q.id: [v["version"] for v in q.versions] for q in _history(city, workspace) if q.versions
    }
    assert versions[uuid.UUID(before["query_id"])] == [1]
    assert versions[uuid.UUID(after["query_id"])] == [2]
