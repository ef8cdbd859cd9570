"""REST routes of the catalog: the public catalog, providers' resources, the bureau's batches."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response

from sluice.approvals import states as approval_states
from sluice.approvals.schemas import ApprovalRead, approval_read
from sluice.catalog import dcat, reads, repository, service
from sluice.catalog.schemas import (
    BatchCreate,
    BatchEntries,
    BatchRead,
    BatchWithdraw,
    CatalogPage,
    EntryRead,
    EntryVersionRead,
    ResourceCreate,
    ResourceRead,
    ResourceUpdate,
    SharingConsent,
)
from sluice.catalog.vocabulary import batch_title
from sluice.core.errors import NotFound
from sluice.core.permissions import OrgKind
from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.identity import repository as identity_repository
from sluice.web.deps import AppClock, AppSettings, DbSession, Locale, Public, Requires
from sluice.web.params import Limit, Offset, VersionNumber

router = APIRouter(tags=["catalog"])
Anyone = Depends(Public())
ResourceManager = Annotated[Principal, Depends(Requires(P.RESOURCES_MANAGE))]
ResourceReader = Annotated[Principal, Depends(Requires(P.RESOURCES_READ))]
Compiler = Annotated[Principal, Depends(Requires(P.CATALOG_COMPILE))]


def catalog_filters(
    session: DbSession,
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
        found = [b for b, _ in repository.batches(session) if b.number == batch]
        if not found:
            return None
        filters["batch"] = found[0].id
    return filters


@router.get("/api/v1/catalog", dependencies=[Anyone])
def search_catalog(
    session: DbSession,
    locale: Locale,
    q: Annotated[str, Query(max_length=100)] = "",
    provider: str | None = None,
    domain: str | None = None,
    open_level: str | None = None,
    batch: VersionNumber = None,
    page: Annotated[int, Query(ge=1, le=10000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> CatalogPage:
    """Search the published catalog (public). `provider` is an organization code or id."""
    filters = catalog_filters(session, provider, domain, open_level, batch)
    if filters is None:
        return CatalogPage(total=0, page=page, page_size=page_size, items=[], facets={})
    return reads.catalog_page(
        session, q=q, filters=filters, page=page, page_size=page_size, locale=locale
    )


def _visible_entry(session: DbSession, entry_id: uuid.UUID) -> Any:
    entry = repository.entry(session, entry_id)
    if entry is None or entry.status == "draft":
        raise NotFound("catalog.entry_unknown")
    return entry


@router.get("/api/v1/catalog/entries/{entry_id}", dependencies=[Anyone])
def get_entry(entry_id: uuid.UUID, session: DbSession, locale: Locale) -> EntryRead:
    entry = _visible_entry(session, entry_id)
    return reads.entries_read(session, [entry], locale=locale, with_fields=True)[0]


@router.get("/api/v1/catalog/entries/{entry_id}/versions", dependencies=[Anyone])
def entry_versions(entry_id: uuid.UUID, session: DbSession) -> list[EntryVersionRead]:
    """Every public version of an entry, and which organization made each change (the
    provider changed its resource; the bureau published or withdrew it), never the person."""
    entry = _visible_entry(session, entry_id)
    return [
        EntryVersionRead(
            version=v.version,
            change=v.change,
            at=v.at,
            organization=reads.change_organization(session, entry, v.change),
            snapshot=v.snapshot,
        )
        for v in repository.versions(session, entry_id)
    ]


@router.get("/catalog.jsonld", dependencies=[Anyone], response_class=JSONResponse)
def catalog_jsonld(session: DbSession, settings: AppSettings) -> JSONResponse:
    """The published catalog as DCAT 3 JSON-LD."""
    document = dcat.catalog_document(session, base_url=settings.base_url)
    return JSONResponse(document, media_type="application/ld+json")


# --- resources ----------------------------------------------------------------------------


@router.get("/api/v1/resources")
def list_resources(
    actor: ResourceReader,
    session: DbSession,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Providers see their own resources; the bureau and the data centre see all."""
    own = actor.organization_id if actor.organization_kind is OrgKind.PROVIDER else None
    total, rows = repository.resources(session, provider_id=own, limit=limit, offset=offset)
    return {"total": total, "items": reads.resources_read(session, rows)}


@router.post("/api/v1/resources", status_code=201)
def register_resource(
    body: ResourceCreate, actor: ResourceManager, session: DbSession, clock: AppClock
) -> ResourceRead:
    resource = service.register_resource(session, actor=actor, clock=clock, data=body)
    return reads.resource_read(session, resource)


def _readable_resource(session: DbSession, actor: Principal, resource_id: uuid.UUID) -> Any:
    resource = repository.resource(session, resource_id)
    hidden = actor.organization_kind is OrgKind.PROVIDER and (
        resource is not None and resource.provider_id != actor.organization_id
    )
    if resource is None or hidden:
        raise NotFound("catalog.resource_unknown")
    return resource


@router.get("/api/v1/resources/{resource_id}")
def get_resource(resource_id: uuid.UUID, actor: ResourceReader, session: DbSession) -> ResourceRead:
    return reads.resource_read(session, _readable_resource(session, actor, resource_id))


@router.patch("/api/v1/resources/{resource_id}")
def update_resource(
    resource_id: uuid.UUID,
    body: ResourceUpdate,
    actor: ResourceManager,
    session: DbSession,
    clock: AppClock,
) -> ResourceRead:
    resource = service.update_resource(
        session, actor=actor, clock=clock, resource_id=resource_id, data=body
    )
    return reads.resource_read(session, resource)


@router.post("/api/v1/resources/{resource_id}/sharing-consent")
def record_sharing_consent(
    resource_id: uuid.UUID,
    body: SharingConsent,
    actor: ResourceManager,
    session: DbSession,
    clock: AppClock,
) -> ResourceRead:
    resource = service.record_sharing_consent(
        session, actor=actor, clock=clock, resource_id=resource_id, evidence=body.evidence
    )
    return reads.resource_read(session, resource)


# --- batches ------------------------------------------------------------------------------


def _batch_read(session: DbSession, batch_id: uuid.UUID) -> BatchRead:
    for batch, count in repository.batches(session):
        if batch.id == batch_id:
            return BatchRead(
                id=batch.id,
                number=batch.number,
                title=batch.title,
                status=batch.status,
                entries=count,
                created_at=batch.created_at,
                published_at=batch.published_at,
                withdrawn_at=batch.withdrawn_at,
            )
    raise NotFound("catalog.batch_unknown")


@router.get("/api/v1/catalog/batches")
def list_batches(_: Compiler, session: DbSession, locale: Locale) -> list[BatchRead]:
    return [
        BatchRead(
            id=b.id,
            number=b.number,
            title=b.title or batch_title(b.number, locale),
            status=b.status,
            entries=n,
            created_at=b.created_at,
            published_at=b.published_at,
            withdrawn_at=b.withdrawn_at,
        )
        for b, n in repository.batches(session)
    ]


@router.post("/api/v1/catalog/batches", status_code=201)
def create_batch(
    body: BatchCreate, actor: Compiler, session: DbSession, clock: AppClock
) -> BatchRead:
    batch = service.create_batch(session, actor=actor, clock=clock, data=body)
    return _batch_read(session, batch.id)


@router.post("/api/v1/catalog/batches/{batch_id}/entries")
def add_entries(
    batch_id: uuid.UUID, body: BatchEntries, actor: Compiler, session: DbSession, clock: AppClock
) -> BatchRead:
    service.add_to_batch(
        session, actor=actor, clock=clock, batch_id=batch_id, resource_ids=body.resource_ids
    )
    return _batch_read(session, batch_id)


@router.post("/api/v1/catalog/batches/{batch_id}/publish")
def publish_batch(
    batch_id: uuid.UUID, actor: Compiler, session: DbSession, clock: AppClock
) -> BatchRead:
    service.publish_batch(session, actor=actor, clock=clock, batch_id=batch_id)
    return _batch_read(session, batch_id)


@router.post("/api/v1/catalog/batches/{batch_id}/withdraw", status_code=202)
def withdraw_batch(
    batch_id: uuid.UUID,
    body: BatchWithdraw,
    response: Response,
    actor: Compiler,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> ApprovalRead:
    """Ask to withdraw a whole published batch (irreversible in bulk): carried out when
    another bureau user approves it (``POST /api/v1/approvals/{id}/approve``)."""
    request = service.withdraw_batch(
        session,
        actor=actor,
        clock=clock,
        settings=settings,
        batch_id=batch_id,
        reason=body.reason,
        decision_id=body.decision_id,
    )
    response.status_code = 200 if request.status == approval_states.APPROVED else 202
    return approval_read(request, locale)


@router.post("/api/v1/catalog/entries/{entry_id}/withdraw")
def withdraw_entry(
    entry_id: uuid.UUID, actor: Compiler, session: DbSession, clock: AppClock, locale: Locale
) -> EntryRead:
    entry = service.change_entry(
        session, actor=actor, clock=clock, entry_id=entry_id, transition="withdraw"
    )
    return reads.entries_read(session, [entry], locale=locale)[0]


@router.post("/api/v1/catalog/entries/{entry_id}/republish")
def republish_entry(
    entry_id: uuid.UUID, actor: Compiler, session: DbSession, clock: AppClock, locale: Locale
) -> EntryRead:
    entry = service.change_entry(
        session, actor=actor, clock=clock, entry_id=entry_id, transition="republish"
    )
    return reads.entries_read(session, [entry], locale=locale)[0]
