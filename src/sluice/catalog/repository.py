"""Every query of the catalog module.

Who may see a resource is decided here, once (``_visible``): the department that provides
it; every other organization whose role reads resources (the bureau, the data centre) and
the platform itself see them all. Another provider's resource is simply not there. Every
list and get of resources for a principal goes through it. Who may *name* a resource (file
a correction ticket on it) is wider and decided once too (``_nameable``).

``resource`` (by id, unscoped) serves the modules that decide access themselves (the
guard, authorizations) and internal look-ups after such a decision.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final, cast

from sqlalchemy import ColumnElement, Table, delete, func, insert, or_, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import case

from sluice.catalog import search
from sluice.catalog.models import (
    CatalogBatch,
    CatalogEntry,
    CatalogEntryVersion,
    CatalogTerm,
    DataResource,
    ResourceField,
)
from sluice.core.paging import Column, ListQuery, Page, contains, paginate, starts_with
from sluice.core.permissions import OrgKind, Permission
from sluice.core.principal import Principal
from sluice.identity.models import Organization

# The tables themselves, for bulk inserts through Core.
_TERMS = cast(Table, CatalogTerm.__table__)
_VERSIONS = cast(Table, CatalogEntryVersion.__table__)


def _visible(actor: Principal) -> ColumnElement[bool]:
    """The resources the actor may see: a provider its own, everyone else (and the platform)
    all; the permission to read resources at all is the service's to check."""
    if actor.is_system or actor.organization_kind is not OrgKind.PROVIDER:
        return true()
    return DataResource.provider_id == actor.organization_id


def _nameable(actor: Principal) -> list[ColumnElement[bool]]:
    """The resources the actor may name (file a ticket on): all for those who see every
    resource (the bureau, the registry), otherwise those with a published catalog entry
    (what anyone can know of). Another department's unpublished resource does not exist
    for a department (R8.3), so it cannot be named either."""
    if actor.has(Permission.RESOURCES_READ) and actor.organization_kind is not OrgKind.PROVIDER:
        return []
    published = select(CatalogEntry.resource_id).where(CatalogEntry.status == "published")
    return [DataResource.id.in_(published)]


def resource(session: Session, resource_id: uuid.UUID) -> DataResource | None:
    """A resource by id, whoever asks (see the module docstring)."""
    return session.get(DataResource, resource_id)


def visible_resource(
    session: Session, *, actor: Principal, resource_id: uuid.UUID, lock: bool = False
) -> DataResource | None:
    """A resource the actor may see; ``lock`` holds its row until the unit of work ends
    (and reloads it), so changes that depend on it take turns."""
    query = select(DataResource).where(DataResource.id == resource_id, _visible(actor))
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalar(query)


def visible_resources(
    session: Session,
    *,
    actor: Principal,
    unlisted_only: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[tuple[DataResource, int | None]]]:
    """The resources the actor may see, each with the number of the batch listing it (None
    while unlisted), in one query for the rows."""
    conditions: list[ColumnElement[bool]] = [_visible(actor)]
    if unlisted_only:
        conditions.append(DataResource.id.not_in(select(CatalogEntry.resource_id)))
    total = session.scalar(select(func.count()).select_from(DataResource).where(*conditions)) or 0
    rows = session.execute(
        select(DataResource, CatalogBatch.number)
        .outerjoin(CatalogEntry, CatalogEntry.resource_id == DataResource.id)
        .outerjoin(CatalogBatch, CatalogBatch.id == CatalogEntry.batch_id)
        .where(*conditions)
        .order_by(DataResource.provider_id, DataResource.code)
        .limit(limit)
        .offset(offset)
    )
    return total, [(r, number) for r, number in rows]


def nameable_resource(
    session: Session, *, actor: Principal, resource_id: uuid.UUID
) -> DataResource | None:
    """A resource the actor may name; one it cannot know of is not found."""
    query = select(DataResource).where(DataResource.id == resource_id, *_nameable(actor))
    return session.scalar(query)


@dataclass(frozen=True)
class ResourceName:
    """A resource as a picker shows it: its id, code and name, and its provider."""

    id: uuid.UUID
    code: str
    name: str
    provider: Organization


def resource_by_code(session: Session, *, provider_id: uuid.UUID, code: str) -> DataResource | None:
    query = select(DataResource).where(
        DataResource.provider_id == provider_id, DataResource.code == code
    )
    return session.scalar(query)


def resource_code_taken(session: Session, *, provider_id: uuid.UUID, code: str) -> bool:
    query = select(func.count()).where(
        DataResource.provider_id == provider_id, DataResource.code == code
    )
    return (session.scalar(query) or 0) > 0


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


def public_entry(session: Session, entry_id: uuid.UUID) -> CatalogEntry | None:
    """An entry the public may read: published, or withdrawn with its history (never a
    draft, which nobody outside the bureau has seen)."""
    query = select(CatalogEntry).where(CatalogEntry.id == entry_id, CatalogEntry.status != "draft")
    return session.scalar(query)


def batch_by_number(session: Session, number: int) -> CatalogBatch | None:
    return session.scalar(select(CatalogBatch).where(CatalogBatch.number == number))


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


def published_count(session: Session) -> int:
    query = select(func.count()).where(CatalogEntry.status == "published")
    return session.scalar(query) or 0


def published_slice(session: Session, *, offset: int, limit: int) -> list[CatalogEntry]:
    """One page of the published catalog in a fixed order (by id), so a harvester walking
    the pages of an unchanged catalog meets every entry once."""
    query = (
        select(CatalogEntry)
        .where(CatalogEntry.status == "published")
        .order_by(CatalogEntry.id)
        .offset(offset)
        .limit(limit)
    )
    return list(session.scalars(query))


def catalog_changed_at(session: Session) -> datetime | None:
    """When an entry was last published, changed or withdrawn (every such change adds a
    version row)."""
    return session.scalar(select(func.max(CatalogEntryVersion.at)))


def entry_changed_at(session: Session, entry_id: uuid.UUID) -> datetime | None:
    query = select(func.max(CatalogEntryVersion.at)).where(CatalogEntryVersion.entry_id == entry_id)
    return session.scalar(query)


def add_versions(session: Session, rows: list[dict[str, Any]]) -> None:
    connection = session.connection()
    for start in range(0, len(rows), 5000):
        connection.execute(insert(_VERSIONS), rows[start : start + 5000])


# --- the console's lists and pickers ---------------------------------------------------------


@dataclass(frozen=True)
class ResourceRow:
    """A row of the resources list: the resource, its provider and the number of the batch
    listing it (None while unlisted)."""

    resource: DataResource
    provider: Organization
    batch_number: int | None


#: The resources list's sortable columns, by the name the address uses.
RESOURCE_SORTS: Final = {
    "title": DataResource.name,
    "code": DataResource.code,
    "provider": Organization.name,
    "grade": DataResource.grade,
    "updated": DataResource.updated_at,
    "created": DataResource.created_at,
}
_YES_NO: Final = {"yes": True, "no": False}


def resource_page(
    session: Session, *, actor: Principal, query: ListQuery, candidates: bool = False
) -> Page[ResourceRow]:
    """One page of the resources the actor may see, filtered, searched and sorted.

    Filters: ``provider`` (an organization code), ``grade``, ``listed`` (yes: in a catalog
    batch) and ``data`` (yes: data on the platform); an unknown value filters nothing.
    ``candidates`` keeps only what may still be listed: unlisted and not closed.
    """
    statement = (
        select(DataResource)
        .join(Organization, Organization.id == DataResource.provider_id)
        .outerjoin(CatalogEntry, CatalogEntry.resource_id == DataResource.id)
        .where(_visible(actor))
    )
    if candidates:
        statement = statement.where(CatalogEntry.id.is_(None), DataResource.open_level != "closed")
    if provider := query.filter("provider"):
        statement = statement.where(Organization.code == provider)
    if grade := query.filter("grade"):
        statement = statement.where(DataResource.grade == grade)
    listed = _YES_NO.get(query.filter("listed") or "")
    if listed is not None:
        statement = statement.where(
            CatalogEntry.id.is_not(None) if listed else CatalogEntry.id.is_(None)
        )
    has_data = _YES_NO.get(query.filter("data") or "")
    if has_data is not None:
        statement = statement.where(DataResource.has_data.is_(has_data))
    if query.q:
        statement = statement.where(
            contains(query.q, DataResource.name, DataResource.code, DataResource.description)
        )
    page = paginate(
        session,
        statement,
        query,
        sorts=RESOURCE_SORTS,
        default="-updated",
        tiebreak=DataResource.id,
    )
    # The page's providers and batch numbers: two small reads for at most one page.
    resources: list[DataResource] = list(page.items)
    providers = organizations(session, {r.provider_id for r in resources})
    numbers = dict(
        session.execute(
            select(CatalogEntry.resource_id, CatalogBatch.number)
            .join(CatalogBatch, CatalogBatch.id == CatalogEntry.batch_id)
            .where(CatalogEntry.resource_id.in_([r.id for r in resources]))
        ).all()
    )
    rows = [ResourceRow(r, providers[r.provider_id], numbers.get(r.id)) for r in resources]
    return replace(page, items=rows)


def resource_providers(session: Session, *, actor: Principal) -> list[Organization]:
    """The organizations providing resources the actor may see, by code (a filter's options)."""
    providing = select(DataResource.provider_id).where(_visible(actor)).distinct()
    return list(
        session.scalars(
            select(Organization).where(Organization.id.in_(providing)).order_by(Organization.code)
        )
    )


def _prefix(text: str, column: Column) -> ColumnElement[bool]:
    return starts_with(text, column)


def _picked(text: str, *columns: Column) -> ColumnElement[bool]:
    """Any column holds the text, or the text with a synonym in another form (社保 reads
    as 社会保险 too, as catalog search reads it)."""
    return or_(*(contains(t, *columns) for t in (text, *sorted(search.variants(text)))))


def _relevance(text: str, title: Column, code: Column) -> Any:
    """How well a title and code answer a picker's text, best first: 0 the text itself,
    1 starts with it, 2 is or starts with a synonym's form of it, 3 holds it, else 4."""
    lowered = text.lower()
    forms = sorted(search.variants(text))
    return case(
        (func.lower(title) == lowered, 0),
        (func.lower(code) == lowered, 0),
        (_prefix(text, title), 1),
        (_prefix(text, code), 1),
        *((_prefix(form, title), 2) for form in forms),
        (contains(text, title), 3),
        else_=4,
    )


def pick_resources(
    session: Session, *, actor: Principal, q: str, limit: int, to_name: bool = False
) -> tuple[int, list[ResourceName]]:
    """The resources the actor may see whose title, code or provider holds ``q``: how many,
    and the first ``limit`` (a title or code that is or starts with ``q`` first).

    ``to_name``: instead, those the actor may name (``_nameable``: file a ticket on), less
    its own organization's, which it corrects directly.
    """
    conditions: list[ColumnElement[bool]] = [_visible(actor)]
    if to_name:
        conditions = list(_nameable(actor))
        if actor.organization_id is not None:
            conditions.append(DataResource.provider_id != actor.organization_id)
    if q:
        conditions.append(
            _picked(q, DataResource.name, DataResource.code, Organization.name, Organization.code)
        )
    base = (
        select(DataResource.id, DataResource.code, DataResource.name, Organization)
        .join(Organization, Organization.id == DataResource.provider_id)
        .where(*conditions)
    )
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    order: list[Any] = [_relevance(q, DataResource.name, DataResource.code)] if q else []
    rows = session.execute(
        base.order_by(
            *order, DataResource.has_data.desc(), Organization.code, DataResource.code
        ).limit(limit)
    )
    return total, [ResourceName(*row) for row in rows]


@dataclass(frozen=True)
class EntryName:
    """A published entry as a picker shows it: its id, title, resource code and provider."""

    id: uuid.UUID
    code: str
    title: str
    provider: Organization


def pick_entries(session: Session, *, q: str, limit: int) -> tuple[int, list[EntryName]]:
    """The published entries whose title, resource code or provider holds ``q``: how many,
    and the first ``limit`` (a title or code that is or starts with ``q`` first, then those
    with data on the platform)."""
    conditions: list[ColumnElement[bool]] = [CatalogEntry.status == "published"]
    if q:
        conditions.append(
            _picked(q, CatalogEntry.title, DataResource.code, Organization.name, Organization.code)
        )
    base = (
        select(CatalogEntry.id, DataResource.code, CatalogEntry.title, Organization)
        .join(DataResource, DataResource.id == CatalogEntry.resource_id)
        .join(Organization, Organization.id == CatalogEntry.provider_id)
        .where(*conditions)
    )
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    order: list[Any] = [_relevance(q, CatalogEntry.title, DataResource.code)] if q else []
    rows = session.execute(
        base.order_by(
            *order,
            DataResource.has_data.desc(),
            func.length(CatalogEntry.title),
            Organization.code,
            DataResource.code,
        ).limit(limit)
    )
    return total, [EntryName(*row) for row in rows]


#: The batches list's sortable columns.
BATCH_SORTS: Final = {
    "number": CatalogBatch.number,
    "title": CatalogBatch.title,
    "status": CatalogBatch.status,
    "created": CatalogBatch.created_at,
}


def batch_page(session: Session, query: ListQuery) -> Page[tuple[CatalogBatch, int]]:
    """One page of the batches, each with the number of entries it lists; ``status``
    filters, the search text looks in titles."""
    statement = select(CatalogBatch)
    if status := query.filter("status"):
        statement = statement.where(CatalogBatch.status == status)
    if query.q:
        statement = statement.where(contains(query.q, CatalogBatch.title))
    page = paginate(
        session,
        statement,
        query,
        sorts=BATCH_SORTS,
        default="-number",
        tiebreak=CatalogBatch.id,
    )
    batches: list[CatalogBatch] = list(page.items)
    counted = session.execute(
        select(CatalogEntry.batch_id, func.count())
        .where(CatalogEntry.batch_id.in_([b.id for b in batches]))
        .group_by(CatalogEntry.batch_id)
    )
    counts = {batch_id: int(n) for batch_id, n in counted}
    return replace(page, items=[(b, counts.get(b.id, 0)) for b in batches])


@dataclass(frozen=True)
class EntryRow:
    """A row of a batch's entries: the entry, its resource's code and its provider."""

    entry: CatalogEntry
    code: str
    provider: Organization


#: A batch's entries list's sortable columns.
ENTRY_SORTS: Final = {
    "title": CatalogEntry.title,
    "code": DataResource.code,
    "provider": Organization.name,
    "status": CatalogEntry.status,
}


def entry_page(session: Session, *, batch_id: uuid.UUID, query: ListQuery) -> Page[EntryRow]:
    """One page of a batch's entries; ``status`` and ``provider`` (a code) filter, the
    search text looks in titles and resource codes."""
    statement = (
        select(CatalogEntry)
        .join(DataResource, DataResource.id == CatalogEntry.resource_id)
        .join(Organization, Organization.id == CatalogEntry.provider_id)
        .where(CatalogEntry.batch_id == batch_id)
    )
    if status := query.filter("status"):
        statement = statement.where(CatalogEntry.status == status)
    if provider := query.filter("provider"):
        statement = statement.where(Organization.code == provider)
    if query.q:
        statement = statement.where(contains(query.q, CatalogEntry.title, DataResource.code))
    page = paginate(
        session,
        statement,
        query,
        sorts=ENTRY_SORTS,
        default="title",
        tiebreak=CatalogEntry.id,
    )
    entries: list[CatalogEntry] = list(page.items)
    providers = organizations(session, {e.provider_id for e in entries})
    codes = dict(
        session.execute(
            select(DataResource.id, DataResource.code).where(
                DataResource.id.in_([e.resource_id for e in entries])
            )
        ).all()
    )
    rows = [EntryRow(e, codes[e.resource_id], providers[e.provider_id]) for e in entries]
    return replace(page, items=rows)


def version_page(
    session: Session, *, entry_id: uuid.UUID, query: ListQuery
) -> Page[CatalogEntryVersion]:
    """One page of an entry's versions, newest first unless asked otherwise."""
    statement = select(CatalogEntryVersion).where(CatalogEntryVersion.entry_id == entry_id)
    return paginate(
        session,
        statement,
        query,
        sorts={"version": CatalogEntryVersion.version},
        default="-version",
        tiebreak=CatalogEntryVersion.id,
    )


# --- the search index's sources (catalog/index.py) -----------------------------------------


def catalog_state(session: Session) -> int:
    """A number that changes whenever a catalog entry changed: version rows are only ever
    added, so their count identifies the catalog's state (an aggregate over any column
    would cost a full scan, 10 ms at 10,000 entries)."""
    return session.scalar(select(func.count()).select_from(CatalogEntryVersion)) or 0


@dataclass(frozen=True)
class IndexSource:
    """What search reads of a published entry: the texts it ranks and the facet values."""

    id: uuid.UUID
    title: str
    description: str
    provider_id: uuid.UUID
    provider_name: str
    provider_code: str
    domain: str
    open_level: str
    batch_id: uuid.UUID
    has_data: bool
    published_at: datetime | None


def published_for_index(session: Session) -> list[IndexSource]:
    """Every published entry with its resource's description and its provider, by id."""
    rows = session.execute(
        select(
            CatalogEntry.id,
            CatalogEntry.title,
            DataResource.description,
            CatalogEntry.provider_id,
            Organization.name,
            Organization.code,
            CatalogEntry.domain,
            CatalogEntry.open_level,
            CatalogEntry.batch_id,
            DataResource.has_data,
            CatalogEntry.published_at,
        )
        .join(DataResource, DataResource.id == CatalogEntry.resource_id)
        .join(Organization, Organization.id == CatalogEntry.provider_id)
        .where(CatalogEntry.status == "published")
        .order_by(CatalogEntry.id)
    )
    return [IndexSource(*row) for row in rows]


def field_texts_for_index(session: Session) -> dict[uuid.UUID, str]:
    """Each published entry's field names and titles, as one text in field order."""
    rows = session.execute(
        select(CatalogEntry.id, ResourceField.name, ResourceField.title)
        .join(ResourceField, ResourceField.resource_id == CatalogEntry.resource_id)
        .where(CatalogEntry.status == "published")
        .order_by(CatalogEntry.id, ResourceField.position)
    )
    texts: dict[uuid.UUID, list[str]] = defaultdict(list)
    for entry_id, name, title in rows:
        texts[entry_id].append(f"{name} {title}")
    return {entry_id: " ".join(parts) for entry_id, parts in texts.items()}


def published_domains(session: Session, provider_id: uuid.UUID) -> list[tuple[str, int]]:
    """How many published entries a provider has in each domain, most first."""
    rows = session.execute(
        select(CatalogEntry.domain, func.count())
        .where(CatalogEntry.provider_id == provider_id, CatalogEntry.status == "published")
        .group_by(CatalogEntry.domain)
        .order_by(func.count().desc(), CatalogEntry.domain)
    )
    return [(str(domain), int(count)) for domain, count in rows]
