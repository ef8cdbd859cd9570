"""Workbench panels of authorizations: agreements to decide, sign or renew, exits and
rectification orders pending, and the agreements in force.

* The bureau: agreements under review (a collective decision is due), approved ones it has
  not signed, those whose term ends within :data:`EXPIRY_DAYS`; exits and rectification
  reports waiting for its decision, rectification deadlines missed; a picture of the
  agreements by state.
* An operator: its own agreements to sign or expiring, rectification orders to answer (with
  their deadlines) and its exits in progress.
* The registry: every agreement, read-only.
* The finance bureau: the agreements in force and the operators holding them, in figures;
  revenue is not built yet, and the panel says so.

Which agreements a person sees is ``repository.seen_by``: the bureau and the registry all,
an operator its own. The finance bureau reads no agreement, only counts.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Final

from sqlalchemy import ColumnElement, and_, exists, func, select
from sqlalchemy.orm import Session

from sluice.authorizations import parties
from sluice.authorizations import states as st
from sluice.authorizations.models import (
    AgreementSignature,
    Authorization,
    ExitRequest,
    RectificationOrder,
)
from sluice.authorizations.repository import seen_by
from sluice.core.i18n import add_messages
from sluice.core.permissions import Permission, Role
from sluice.core.principal import Principal
from sluice.web.workbench import (
    ROWS,
    Context,
    Figure,
    Panel,
    PanelContent,
    Todo,
    add_panel,
    bar_chart,
)

LIST = "/console/authorizations"
#: The portal's public disclosures of agreements: what anyone, finance included, may read.
DISCLOSURES = "/portal/disclosures"
#: Agreements whose term ends within this many days are shown as expiring.
EXPIRY_DAYS: Final = 90
#: States in which an agreement's term can still run out (a renewed one has its successor).
_RUNNING: Final = (st.ACTIVE, st.EXPIRING, st.SUSPENDED)

add_messages(
    {
        "workbench.agreements": ("授权运营协议", "Authorization agreements"),
        "workbench.agreements.review": (
            "待集体决策：{n} 份协议审核中",
            "To decide: {n} agreements under review",
        ),
        "workbench.agreements.to_sign": (
            "待签署：{n} 份协议的当前版本您方尚未签署",
            "To sign: {n} agreements whose current version your side has not signed",
        ),
        "workbench.agreements.expiring": (
            "{days} 天内到期：{n} 份协议",
            "Term ends within {days} days: {n} agreements",
        ),
        "workbench.agreements.row": (
            "{number} · {operator} · {scenario}",
            "{number} · {operator} · {scenario}",
        ),
        "workbench.agreements.own_row": ("{number} · {scenario}", "{number} · {scenario}"),
        "workbench.agreements.none": (
            "没有待决策、待签署或 {days} 天内到期的协议。",
            "No agreement to decide or sign, and none ends within {days} days.",
        ),
        "workbench.agreements.in_force": ("生效中协议", "Agreements in force"),
        "workbench.agreements.operators": ("获授权运营机构", "Authorized operators"),
        "workbench.agreements.total": ("协议总数", "All agreements"),
        "workbench.agreements.chart": ("协议按状态", "Agreements by state"),
        "workbench.exits": ("退出与整改", "Exits and rectification"),
        "workbench.exits.requested": (
            "待决定：{n} 份退出申请",
            "To decide: {n} exit requests",
        ),
        "workbench.exits.due": (
            "待执行：{n} 项已同意的退出已到退出日期",
            "To carry out: {n} approved exits have reached their exit date",
        ),
        "workbench.exits.handover": (
            "交接中：{n} 项退出待完成交接和资产处置",
            "Handing over: {n} exits await handover and asset disposal",
        ),
        "workbench.exits.row": ("{number} · {operator} · {kind}", "{number} · {operator} · {kind}"),
        "workbench.exits.date": ("退出日期 {date}", "exit date {date}"),
        "workbench.rect.reported": (
            "待验收：{n} 份整改报告",
            "To check: {n} rectification reports",
        ),
        "workbench.rect.late": (
            "逾期未整改：{n} 份整改通知已过期限",
            "Missed: {n} rectification orders are past their deadline",
        ),
        "workbench.rect.row": (
            "{number} · {operator} · {grounds}",
            "{number} · {operator} · {grounds}",
        ),
        "workbench.exits.none": (
            "没有待决定的退出申请或待验收的整改。",
            "No exit request or rectification report waits for you.",
        ),
        "workbench.operator": ("我的授权", "Your authorizations"),
        "workbench.operator.rect": (
            "待整改：{n} 份整改通知，请在期限内提交整改报告",
            "To rectify: {n} orders; report before their deadlines",
        ),
        "workbench.operator.rect_row": (
            "{number} · {grounds}：{text}",
            "{number} · {grounds}: {text}",
        ),
        "workbench.operator.exits": ("退出进行中：{n} 项", "Exits in progress: {n}"),
        "workbench.operator.exit_row": ("{number} · {state}", "{number} · {state}"),
        "workbench.operator.none": (
            "没有待签署、待整改或即将到期的授权。",
            "No agreement to sign, rectify or renew soon.",
        ),
        "workbench.operator.nothing": (
            "贵单位还没有授权运营协议：资格审核通过并经遴选后，数据局起草的协议会出现在这里待签署。",
            "Your company holds no agreement yet: once qualified and selected, the agreement "
            "the bureau drafts appears here for signature.",
        ),
        "workbench.agreements.registry": ("授权运营协议（只读）", "Agreements (read-only)"),
        "workbench.agreements.registry_note": (
            "全部授权运营协议可在“授权管理”中只读查阅，包括协议文本、签章和变更记录。",
            "Every agreement can be read on the Authorizations page: its text, signatures "
            "and changes.",
        ),
        "workbench.finance": ("数据收益", "Data revenue"),
        "workbench.finance.lead": (
            "数据收益的核算、上缴和报告尚未上线。上线后，每份协议约定的政府收益分成和各运营机构按季度"
            "上缴的收益会在这里汇总，供财政部门核对和报告。",
            "Revenue accounting, remittance and reporting are not built yet. Once they are, "
            "each agreement's government share and what each operator remits every quarter "
            "are totalled here for the finance bureau to check and report.",
        ),
        "workbench.finance.disclosures": ("查看信息公开", "See the disclosures"),
        "workbench.finance.note": (
            "目前生效中的授权运营协议 {n} 份，涉及 {operators} 家运营机构；已公开的协议信息可在门户"
            "“信息公开”中查阅。",
            "At present {n} agreements are in force, held by {operators} operators; what is "
            "disclosed of them is on the portal's Disclosures page.",
        ),
    }
)


def _in_force(today: date) -> list[ColumnElement[bool]]:
    return [
        Authorization.status.in_(st.IN_FORCE),
        Authorization.term_start <= today,
        Authorization.term_end >= today,
    ]


def _count(session: Session, *conditions: ColumnElement[bool]) -> int:
    return session.scalar(select(func.count(Authorization.id)).where(*conditions)) or 0


def _operators_in_force(session: Session, today: date) -> int:
    query = select(func.count(func.distinct(Authorization.operator_id))).where(*_in_force(today))
    return session.scalar(query) or 0


def _first(
    session: Session, conditions: Sequence[ColumnElement[bool]], *order: Any
) -> list[Authorization]:
    query = select(Authorization).where(*conditions).order_by(*order, Authorization.id)
    return list(session.scalars(query.limit(ROWS)))


def _unsigned_by(party: str) -> ColumnElement[bool]:
    signed = exists().where(
        AgreementSignature.authorization_id == Authorization.id,
        AgreementSignature.version == Authorization.version,
        AgreementSignature.party == party,
    )
    return and_(Authorization.status.in_(st.SIGNABLE), ~signed)


def _expiring(today: date) -> list[ColumnElement[bool]]:
    return [
        Authorization.status.in_(_RUNNING),
        Authorization.term_end >= today,
        Authorization.term_end <= today + timedelta(days=EXPIRY_DAYS),
    ]


def _href(authorization_id: uuid.UUID) -> str:
    return f"{LIST}/{authorization_id}"


def _by_state_chart(ctx: Context, actor: Principal) -> dict[str, object] | None:
    rows = ctx.session.execute(
        select(Authorization.status, func.count(Authorization.id))
        .where(seen_by(actor))
        .group_by(Authorization.status)
    ).all()
    counts = dict(rows)
    shown = [s for s in st.AUTHORIZATION.states if counts.get(s)]
    if not shown:
        return None
    return bar_chart(
        ctx._("workbench.agreements.chart"),
        [ctx._(f"state.authorization.{s}") for s in shown],
        [int(counts[s]) for s in shown],
    )


@dataclass(frozen=True)
class _Group:
    key: str
    href: str
    total: int
    rows: list[Authorization]
    term_end: bool  # show each agreement's last day as its due date


def _agreement_text(ctx: Context, a: Authorization, names: dict[uuid.UUID, str] | None) -> str:
    """An agreement as a line: its number, the operator (unless it is the reader's own), the
    scenario."""
    if names is None:
        return ctx._("workbench.agreements.own_row", number=a.number, scenario=a.scenario)
    return ctx._(
        "workbench.agreements.row",
        number=a.number,
        operator=names.get(a.operator_id, "—"),
        scenario=a.scenario,
    )


def _agreement_todos(
    ctx: Context, scope: ColumnElement[bool], party: str, *, own: bool
) -> list[Todo]:
    """Within ``scope``: agreements under review (the bureau decides them), those whose
    current version ``party`` has not signed, and those expiring."""
    wanted: list[tuple[str, str, list[ColumnElement[bool]], Any, bool]] = []
    if not own:
        under_review = [scope, Authorization.status == st.UNDER_REVIEW]
        review_list = f"{LIST}?status={st.UNDER_REVIEW}"
        wanted.append(
            (
                "workbench.agreements.review",
                review_list,
                under_review,
                Authorization.created_at,
                False,
            )
        )
    unsigned = [scope, _unsigned_by(party)]
    wanted.append(("workbench.agreements.to_sign", LIST, unsigned, Authorization.created_at, False))
    expiring = [scope, *_expiring(ctx.today)]
    wanted.append(("workbench.agreements.expiring", LIST, expiring, Authorization.term_end, True))
    groups = []
    for key, href, conditions, order, term_end in wanted:
        total = _count(ctx.session, *conditions)
        if total:
            groups.append(
                _Group(key, href, total, _first(ctx.session, conditions, order), term_end)
            )
    names = (
        None if own else parties.names(ctx.session, {a.operator_id for g in groups for a in g.rows})
    )
    return [
        Todo(
            ctx._(g.key, n=g.total, days=EXPIRY_DAYS),
            _href(g.rows[0].id) if g.total == 1 else g.href,
            rows=[
                Todo(
                    _agreement_text(ctx, a, names),
                    _href(a.id),
                    due=a.term_end.isoformat() if g.term_end and a.term_end else "",
                )
                for a in g.rows
            ],
        )
        for g in groups
    ]


# -- the bureau ------------------------------------------------------------------------------


def _bureau(ctx: Context) -> PanelContent:
    scope = seen_by(ctx.principal)
    in_force = _count(ctx.session, scope, *_in_force(ctx.today))
    return PanelContent(
        todos=_agreement_todos(ctx, scope, "bureau", own=False),
        figures=[
            Figure(ctx._("workbench.agreements.in_force"), str(in_force), LIST),
        ],
        chart=_by_state_chart(ctx, ctx.principal),
        note=ctx._("workbench.agreements.none", days=EXPIRY_DAYS),
        more_href=LIST,
    )


def _exit_rows(
    ctx: Context, conditions: list[ColumnElement[bool]]
) -> tuple[int, list[tuple[ExitRequest, Authorization]]]:
    session = ctx.session
    total = (
        session.scalar(
            select(func.count(ExitRequest.id))
            .join(Authorization, Authorization.id == ExitRequest.authorization_id)
            .where(*conditions)
        )
        or 0
    )
    if not total:
        return 0, []
    rows = session.execute(
        select(ExitRequest, Authorization)
        .join(Authorization, Authorization.id == ExitRequest.authorization_id)
        .where(*conditions)
        .order_by(ExitRequest.exit_date, ExitRequest.id)
        .limit(ROWS)
    ).all()
    return total, [(e, a) for e, a in rows]


def _order_rows(
    ctx: Context, conditions: list[ColumnElement[bool]]
) -> tuple[int, list[tuple[RectificationOrder, Authorization]]]:
    session = ctx.session
    total = (
        session.scalar(
            select(func.count(RectificationOrder.id))
            .join(Authorization, Authorization.id == RectificationOrder.authorization_id)
            .where(*conditions)
        )
        or 0
    )
    if not total:
        return 0, []
    rows = session.execute(
        select(RectificationOrder, Authorization)
        .join(Authorization, Authorization.id == RectificationOrder.authorization_id)
        .where(*conditions)
        .order_by(RectificationOrder.deadline, RectificationOrder.id)
        .limit(ROWS)
    ).all()
    return total, [(o, a) for o, a in rows]


def _bureau_exits(ctx: Context) -> PanelContent:
    today = ctx.today
    exit_groups = [
        ("workbench.exits.requested", [ExitRequest.status == st.EXIT_REQUESTED], False),
        (
            "workbench.exits.due",
            [ExitRequest.status == st.EXIT_APPROVED, ExitRequest.exit_date <= today],
            True,
        ),
        ("workbench.exits.handover", [ExitRequest.status == st.EXIT_HANDOVER], False),
    ]
    order_groups = [
        ("workbench.rect.reported", [RectificationOrder.status == st.RECT_REPORTED], False),
        (
            "workbench.rect.late",
            [RectificationOrder.status == st.RECT_OPEN, RectificationOrder.deadline < today],
            True,
        ),
    ]
    found_exits = [(key, late, *_exit_rows(ctx, c)) for key, c, late in exit_groups]
    found_orders = [(key, late, *_order_rows(ctx, c)) for key, c, late in order_groups]
    names = parties.names(
        ctx.session,
        {a.operator_id for *_, rows in found_exits for _, a in rows}
        | {a.operator_id for *_, rows in found_orders for _, a in rows},
    )
    todos = []
    for key, late, n, exit_rows in found_exits:
        if n:
            todos.append(
                Todo(
                    ctx._(key, n=n),
                    _href(exit_rows[0][1].id),
                    late=late,
                    rows=[
                        Todo(
                            ctx._(
                                "workbench.exits.row",
                                number=a.number,
                                operator=names.get(a.operator_id, "—"),
                                kind=ctx._(f"exit_kind.{e.kind}"),
                            ),
                            _href(a.id),
                            meta=ctx._("workbench.exits.date", date=e.exit_date.isoformat()),
                        )
                        for e, a in exit_rows
                    ],
                )
            )
    for key, late, n, order_rows in found_orders:
        if n:
            todos.append(
                Todo(
                    ctx._(key, n=n),
                    _href(order_rows[0][1].id),
                    late=late,
                    rows=[
                        Todo(
                            ctx._(
                                "workbench.rect.row",
                                number=a.number,
                                operator=names.get(a.operator_id, "—"),
                                grounds=ctx._(f"grounds.{o.grounds}"),
                            ),
                            _href(a.id),
                            due=o.deadline.isoformat(),
                            late=o.deadline < today,
                        )
                        for o, a in order_rows
                    ],
                )
            )
    return PanelContent(todos=todos, note=ctx._("workbench.exits.none"), more_href=LIST)


# -- an operator -----------------------------------------------------------------------------


def _operator(ctx: Context) -> PanelContent:
    actor = ctx.principal
    scope = seen_by(actor)
    if not _count(ctx.session, scope):
        return PanelContent(note=ctx._("workbench.operator.nothing"))
    todos = _agreement_todos(ctx, scope, "operator", own=True)
    today = ctx.today
    n, orders = _order_rows(ctx, [scope, RectificationOrder.status == st.RECT_OPEN])
    if n:
        todos.append(
            Todo(
                ctx._("workbench.operator.rect", n=n),
                _href(orders[0][1].id),
                late=any(o.deadline < today for o, _ in orders),
                rows=[
                    Todo(
                        ctx._(
                            "workbench.operator.rect_row",
                            number=a.number,
                            grounds=ctx._(f"grounds.{o.grounds}"),
                            text=_short(o.description),
                        ),
                        _href(a.id),
                        due=o.deadline.isoformat(),
                        late=o.deadline < today,
                    )
                    for o, a in orders
                ],
            )
        )
    n, exits = _exit_rows(ctx, [scope, ExitRequest.status.in_(st.EXIT_IN_PROGRESS)])
    if n:
        todos.append(
            Todo(
                ctx._("workbench.operator.exits", n=n),
                _href(exits[0][1].id),
                rows=[
                    Todo(
                        ctx._(
                            "workbench.operator.exit_row",
                            number=a.number,
                            state=ctx._(f"state.exit.{e.status}"),
                        ),
                        _href(a.id),
                        meta=ctx._("workbench.exits.date", date=e.exit_date.isoformat()),
                    )
                    for e, a in exits
                ],
            )
        )
    in_force = _count(ctx.session, scope, *_in_force(today))
    return PanelContent(
        todos=todos,
        figures=[Figure(ctx._("workbench.agreements.in_force"), str(in_force), LIST)],
        note=ctx._("workbench.operator.none"),
        more_href=LIST,
    )


def _short(text: str, length: int = 30) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"


# -- the registry and the finance bureau -----------------------------------------------------


def _registry(ctx: Context) -> PanelContent:
    scope = seen_by(ctx.principal)
    return PanelContent(
        figures=[
            Figure(
                ctx._("workbench.agreements.in_force"),
                str(_count(ctx.session, scope, *_in_force(ctx.today))),
                LIST,
            ),
            Figure(ctx._("workbench.agreements.total"), str(_count(ctx.session, scope)), LIST),
        ],
        chart=_by_state_chart(ctx, ctx.principal),
        note=ctx._("workbench.agreements.registry_note"),
        more_href=LIST,
    )


def _finance(ctx: Context) -> PanelContent:
    """Counts only: the finance bureau reads no agreement (it has no ``authorizations.read``)."""
    in_force = _count(ctx.session, *_in_force(ctx.today))
    operators = _operators_in_force(ctx.session, ctx.today)
    return PanelContent(
        figures=[
            Figure(ctx._("workbench.agreements.in_force"), str(in_force)),
            Figure(ctx._("workbench.agreements.operators"), str(operators)),
        ],
        lead=ctx._("workbench.finance.lead"),
        note=ctx._("workbench.finance.note", n=in_force, operators=operators),
        more_href=DISCLOSURES,
        more_label=ctx._("workbench.finance.disclosures"),
    )


add_panel(
    Panel(
        "workbench.agreements",
        Permission.AUTHORIZATIONS_MANAGE,
        _bureau,
        order=30,
        roles=frozenset({Role.BUREAU}),
    )
)
add_panel(
    Panel(
        "workbench.exits",
        Permission.EXITS_DECIDE,
        _bureau_exits,
        order=35,
        roles=frozenset({Role.BUREAU}),
    )
)
add_panel(
    Panel(
        "workbench.operator",
        Permission.AUTHORIZATIONS_READ,
        _operator,
        order=20,
        roles=frozenset({Role.OPERATOR}),
    )
)
add_panel(
    Panel(
        "workbench.agreements.registry",
        Permission.AUTHORIZATIONS_READ,
        _registry,
        order=20,
        roles=frozenset({Role.REGISTRY}),
    )
)
add_panel(
    Panel(
        "workbench.finance",
        Permission.CONSOLE_VIEW,
        _finance,
        order=10,
        roles=frozenset({Role.FINANCE}),
    )
)
