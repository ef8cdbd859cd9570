"""Every query of the catalog module."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, delete, func, insert, select
from sqlalchemy.orm import Session

from sluice.catalog.models import (
    CatalogBatch,
    CatalogEntry,
    CatalogEntryVersion,
    CatalogTerm,
    DataResource,
    ResourceField,
)
from sluice.identity.models import Organization

# The tables themselves, for bulk inserts through Core.
_TERMS = cast(Table, CatalogTerm.__table__)
_VERSIONS = cast(Table, CatalogEntryVersion.__table__)


def resource(session: Session, resource_id: uuid.UUID) -> DataResource | None:
    return session.get(DataResource, resource_id)


def resource_code_taken(session: Session, *, provider_id: uuid.UUID, code: str) -> bool:
    query = select(func.count()).where(
        DataResource.provider_id == provider_id, DataResource.code == code
    )
    return (session.scalar(query) or 0) > 0


def resources(
    session: Session,
    *,
    provider_id: uuid.UUID | None = None,
    unlisted_only: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[DataResource]]:
    conditions: list[ColumnElement[bool]] = []
    if provider_id is not None:
        conditions.append(DataResource.provider_id == provider_id)
    if unlisted_only:
        conditions.append(DataResource.id.not_in(select(CatalogEntry.resource_id)))
    total = session.scalar(select(func.count()).select_from(DataResource).where(*conditions)) or 0
    rows = session.scalars(
        select(DataResource)
        .where(*conditions)
        .order_by(DataResource.provider_id, DataResource.code)
        .limit(limit)
        .offset(offset)
    )
    return total, list(rows)


def fields_of(
    session: Session, resource_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[ResourceField]]:
    found: dict[uuid.UUID, list[ResourceField]] = defaultdict(list)
    ids = list(resource_ids)
    if not ids:
        return found
    rows = session.scalars(
        select(ResourceField)
        .where(ResourceField.resource_id.in_(ids))
        .order_by(ResourceField.resource_id, ResourceField.position)
    )
    for row in rows:
        found[row.resource_id].append(row)
    return found


def organizations(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Organization]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.scalars(select(Organization).where(Organization.id.in_(wanted)))
    return {o.id: o for o in rows}


def bureau(session: Session) -> Organization | None:
    """The bureau, which compiles the catalog (the first, should there be several)."""
    query = select(Organization).where(Organization.kind == "bureau")
    return session.scalar(query.order_by(Organization.created_at, Organization.id).limit(1))


def batch(session: Session, batch_id: uuid.UUID) -> CatalogBatch | None:
    return session.get(CatalogBatch, batch_id)


def batches(session: Session) -> list[tuple[CatalogBatch, int]]:
    counts = (
        select(CatalogEntry.batch_id, func.count().label("n"))
        .group_by(CatalogEntry.batch_id)
        .subquery()
    )
    rows = session.execute(
        select(CatalogBatch, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.batch_id == CatalogBatch.id)
        .order_by(CatalogBatch.number.desc())
    )
    return [(b, int(n)) for b, n in rows]


def batch_numbers(session: Session, batch_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, int]:
    ids = set(batch_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(CatalogBatch.id, CatalogBatch.number).where(CatalogBatch.id.in_(ids))
    )
    return {batch_id: number for batch_id, number in rows}  # noqa: C416 - rows, not pairs


def next_batch_number(session: Session) -> int:
    return (session.scalar(select(func.max(CatalogBatch.number))) or 0) + 1


def entry(session: Session, entry_id: uuid.UUID) -> CatalogEntry | None:
    return session.get(CatalogEntry, entry_id)


def entry_for_resource(session: Session, resource_id: uuid.UUID) -> CatalogEntry | None:
    return session.scalar(select(CatalogEntry).where(CatalogEntry.resource_id == resource_id))


def entries_for_resources(
    session: Session, resource_ids: list[uuid.UUID]
) -> dict[uuid.UUID, CatalogEntry]:
    found: dict[uuid.UUID, CatalogEntry] = {}
    for start in range(0, len(resource_ids), 5000):
        chunk = resource_ids[start : start + 5000]
        for entry in session.scalars(
            select(CatalogEntry).where(CatalogEntry.resource_id.in_(chunk))
        ):
            found[entry.resource_id] = entry
    return found


def entries_of_batch(session: Session, batch_id: uuid.UUID) -> list[CatalogEntry]:
    return list(
        session.scalars(
            select(CatalogEntry)
            .where(CatalogEntry.batch_id == batch_id)
            .order_by(CatalogEntry.title)
        )
    )


def entries_by_ids(session: Session, ids: list[uuid.UUID]) -> list[CatalogEntry]:
    if not ids:
        return []
    by_id = {e.id: e for e in session.scalars(select(CatalogEntry).where(CatalogEntry.id.in_(ids)))}
    return [by_id[i] for i in ids if i in by_id]


def resources_by_ids(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, DataResource]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {
        r.id: r for r in session.scalars(select(DataResource).where(DataResource.id.in_(wanted)))
    }


def replace_terms(session: Session, entry_terms: dict[uuid.UUID, set[str]]) -> None:
    """Re-index entries in bulk: one delete and one multi-row insert."""
    if not entry_terms:
        return
    ids = list(entry_terms)
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        session.execute(delete(CatalogTerm).where(CatalogTerm.entry_id.in_(chunk)))
    rows = [{"entry_id": e, "term": t} for e, ts in entry_terms.items() for t in ts]
    # Core executemany: the ORM's per-row bookkeeping costs 10x here and buys nothing.
    connection = session.connection()
    for start in range(0, len(rows), 50000):
        connection.execute(insert(_TERMS), rows[start : start + 50000])


def delete_terms(session: Session, entry_ids: list[uuid.UUID]) -> None:
    if entry_ids:
        session.execute(delete(CatalogTerm).where(CatalogTerm.entry_id.in_(entry_ids)))


def versions(session: Session, entry_id: uuid.UUID) -> list[CatalogEntryVersion]:
    return list(
        session.scalars(
            select(CatalogEntryVersion)
            .where(CatalogEntryVersion.entry_id == entry_id)
            .order_by(CatalogEntryVersion.version.desc())
        )
    )


def published_entries(session: Session) -> list[CatalogEntry]:
    return list(
        session.scalars(
            select(CatalogEntry)
            .where(CatalogEntry.status == "published")
            .order_by(CatalogEntry.title)
        )
    )


def add_versions(session: Session, rows: list[dict[str, Any]]) -> None:
    connection = session.connection()
    for start in range(0, len(rows), 5000):
        connection.execute(insert(_VERSIONS), rows[start : start + 5000])
