"""Resources and published batches built through the real services."""

from __future__ import annotations

import uuid
from typing import Any

from sluice.catalog import service
from sluice.catalog.schemas import BatchCreate, ResourceCreate
from sluice.core.clock import Clock
from sluice.core.database import Database
from sluice.core.permissions import OrgKind, Role
from sluice.core.principal import Principal

BUREAU = Principal(
    username="bureau-test",
    via="system",
    organization_kind=OrgKind.BUREAU,
    roles=frozenset({Role.BUREAU}),
)


def provider_principal(organization_id: uuid.UUID) -> Principal:
    return Principal(
        username="provider-test",
        via="token",
        organization_id=organization_id,
        organization_kind=OrgKind.PROVIDER,
        roles=frozenset({Role.PROVIDER}),
    )


def resource_data(code: str, name: str, **overrides: Any) -> ResourceCreate:
    values: dict[str, Any] = {
        "code": code,
        "name": name,
        "description": f"{name}，按月更新。",
        "domain": "governance",
        "update_frequency": "monthly",
        "open_level": "conditional",
        "classification": "population",
        "grade": "3",
        "fields": [
            {
                "name": "id_number",
                "type": "id_number",
                "class": "identifier",
                "title": "公民身份号码",
                "required": True,
            },
            {"name": "name", "type": "person_name", "class": "identifier", "title": "姓名"},
        ],
    }
    values.update(overrides)
    return ResourceCreate.model_validate(values)


def publish(
    database: Database, clock: Clock, provider_id: uuid.UUID, items: list[ResourceCreate]
) -> list[uuid.UUID]:
    """Register the resources for a provider, list them in a new batch and publish it."""
    with database.unit_of_work() as session:
        actor = provider_principal(provider_id)
        ids = [
            service.register_resource(session, actor=actor, clock=clock, data=d).id for d in items
        ]
        batch = service.create_batch(session, actor=BUREAU, clock=clock, data=BatchCreate())
        entries = service.add_to_batch(
            session, actor=BUREAU, clock=clock, batch_id=batch.id, resource_ids=ids
        )
        service.publish_batch(session, actor=BUREAU, clock=clock, batch_id=batch.id)
        return [e.id for e in entries]
