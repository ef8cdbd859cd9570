"""Workbench panel of the operators' filed rules (R5.2).

* The bureau: versions filed and waiting for its acknowledgement.
* An operator holding an agreement: the kinds of rules it has not filed yet, and those
  whose newest version the bureau returned.
"""

from __future__ import annotations

from sluice.authorizations import operator_rule_repository as repo
from sluice.authorizations import operator_rules
from sluice.core.i18n import MessageList, add_messages
from sluice.core.permissions import OrgKind, Permission
from sluice.web.workbench import ROWS, Context, Panel, PanelContent, Todo, add_panel

LIST = "/console/operator-rules"

add_messages(
    {
        "workbench.operator_rules": ("运营机构管理制度", "Operators' rules"),
        "workbench.operator_rules.waiting": (
            "待确认：{n} 份运营机构报备的管理制度",
            "To acknowledge: {n} filings of operators' rules",
        ),
        "workbench.operator_rules.row": (
            "{operator} · {kind} 第 {version} 版",
            "{operator} · {kind} version {version}",
        ),
        "workbench.operator_rules.bureau_none": (
            "没有待确认的制度报备。",
            "No filing waits for acknowledgement.",
        ),
        "workbench.operator_rules.missing": (
            "待报备：{kinds}",
            "To file: {kinds}",
        ),
        "workbench.operator_rules.returned": (
            "被退回：{n} 份制度须修改后重新报备",
            "Returned: {n} filings need revising and filing again",
        ),
        "workbench.operator_rules.own_row": (
            "{kind} 第 {version} 版：{note}",
            "{kind} version {version}: {note}",
        ),
        "workbench.operator_rules.operator_none": (
            "数据治理、数据交易和数据安全管理制度均已报备，没有被退回的。",
            "Your data-governance, trading and security rules are all filed; none was returned.",
        ),
        "workbench.operator_rules.no_agreement": (
            "授权运营协议批准后，须在此报备本单位的数据治理、数据交易和数据安全管理制度。",
            "Once an agreement is approved, file your data-governance, trading and security "
            "rules here.",
        ),
    }
)


def _bureau(ctx: Context) -> PanelContent:
    n, rows = repo.waiting(ctx.session, limit=ROWS)
    todos = []
    if n:
        todos.append(
            Todo(
                ctx._("workbench.operator_rules.waiting", n=n),
                f"{LIST}/{rows[0].rule.id}" if n == 1 else f"{LIST}?status={repo.FILED}",
                rows=[
                    Todo(
                        ctx._(
                            "workbench.operator_rules.row",
                            operator=row.operator,
                            kind=ctx._(f"rule_kind.{row.rule.kind}"),
                            version=row.rule.version,
                        ),
                        f"{LIST}/{row.rule.id}",
                    )
                    for row in rows
                ],
            )
        )
    return PanelContent(
        todos=todos, note=ctx._("workbench.operator_rules.bureau_none"), more_href=LIST
    )


def _operator(ctx: Context) -> PanelContent:
    operator_id = ctx.principal.organization_id
    if operator_id is None or not repo.holds_agreement(ctx.session, operator_id):
        return PanelContent(note=ctx._("workbench.operator_rules.no_agreement"))
    current = repo.current_of(ctx.session, operator_id)
    todos = []
    missing = [k for k in operator_rules.KINDS if k not in current]
    if missing:
        kinds = MessageList([f"rule_kind.{k}" for k in missing])
        todos.append(Todo(ctx._("workbench.operator_rules.missing", kinds=kinds), LIST))
    returned = [r for r in current.values() if r.status == operator_rules.RETURNED]
    if returned:
        todos.append(
            Todo(
                ctx._("workbench.operator_rules.returned", n=len(returned)),
                LIST,
                late=True,
                rows=[
                    Todo(
                        ctx._(
                            "workbench.operator_rules.own_row",
                            kind=ctx._(f"rule_kind.{r.kind}"),
                            version=r.version,
                            note=r.review_note or "—",
                        ),
                        f"{LIST}/{r.id}",
                    )
                    for r in returned
                ],
            )
        )
    return PanelContent(
        todos=todos, note=ctx._("workbench.operator_rules.operator_none"), more_href=LIST
    )


def _load(ctx: Context) -> PanelContent:
    if ctx.principal.organization_kind == OrgKind.OPERATOR:
        return _operator(ctx)
    return _bureau(ctx)


add_panel(Panel("workbench.operator_rules", Permission.OPERATOR_RULES_READ, _load, order=34))
