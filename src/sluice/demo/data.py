"""The demo departments put their data on the platform, and the city's quality work begins.

Each of the twelve source datasets is ingested into its catalog resource through the same
service a provider's upload uses (residents first: enterprises are checked against them);
a few correction tickets are filed, one of them left past its deadline; the bureau's
data-quality management rules are published (``quality_rules``); a quality assessment is
run, and the six monthly assessments before it are recorded so the scoreboard's trend has
a line to draw (``seed_quality_history``).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sluice.catalog import repository as catalog_repository
from sluice.catalog import service as catalog
from sluice.core.clock import Clock, FixedClock
from sluice.core.database import Database
from sluice.core.permissions import OrgKind, Role
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.demo import quality_rules
from sluice.demo.city import DemoSources
from sluice.identity import repository as identity_repository
from sluice.ingestion import service as ingestion
from sluice.quality import repository as quality_repository
from sluice.quality import service as quality
from sluice.quality.models import ProviderAssessment
from sluice.quality.tickets import repository as tickets_repository
from sluice.quality.tickets import service as tickets_service
from sluice.quality.tickets.schemas import TargetLevel, TicketCreate

#: Ingest order: referenced datasets before the ones checked against them.
FIRST = ("residents", "enterprises")
#: Monthly assessments recorded before the demo's first real one.
HISTORY_MONTHS: Final = 6
#: How much each part of a resource's score was lower per month back (before noise).
_DRIFT: Final = {"completeness": 1.0, "accuracy": 1.3, "consistency": 0.6}


def _resource_id(session: Any, provider_code: str, code: str) -> uuid.UUID | None:
    found = catalog.resource_by_codes(session, f"{provider_code}/{code}")
    return found.id if found else None


def ingest_sources(
    database: Database,
    *,
    settings: Settings,
    clock: Clock,
    datasets: list[dict[str, Any]],
    sources: DemoSources,
) -> int:
    """Ingest every dataset that has no data yet; returns how many were ingested.

    The source files are built (outside the platform's home) only if one is needed.
    """
    ordered = sorted(
        datasets,
        key=lambda d: (d["code"] not in FIRST, FIRST.index(d["code"]) if d["code"] in FIRST else 0),
    )
    done = 0
    for dataset in ordered:
        with database.unit_of_work() as session:
            resource_id = _resource_id(session, dataset["provider"], dataset["code"])
            resource = catalog_repository.resource(session, resource_id) if resource_id else None
            if resource is None or resource.has_data:
                continue
            path = sources.path_of(dataset)
            ingestion.ingest(
                session,
                actor=Principal.system("demo"),
                clock=clock,
                settings=settings,
                resource_id=resource.id,
                source=path,
                source_name=path.name,
            )
            done += 1
    return done


@dataclass(frozen=True, slots=True)
class QuarantineShare:
    """How much of a demo dataset's current version the platform set aside."""

    provider: str
    code: str
    title: str
    rows_total: int
    rows_rejected: int
    intended: float

    @property
    def share(self) -> float:
        return self.rows_rejected / self.rows_total if self.rows_total else 0.0


def quarantine_shares(
    database: Database, *, datasets: list[dict[str, Any]]
) -> list[QuarantineShare]:
    """The quarantine share of each dataset's current version, next to the share the
    generator intends (``datasets.INTENDED_QUARANTINE_SHARE``)."""
    shares = []
    with database.unit_of_work() as session:
        for dataset in datasets:
            resource_id = _resource_id(session, dataset["provider"], dataset["code"])
            run = ingestion.current_run(session, resource_id) if resource_id else None
            shares.append(
                QuarantineShare(
                    provider=dataset["provider"],
                    code=dataset["code"],
                    title=dataset["title"],
                    rows_total=run.rows_total if run else 0,
                    rows_rejected=run.rows_rejected if run else 0,
                    intended=float(dataset.get("intended_quarantine_share", 0.0)),
                )
            )
    return shares


def _member(session: Any, code: str, role: Role) -> Principal:
    org = identity_repository.organization_by_code(session, code)
    assert org is not None
    return Principal(
        username=f"demo:{code}",
        via="system",
        organization_id=org.id,
        organization_kind=OrgKind(org.kind),
        roles=frozenset({role}),
    )


def seed_quality(database: Database, *, settings: Settings, clock: Clock) -> None:
    """Tickets (one overdue, one answered) and a first assessment, unless already there."""
    with database.unit_of_work() as session:
        if tickets_repository.any_filed(session):
            return
        residents = _resource_id(session, "gaj", "residents")
        enterprises = _resource_id(session, "scjgj", "enterprises")
        water = _resource_id(session, "water", "water_bills")
        if residents is None or enterprises is None or water is None:
            return
        operator = _member(session, "ykdata", Role.OPERATOR)
        bureau = Principal.system("demo")
        three_weeks_ago = FixedClock(clock.now() - timedelta(days=21))
        tickets_service.file_ticket(
            session,
            actor=operator,
            clock=three_weeks_ago,
            settings=settings,
            data=TicketCreate(
                resource_id=residents,
                target_level=TargetLevel.FIELD,
                field_name="address",
                description="部分户籍地址缺少门牌号，无法与不动产登记地址比对。",
            ),
        )
        answered = tickets_service.file_ticket(
            session,
            actor=operator,
            clock=three_weeks_ago,
            settings=settings,
            data=TicketCreate(
                resource_id=enterprises,
                target_level=TargetLevel.DATASET,
                description="已注销企业仍显示为存续状态，请核实 2026 年 10 月的状态更新。",
            ),
        )
        market = _member(session, "scjgj", Role.PROVIDER)
        tickets_service.acknowledge(
            session, actor=market, clock=three_weeks_ago, ticket_id=answered.id
        )
        tickets_service.fix(
            session,
            actor=market,
            clock=FixedClock(three_weeks_ago.now() + timedelta(days=2)),
            ticket_id=answered.id,
            resolution="已按注销登记台账更正 37 户企业状态。",
        )
        tickets_service.file_ticket(
            session,
            actor=operator,
            clock=clock,
            settings=settings,
            data=TicketCreate(
                resource_id=water,
                target_level=TargetLevel.ROW,
                row_ref="account_no=W0000123",
                description="该户 2026 年 9 月用水量为 0 但金额非零，请核对。",
            ),
        )
        quality_rules.seed_rules(session, clock=clock)
        current = quality.assess(session, actor=bureau, clock=clock)
        seed_quality_history(session, current=current, months=HISTORY_MONTHS)


def _months_before(at: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months earlier (the 28th at most)."""
    year, month = divmod(at.year * 12 + at.month - 1 - months, 12)
    return at.replace(year=year, month=month + 1, day=min(at.day, 28))


def _clamp(value: float) -> float:
    return round(min(100.0, max(0.0, value)), 2)


def seed_quality_history(
    session: Any, *, current: list[ProviderAssessment], months: int = HISTORY_MONTHS
) -> list[ProviderAssessment]:
    """Record the monthly assessments the city would have made before ``current``.

    The demo's data all arrives on one day, so there is nothing real to score in earlier
    months. Each earlier month is therefore ``current``'s resources of each provider with
    the data somewhat worse the further back (a provider improves at its own pace, a
    seeded rate between 0.5 and 2.5 points a month), a repeatable wobble per provider and
    month, now and then an upload that came late (timeliness), and no overdue tickets (the
    demo's tickets are recent). Each month is scored by the platform's own rule
    (``quality.service.provider_assessment``). Returns the assessments added.
    """
    added = []
    for now in current:
        pace = random.Random(f"pace:{now.provider_id}").uniform(0.5, 2.5)
        resources = list(now.detail.get("resources", []))
        for back in range(1, months + 1):
            wobble = random.Random(f"month:{now.provider_id}:{back}")
            earlier = []
            for item in resources:
                parts = {
                    part: _clamp(float(item[part]) - pace * scale * back + wobble.gauss(0, 0.8))
                    for part, scale in _DRIFT.items()
                }
                late = wobble.random() < 0.25
                parts["timeliness"] = (
                    _clamp(100.0 - wobble.uniform(15, 60)) if late else float(item["timeliness"])
                )
                earlier.append({**item, **parts})
            assessment = quality.provider_assessment(
                provider_id=now.provider_id,
                resources=earlier,
                overdue_tickets=0,
                at=_months_before(now.assessed_at, back),
            )
            quality_repository.add(session, assessment)
            added.append(assessment)
    return added
