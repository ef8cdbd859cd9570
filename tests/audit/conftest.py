"""The audit tests' small log: a provider (刘晓燕 of 营口市测试公安局), an operator (陈志远 of
营口测试数据运营公司) and the platform's nightly sweep, each with events in October 2026 at
moments chosen around Beijing midnight, so a day filter read in UTC would pick the wrong ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.permissions import OrgKind, Role
from sluice.core.principal import Principal
from tests.audit.factories import Person, make_person, record, utc


@dataclass(frozen=True)
class World:
    provider: Person
    operator: Person
    #: 10-20 10:05:07 Beijing; the provider disposes of an asset.
    disposed: int
    #: 10-26 00:30 Beijing (10-25 16:30 UTC); the operator is refused data.
    refused: int
    #: 10-25 23:59 Beijing (10-25 15:59 UTC); the sweep's assessment fails.
    failed: int
    #: 10-26 09:00 Beijing; the provider is refused data.
    provider_refused: int
    provider_refused_target: str


@pytest.fixture
def world(database: Database, clock: FixedClock) -> World:
    provider = make_person(
        database,
        clock,
        username="liuxy",
        display_name="刘晓燕",
        role=Role.PROVIDER,
        kind=OrgKind.PROVIDER,
        code="gaj-test",
        organization="营口市测试公安局",
    )
    operator = make_person(
        database,
        clock,
        username="chenzy",
        display_name="陈志远",
        role=Role.OPERATOR,
        kind=OrgKind.OPERATOR,
        code="ops-test",
        organization="营口测试数据运营公司",
    )
    target = "7d1f0c2a-5b7e-4c1e-9a51-0c8d3f6b2e11"
    with database.unit_of_work() as session:
        disposed = record(
            session,
            provider.principal,
            "exit.asset_disposed",
            at=utc(2026, 10, 20, 2, 5, 7),
            target_type="exit",
            detail={
                "name": "智慧停车场景形成的公共数据资产",
                "kind": "public_data_asset",
                "goes_to": "government",
            },
        )
        refused = record(
            session,
            operator.principal,
            "guard.decision",
            at=utc(2026, 10, 25, 16, 30),
            outcome="refused",
            detail={"reason": "out_of_scope", "late": False},
        )
        failed = record(
            session,
            Principal.system("sweep"),
            "quality.assessed",
            at=utc(2026, 10, 25, 15, 59),
            target_type="quality_assessment",
            outcome="failed",
        )
        provider_refused = record(
            session,
            provider.principal,
            "guard.decision",
            at=utc(2026, 10, 26, 1, 0),
            outcome="refused",
            target_id=target,
        )
    return World(provider, operator, disposed, refused, failed, provider_refused, target)
