"""REST routes of the catalog: the public catalog, providers' resources, the bureau's batches."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from sluice.approvals import states as approval_states
from sluice.approvals.schemas import ApprovalRead, approval_read
from sluice.catalog import dcat, dcat_http, reads, service
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
from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.web.deps import AppClock, AppSettings, DbSession, Locale, Public, Requires
from sluice.web.params import Limit, Offset, VersionNumber

router = APIRouter(tags=["catalog"])
Anyone = Depends(Public())
ResourceManager = Annotated[Principal, Depends(Requires(P.RESOURCES_MANAGE))]
ResourceReader = Annotated[Principal, Depends(Requires(P.RESOURCES_READ))]
Compiler = Annotated[Principal, Depends(Requires(P.CATALOG_COMPILE))]


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
    return reads.search_catalog(
        session,
        q=q,
        provider=provider,
        domain=domain,
        open_level=open_level,
        batch=batch,
        page=page,
        page_size=page_size,
        locale=locale,
    )


@router.get("/api/v1/catalog/entries/{entry_id}", dependencies=[Anyone])
def get_entry(entry_id: uuid.UUID, session: DbSession, locale: Locale) -> EntryRead:
    return reads.public_entry(session, entry_id=entry_id, locale=locale)


@router.get("/api/v1/catalog/entries/{entry_id}/versions", dependencies=[Anyone])
def entry_versions(entry_id: uuid.UUID, session: DbSession) -> list[EntryVersionRead]:
    """Every public version of an entry, and which organization made each change (the
    provider changed its resource; the bureau published or withdrew it), never the person."""
    return reads.entry_versions(session, entry_id=entry_id)


#: A page of the DCAT catalog (``dcat.PAGE_SIZE`` entries); the first without ``page``.
DcatPage = Annotated[int, Query(ge=1, le=10000)]


def catalog_rdf(
    request: Request, session: DbSession, base_url: str, page: int, extension: str
) -> Response:
    """One page of the catalog in one format (docs/dcat.md); the Hydra links stay in it."""
    document = dcat.catalog_page(
        session, base_url=base_url, page=page, view_path=f"/catalog.{extension}"
    )
    return dcat_http.rdf_response(request, document, extension, negotiated=False)


@router.get("/catalog.jsonld", dependencies=[Anyone], response_class=Response)
def catalog_jsonld(
    request: Request, session: DbSession, settings: AppSettings, page: DcatPage = 1
) -> Response:
    """The published catalog as DCAT-AP 3 JSON-LD, a page at a time (Hydra paging)."""
    return catalog_rdf(request, session, settings.base_url, page, "jsonld")


@router.get("/catalog.ttl", dependencies=[Anyone], response_class=Response)
def catalog_turtle(
    request: Request, session: DbSession, settings: AppSettings, page: DcatPage = 1
) -> Response:
    """The published catalog as DCAT-AP 3 Turtle, a page at a time (Hydra paging)."""
    return catalog_rdf(request, session, settings.base_url, page, "ttl")


@router.get("/catalog.rdf", dependencies=[Anyone], response_class=Response)
def catalog_rdfxml(
    request: Request, session: DbSession, settings: AppSettings, page: DcatPage = 1
) -> Response:
    """The published catalog as DCAT-AP 3 RDF/XML, a page at a time (Hydra paging)."""
    return catalog_rdf(request, session, settings.base_url, page, "rdf")


# --- resources ----------------------------------------------------------------------------


@router.get("/api/v1/resources")
def list_resources(
    actor: ResourceReader,
    session: DbSession,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Providers see their own resources; the bureau and the data centre see all."""
    total, rows = service.list_resources(session, actor=actor, limit=limit, offset=offset)
    return {"total": total, "items": reads.resources_read(session, [r for r, _ in rows])}


@router.post("/api/v1/resources", status_code=201)
def register_resource(
    body: ResourceCreate, actor: ResourceManager, session: DbSession, clock: AppClock
) -> ResourceRead:
    resource = service.register_resource(session, actor=actor, clock=clock, data=body)
    return reads.resource_read(session, resource)


@router.get("/api/v1/resources/{resource_id}")
def get_resource(resource_id: uuid.UUID, actor: ResourceReader, session: DbSession) -> ResourceRead:
    resource = service.get_resource(session, actor=actor, resource_id=resource_id)
    return reads.resource_read(session, resource)


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


def _batch_read(session: DbSession, actor: Principal, batch_id: uuid.UUID) -> BatchRead:
    for batch, count in service.list_batches(session, actor=actor):
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
def list_batches(actor: Compiler, session: DbSession, locale: Locale) -> list[BatchRead]:
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
        for b, n in service.list_batches(session, actor=actor)
    ]


@router.post("/api/v1/catalog/batches", status_code=201)
def create_batch(
    body: BatchCreate, actor: Compiler, session: DbSession, clock: AppClock
) -> BatchRead:
    batch = service.create_batch(session, actor=actor, clock=clock, data=body)
    return _batch_read(session, actor, batch.id)


@router.post("/api/v1/catalog/batches/{batch_id}/entries")
def add_entries(
    batch_id: uuid.UUID, body: BatchEntries, actor: Compiler, session: DbSession, clock: AppClock
) -> BatchRead:
    service.add_to_batch(
        session, actor=actor, clock=clock, batch_id=batch_id, resource_ids=body.resource_ids
    )
    return _batch_read(session, actor, batch_id)


@router.post("/api/v1/catalog/batches/{batch_id}/publish")
def publish_batch(
    batch_id: uuid.UUID, actor: Compiler, session: DbSession, clock: AppClock
) -> BatchRead:
    service.publish_batch(session, actor=actor, clock=clock, batch_id=batch_id)
    return _batch_read(session, actor, batch_id)


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
