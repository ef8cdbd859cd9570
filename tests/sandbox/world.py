"""A small city for the sandbox tests, built once per module and database through the real
services: two departments with data ingested (12 enterprises, 9 tax ratings), the bureau,
two qualified operators, and agreements in force over that data.

The numbers are small and exact so a test can say what a query must answer:

========  =====  ============================================
district  firms  of which rated in 2024 (A / B / C)
========  =====  ============================================
站前区     5      4  (A, A, B, C)
西市区     4      3  (A, B, B)
老边区     3      2  (A, C)
========  =====  ============================================
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sluice.authorizations import service as authorizations
from sluice.authorizations.schemas import PlanIn
from sluice.catalog import repository as catalog
from sluice.core.clock import SHANGHAI, FixedClock
from sluice.core.database import Database
from sluice.core.permissions import OrgKind, Role
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.demo.city import credit_code
from sluice.ingestion import service as ingestion
from tests.approvals.factories import colleague
from tests.authorizations.factories import (
    CLAUSES,
    PLAN_SECTIONS,
    World,
    active_authorization,
    decision,
    qualify_operator,
)
from tests.catalog.factories import provider_principal, publish, resource_data
from tests.identity.factories import make_account, make_org

START = datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI)
#: Row-level results are capped at this many rows in the test city (the default is 100).
ROW_CAP = 5

USCC = [credit_code(f"91210800{80000000 + n:08d}") for n in range(12)]
DISTRICTS = ["站前区"] * 5 + ["西市区"] * 4 + ["老边区"] * 3
CAPITAL_FEN = [n * 1_000_000 for n in range(1, 13)]
#: (enterprise index, rating) for 2024.
RATINGS = [
    (0, "A"),
    (1, "A"),
    (2, "B"),
    (3, "C"),
    (5, "A"),
    (6, "B"),
    (7, "B"),
    (9, "A"),
    (10, "C"),
]

ENTERPRISE_FIELDS = [
    {"name": "uscc", "type": "uscc", "class": "identifier", "title": "统一社会信用代码"},
    {"name": "name", "type": "text", "class": "public", "title": "企业名称"},
    {"name": "district", "type": "text", "class": "public", "title": "所在区县"},
    {"name": "registered_capital_fen", "type": "int", "class": "sensitive", "title": "注册资本"},
    # The provider tightened this public date: never in rows, grouped only by year or month.
    {
        "name": "established_on",
        "type": "date",
        "class": "public",
        "title": "成立日期",
        "column_rule": {"in_rows": "no", "as_group_key": "generalised"},
    },
]
RATING_FIELDS = [
    {"name": "uscc", "type": "uscc", "class": "identifier", "title": "纳税人识别号"},
    {"name": "rating_year", "type": "int", "class": "public", "title": "评价年度"},
    {"name": "rating", "type": "text", "class": "public", "title": "纳税信用级别"},
]

_scenarios = itertools.count(1)


def enterprises_csv() -> bytes:
    lines = ["uscc,name,district,registered_capital_fen,established_on"]
    for n in range(12):
        lines.append(
            f"{USCC[n]},营口测试企业{n + 1:02d}有限公司,{DISTRICTS[n]},{CAPITAL_FEN[n]},"
            f"{date(2010 + n, 3, 1).isoformat()}"
        )
    return ("\n".join(lines) + "\n").encode()


def ratings_csv(ratings: list[tuple[int, str]] = RATINGS, year: int = 2024) -> bytes:
    lines = ["uscc,rating_year,rating"]
    lines += [f"{USCC[n]},{year},{rating}" for n, rating in ratings]
    return ("\n".join(lines) + "\n").encode()


@dataclass(frozen=True)
class SandboxWorld:
    database: Database
    settings: Settings
    world: World
    #: The providers' organizations and their resources.
    enterprises: uuid.UUID
    ratings: uuid.UUID
    ratings_provider: uuid.UUID
    #: 普惠金融 (the operator: both resources) and 就业服务 (the other: enterprises only).
    finance: uuid.UUID
    jobs: uuid.UUID

    def clock(self) -> FixedClock:
        return FixedClock(START)

    def operator(self) -> Principal:
        return self.world.operator_principal()

    def other_operator(self) -> Principal:
        return self.world.operator_principal(self.world.other_operator)

    def agreement(self, **overrides: object) -> uuid.UUID:
        """Another agreement in force for the operator, for a scenario of its own."""
        n = next(_scenarios)
        values: dict[str, object] = {
            "scenario": f"沙箱场景{n}",
            "entry_ids": self.entries([self.enterprises]),
            "clauses": CLAUSES.model_copy(
                update={
                    "products": [CLAUSES.products[0].model_copy(update={"name": f"沙箱产品{n}"})]
                }
            ),
            **overrides,
        }
        return active_authorization(
            self.database, self.clock(), self.settings, self.world, **values
        )

    def entries(self, resources: list[uuid.UUID]) -> list[uuid.UUID]:
        with self.database.unit_of_work() as session:
            found = [catalog.entry_for_resource(session, r) for r in resources]
            return [e.id for e in found if e is not None]

    def ingest(self, resource_id: uuid.UUID, provider_id: uuid.UUID, content: bytes) -> None:
        ingest(self.database, self.settings, resource_id, provider_id, content)


def ingest(
    database: Database,
    settings: Settings,
    resource_id: uuid.UUID,
    provider_id: uuid.UUID,
    content: bytes,
) -> None:
    source = settings.home / f"upload-{uuid.uuid4().hex}.csv"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_bytes(content)
    try:
        with database.unit_of_work() as session:
            run = ingestion.ingest(
                session,
                actor=provider_principal(provider_id),
                clock=FixedClock(START),
                settings=settings,
                resource_id=resource_id,
                source=source,
                source_name=source.name,
            )
            assert run.status == "ingested", (run.status, run.report)
    finally:
        source.unlink(missing_ok=True)


def build(database: Database, home: Path) -> SandboxWorld:
    clock = FixedClock(START)
    settings = Settings(home=home, database_url=database.url, sandbox_row_cap=ROW_CAP)
    bureau = make_account(database, clock, Role.BUREAU)
    second = colleague(database, clock, bureau)
    operator = make_account(database, clock, Role.OPERATOR)
    other = make_account(database, clock, Role.OPERATOR)
    with database.unit_of_work() as session:
        scjgj = make_org(session, clock, OrgKind.PROVIDER, code="scjgj")
        swj = make_org(session, clock, OrgKind.PROVIDER, code="swj")
    entries = publish(
        database,
        clock,
        scjgj,
        [resource_data("enterprises", "企业登记信息", fields=ENTERPRISE_FIELDS)],
    ) + publish(
        database,
        clock,
        swj,
        [resource_data("tax_ratings", "纳税信用等级", fields=RATING_FIELDS)],
    )
    with database.unit_of_work() as session:
        for account in (operator, other):
            assert account.organization_id
            qualify_operator(session, account.organization_id, clock=clock, settings=settings)
        system = Principal.system("test")
        plan = authorizations.create_plan(
            session,
            actor=system,
            at=clock.now(),
            data=PlanIn(title="普惠金融场景实施方案", sections=PLAN_SECTIONS),
        )
        authorizations.decide_plan(
            session, actor=system, at=clock.now(), plan_id=plan.id, data=decision()
        )
        by_entry = {e.id: e.resource_id for e in catalog.entries_by_ids(session, entries)}
    enterprises, ratings = (by_entry[e] for e in entries)
    ingest(database, settings, enterprises, scjgj, enterprises_csv())
    ingest(database, settings, ratings, swj, ratings_csv())
    world = World(bureau, operator, other, plan.id, entries, [enterprises, ratings], second)
    finance = active_authorization(
        database, clock, settings, world, scenario="普惠金融", entry_ids=entries
    )
    jobs = active_authorization(
        database,
        clock,
        settings,
        world,
        scenario="就业服务",
        entry_ids=entries[:1],
        operator_id=other.organization_id,
        clauses=CLAUSES.model_copy(
            update={"products": [CLAUSES.products[0].model_copy(update={"name": "就业核验"})]}
        ),
    )
    return SandboxWorld(database, settings, world, enterprises, ratings, swj, finance, jobs)
