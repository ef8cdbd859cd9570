"""Workbench panels of the catalog: resources, batches and the published catalog.

* The bureau: draft batches waiting to be published, resources registered but not yet in
  any batch; the published entries and the providers behind them.
* A provider: its resources still without data.
* The registry: what it can already read (every resource, published or not), and a line
  on the registration it will do here.
* A data subject: the public catalog, and a line on what the platform will let them do.

A provider counts only its own resources (``repository._visible``); the published catalog
is public.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from sluice.catalog.models import CatalogBatch, CatalogEntry, DataResource
from sluice.core.clock import display
from sluice.core.i18n import add_messages
from sluice.core.permissions import Permission, Role
from sluice.web.workbench import ROWS, Context, Figure, Panel, PanelContent, Todo, add_panel

BATCHES = "/console/catalog/batches"
RESOURCES = "/console/resources"
PUBLIC = "/catalog"
PUBLISHED = "published"
DRAFT = "draft"

add_messages(
    {
        "workbench.catalog": ("资源目录", "Catalog"),
        "workbench.catalog.drafts": (
            "待发布：{n} 个目录批次（草稿）",
            "To publish: {n} catalog batches in draft",
        ),
        "workbench.catalog.draft_row": ("{title}（{n} 条）", "{title} ({n} entries)"),
        "workbench.catalog.created": ("创建于 {at}", "created {at}"),
        "workbench.catalog.unlisted": (
            "待编目：{n} 项已登记的数据资源尚未编入目录批次",
            "To list: {n} registered resources are in no catalog batch yet",
        ),
        "workbench.catalog.none": (
            "没有待发布的目录批次，已登记的资源都已编入目录。",
            "No batch waits to be published and every registered resource is listed.",
        ),
        "workbench.catalog.published": ("已发布目录", "Published entries"),
        "workbench.catalog.providers": ("数据源", "Data sources"),
        "workbench.resources": ("本部门数据资源", "Your resources"),
        "workbench.resources.no_data": (
            "待上传：{n} 项数据资源还没有数据",
            "To upload: {n} resources have no data yet",
        ),
        "workbench.resources.none": (
            "本部门登记的数据资源都已上传数据。",
            "Every resource your department registered has data.",
        ),
        "workbench.resources.empty": (
            "本部门还没有登记数据资源：在“数据资源”页登记后上传数据。",
            "Your department has registered no resource yet: register one on the Resources "
            "page, then upload its data.",
        ),
        "workbench.resources.own": ("本部门数据资源", "Your resources"),
        "workbench.resources.own_published": ("本部门已发布", "Yours published"),
        "workbench.registry": ("资源登记", "Registration"),
        "workbench.registry.lead": (
            "您可以查阅全部数据资源（含未发布的）和全部授权运营协议（只读）。数据产品的登记申请在"
            "“登记”页受理、审查、公示和发证；数据资源的登记尚未上线。",
            "You can read every data resource (unpublished ones too) and every authorization "
            "agreement (read-only). Product registrations are accepted, reviewed, put on "
            "notice and certified on the Registrations page; registering data resources is "
            "not built yet.",
        ),
        "workbench.registry.note": (
            "目前没有需要您办理的事项。",
            "Nothing needs you at the moment.",
        ),
        "workbench.registry.resources": ("已登记数据资源", "Registered resources"),
        "workbench.subject": ("我的数据", "Your data"),
        "workbench.subject.lead": (
            "在“我的同意”中授予或随时撤回数据需求方使用您数据的同意，在“谁用了我的数据”中查看"
            "每一次使用您数据的产品调用和下载。",
            "Grant or withdraw at any time a buyer's consent to use your data under My "
            "consents, and see every product call and download that used your data under "
            "Who used my data.",
        ),
        "workbench.subject.note": (
            "现在您可以在公开目录中查看各部门开放了哪些数据、由哪个部门提供、开放到什么程度。",
            "For now, the public catalog shows which data the departments open, who provides "
            "it and how openly.",
        ),
        "workbench.subject.catalog": ("浏览公开目录", "Browse the public catalog"),
    }
)


def _count(session: Session, model: type[object], *conditions: ColumnElement[bool]) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0


def _published(session: Session) -> int:
    return _count(session, CatalogEntry, CatalogEntry.status == PUBLISHED)


def _publishing_providers(session: Session) -> int:
    query = select(func.count(func.distinct(CatalogEntry.provider_id))).where(
        CatalogEntry.status == PUBLISHED
    )
    return session.scalar(query) or 0


def _unlisted() -> ColumnElement[bool]:
    return DataResource.id.not_in(select(CatalogEntry.resource_id))


# -- the bureau ------------------------------------------------------------------------------


def _bureau(ctx: Context) -> PanelContent:
    session = ctx.session
    drafts = _count(session, CatalogBatch, CatalogBatch.status == DRAFT)
    todos = []
    if drafts:
        entries = (
            select(CatalogEntry.batch_id, func.count().label("n"))
            .group_by(CatalogEntry.batch_id)
            .subquery()
        )
        rows = session.execute(
            select(CatalogBatch, func.coalesce(entries.c.n, 0))
            .outerjoin(entries, entries.c.batch_id == CatalogBatch.id)
            .where(CatalogBatch.status == DRAFT)
            .order_by(CatalogBatch.number)
            .limit(ROWS)
        ).all()
        todos.append(
            Todo(
                ctx._("workbench.catalog.drafts", n=drafts),
                f"{BATCHES}/{rows[0][0].id}" if drafts == 1 else BATCHES,
                rows=[
                    Todo(
                        ctx._("workbench.catalog.draft_row", title=batch.title, n=int(n)),
                        f"{BATCHES}/{batch.id}",
                        meta=ctx._("workbench.catalog.created", at=display(batch.created_at)),
                    )
                    for batch, n in rows
                ],
            )
        )
    unlisted = _count(session, DataResource, _unlisted())
    if unlisted:
        todos.append(Todo(ctx._("workbench.catalog.unlisted", n=unlisted), BATCHES))
    return PanelContent(
        todos=todos,
        figures=[
            Figure(ctx._("workbench.catalog.published"), str(_published(session)), PUBLIC),
            Figure(
                ctx._("workbench.catalog.providers"), str(_publishing_providers(session)), PUBLIC
            ),
        ],
        note=ctx._("workbench.catalog.none"),
        more_href=BATCHES,
    )


# -- a provider ------------------------------------------------------------------------------


def _provider(ctx: Context) -> PanelContent:
    org = ctx.principal.organization_id
    session = ctx.session
    own = DataResource.provider_id == org
    total = _count(session, DataResource, own) if org is not None else 0
    if not total:
        return PanelContent(note=ctx._("workbench.resources.empty"), more_href=RESOURCES)
    empty = [own, DataResource.has_data.is_(False)]
    without = _count(session, DataResource, *empty)
    todos = []
    if without:
        rows = session.scalars(
            select(DataResource).where(*empty).order_by(DataResource.code).limit(ROWS)
        )
        todos.append(
            Todo(
                ctx._("workbench.resources.no_data", n=without),
                RESOURCES,
                rows=[Todo(f"{r.name}（{r.code}）", f"{RESOURCES}/{r.id}") for r in rows],
            )
        )
    published = _count(
        session,
        CatalogEntry,
        CatalogEntry.provider_id == org,
        CatalogEntry.status == PUBLISHED,
    )
    return PanelContent(
        todos=todos,
        figures=[
            Figure(ctx._("workbench.resources.own"), str(total), RESOURCES),
            Figure(ctx._("workbench.resources.own_published"), str(published), PUBLIC),
        ],
        note=ctx._("workbench.resources.none"),
        more_href=RESOURCES,
    )


# -- the registry and a data subject ---------------------------------------------------------


def _registry(ctx: Context) -> PanelContent:
    session = ctx.session
    return PanelContent(
        figures=[
            Figure(
                ctx._("workbench.registry.resources"),
                str(_count(session, DataResource)),
                RESOURCES,
            ),
            Figure(ctx._("workbench.catalog.published"), str(_published(session)), PUBLIC),
        ],
        lead=ctx._("workbench.registry.lead"),
        note=ctx._("workbench.registry.note"),
        more_href=RESOURCES,
    )


def _subject(ctx: Context) -> PanelContent:
    session = ctx.session
    return PanelContent(
        figures=[
            Figure(ctx._("workbench.catalog.published"), str(_published(session)), PUBLIC),
            Figure(
                ctx._("workbench.catalog.providers"), str(_publishing_providers(session)), PUBLIC
            ),
        ],
        lead=ctx._("workbench.subject.lead"),
        note=ctx._("workbench.subject.note"),
        more_href=PUBLIC,
        more_label=ctx._("workbench.subject.catalog"),
    )


add_panel(
    Panel(
        "workbench.catalog",
        Permission.CATALOG_COMPILE,
        _bureau,
        order=40,
        roles=frozenset({Role.BUREAU}),
    )
)
add_panel(
    Panel(
        "workbench.resources",
        Permission.RESOURCES_MANAGE,
        _provider,
        order=30,
        roles=frozenset({Role.PROVIDER}),
    )
)
add_panel(
    Panel(
        "workbench.registry",
        Permission.RESOURCES_READ,
        _registry,
        order=10,
        roles=frozenset({Role.REGISTRY}),
    )
)
add_panel(
    Panel(
        "workbench.subject",
        Permission.CONSOLE_VIEW,
        _subject,
        order=10,
        roles=frozenset({Role.SUBJECT}),
    )
)
