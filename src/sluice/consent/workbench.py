"""Consent panels on the console home: a data subject's consents and the uses of its data,
the consents granted to a buyer, the bureau's ledger at a glance."""

from __future__ import annotations

from sluice.consent import service
from sluice.core.i18n import add_messages
from sluice.core.paging import ListQuery
from sluice.core.permissions import Permission
from sluice.web.workbench import ROWS, Context, Panel, PanelContent, Todo, add_panel

add_messages(
    {
        "workbench.consent_subject": ("我的授权同意", "My consents"),
        "workbench.consent_subject.lead": (
            "数据需求方查询与您有关的数据须经您同意；您可随时撤回，并查看谁用了您的数据。",
            "Buyers need your consent to query data about you; you can revoke it at any time "
            "and see who used your data.",
        ),
        "workbench.consent_subject.active": (
            "有效的同意：{count} 项",
            "Consents in force: {count}",
        ),
        "workbench.consent_subject.uses": (
            "与我有关的调用和下载：{count} 次",
            "Calls and downloads about me: {count}",
        ),
        "workbench.consent_subject.none": (
            "您还没有授予任何同意。",
            "You have not granted any consent.",
        ),
        "workbench.consent_subject.not_linked": (
            "账户尚未关联到个人或企业：请联系市数据局。",
            "The account is not linked to a person or an enterprise yet: contact the bureau.",
        ),
        "workbench.consent_subject.all": ("管理我的同意", "Manage my consents"),
        "workbench.consent_buyer": ("信息主体的授权同意", "Consents granted to us"),
        "workbench.consent_buyer.lead": (
            "调用需要授权同意的产品时，带上信息主体授予本单位的同意编号（consent_id）。",
            "Calls of products that need consent carry the consent_id a subject granted you.",
        ),
        "workbench.consent_buyer.active": (
            "有效的同意：{count} 项",
            "Consents in force: {count}",
        ),
        "workbench.consent_buyer.none": (
            "还没有信息主体授予本单位同意。",
            "No data subject has granted your organization consent yet.",
        ),
        "workbench.consent_ledger": ("授权同意台账", "Consent ledger"),
        "workbench.consent_ledger.lead": (
            "信息主体授予数据需求方的同意及其证明材料（SM3）。",
            "The consents subjects granted buyers, with their evidence (SM3).",
        ),
        "workbench.consent_ledger.counts": (
            "台账中有效的同意 {active} 项，尚未生效 {pending} 项，已过期 {expired} 项，"
            "已撤回 {revoked} 项。",
            "The ledger holds {active} consents in force, {pending} pending, {expired} expired "
            "and {revoked} revoked.",
        ),
        "workbench.consent.all": ("查看全部", "See all"),
    }
)


# Counts go in the panels' own lines, not in the figures row at the top of the console: those
# figures are each role's few headline numbers.


def _subject(ctx: Context) -> PanelContent:
    actor = ctx.principal
    if service.subject_of(ctx.session, actor) is None:
        return PanelContent(
            lead=ctx._("workbench.consent_subject.lead"),
            note=ctx._("workbench.consent_subject.not_linked"),
        )
    counts = service.counts(ctx.session, actor=actor, at=ctx.clock.now())
    uses = service.use_count(ctx.session, actor=actor)
    return PanelContent(
        todos=[
            Todo(
                ctx._("workbench.consent_subject.active", count=counts["active"]),
                "/console/consents",
            ),
            Todo(ctx._("workbench.consent_subject.uses", count=uses), "/console/consents/uses"),
        ],
        lead=ctx._("workbench.consent_subject.lead"),
        note="" if sum(counts.values()) else ctx._("workbench.consent_subject.none"),
        more_href="/console/consents",
        more_label=ctx._("workbench.consent_subject.all"),
    )


def _buyer(ctx: Context) -> PanelContent:
    at = ctx.clock.now()
    found = service.consents(
        ctx.session,
        actor=ctx.principal,
        at=at,
        query=ListQuery(size=ROWS, sort="granted", descending=True, filters={"status": "active"}),
    )
    rows = [
        Todo(f"{v.product} · {v.consent.purpose} · {v.subject_masked}", "/console/consents/granted")
        for v in found.items
    ]
    todos = (
        [
            Todo(
                ctx._("workbench.consent_buyer.active", count=found.total),
                "/console/consents/granted",
                rows=rows,
            )
        ]
        if found.total
        else []
    )
    return PanelContent(
        todos=todos,
        lead=ctx._("workbench.consent_buyer.lead"),
        note="" if found.total else ctx._("workbench.consent_buyer.none"),
        more_href="/console/consents/granted",
        more_label=ctx._("workbench.consent.all"),
    )


def _ledger(ctx: Context) -> PanelContent:
    counts = service.counts(ctx.session, actor=ctx.principal, at=ctx.clock.now())
    return PanelContent(
        lead=ctx._("workbench.consent_ledger.lead"),
        note=ctx._("workbench.consent_ledger.counts", **counts),
        more_href="/console/consent-ledger",
        more_label=ctx._("workbench.consent.all"),
    )


add_panel(Panel("workbench.consent_subject", Permission.CONSENTS_GRANT, _subject, order=10))
add_panel(Panel("workbench.consent_buyer", Permission.CONSENTS_READ_GRANTED, _buyer, order=30))
add_panel(Panel("workbench.consent_ledger", Permission.CONSENTS_INSPECT, _ledger, order=78))
