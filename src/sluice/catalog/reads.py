"""Assembling what readers see: the public catalog page, an entry and its versions, a
resource. Entries are public once published (a withdrawn one keeps its page and history;
a draft does not exist outside the bureau's batch page)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from sluice.catalog import index, repository, search
from sluice.catalog.models import CatalogEntry, CatalogEntryVersion, DataResource, ResourceField
from sluice.catalog.schemas import (
    BatchRef,
    CatalogPage,
    EntryRead,
    EntryVersionRead,
    FacetCount,
    FieldRead,
    ProviderRef,
    ResourceRead,
)
from sluice.catalog.vocabulary import batch_title, vocabulary_label
from sluice.core.errors import NotFound
from sluice.core.i18n import translate
from sluice.core.paging import ListQuery, Page
from sluice.identity import repository as identity_repository
from sluice.identity.models import Organization

_FACET_VOCABULARY = {"domain": "domain", "open_level": "open_level"}


def _fields(rows: list[ResourceField]) -> list[FieldRead]:
    return [
        FieldRead(name=f.name, title=f.title, type=f.type, field_class=f.field_class, rules=f.rules)
        for f in rows
    ]


def _provider(org: Organization) -> ProviderRef:
    return ProviderRef(id=org.id, code=org.code, name=org.name)


def entries_read(
    session: Session, entries: list[CatalogEntry], *, locale: str, with_fields: bool = False
) -> list[EntryRead]:
    resources = repository.resources_by_ids(session, [e.resource_id for e in entries])
    providers = repository.organizations(session, {e.provider_id for e in entries})
    numbers = repository.batch_numbers(session, {e.batch_id for e in entries})
    fields = repository.fields_of(session, resources) if with_fields else {}
    items = []
    for entry in entries:
        resource = resources[entry.resource_id]
        number = numbers[entry.batch_id]
        items.append(
            EntryRead(
                id=entry.id,
                code=resource.code,
                title=entry.title,
                description=resource.description,
                provider=_provider(providers[entry.provider_id]),
                domain=entry.domain,
                domain_label=vocabulary_label("domain", entry.domain, locale),
                update_frequency=resource.update_frequency,
                open_level=entry.open_level,
                open_level_label=vocabulary_label("open_level", entry.open_level, locale),
                classification=resource.classification,
                grade=resource.grade,
                grade_label=vocabulary_label("grade", resource.grade, locale),
                batch=BatchRef(number=number, title=batch_title(number, locale)),
                version=entry.version,
                published_at=entry.published_at,
                has_data=resource.has_data,
                fields=_fields(fields.get(resource.id, [])) if with_fields else None,
            )
        )
    return items


def _filters(
    session: Session,
    provider: str | None,
    domain: str | None,
    open_level: str | None,
    batch: int | None,
) -> dict[str, Any] | None:
    """Turn query parameters people type (an organization code, a batch number) into ids.

    Returns None when a filter names something that does not exist: nothing can match.
    """
    filters: dict[str, Any] = {"domain": domain or None, "open_level": open_level or None}
    if provider:
        try:
            org = identity_repository.organization(session, uuid.UUID(provider))
        except ValueError:
            org = identity_repository.organization_by_code(session, provider)
        if org is None:
            return None
        filters["provider"] = org.id
    if batch is not None:
        found = repository.batch_by_number(session, batch)
        if found is None:
            return None
        filters["batch"] = found.id
    return filters


def search_catalog(
    session: Session,
    *,
    q: str,
    provider: str | None,
    domain: str | None,
    open_level: str | None,
    batch: int | None,
    page: int,
    page_size: int,
    locale: str,
) -> CatalogPage:
    """Search the published catalog; ``provider`` is an organization code or id."""
    filters = _filters(session, provider, domain, open_level, batch)
    if filters is None:
        return CatalogPage(total=0, page=page, page_size=page_size, items=[], facets={})
    return catalog_page(
        session, q=q, filters=filters, page=page, page_size=page_size, locale=locale
    )


def _public_entry(session: Session, entry_id: uuid.UUID) -> CatalogEntry:
    entry = repository.public_entry(session, entry_id)
    if entry is None:
        raise NotFound("catalog.entry_unknown")
    return entry


def public_entry(session: Session, *, entry_id: uuid.UUID, locale: str) -> EntryRead:
    """An entry as the public reads it, with its fields."""
    entry = _public_entry(session, entry_id)
    return entries_read(session, [entry], locale=locale, with_fields=True)[0]


def entry_versions(session: Session, *, entry_id: uuid.UUID) -> list[EntryVersionRead]:
    """Every public version of an entry, newest first, and which organization made each
    change (the provider changed its resource; the bureau published or withdrew it), never
    the person."""
    entry = _public_entry(session, entry_id)
    return _version_reads(session, entry, repository.versions(session, entry_id))


def entry_versions_page(
    session: Session, *, entry_id: uuid.UUID, query: ListQuery
) -> Page[EntryVersionRead]:
    """One page of an entry's public versions (see ``entry_versions``)."""
    entry = _public_entry(session, entry_id)
    page = repository.version_page(session, entry_id=entry.id, query=query)
    return Page(_version_reads(session, entry, page.items), page.total, page.query)


def _version_reads(
    session: Session, entry: CatalogEntry, rows: Sequence[CatalogEntryVersion]
) -> list[EntryVersionRead]:
    makers: dict[str, str | None] = {}
    versions = []
    for v in rows:
        maker = "updated" if v.change == "updated" else "bureau"
        if maker not in makers:
            makers[maker] = change_organization(session, entry, v.change)
        versions.append(
            EntryVersionRead(
                version=v.version,
                change=v.change,
                at=v.at,
                organization=makers[maker],
                snapshot=v.snapshot,
            )
        )
    return versions


def catalog_page(
    session: Session,
    *,
    q: str,
    filters: dict[str, Any],
    page: int,
    page_size: int,
    locale: str,
) -> CatalogPage:
    terms = search.terms(q)
    phrase = search.normalize(q).strip()
    singles = search.single_characters(q)
    if phrase and not terms and not singles:
        # Only punctuation or single latin letters: nothing can match meaningfully.
        return CatalogPage(total=0, page=page, page_size=page_size, items=[], facets={})
    matches = index.current(session).search(
        terms=terms,
        singles=singles,
        phrase=phrase,
        filters=filters,
        limit=page_size,
        offset=(page - 1) * page_size,
    )
    total, raw = matches.total, matches.facets
    # The page itself is read from the database: never older than the database.
    found = [e for e in repository.entries_by_ids(session, matches.ids) if e.status == "published"]
    items = entries_read(session, found, locale=locale)
    providers = repository.organizations(session, {v for v, _ in raw["provider"]})
    numbers = repository.batch_numbers(session, {v for v, _ in raw["batch"]})
    facets: dict[str, list[FacetCount]] = {
        "provider": [
            FacetCount(value=providers[v].code, label=providers[v].name, count=n)
            for v, n in raw["provider"]
            if v in providers
        ],
        "batch": sorted(
            (
                FacetCount(value=str(numbers[v]), label=batch_title(numbers[v], locale), count=n)
                for v, n in raw["batch"]
                if v in numbers
            ),
            key=lambda f: int(f.value),
        ),
    }
    for name, vocabulary in _FACET_VOCABULARY.items():
        facets[name] = [
            FacetCount(value=v, label=translate(f"vocab.{vocabulary}.{v}", locale), count=n)
            for v, n in raw[name]
        ]
    return CatalogPage(total=total, page=page, page_size=page_size, items=items, facets=facets)


def resource_read(session: Session, resource: DataResource) -> ResourceRead:
    return resources_read(session, [resource])[0]


def resources_read(session: Session, resources: list[DataResource]) -> list[ResourceRead]:
    fields = repository.fields_of(session, [r.id for r in resources])
    providers = repository.organizations(session, {r.provider_id for r in resources})
    return [
        ResourceRead(
            id=r.id,
            code=r.code,
            name=r.name,
            description=r.description,
            provider=_provider(providers[r.provider_id]),
            domain=r.domain,
            update_frequency=r.update_frequency,
            open_level=r.open_level,
            classification=r.classification,
            grade=r.grade,
            origin=r.origin,
            shared_from=r.shared_from,
            sharing_consent_at=r.sharing_consent_at,
            has_data=r.has_data,
            version=r.version,
            created_at=r.created_at,
            updated_at=r.updated_at,
            fields=_fields(fields.get(r.id, [])),
        )
        for r in resources
    ]


def change_organization(session: Session, entry: CatalogEntry, change: str) -> str | None:
    """Which organization made a change to an entry, for the public: the provider changed its
    own resource ("updated"); everything else (publishing, withdrawing) is the catalog's
    compiler, the bureau, the only one allowed to. Never which member of staff."""
    if change == "updated":
        provider = repository.organizations(session, {entry.provider_id}).get(entry.provider_id)
        return provider.name if provider else None
    bureau = repository.bureau(session)
    return bureau.name if bureau else None
