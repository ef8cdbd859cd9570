"""Workbench panel of the emergency response (R8.12, R8.13).

* Incidents being handled that the reader sees (the bureau every one, an operator its own),
  the oldest first.
* For the bureau and each operator: its emergency plan when it has none yet, and a drill
  when none was held in the last year (定期开展演练).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from sluice.core.clock import local
from sluice.core.i18n import add_messages
from sluice.core.permissions import Permission
from sluice.incidents import plans
from sluice.incidents import repository as repo
from sluice.web.workbench import ROWS, Context, Panel, PanelContent, Todo, add_panel

INCIDENTS: Final = "/console/incidents"
PLANS: Final = "/console/emergency-plans"
#: A plan is drilled at least this often.
DRILL_EVERY: Final = timedelta(days=365)

add_messages(
    {
        "workbench.incidents": ("安全事件与应急", "Incidents and emergency plans"),
        "workbench.incidents.open": ("处置中：{n} 起安全事件", "Being handled: {n} incidents"),
        "workbench.incidents.row": ("{number} {title} · {status}", "{number} {title} · {status}"),
        "workbench.incidents.no_plan": (
            "待编制：本单位应急预案",
            "To do: your organization's emergency plan",
        ),
        "workbench.incidents.no_drill": (
            "待演练：近一年没有应急演练记录",
            "To do: no emergency drill recorded in the last year",
        ),
        "workbench.incidents.none": (
            "没有处置中的安全事件；应急预案和演练记录齐全。",
            "No incident is being handled; the emergency plan and its drills are in order.",
        ),
    }
)


def _load(ctx: Context) -> PanelContent:
    todos: list[Todo] = []
    n, rows = repo.open_incidents(ctx.session, ctx.principal, limit=ROWS)
    if n:
        todos.append(
            Todo(
                ctx._("workbench.incidents.open", n=n),
                f"{INCIDENTS}/{rows[0].id}" if n == 1 else f"{INCIDENTS}?status=open",
                rows=[
                    Todo(
                        ctx._(
                            "workbench.incidents.row",
                            number=i.number,
                            title=i.title,
                            status=ctx._(f"state.security_incident.{i.status}"),
                        ),
                        f"{INCIDENTS}/{i.id}",
                    )
                    for i in rows
                ],
            )
        )
    owner = ctx.principal.organization_id
    if ctx.principal.organization_kind in plans.OWNER_KINDS and owner is not None:
        if repo.latest_plan(ctx.session, owner) is None:
            todos.append(Todo(ctx._("workbench.incidents.no_plan"), PLANS))
        else:
            last = repo.last_drill(ctx.session, owner)
            today = local(ctx.clock.now()).date()
            if last is None or today - last.held_on > DRILL_EVERY:
                todos.append(Todo(ctx._("workbench.incidents.no_drill"), PLANS))
    return PanelContent(todos=todos, note=ctx._("workbench.incidents.none"), more_href=INCIDENTS)


add_panel(Panel("workbench.incidents", Permission.INCIDENTS_READ, _load, order=36))
