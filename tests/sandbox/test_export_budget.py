"""Concurrent requests never overspend a workspace's ε budget (R8.6): 50 differentially
private export requests at once, each from its own thread and session, on PostgreSQL,
where the conditional UPDATE is what stands between them (SQLite serialises every writer,
so proving it there would prove nothing). Exactly floor(budget / ε) of them succeed."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select

from sluice.audit.models import AuditEvent
from sluice.catalog import index as catalog_index
from sluice.core.database import Database
from sluice.core.errors import SluiceError
from sluice.sandbox import exports, queries, workspaces
from sluice.sandbox.export_models import ExportRequest, PrivacyBudget
from tests.conftest import PostgresSchema, _truncate_all
from tests.infrastructure import skip_or_fail
from tests.sandbox.world import SandboxWorld, build

pytestmark = pytest.mark.postgres

REQUESTS = 50
EPSILON = "0.1"
BUDGET = 1.0  # the default: room for exactly ten requests of 0.1


@pytest.fixture(scope="module")
def city(
    tmp_path_factory: pytest.TempPathFactory, postgres: PostgresSchema
) -> Iterator[SandboxWorld]:
    if postgres.problem or postgres.url is None:
        skip_or_fail(postgres.problem or "PostgreSQL unavailable")
    database = Database(postgres.url)
    try:
        yield build(database, Path(tmp_path_factory.mktemp("budget")) / "var")
    finally:
        _truncate_all(database, postgres.schema)
        catalog_index.reset()
        database.dispose()


def test_fifty_concurrent_private_exports_spend_exactly_the_budget(city: SandboxWorld) -> None:
    settings = city.settings.model_copy(
        update={"sandbox_export_min_subjects": 3, "sandbox_dp_epsilon_budget": BUDGET}
    )
    at = city.clock().now()
    with city.database.unit_of_work() as session:
        rows = workspaces.workspace_rows(session, actor=city.operator(), at=at)
        workspace = next(r.workspace.id for r in rows if r.workspace.scenario == "普惠金融")
        query = queries.run(
            session,
            actor=city.operator(),
            settings=settings,
            at=at,
            workspace_id=workspace,
            sql="SELECT district, count(*) AS firms FROM scjgj_enterprises GROUP BY district",
        ).query.id
    start = threading.Barrier(REQUESTS)

    def ask(_: int) -> str:
        start.wait()  # all fifty at once
        try:
            with city.database.unit_of_work() as session:
                exports.request(
                    session,
                    actor=city.operator(),
                    settings=settings,
                    at=at,
                    workspace_id=workspace,
                    query_id=query,
                    purpose="并发申请",
                    epsilon=EPSILON,
                )
        except SluiceError as refused:
            return refused.code
        return "ok"

    with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
        outcomes = list(pool.map(ask, range(REQUESTS)))
    assert outcomes.count("ok") == 10  # floor(1.0 / 0.1)
    assert outcomes.count("privacy_budget_exhausted") == REQUESTS - 10
    with city.database.unit_of_work() as session:
        spent = session.get(PrivacyBudget, workspace)
        assert spent is not None and spent.spent_micro == 1_000_000
        kept = session.scalar(select(func.count()).where(ExportRequest.workspace_id == workspace))
        assert kept == 10
        refused = session.scalar(
            select(func.count()).where(AuditEvent.action == "sandbox_export.refused")
        )
        assert refused == REQUESTS - 10
    # Each refused request left no candidate behind: ten files, one per request kept.
    owner = _owner(city, workspace)
    directory = settings.data_dir / "authorizations" / str(owner)
    assert len(list(directory.glob("export-*.csv.sm4"))) == 10


def _owner(city: SandboxWorld, workspace: uuid.UUID) -> uuid.UUID:
    with city.database.unit_of_work() as session:
        found = session.scalar(
            select(ExportRequest.owner_id).where(ExportRequest.workspace_id == workspace)
        )
        assert found is not None
        return found
