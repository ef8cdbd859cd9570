"""How a provider's data is used (R9.3), read from the audit log's resource index.

Every audit entry that used data names the resources it used (``audit_event_resources``):
a product call's decision, a sandbox query, an export check, an export request and its
downloads. A provider department reads the entries naming **its own** resources (the
catalog's ``provider_id``), by index, over a period of days in the display zone:

- the volume per day, one series per kind of use (``KINDS``);
- each of its resources with its uses and its last use;
- the products built on its data (whatever their state) with their operator and their
  calls in the period (answered and refused);
- the organizations that used it (operators in their sandboxes, buyers through products);
- the newest uses, one row per entry.

An entry using two of the provider's resources is one use of the provider's data and one
use of each resource. A resource of another provider does not exist for it (``not_found``).
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from sluice.audit.models import AuditEvent, AuditEventResource
from sluice.audit.service import reason_from
from sluice.catalog.models import DataResource
from sluice.core.clock import display_zone, local
from sluice.core.errors import NotFound
from sluice.core.i18n import ZH, add_messages
from sluice.core.permissions import Permission
from sluice.core.principal import Principal
from sluice.guard import product_calls
from sluice.guard.export_checks import EXPORT as EXPORT_CHECK
from sluice.guard.service import DECISION
from sluice.guard.workspace_queries import QUERY
from sluice.identity.models import Organization
from sluice.products.models import Product
from sluice.sandbox.exports import DOWNLOADED, REQUESTED

#: The periods a provider may look back over, in days; the first is the default.
PERIODS: Final = (30, 7, 90, 180)
#: The kinds of use, in the chart's order.
KINDS: Final = ("product_call", "sandbox_query", "export_check", "export", "other")
#: Newest uses listed on the page.
RECENT: Final = 50

add_messages(
    {
        "usage.resource_not_found": ("没有这项数据资源。", "No such data resource."),
        "usage.kind.product_call": ("产品调用", "Product calls"),
        "usage.kind.sandbox_query": ("沙箱查询", "Sandbox queries"),
        "usage.kind.export_check": ("出域检查", "Export checks"),
        "usage.kind.export": ("出域申请与下载", "Export requests and downloads"),
        "usage.kind.other": ("其他使用", "Other uses"),
    }
)


def kind_of(action: str, detail: dict[str, Any] | None) -> str:
    """Which kind of use an entry is (``KINDS``)."""
    if action == DECISION and (detail or {}).get("use") == product_calls.USE:
        return "product_call"
    if action == QUERY:
        return "sandbox_query"
    if action == EXPORT_CHECK:
        return "export_check"
    if action in (REQUESTED, DOWNLOADED):
        return "export"
    return "other"


@dataclass(frozen=True)
class Use:
    """One audit entry that used some of the provider's resources."""

    event_id: int
    occurred_at: datetime
    action: str
    kind: str
    outcome: str
    reason: str | None
    organization_id: uuid.UUID | None
    product_id: uuid.UUID | None
    resource_ids: tuple[uuid.UUID, ...]


@dataclass(frozen=True)
class ResourceUse:
    id: uuid.UUID
    code: str
    name: str
    uses: int
    refused: int
    last_at: datetime | None


@dataclass(frozen=True)
class ProductUse:
    id: uuid.UUID
    code: str
    name: str
    status: str
    operator: str
    calls: int
    refused: int


@dataclass(frozen=True)
class OrganizationUse:
    id: uuid.UUID | None
    name: str
    kind: str | None
    uses: int
    refused: int
    last_at: datetime | None


@dataclass(frozen=True)
class Usage:
    """What the provider's page shows (see the module docstring)."""

    days: int
    first: date
    last: date
    resource: ResourceUse | None
    resources: list[ResourceUse]
    products: list[ProductUse]
    organizations: list[OrganizationUse]
    #: Uses per day, each kind a list aligned with ``day_labels``.
    day_labels: list[date]
    volumes: dict[str, list[int]]
    uses: int
    refused: int
    recent: list[Use]
    resource_names: dict[uuid.UUID, str] = field(default_factory=dict)
    organization_names: dict[uuid.UUID, str] = field(default_factory=dict)
    product_codes: dict[uuid.UUID, str] = field(default_factory=dict)


def own_resources(session: Session, actor: Principal) -> list[DataResource]:
    """The provider's resources (its organization's), by name."""
    actor.require(Permission.DATA_USAGE_READ)
    if actor.organization_id is None:
        return []
    statement = (
        select(DataResource)
        .where(DataResource.provider_id == actor.organization_id)
        .order_by(DataResource.name, DataResource.code)
    )
    return list(session.scalars(statement))


def _period(at: datetime, days: int) -> tuple[date, date, datetime, datetime]:
    last = local(at).date()
    first = last - timedelta(days=days - 1)
    zone = display_zone()
    since = datetime.combine(first, time(0), tzinfo=zone)
    before = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone)
    return first, last, since, before


def uses_of(
    session: Session,
    resource_ids: Collection[uuid.UUID],
    *,
    since: datetime,
    before: datetime,
) -> list[Use]:
    """The entries naming any of ``resource_ids`` in [since, before), oldest first: one
    lookup of the resource index, then the entries by id."""
    if not resource_ids:
        return []
    statement = (
        select(
            AuditEvent.id,
            AuditEvent.occurred_at,
            AuditEvent.action,
            AuditEvent.outcome,
            AuditEvent.reason,
            AuditEvent.detail,
            AuditEvent.actor_organization_id,
            AuditEventResource.resource_id,
        )
        .join(AuditEventResource, AuditEventResource.event_id == AuditEvent.id)
        .where(
            AuditEventResource.resource_id.in_(list(resource_ids)),
            AuditEvent.occurred_at >= since,
            AuditEvent.occurred_at < before,
        )
        .order_by(AuditEvent.id)
    )
    grouped: dict[int, list[Any]] = {}
    used: defaultdict[int, list[uuid.UUID]] = defaultdict(list)
    for found_row in session.execute(statement):
        grouped.setdefault(found_row[0], list(found_row))
        used[found_row[0]].append(found_row[7])
    found = []
    for event_id, row in grouped.items():
        detail = row[5] or {}
        found.append(
            Use(
                event_id=event_id,
                occurred_at=row[1],
                action=row[2],
                kind=kind_of(row[2], detail),
                outcome=row[3],
                reason=reason_from(row[4], detail),
                organization_id=row[6],
                product_id=_uuid(detail.get("product_id")),
                resource_ids=tuple(sorted(used[event_id], key=str)),
            )
        )
    return found


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def _products_on(session: Session, resource_ids: Collection[uuid.UUID]) -> list[Product]:
    """Products whose spec reads any of these resources (few products: read them all)."""
    wanted = {str(r) for r in resource_ids}
    products = session.scalars(select(Product).order_by(Product.code))
    return [p for p in products if wanted.intersection(p.resource_ids or [])]


def _organizations(
    session: Session, ids: Iterable[uuid.UUID | None]
) -> dict[uuid.UUID, Organization]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.scalars(select(Organization).where(Organization.id.in_(wanted)))
    return {o.id: o for o in rows}


def provider_usage(
    session: Session,
    *,
    actor: Principal,
    at: datetime,
    days: int = PERIODS[0],
    resource_id: uuid.UUID | None = None,
    locale_name: str = ZH,
) -> Usage:
    """How the provider's data (or one of its resources) was used in the ``days`` days up
    to ``at``'s day (see the module docstring). ``locale_name`` picks organizations' names."""
    actor.require(Permission.DATA_USAGE_READ)
    if days not in PERIODS:
        days = PERIODS[0]
    resources = own_resources(session, actor)
    by_id = {r.id: r for r in resources}
    if resource_id is not None and resource_id not in by_id:
        raise NotFound("usage.resource_not_found")
    wanted = [resource_id] if resource_id is not None else list(by_id)
    first, last, since, before = _period(at, days)
    uses = uses_of(session, wanted, since=since, before=before)
    products = _products_on(session, wanted)
    organizations = _organizations(
        session, [u.organization_id for u in uses] + [p.operator_id for p in products]
    )

    def name_of(organization_id: uuid.UUID | None) -> str:
        found = organizations.get(organization_id) if organization_id else None
        if found is None:
            return "—"
        return found.name_en if locale_name != ZH and found.name_en else found.name

    labels = [first + timedelta(days=n) for n in range(days)]
    volumes = {kind: [0] * days for kind in KINDS}
    per_resource: Counter[uuid.UUID] = Counter()
    refused_resource: Counter[uuid.UUID] = Counter()
    last_resource: dict[uuid.UUID, datetime] = {}
    per_product: Counter[uuid.UUID] = Counter()
    refused_product: Counter[uuid.UUID] = Counter()
    per_org: Counter[uuid.UUID | None] = Counter()
    refused_org: Counter[uuid.UUID | None] = Counter()
    last_org: dict[uuid.UUID | None, datetime] = {}
    for use in uses:
        refused = use.outcome != "ok"
        index = (local(use.occurred_at).date() - first).days
        if 0 <= index < days:
            volumes[use.kind][index] += 1
        for rid in use.resource_ids:
            if rid in by_id:
                per_resource[rid] += 1
                refused_resource[rid] += refused
                last_resource[rid] = use.occurred_at
        if use.product_id is not None:
            per_product[use.product_id] += 1
            refused_product[use.product_id] += refused
        per_org[use.organization_id] += 1
        refused_org[use.organization_id] += refused
        last_org[use.organization_id] = use.occurred_at
    resource_rows = [
        ResourceUse(
            r.id,
            r.code,
            r.name,
            per_resource[r.id],
            refused_resource[r.id],
            last_resource.get(r.id),
        )
        for r in resources
        if resource_id is None or r.id == resource_id
    ]
    product_rows = [
        ProductUse(
            p.id,
            p.code,
            p.name,
            p.status,
            name_of(p.operator_id),
            per_product[p.id],
            refused_product[p.id],
        )
        for p in products
    ]
    organization_rows = sorted(
        (
            OrganizationUse(
                oid,
                name_of(oid),
                organizations[oid].kind if oid in organizations else None,
                count,
                refused_org[oid],
                last_org.get(oid),
            )
            for oid, count in per_org.items()
        ),
        key=lambda o: (-o.uses, o.name),
    )
    return Usage(
        days=days,
        first=first,
        last=last,
        resource=next((r for r in resource_rows if r.id == resource_id), None),
        resources=resource_rows,
        products=product_rows,
        organizations=organization_rows,
        day_labels=labels,
        volumes=volumes,
        uses=len(uses),
        refused=sum(1 for u in uses if u.outcome != "ok"),
        recent=list(reversed(uses[-RECENT:])),
        resource_names={r.id: r.name for r in resources},
        organization_names={oid: name_of(oid) for oid in organizations},
        product_codes={p.id: p.code for p in products},
    )


def uses_in_period(session: Session, *, actor: Principal, at: datetime, days: int) -> int:
    """How many entries used the provider's data in the ``days`` days up to today (the
    workbench's figure)."""
    resources = [r.id for r in own_resources(session, actor)]
    _, _, since, before = _period(at, days)
    return len(uses_of(session, resources, since=since, before=before))


__all__: Sequence[str] = (
    "KINDS",
    "PERIODS",
    "OrganizationUse",
    "ProductUse",
    "ResourceUse",
    "Usage",
    "Use",
    "kind_of",
    "own_resources",
    "provider_usage",
    "uses_in_period",
    "uses_of",
)
