"""Workbench panels: the registry's queue of applications by their deadline (overdue ones
marked), and an operator's registrations whose renewal window is open. Read through
``service`` like the pages, so they show only what the lists would."""

from __future__ import annotations

from sluice.core.clock import display
from sluice.core.i18n import add_messages
from sluice.core.permissions import Permission, Role
from sluice.registration import service
from sluice.web.workbench import ROWS, Context, Panel, PanelContent, Todo, add_panel

PAGE = "/console/registrations"

add_messages(
    {
        "workbench.registrations": ("登记办理", "Registrations to decide"),
        "workbench.registrations.waiting": (
            "待办理：{n} 项登记申请",
            "To decide: {n} registration applications",
        ),
        "workbench.registrations.row": (
            "{type} · {title}（{applicant}）",
            "{type} · {title} ({applicant})",
        ),
        "workbench.registrations.none": (
            "没有待办理的登记申请。",
            "No registration application waits for you.",
        ),
        "workbench.registrations.all": ("全部登记申请", "All registration applications"),
        "workbench.registrations.mine": ("数据登记", "Registrations"),
        "workbench.registrations.renew": (
            "可续期：{n} 项登记即将到期",
            "Renew: {n} registrations expire soon",
        ),
        "workbench.registrations.renew_row": (
            "{code} · {title}（有效期至 {until}）",
            "{code} · {title} (valid until {until})",
        ),
        "workbench.registrations.mine_none": (
            "没有即将到期的登记。",
            "No registration of yours expires soon.",
        ),
        "workbench.registrations.register": ("登记簿", "The register"),
    }
)


def _queue(ctx: Context) -> PanelContent:
    count, rows = service.waiting(ctx.session, actor=ctx.principal, limit=ROWS)
    now = ctx.clock.now()
    todos = []
    if count:
        items = []
        for a in rows:
            due = service.due(a, now)
            items.append(
                Todo(
                    ctx._(
                        "workbench.registrations.row",
                        type=ctx._(f"registration.type.{a.type}"),
                        title=a.title,
                        applicant=a.applicant_name,
                    ),
                    f"{PAGE}/applications/{a.id}",
                    due=due.day.isoformat() if due and due.step != "notice" else "",
                    late=bool(due and due.late),
                    late_by=ctx._("registrations.due.late", days=due.late_by)
                    if due and due.late
                    else "",
                    meta=ctx._("registrations.due.notice_over")
                    if due and due.step == "notice" and due.over
                    else "",
                )
            )
        todos.append(
            Todo(
                ctx._("workbench.registrations.waiting", n=count),
                f"{PAGE}?status=open&sort=due",
                late=any(t.late for t in items),
                rows=items,
            )
        )
    return PanelContent(
        todos=todos,
        note=ctx._("workbench.registrations.none"),
        more_href=PAGE,
        more_label=ctx._("workbench.registrations.all"),
    )


def _mine(ctx: Context) -> PanelContent:
    from sluice.core.settings import get_settings

    settings = get_settings()
    now = ctx.clock.now()
    rows = service.expiring(ctx.session, actor=ctx.principal, settings=settings, at=now, limit=ROWS)
    todos = []
    if rows:
        todos.append(
            Todo(
                ctx._("workbench.registrations.renew", n=len(rows)),
                f"{PAGE}/register",
                rows=[
                    Todo(
                        ctx._(
                            "workbench.registrations.renew_row",
                            code=r.code,
                            title=r.title,
                            until=display(r.valid_until, with_time=False),
                        ),
                        f"{PAGE}/register/{r.id}",
                    )
                    for r in rows
                ],
            )
        )
    return PanelContent(
        todos=todos,
        note=ctx._("workbench.registrations.mine_none"),
        more_href=f"{PAGE}/register",
        more_label=ctx._("workbench.registrations.register"),
    )


add_panel(
    Panel(
        "workbench.registrations",
        Permission.REGISTRATIONS_DECIDE,
        _queue,
        order=40,
        roles=frozenset({Role.REGISTRY}),
    )
)
add_panel(
    Panel(
        "workbench.registrations.mine",
        Permission.REGISTRATIONS_APPLY,
        _mine,
        order=60,
        roles=frozenset({Role.OPERATOR}),
    )
)
