"""Builders for correction-ticket tests: providers with a dataset, and the people around it.

Resources (and their published catalog entries) are written directly through the catalog
models: the catalog's own rules are not what these tests are about.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select

from sluice.catalog.models import CatalogBatch, CatalogEntry, DataResource, ResourceField
from sluice.core.clock import Clock
from sluice.core.database import Database
from sluice.core.permissions import ROLE_ORG_KIND, Role
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.ingestion.models import DatasetVersion, IngestionRun
from sluice.quality.tickets import service
from sluice.quality.tickets.models import CorrectionTicket
from sluice.quality.tickets.schemas import TargetLevel, TicketCreate
from tests.identity.factories import Account, make_account

_counter = itertools.count(1)
FIELDS = ("enterprise_name", "credit_code", "registered_address", "phone")


def make_resource(
    database: Database,
    clock: Clock,
    provider_id: uuid.UUID,
    *,
    name: str | None = None,
    fields: tuple[str, ...] = FIELDS,
    published: bool = True,
    frequency: str = "daily",
) -> uuid.UUID:
    """A provider's resource with its fields, listed in a published batch unless told not to."""
    n = next(_counter)
    now = clock.now()
    with database.unit_of_work() as session:
        resource = DataResource(
            provider_id=provider_id,
            code=f"res-{n}",
            name=name or f"市场主体登记信息{n}",
            description="",
            domain="governance",
            update_frequency=frequency,
            open_level="conditional",
            classification="市场监管",
            grade="2",
            origin="own",
            created_at=now,
            updated_at=now,
        )
        session.add(resource)
        session.flush()
        for position, field in enumerate(fields):
            session.add(
                ResourceField(
                    resource_id=resource.id,
                    position=position,
                    name=field,
                    type="string",
                    field_class="public",
                )
            )
        if published:
            batch = CatalogBatch(
                number=n, title=f"第{n}批", status="published", created_at=now, published_at=now
            )
            session.add(batch)
            session.flush()
            session.add(
                CatalogEntry(
                    resource_id=resource.id,
                    batch_id=batch.id,
                    status="published",
                    published_at=now,
                    provider_id=provider_id,
                    domain=resource.domain,
                    open_level=resource.open_level,
                    title=resource.name,
                )
            )
        return resource.id


def make_version(database: Database, clock: Clock, resource_id: uuid.UUID) -> int:
    """A new dataset version of the resource, made now by ``clock`` (the corrected data a
    provider uploads), written directly: ingestion is not what these tests are about.
    Returns its number."""
    now = clock.now()
    with database.unit_of_work() as session:
        resource = session.get(DataResource, resource_id)
        assert resource is not None
        newest = select(func.max(DatasetVersion.version)).where(
            DatasetVersion.resource_id == resource_id
        )
        number = 1 + (session.scalar(newest) or 0)
        run = IngestionRun(
            resource_id=resource_id,
            provider_id=resource.provider_id,
            status="ingested",
            source_kind="csv",
            source_name=f"v{number}.csv",
            content_hash=f"{number:064x}",
            rows_total=10,
            rows_accepted=10,
            version=number,
            actor="test",
            started_at=now,
            finished_at=now,
        )
        session.add(run)
        session.flush()
        session.add(
            DatasetVersion(
                resource_id=resource_id,
                version=number,
                run_id=run.id,
                path=f"/nowhere/{resource_id}/{number}",
                rows=10,
                content_hash=run.content_hash,
                created_at=now,
            )
        )
        resource.has_data = True
        return number


def principal_of(account: Account) -> Principal:
    """The principal the console or the API would resolve for this account."""
    return Principal(
        username=account.username,
        via="token",
        user_id=account.user_id,
        organization_id=account.organization_id,
        organization_kind=ROLE_ORG_KIND[account.role],
        roles=frozenset({account.role}),
    )


@dataclass(frozen=True)
class World:
    """Two providers with a dataset each, two operators and the bureau."""

    provider_a: Account
    provider_b: Account
    operator: Account
    other_operator: Account
    bureau: Account
    resource_a: uuid.UUID
    resource_b: uuid.UUID

    def org(self, account: Account) -> uuid.UUID:
        assert account.organization_id is not None
        return account.organization_id


def make_world(database: Database, clock: Clock) -> World:
    provider_a = make_account(database, clock, Role.PROVIDER)
    provider_b = make_account(database, clock, Role.PROVIDER)
    assert provider_a.organization_id and provider_b.organization_id
    return World(
        provider_a=provider_a,
        provider_b=provider_b,
        operator=make_account(database, clock, Role.OPERATOR),
        other_operator=make_account(database, clock, Role.OPERATOR),
        bureau=make_account(database, clock, Role.BUREAU),
        resource_a=make_resource(database, clock, provider_a.organization_id),
        resource_b=make_resource(database, clock, provider_b.organization_id),
    )


def file_ticket(
    database: Database,
    clock: Clock,
    filer: Account,
    resource_id: uuid.UUID,
    *,
    settings: Settings | None = None,
    level: TargetLevel = TargetLevel.DATASET,
    field_name: str | None = None,
    row_ref: str | None = None,
    description: str = "企业地址与实际不符",
) -> CorrectionTicket:
    with database.unit_of_work() as session:
        return service.file_ticket(
            session,
            actor=principal_of(filer),
            clock=clock,
            settings=settings or Settings(ticket_answer_working_days=5),
            data=TicketCreate(
                resource_id=resource_id,
                target_level=level,
                field_name=field_name,
                row_ref=row_ref,
                description=description,
            ),
        )
