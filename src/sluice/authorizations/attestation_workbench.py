"""Workbench panels of deletion attestations (R5.6): what the operator still owes after an
agreement ended, and what the bureau must chase or check.

* An operator: attestations it has to file (or file again, when returned), with their last
  day, and those already late.
* The bureau: attestations filed and waiting for its check, and those whose last day has
  passed with nothing filed (the sweep also marks them ``overdue``; the panel does not wait
  for it).

Which attestations a person sees follows the agreements they see (``repository.seen_by``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from sluice.authorizations import parties
from sluice.authorizations import states as st
from sluice.authorizations.models import Authorization, DeletionAttestation
from sluice.authorizations.repository import seen_by
from sluice.core.i18n import add_messages
from sluice.core.permissions import Permission, Role
from sluice.web.workbench import ROWS, Context, Panel, PanelContent, Todo, add_panel

LIST = "/console/authorizations"

add_messages(
    {
        "workbench.attestations": ("删除销毁承诺", "Deletion attestations"),
        "workbench.attestations.tracking": (
            "督促删除销毁平台外数据副本",
            "Deletion of operators' copies outside the platform",
        ),
        "workbench.attestations.to_file": (
            "待提交：{n} 份已终止协议须上传签名的平台外数据副本删除销毁承诺",
            "To file: {n} ended agreements need your signed attestation that copies outside "
            "the platform are deleted",
        ),
        "workbench.attestations.late": (
            "已逾期：{n} 份删除销毁承诺过了提交期限",
            "Overdue: {n} deletion attestations are past their last day",
        ),
        "workbench.attestations.to_check": (
            "待核验：{n} 份运营机构提交的删除销毁承诺",
            "To check: {n} deletion attestations filed by operators",
        ),
        "workbench.attestations.chase": (
            "逾期未提交：{n} 份删除销毁承诺，请督促运营机构",
            "Not filed in time: {n} deletion attestations; chase the operators",
        ),
        "workbench.attestations.row": ("{number} · {operator}", "{number} · {operator}"),
        "workbench.attestations.own_row": ("{number} · {scenario}", "{number} · {scenario}"),
        "workbench.attestations.none": (
            "没有待提交、逾期或待核验的删除销毁承诺。",
            "No deletion attestation is due, late or waiting for a check.",
        ),
    }
)


def _rows(
    session: Session, conditions: Sequence[ColumnElement[bool]]
) -> tuple[int, list[tuple[DeletionAttestation, Authorization]]]:
    joined = (Authorization, Authorization.id == DeletionAttestation.authorization_id)
    total = (
        session.scalar(select(func.count(DeletionAttestation.id)).join(*joined).where(*conditions))
        or 0
    )
    if not total:
        return 0, []
    rows = session.execute(
        select(DeletionAttestation, Authorization)
        .join(*joined)
        .where(*conditions)
        .order_by(DeletionAttestation.due_on, DeletionAttestation.id)
        .limit(ROWS)
    ).all()
    return total, [(t, a) for t, a in rows]


def _href(authorization_id: uuid.UUID) -> str:
    return f"{LIST}/{authorization_id}#attestation"


def _todos(
    ctx: Context,
    groups: Sequence[tuple[str, Sequence[ColumnElement[bool]], bool]],
    *,
    own: bool,
) -> list[Todo]:
    found = [(key, late, *_rows(ctx.session, conditions)) for key, conditions, late in groups]
    names = (
        {}
        if own
        else parties.names(ctx.session, {a.operator_id for *_, rows in found for _, a in rows})
    )
    todos = []
    for key, late, n, rows in found:
        if not n:
            continue
        todos.append(
            Todo(
                ctx._(key, n=n),
                _href(rows[0][1].id) if n == 1 else LIST,
                late=late,
                rows=[
                    Todo(
                        ctx._(
                            "workbench.attestations.own_row"
                            if own
                            else "workbench.attestations.row",
                            number=a.number,
                            scenario=a.scenario,
                            operator=names.get(a.operator_id, "—"),
                        ),
                        _href(a.id),
                        due=t.due_on.isoformat(),
                        late=t.due_on < ctx.today,
                    )
                    for t, a in rows
                ],
            )
        )
    return todos


def _operator(ctx: Context) -> PanelContent:
    scope = seen_by(ctx.principal)
    waiting = DeletionAttestation.status.in_(st.ATT_WAITING)
    groups = [
        (
            "workbench.attestations.to_file",
            [scope, waiting, DeletionAttestation.due_on >= ctx.today],
            False,
        ),
        (
            "workbench.attestations.late",
            [scope, waiting, DeletionAttestation.due_on < ctx.today],
            True,
        ),
    ]
    return PanelContent(
        todos=_todos(ctx, groups, own=True), note=ctx._("workbench.attestations.none")
    )


def _bureau(ctx: Context) -> PanelContent:
    scope = seen_by(ctx.principal)
    groups = [
        (
            "workbench.attestations.to_check",
            [scope, DeletionAttestation.status == st.ATT_ATTESTED],
            False,
        ),
        (
            "workbench.attestations.chase",
            [
                scope,
                DeletionAttestation.status.in_(st.ATT_WAITING),
                DeletionAttestation.due_on < ctx.today,
            ],
            True,
        ),
    ]
    return PanelContent(
        todos=_todos(ctx, groups, own=False),
        note=ctx._("workbench.attestations.none"),
        more_href=LIST,
    )


add_panel(
    Panel(
        "workbench.attestations",
        Permission.ATTESTATIONS_FILE,
        _operator,
        order=25,
        roles=frozenset({Role.OPERATOR}),
    )
)
add_panel(
    Panel(
        "workbench.attestations.tracking",
        Permission.ATTESTATIONS_CHECK,
        _bureau,
        order=36,
        roles=frozenset({Role.BUREAU}),
    )
)
