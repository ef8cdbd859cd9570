"""Rules of the catalog: providers register resources, the bureau compiles and publishes.

Keyword-only functions, no HTTP, no commit. Every change is audited; every change to a
listed entry writes a new version row with a snapshot of what the public saw.

Withdrawing a whole published batch takes every one of its entries out of the catalog (and
out of every agreement's usable scope) at once, so it needs four eyes (N1, DESIGN §7):
``withdraw_batch`` files a request that another bureau user approves (``sluice.approvals``).
A provider's resource another provider asks about does not exist for them (404).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, cast

from sqlalchemy.orm import Session

from sluice.approvals import registry as approvals_registry
from sluice.approvals import service as approvals
from sluice.approvals.models import ApprovalRequest
from sluice.approvals.registry import Act, Carry, Subject
from sluice.audit import service as audit
from sluice.catalog import repository, search
from sluice.catalog.models import CatalogBatch, CatalogEntry, DataResource, ResourceField
from sluice.catalog.schemas import BatchCreate, ResourceCreate, ResourceUpdate
from sluice.catalog.states import BATCH, ENTRY
from sluice.catalog.vocabulary import batch_title
from sluice.core.clock import Clock, FixedClock
from sluice.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from sluice.core.i18n import MessageRef, add_messages
from sluice.core.paging import ListQuery, Page
from sluice.core.permissions import OrgKind, Permission
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.dataplane.column_rules import field_rule
from sluice.dataplane.schema import DatasetSchema, FieldClass, SchemaError
from sluice.identity import repository as identity_repository
from sluice.identity.models import Organization

audit.declare_actions(
    {
        "catalog.resource.registered": ("登记数据资源", "Data resource registered"),
        "catalog.resource.updated": ("变更数据资源", "Data resource changed"),
        "catalog.resource.sharing_consent": ("记录共享单位同意", "Sharing unit's consent recorded"),
        "catalog.batch.created": ("新建目录批次", "Catalog batch created"),
        "catalog.batch.entries_added": ("编入目录批次", "Resources added to a batch"),
    }
)
add_messages(
    {
        "catalog.resource_code_taken": (
            "本部门已登记代码为“{code}”的数据资源。",
            "Your department already registered a resource with code '{code}'.",
        ),
        "catalog.resource_unknown": ("数据资源不存在。", "The data resource does not exist."),
        "catalog.not_a_provider": (
            "只有数据提供部门可以登记数据资源。",
            "Only provider departments register data resources.",
        ),
        "catalog.not_shared": (
            "该资源为本部门履职采集，无需共享单位同意。",
            "This resource was collected in the department's own duties; no consent is needed.",
        ),
        "catalog.batch_unknown": ("目录批次不存在。", "The catalog batch does not exist."),
        "catalog.batch_not_draft": (
            "{batch}已{state}，不能再编入资源。",
            "{batch} is {state}; resources can no longer be added.",
        ),
        "catalog.closed_not_listable": (
            "“{name}”为不予开放数据，不能编入可授权资源目录。",
            "'{name}' is not open data and cannot enter the authorizable catalog.",
        ),
        "catalog.already_listed": (
            "“{name}”已编入目录（第{number}批）。",
            "'{name}' is already listed (batch {number}).",
        ),
        "catalog.listed_cannot_close": (
            "“{name}”已在目录中发布，须先由数据局撤回后才能改为不予开放。",
            "'{name}' is published in the catalog; the bureau must withdraw it before it can "
            "be marked not open.",
        ),
        "catalog.entry_unknown": ("目录条目不存在。", "The catalog entry does not exist."),
        "catalog.bad_fields": ("数据项定义有误：{problem}", "The fields are not valid: {problem}"),
    }
)


def _own_provider(actor: Principal) -> uuid.UUID:
    if actor.organization_kind is not OrgKind.PROVIDER or actor.organization_id is None:
        raise PermissionDenied("catalog.not_a_provider")
    return actor.organization_id


def register_resource(
    session: Session, *, actor: Principal, clock: Clock, data: ResourceCreate
) -> DataResource:
    actor.require(Permission.RESOURCES_MANAGE)
    provider_id = _own_provider(actor)
    if repository.resource_code_taken(session, provider_id=provider_id, code=data.code):
        raise Conflict("catalog.resource_code_taken", code=data.code)
    if data.fields:
        # The data plane must be able to check and store what the catalog declares.
        document = {"fields": [f.model_dump(by_alias=True, exclude_none=True) for f in data.fields]}
        try:
            DatasetSchema.from_json(document)
        except SchemaError as error:
            raise InvalidInput("catalog.bad_fields", problem=str(error)) from error
        for spec in data.fields:
            # A provider may tighten what a sandbox query may do with a field, never loosen
            # it (R8.2): refused here, with the field named, rather than ignored at query time.
            field_rule(
                cast(FieldClass, spec.field_class),
                spec.rules().get("column_rule"),
                field=spec.name,
            )
    return create_resource_row(
        session, actor=actor, clock=clock, provider_id=provider_id, data=data
    )


def create_resource_row(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    provider_id: uuid.UUID,
    data: ResourceCreate,
    has_data: bool = False,
) -> DataResource:
    """Insert a resource and its fields (the demo seeds through here as the system)."""
    now = clock.now()
    resource = DataResource(
        id=uuid.uuid4(),  # set here so no flush is needed before the fields refer to it
        provider_id=provider_id,
        code=data.code,
        name=data.name.strip(),
        description=data.description.strip(),
        domain=data.domain,
        update_frequency=data.update_frequency,
        open_level=data.open_level,
        classification=data.classification,
        grade=data.grade,
        origin=data.origin,
        shared_from=data.shared_from,
        has_data=has_data,
        version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(resource)
    for position, spec in enumerate(data.fields):
        session.add(
            ResourceField(
                resource_id=resource.id,
                position=position,
                name=spec.name,
                title=spec.title,
                type=spec.type,
                field_class=spec.field_class,
                rules=spec.rules(),
            )
        )
    audit.record(
        session,
        actor=actor,
        action="catalog.resource.registered",
        target_type="data_resource",
        target_id=resource.id,
        at=now,
        detail={"code": resource.code, "name": resource.name, "fields": len(data.fields)},
    )
    return resource


# --- reading resources ----------------------------------------------------------------


def list_resources(
    session: Session,
    *,
    actor: Principal,
    unlisted_only: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[tuple[DataResource, int | None]]]:
    """The resources the actor may see (a provider its own, the bureau's side all), each
    with the number of the batch listing it (None while unlisted)."""
    actor.require(Permission.RESOURCES_READ)
    return repository.visible_resources(
        session, actor=actor, unlisted_only=unlisted_only, limit=limit, offset=offset
    )


def resource_page(
    session: Session, *, actor: Principal, query: ListQuery
) -> Page[repository.ResourceRow]:
    """One page of the resources the actor may see (a provider its own, the bureau's side
    all), filtered, searched and sorted as ``query`` asks (``repository.resource_page``)."""
    actor.require(Permission.RESOURCES_READ)
    return repository.resource_page(session, actor=actor, query=query)


def resource_providers(session: Session, *, actor: Principal) -> list[Organization]:
    """The providers of the resources the actor may see (one, for a provider)."""
    actor.require(Permission.RESOURCES_READ)
    return repository.resource_providers(session, actor=actor)


def pick_resources(
    session: Session, *, actor: Principal, q: str, limit: int
) -> tuple[int, list[repository.ResourceName]]:
    """The first resources the actor may see matching ``q`` (title, code or provider)."""
    actor.require(Permission.RESOURCES_READ)
    return repository.pick_resources(session, actor=actor, q=q, limit=limit)


def pick_entries(session: Session, *, q: str, limit: int) -> tuple[int, list[repository.EntryName]]:
    """The first published catalog entries matching ``q`` (title, code or provider): what
    anyone may read on the public catalog, so no permission beyond the console's."""
    return repository.pick_entries(session, q=q, limit=limit)


def get_resource(session: Session, *, actor: Principal, resource_id: uuid.UUID) -> DataResource:
    """A resource the actor may see; another provider's is the same 404 as none at all."""
    actor.require(Permission.RESOURCES_READ)
    resource = repository.visible_resource(session, actor=actor, resource_id=resource_id)
    if resource is None:
        raise NotFound("catalog.resource_unknown")
    return resource


def owned_resource(
    session: Session, *, actor: Principal, resource_id: uuid.UUID, lock: bool = False
) -> DataResource:
    """A resource the actor's department provides (any resource, for the platform itself),
    else 404: what a provider may not change does not exist for it, as reading it gives.
    ``lock`` holds its row until the unit of work ends (see ``repository.visible_resource``)."""
    resource = repository.visible_resource(session, actor=actor, resource_id=resource_id, lock=lock)
    if resource is None or not (actor.is_system or resource.provider_id == actor.organization_id):
        raise NotFound("catalog.resource_unknown")
    return resource


def fields_of(session: Session, *, resource_id: uuid.UUID) -> list[ResourceField]:
    """A resource's fields in order (for a resource the caller already may see)."""
    return repository.fields_of(session, [resource_id]).get(resource_id, [])


def resource_by_codes(session: Session, codes: str) -> DataResource | None:
    """A resource named as ``provider/resource`` codes (``gaj/residents``), as fields refer
    to other datasets and operators name them on the command line."""
    provider_code, _, resource_code = codes.partition("/")
    provider = identity_repository.organization_by_code(session, provider_code)
    if provider is None:
        return None
    return repository.resource_by_code(session, provider_id=provider.id, code=resource_code)


def schema_document(fields: list[ResourceField]) -> dict[str, Any]:
    """A resource's fields as the declaration the data plane reads (``dataset_schema``);
    references to other datasets stay in the rules, for the data plane to resolve."""
    return {
        "fields": [
            {
                "name": f.name,
                "type": f.type,
                "class": f.field_class,
                "title": f.title,
                **{k: v for k, v in f.rules.items() if k != "references"},
            }
            for f in fields
        ]
    }


def mark_has_data(resource: DataResource) -> None:
    """The resource has a version in the queryable zone (the data plane made one)."""
    resource.has_data = True


def update_resource(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    resource_id: uuid.UUID,
    data: ResourceUpdate,
) -> DataResource:
    actor.require(Permission.RESOURCES_MANAGE)
    resource = owned_resource(session, actor=actor, resource_id=resource_id)
    changes = data.model_dump(exclude_none=True)
    entry = repository.entry_for_resource(session, resource.id)
    if changes.get("open_level") == "closed" and entry and entry.status == "published":
        raise Conflict("catalog.listed_cannot_close", name=resource.name)
    changed = {k: v for k, v in changes.items() if getattr(resource, k) != v}
    if not changed:
        return resource
    now = clock.now()
    for key, value in changed.items():
        setattr(resource, key, value)
    resource.version += 1
    resource.updated_at = now
    audit.record(
        session,
        actor=actor,
        action="catalog.resource.updated",
        target_type="data_resource",
        target_id=resource.id,
        at=now,
        detail={"changed": changed, "version": resource.version},
    )
    if entry is not None:
        _refresh_entry(entry, resource)
        _snapshot(session, [entry], change="updated", actor=actor, clock=clock)
        if entry.status == "published":
            _index(session, [entry])
    return resource


def record_sharing_consent(
    session: Session, *, actor: Principal, clock: Clock, resource_id: uuid.UUID, evidence: str
) -> DataResource:
    """N3: data obtained through government sharing needs the providing unit's consent."""
    actor.require(Permission.RESOURCES_MANAGE)
    resource = owned_resource(session, actor=actor, resource_id=resource_id)
    if resource.origin != "shared":
        raise InvalidInput("catalog.not_shared")
    now = clock.now()
    resource.sharing_consent_at = now
    resource.sharing_consent_evidence = evidence.strip()
    audit.record(
        session,
        actor=actor,
        action="catalog.resource.sharing_consent",
        target_type="data_resource",
        target_id=resource.id,
        at=now,
        detail={"shared_from": resource.shared_from, "evidence": evidence.strip()[:200]},
    )
    return resource


# --- batches and entries ----------------------------------------------------------------


def list_batches(session: Session, *, actor: Principal) -> list[tuple[CatalogBatch, int]]:
    """Every batch, newest first, with the number of entries it lists (the bureau's view)."""
    actor.require(Permission.CATALOG_COMPILE)
    return repository.batches(session)


def batch_page(
    session: Session, *, actor: Principal, query: ListQuery
) -> Page[tuple[CatalogBatch, int]]:
    """One page of the batches with their entry counts (the bureau's view)."""
    actor.require(Permission.CATALOG_COMPILE)
    return repository.batch_page(session, query)


def get_batch(session: Session, *, actor: Principal, batch_id: uuid.UUID) -> CatalogBatch:
    actor.require(Permission.CATALOG_COMPILE)
    batch = repository.batch(session, batch_id)
    if batch is None:
        raise NotFound("catalog.batch_unknown")
    return batch


def batch_entries(
    session: Session, *, actor: Principal, batch_id: uuid.UUID, query: ListQuery
) -> Page[repository.EntryRow]:
    """One page of a batch's entries, drafts included (the bureau's view)."""
    batch = get_batch(session, actor=actor, batch_id=batch_id)
    return repository.entry_page(session, batch_id=batch.id, query=query)


def batch_candidates(
    session: Session, *, actor: Principal, query: ListQuery
) -> Page[repository.ResourceRow]:
    """One page of the resources that may still be listed: unlisted and not closed."""
    actor.require(Permission.CATALOG_COMPILE)
    return repository.resource_page(session, actor=actor, query=query, candidates=True)


def create_batch(
    session: Session, *, actor: Principal, clock: Clock, data: BatchCreate
) -> CatalogBatch:
    actor.require(Permission.CATALOG_COMPILE)
    now = clock.now()
    number = repository.next_batch_number(session)
    batch = CatalogBatch(
        number=number,
        title=(data.title or "").strip() or f"{batch_title(number, 'zh-CN')}可授权公共数据资源目录",
        status=BATCH.initial,
        created_at=now,
    )
    session.add(batch)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="catalog.batch.created",
        target_type="catalog_batch",
        target_id=batch.id,
        at=now,
        detail={"number": number, "title": batch.title},
    )
    return batch


def _draft_batch(session: Session, batch_id: uuid.UUID) -> CatalogBatch:
    batch = repository.batch(session, batch_id)
    if batch is None:
        raise NotFound("catalog.batch_unknown")
    if batch.status != "draft":
        raise Conflict(
            "catalog.batch_not_draft",
            batch=batch_title(batch.number, "zh-CN"),
            state=MessageRef(f"state.catalog_batch.{batch.status}"),
        )
    return batch


def add_to_batch(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    batch_id: uuid.UUID,
    resource_ids: list[uuid.UUID],
) -> list[CatalogEntry]:
    actor.require(Permission.CATALOG_COMPILE)
    batch = _draft_batch(session, batch_id)
    found = repository.resources_by_ids(session, resource_ids)
    missing = [r for r in resource_ids if r not in found]
    if missing:
        raise NotFound("catalog.resource_unknown")
    entries = []
    listed = repository.entries_for_resources(session, list(found))
    for resource_id in dict.fromkeys(resource_ids):
        resource = found[resource_id]
        if resource.open_level == "closed":
            raise InvalidInput("catalog.closed_not_listable", name=resource.name)
        existing = listed.get(resource.id)
        if existing is not None:
            numbers = repository.batch_numbers(session, [existing.batch_id])
            raise Conflict(
                "catalog.already_listed", name=resource.name, number=numbers[existing.batch_id]
            )
        entry = CatalogEntry(
            resource_id=resource.id,
            batch_id=batch.id,
            status=ENTRY.initial,
            version=0,
            provider_id=resource.provider_id,
            domain=resource.domain,
            open_level=resource.open_level,
            title=resource.name,
        )
        session.add(entry)
        entries.append(entry)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="catalog.batch.entries_added",
        target_type="catalog_batch",
        target_id=batch.id,
        at=clock.now(),
        detail={"number": batch.number, "resources": len(entries)},
    )
    return entries


def publish_batch(
    session: Session, *, actor: Principal, clock: Clock, batch_id: uuid.UUID
) -> CatalogBatch:
    batch = repository.batch(session, batch_id)
    if batch is None:
        raise NotFound("catalog.batch_unknown")
    entries = repository.entries_of_batch(session, batch.id)
    BATCH.fire(
        batch,
        "publish",
        session=session,
        actor=actor,
        at=clock.now(),
        detail={"entries": len(entries)},
    )
    batch.published_at = clock.now()
    drafts = [e for e in entries if e.status == "draft"]
    for entry in drafts:
        ENTRY.fire(entry, "publish", session=session, actor=actor, at=clock.now())
        entry.published_at = clock.now()
    _snapshot(session, drafts, change="published", actor=actor, clock=clock)
    _index(session, drafts)
    return batch


WITHDRAW_BATCH = "catalog_batch.withdraw"


def withdraw_batch(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    settings: Settings,
    batch_id: uuid.UUID,
    reason: str,
    decision_id: uuid.UUID | None = None,
) -> ApprovalRequest:
    """Ask to withdraw a published batch: nothing is withdrawn until another bureau user
    approves the request (or at once on a cited decision someone else recorded)."""
    actor.require(Permission.CATALOG_COMPILE)
    return approvals.request(
        session,
        actor=actor,
        settings=settings,
        at=clock.now(),
        act=WITHDRAW_BATCH,
        target_id=batch_id,
        grounds=reason,
        decision_id=decision_id,
    )


def _batch_subject(session: Session, batch_id: uuid.UUID) -> Subject:
    batch = repository.batch(session, batch_id)
    if batch is None:
        raise NotFound("catalog.batch_unknown")
    return Subject(batch.title, f"/console/catalog/batches/{batch.id}")


def _batch_check(session: Session, batch_id: uuid.UUID) -> None:
    batch = repository.batch(session, batch_id)
    if batch is None:
        raise NotFound("catalog.batch_unknown")
    BATCH.require(batch, "withdraw")


def _carry_out_withdrawal(carry: Carry) -> None:
    batch = repository.batch(carry.session, carry.request.target_id)
    if batch is None:  # pragma: no cover - checked just before
        raise NotFound("catalog.batch_unknown")
    _withdraw(
        carry.session,
        actor=carry.actor,
        at=carry.at,
        batch=batch,
        approval=carry.audit_detail(),
    )


def _withdraw(
    session: Session,
    *,
    actor: Principal,
    at: datetime,
    batch: CatalogBatch,
    approval: dict[str, Any],
) -> CatalogBatch:
    BATCH.fire(batch, "withdraw", session=session, actor=actor, at=at, detail=approval)
    batch.withdrawn_at = at
    published = [
        e for e in repository.entries_of_batch(session, batch.id) if e.status == "published"
    ]
    for entry in published:
        ENTRY.fire(entry, "withdraw", session=session, actor=actor, at=at)
    _snapshot(session, published, change="withdrawn", actor=actor, clock=FixedClock(at))
    repository.delete_terms(session, [e.id for e in published])
    return batch


approvals_registry.register(
    Act(
        name=WITHDRAW_BATCH,
        label_zh="撤回整批目录",
        label_en="Withdraw a catalog batch",
        target_type="catalog_batch",
        permission=Permission.CATALOG_COMPILE,
        subject=_batch_subject,
        check=_batch_check,
        carry_out=_carry_out_withdrawal,
    )
)


def change_entry(
    session: Session, *, actor: Principal, clock: Clock, entry_id: uuid.UUID, transition: str
) -> CatalogEntry:
    """Withdraw one entry, or publish a withdrawn one again."""
    entry = repository.entry(session, entry_id)
    if entry is None:
        raise NotFound("catalog.entry_unknown")
    ENTRY.fire(entry, transition, session=session, actor=actor, at=clock.now())
    if entry.status == "published":
        resource = repository.resource(session, entry.resource_id)
        if resource is not None:
            _refresh_entry(entry, resource)
        entry.published_at = clock.now()
        _index(session, [entry])
    else:
        repository.delete_terms(session, [entry.id])
    _snapshot(session, [entry], change=transition, actor=actor, clock=clock)
    return entry


def _refresh_entry(entry: CatalogEntry, resource: DataResource) -> None:
    entry.title = resource.name
    entry.domain = resource.domain
    entry.open_level = resource.open_level


def _entry_documents(
    session: Session, entries: list[CatalogEntry]
) -> tuple[
    dict[uuid.UUID, DataResource],
    dict[uuid.UUID, list[ResourceField]],
    dict[uuid.UUID, Organization],
]:
    resources = repository.resources_by_ids(session, [e.resource_id for e in entries])
    fields = repository.fields_of(session, resources)
    providers = repository.organizations(session, {r.provider_id for r in resources.values()})
    return resources, fields, providers


def snapshot_of(
    resource: DataResource, fields: list[ResourceField], provider: Organization, batch_number: int
) -> dict[str, Any]:
    """What the public sees of an entry at one version."""
    return {
        "title": resource.name,
        "description": resource.description,
        "provider": {"code": provider.code, "name": provider.name},
        "domain": resource.domain,
        "update_frequency": resource.update_frequency,
        "open_level": resource.open_level,
        "classification": resource.classification,
        "grade": resource.grade,
        "origin": resource.origin,
        "batch": batch_number,
        "resource_version": resource.version,
        "fields": [
            {"name": f.name, "title": f.title, "type": f.type, "class": f.field_class}
            for f in fields
        ],
    }


def _snapshot(
    session: Session, entries: list[CatalogEntry], *, change: str, actor: Principal, clock: Clock
) -> None:
    if not entries:
        return
    resources, fields, providers = _entry_documents(session, entries)
    numbers = repository.batch_numbers(session, {e.batch_id for e in entries})
    rows = []
    for entry in entries:
        resource = resources[entry.resource_id]
        entry.version += 1
        rows.append(
            {
                "id": uuid.uuid4(),
                "entry_id": entry.id,
                "version": entry.version,
                "change": change,
                "snapshot": snapshot_of(
                    resource,
                    fields.get(resource.id, []),
                    providers[resource.provider_id],
                    numbers[entry.batch_id],
                ),
                "actor": actor.username,
                "at": clock.now(),
            }
        )
    repository.add_versions(session, rows)


def _index(session: Session, entries: list[CatalogEntry]) -> None:
    if not entries:
        return
    resources, fields, providers = _entry_documents(session, entries)
    documents = {}
    for entry in entries:
        resource = resources[entry.resource_id]
        provider = providers[resource.provider_id]
        field_text = " ".join(f"{f.name} {f.title}" for f in fields.get(resource.id, []))
        documents[entry.id] = search.document_terms(
            resource.name, resource.description, provider.name, provider.code, field_text
        )
    repository.replace_terms(session, documents)
