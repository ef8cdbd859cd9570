"""The workbench panel of data products: the bureau's review queue (products waiting for
its security and compliance review, oldest first), and an operator's products by status
with what is waiting on it (drafts to submit, approved products to list). Read through
the service like the list page, so what one may not see there does not appear here."""

from __future__ import annotations

from sluice.core.i18n import add_messages
from sluice.core.permissions import Permission, Role
from sluice.products import service
from sluice.products.states import APPROVED, DRAFT, LISTED, SUBMITTED, SUSPENDED
from sluice.web.workbench import ROWS, Context, Figure, Panel, PanelContent, Todo, add_panel

add_messages(
    {
        "workbench.products": ("数据产品", "Data products"),
        "workbench.products.lead": (
            "在授权协议的工作区内申报数据产品，经数据局安全合规审查后上架到数据产品市场。",
            "Declare data products in your agreements' workspaces; once the bureau's security "
            "and compliance review passes, list them on the market.",
        ),
        "workbench.products.lead_bureau": (
            "审查运营机构提交的数据产品（安全与合规），暂停或下架有问题的产品，制定行业产品价格上限。",
            "Review the data products operators submit (security and compliance), suspend or "
            "delist products with problems, and set the price caps of industry products.",
        ),
        "workbench.products.review": ("待审查：{n} 个数据产品", "To review: {n} data products"),
        "workbench.products.review_row": ("{name}（{operator}）", "{name} ({operator})"),
        "workbench.products.drafts": ("待提交的草稿：{n} 个", "Drafts to submit: {n}"),
        "workbench.products.approved": ("审查通过、待上架：{n} 个", "Approved, to list: {n}"),
        "workbench.products.listed": ("已上架", "Listed"),
        "workbench.products.suspended": ("已暂停", "Suspended"),
        "workbench.products.submitted": ("审查中", "In review"),
        "workbench.products.none": (
            "还没有数据产品。",
            "No data product yet.",
        ),
        "workbench.products.all": ("全部数据产品", "All data products"),
    }
)

_PAGE = "/console/products"


def _load(ctx: Context) -> PanelContent:
    counts = service.status_counts(ctx.session, actor=ctx.principal)
    figures = [
        Figure(
            ctx._("workbench.products.listed"),
            str(counts.get(LISTED, 0)),
            f"{_PAGE}?status={LISTED}",
        ),
        Figure(
            ctx._("workbench.products.suspended"),
            str(counts.get(SUSPENDED, 0)),
            f"{_PAGE}?status={SUSPENDED}",
            warn=bool(counts.get(SUSPENDED)),
        ),
    ]
    todos: list[Todo] = []
    if ctx.principal.has(Permission.PRODUCTS_REVIEW):
        waiting, rows = service.waiting(ctx.session, actor=ctx.principal, limit=ROWS)
        if waiting:
            todos.append(
                Todo(
                    ctx._("workbench.products.review", n=waiting),
                    f"{_PAGE}?status={SUBMITTED}",
                    rows=[
                        Todo(
                            ctx._(
                                "workbench.products.review_row",
                                name=r.product.name,
                                operator=r.operator,
                            ),
                            f"{_PAGE}/{r.product.id}",
                        )
                        for r in rows
                    ],
                )
            )
        lead = ctx._("workbench.products.lead_bureau")
    else:
        figures.insert(
            0,
            Figure(
                ctx._("workbench.products.submitted"),
                str(counts.get(SUBMITTED, 0)),
                f"{_PAGE}?status={SUBMITTED}",
            ),
        )
        if counts.get(DRAFT):
            todos.append(
                Todo(ctx._("workbench.products.drafts", n=counts[DRAFT]), f"{_PAGE}?status={DRAFT}")
            )
        if counts.get(APPROVED):
            todos.append(
                Todo(
                    ctx._("workbench.products.approved", n=counts[APPROVED]),
                    f"{_PAGE}?status={APPROVED}",
                )
            )
        lead = ctx._("workbench.products.lead")
    return PanelContent(
        todos=todos,
        figures=figures,
        lead=lead,
        note="" if counts else ctx._("workbench.products.none"),
        more_href=_PAGE,
        more_label=ctx._("workbench.products.all"),
    )


add_panel(
    Panel(
        "workbench.products",
        Permission.PRODUCTS_READ,
        _load,
        order=46,
        roles=frozenset({Role.BUREAU.value, Role.OPERATOR.value}),
    )
)
