"""Leaving an authorization: voluntary exit, rectification and forced exit (R5.4–R5.7).

* Voluntary exit (R5.4): the operator asks in writing at least ``exit_notice_months``
  months before the exit date (shorter notice is refused); the bureau approves or refuses
  with reasons; on the exit date the authorization is terminated.
* Forced exit (R5.5): the bureau orders rectification with a deadline. A missed deadline
  ends the agreement at once: the sweep notices, on the bureau's earlier order and the
  operator's own silence, with nobody deciding on the spot. So does the operator's refusal
  to rectify (拒不整改, ``endings.refuse_rectification``). A failed check is a person's
  judgement that shreds the agreement's data, so it is irreversible and needs four eyes
  (N1, DESIGN §7): ``check_rectification`` with ``passed=False`` files a request; the
  order is failed and the exit forced only when a second bureau user approves it, or when
  it cites a collective decision someone else recorded (``sluice.approvals``). A refused,
  failed or missed rectification records that liability is pursued (依法追究责任).
* For a major breach or violation the bureau may force the exit directly, without a
  rectification first (有权强制其退出): ``force_exit_directly`` files the same kind of
  request, carried out on a second approval.
* Either way, carrying out the exit ends the agreement, which closes access and destroys
  the data (``endings.execute_exit``); a handover checklist follows (``open_handover``),
  with pursuing liability on it when liability is pursued. Assets are disposed of by R5.7
  as at every ending (``assets``): public data assets and the products developed go to
  the government, software and hardware as the agreement set, the operator's own
  investments stay its. A forced exit opens a new selection for the scenario.
"""

from __future__ import annotations

import calendar
import uuid
from datetime import date, datetime
from typing import Final

from sqlalchemy.orm import Session

from sluice.approvals import service as approvals
from sluice.approvals.models import ApprovalRequest
from sluice.audit import details as audit_details
from sluice.audit import service as audit
from sluice.authorizations import assets, repository, service
from sluice.authorizations import states as st
from sluice.authorizations.models import (
    AssetDisposal,
    Authorization,
    ExitRequest,
    HandoverItem,
    RectificationOrder,
)
from sluice.authorizations.schemas import ExitIn, RectificationIn
from sluice.core.clock import local
from sluice.core.errors import Conflict, InvalidInput, NotFound
from sluice.core.i18n import MessageRef, add_messages, translate
from sluice.core.permissions import Permission
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.core.workdays import add_working_days, working_days_between

EXIT_REQUESTED = "exit.requested"
FORCED_EXIT = "exit.forced"
RECTIFICATION_ISSUED = "rectification.issued"
HANDOVER_DONE = "exit.handover_item_done"
ASSET_DISPOSED = assets.ASSET_DISPOSED
LIABILITY_PURSUED = "exit.liability_pursued"

audit.declare_actions(
    {
        EXIT_REQUESTED: ("申请退出", "Exit requested"),
        FORCED_EXIT: ("强制退出", "Forced exit"),
        RECTIFICATION_ISSUED: ("下达整改通知", "Rectification ordered"),
        HANDOVER_DONE: ("完成交接事项", "Handover item done"),
        LIABILITY_PURSUED: ("依法追究责任", "Liability pursued"),
    }
)

audit_details.declare_detail_labels(
    {
        "liability": ("责任追究", "Liability"),
        "why": ("原因", "Why"),
        "direct": ("未经整改直接强制退出", "Forced directly, without rectification"),
    }
)
audit_details.declare_detail_values(
    "why",
    values={
        "refused": ("拒不整改", "Refused to rectify"),
        "failed": ("整改不合格", "Rectification failed"),
        "overdue": ("逾期未整改", "Deadline missed"),
    },
)

#: R5.7: who gets each kind of asset the bureau adds at an exit. Never chosen freely.
ASSET_OWNER: Final = assets.FIXED_OWNER
#: What a forced exit may be for, directly or after rectification (R5.5).
FORCE_GROUNDS: Final = ("major_breach", "violation", "major_incident")
#: The handover item of an exit after which liability is pursued (R5.5).
PURSUE_LIABILITY: Final = "依法追究运营机构责任（移送或提起追责程序并记录结果）"

DEFAULT_HANDOVER: Final = (
    "注销运营机构在平台上的账号、密钥和访问凭证",
    "移交已开发数据产品的模型、代码和文档",
    "移交在途订单、客户服务和投诉处理",
    "结清收益分配和平台费用",
    "核对留存数据已删除销毁（见销毁证明）",
    "提交退出总结报告",
)

add_messages(
    {
        "asset_kind.public_data_asset": ("公共数据资产", "Public data asset"),
        "asset_kind.product": ("已开发的数据产品", "Developed product"),
        "asset_kind.operator_investment": ("运营机构自有投入", "Operator's own investment"),
        "asset_owner.government": ("归政府", "Goes to the government"),
        "asset_owner.operator": ("归运营机构", "Stays with the operator"),
        "exit_kind.voluntary": ("自愿退出", "Voluntary"),
        "exit_kind.forced": ("强制退出", "Forced"),
        "grounds.violation": ("违法违规", "Violation"),
        "grounds.breach": ("违反协议约定", "Breach of agreement"),
        "grounds.major_incident": ("重大安全事件", "Major security incident"),
        "grounds.major_breach": ("重大违约", "Major breach of agreement"),
        "exit.liability.refused": (
            "运营机构拒不整改，依法追究责任。",
            "The operator refused to rectify; liability is pursued.",
        ),
        "exit.liability.failed": (
            "整改不合格，依法追究责任。",
            "The rectification failed; liability is pursued.",
        ),
        "exit.liability.overdue": (
            "逾期未整改，依法追究责任。",
            "The rectification deadline was missed; liability is pursued.",
        ),
        "exit.bad_grounds": (
            "直接强制退出须以重大违约、违法违规或重大安全事件为由，不能是 {grounds}。",
            "A direct forced exit must rest on a major breach, a violation or a major security "
            "incident, not {grounds}.",
        ),
        "exit.not_found": ("退出申请不存在。", "There is no such exit."),
        "exit.notice_too_short": (
            "退出须至少提前 {months} 个月书面申请：最早可在 {earliest} 退出，申请的退出日期为 "
            "{requested}。",
            "An exit must be requested in writing at least {months} months ahead: the "
            "earliest exit date is {earliest}, the date asked for is {requested}.",
        ),
        "exit.not_in_force": (
            "授权处于“{status}”状态，无需申请退出。",
            "The authorization is {status}; there is nothing to exit from.",
        ),
        "exit.pending": (
            "该授权已有待处理的退出申请。",
            "This authorization already has an exit in progress.",
        ),
        "exit.not_operator": (
            "只有被授权的运营机构可以申请退出。",
            "Only the authorized operator may request an exit.",
        ),
        "exit.handover_open": (
            "还有 {count} 项交接事项未完成：{items}。",
            "{count} handover items are still open: {items}.",
        ),
        "exit.item_not_found": ("交接事项不存在。", "There is no such handover item."),
        "exit.bad_asset_kind": ("未知的资产类别：{kind}。", "Unknown asset kind: {kind}."),
        "exit.not_due": (
            "退出日期 {date} 尚未到，不能执行。",
            "The exit date {date} has not come; the exit cannot be carried out yet.",
        ),
        "rect.not_found": ("整改通知不存在。", "There is no such rectification order."),
        "rect.report_late": (
            "整改期限 {deadline} 已过，不能再提交整改报告。",
            "The rectification deadline {deadline} has passed; the report can no longer be "
            "submitted.",
        ),
        "rect.deadline_past": (
            "整改期限须晚于今天。",
            "The rectification deadline must be after today.",
        ),
        "rect.deadline_too_soon": (
            "整改期限至少须留出 {days} 个工作日，最早为 {earliest}。",
            "The rectification deadline must leave at least {days} working days; the earliest "
            "is {earliest}.",
        ),
        "rect.not_in_force": (
            "只能对生效中或已暂停的授权下达整改通知。",
            "Rectification can only be ordered on an authorization in force or suspended.",
        ),
    }
)


def _add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or that month's last day when it is shorter."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def earliest_exit_date(settings: Settings, requested_on: date) -> date:
    return _add_months(requested_on, settings.exit_notice_months)


def seen_exit(
    session: Session,
    actor: Principal,
    exit_id: uuid.UUID,
    *,
    authorization_id: uuid.UUID | None = None,
) -> ExitRequest:
    """The exit if the actor sees its agreement (and, if given, it is under that one)."""
    found = repository.exit_for(session, actor, exit_id, authorization_id=authorization_id)
    if found is None:
        raise NotFound("exit.not_found")
    return found


def exits(session: Session, actor: Principal, authorization_id: uuid.UUID) -> list[ExitRequest]:
    """The exits of an agreement the actor may see, oldest first."""
    actor.require(Permission.AUTHORIZATIONS_READ)
    return repository.exits_for(session, actor, service.seen(session, actor, authorization_id).id)


def seen_order(
    session: Session,
    actor: Principal,
    order_id: uuid.UUID,
    *,
    authorization_id: uuid.UUID | None = None,
) -> RectificationOrder:
    """The order if the actor sees its agreement (and, if given, it is under that one)."""
    found = repository.rectification_for(
        session, actor, order_id, authorization_id=authorization_id
    )
    if found is None:
        raise NotFound("rect.not_found")
    return found


def rectifications(
    session: Session, actor: Principal, authorization_id: uuid.UUID
) -> list[RectificationOrder]:
    """The rectification orders of an agreement the actor may see, oldest first."""
    actor.require(Permission.AUTHORIZATIONS_READ)
    agreement = service.seen(session, actor, authorization_id)
    return repository.rectifications_for(session, actor, agreement.id)


def request_exit(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    at: datetime,
    authorization_id: uuid.UUID,
    data: ExitIn,
) -> ExitRequest:
    actor.require(Permission.EXITS_REQUEST)
    authorization = service.seen(session, actor, authorization_id)
    if authorization.operator_id != actor.organization_id:
        raise NotFound("authz.not_found")
    if authorization.status not in (st.ACTIVE, st.SUSPENDED, st.EXPIRING, st.RENEWED):
        raise Conflict(
            "exit.not_in_force", status=MessageRef(f"state.authorization.{authorization.status}")
        )
    if repository.open_exit(session, authorization.id) is not None:
        raise Conflict("exit.pending")
    today = local(at).date()
    earliest = earliest_exit_date(settings, today)
    if data.exit_date < earliest:
        raise InvalidInput(
            "exit.notice_too_short",
            problem_code="exit_notice_too_short",
            months=settings.exit_notice_months,
            earliest=earliest.isoformat(),
            requested=data.exit_date.isoformat(),
        )
    request = ExitRequest(
        authorization_id=authorization.id,
        kind="voluntary",
        status=st.EXIT.initial,
        letter=data.letter,
        exit_date=data.exit_date,
        requested_by=actor.username,
        requested_at=at,
    )
    session.add(request)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=EXIT_REQUESTED,
        target_type="authorization",
        target_id=authorization.id,
        at=at,
        detail={"exit_date": data.exit_date.isoformat(), "exit": str(request.id)},
    )
    return request


def decide_exit(
    session: Session,
    *,
    actor: Principal,
    at: datetime,
    exit_id: uuid.UUID,
    approve: bool,
    reason: str,
) -> ExitRequest:
    actor.require(Permission.EXITS_DECIDE)
    request = seen_exit(session, actor, exit_id)
    st.EXIT.fire(
        request,
        "approve" if approve else "refuse",
        session=session,
        actor=actor,
        at=at,
        detail={"reason": reason},
    )
    request.decision_reason = reason
    request.decided_by = actor.username
    request.decided_at = at
    return request


def open_handover(
    session: Session,
    request: ExitRequest,
    authorization: Authorization,
    *,
    actor: Principal,
    at: datetime,
) -> None:
    """The executed exit's handover checklist; pursuing liability is on it when the exit
    follows a refused, failed or missed rectification. (The assets were disposed of as the
    agreement ended: ``assets.dispose_at_ending``.)"""
    titles = (*DEFAULT_HANDOVER, PURSUE_LIABILITY) if request.liability else DEFAULT_HANDOVER
    for position, title in enumerate(titles, start=1):
        session.add(HandoverItem(exit_id=request.id, position=position, title=title))
    session.flush()


def pursue_liability(
    session: Session,
    request: ExitRequest,
    *,
    why: str,
    actor: Principal,
    at: datetime,
) -> None:
    """Record on the forced exit that liability is pursued (依法追究责任, R5.5), and why."""
    request.liability = translate(f"exit.liability.{why}", "zh-CN")
    audit.record(
        session,
        actor=actor,
        action=LIABILITY_PURSUED,
        target_type="authorization",
        target_id=request.authorization_id,
        at=at,
        detail={"exit": str(request.id), "why": why, "liability": request.liability},
    )


def record_asset(
    session: Session,
    *,
    actor: Principal,
    at: datetime,
    exit_id: uuid.UUID,
    name: str,
    kind: str,
    description: str = "",
) -> AssetDisposal:
    actor.require(Permission.EXITS_DECIDE)
    request = seen_exit(session, actor, exit_id)
    st.EXIT.require(request, "complete")
    if kind not in ASSET_OWNER:
        raise InvalidInput("exit.bad_asset_kind", kind=kind)
    authorization = service.seen(session, actor, request.authorization_id)
    return assets.dispose(
        session,
        authorization=authorization,
        exit_id=request.id,
        name=name,
        kind=kind,
        goes_to=ASSET_OWNER[kind],
        actor=actor,
        at=at,
        description=description,
    )


def handover_items(session: Session, exit_id: uuid.UUID) -> list[HandoverItem]:
    """The checklist of an exit already read through ``seen_exit``, in order."""
    return repository.handover_items(session, exit_id)


def disposals(session: Session, exit_id: uuid.UUID) -> list[AssetDisposal]:
    """The disposals of an exit already read through ``seen_exit``."""
    return repository.disposals(session, exit_id)


def mark_handover_done(
    session: Session,
    *,
    actor: Principal,
    at: datetime,
    item_id: uuid.UUID,
    note: str | None = None,
    exit_id: uuid.UUID | None = None,
) -> HandoverItem:
    """Tick one item off; with ``exit_id``, only an item of that exit."""
    actor.require(Permission.EXITS_DECIDE)
    item = repository.handover_item_for(session, actor, item_id, exit_id=exit_id)
    if item is None:
        raise NotFound("exit.item_not_found")
    st.EXIT.require(seen_exit(session, actor, item.exit_id), "complete")
    item.done_at = at
    item.done_by = actor.username
    item.note = note
    audit.record(
        session,
        actor=actor,
        action=HANDOVER_DONE,
        target_type="exit",
        target_id=item.exit_id,
        at=at,
        detail={"item": item.title},
    )
    return item


def complete_exit(
    session: Session, *, actor: Principal, at: datetime, exit_id: uuid.UUID
) -> ExitRequest:
    actor.require(Permission.EXITS_DECIDE)
    request = seen_exit(session, actor, exit_id)
    st.EXIT.require(request, "complete")
    still_open = [i.title for i in handover_items(session, request.id) if i.done_at is None]
    if still_open:
        raise Conflict("exit.handover_open", count=len(still_open), items="；".join(still_open))
    st.EXIT.fire(request, "complete", session=session, actor=actor, at=at)
    request.completed_at = at
    return request


# -- rectification and forced exit ---------------------------------------------------------


def issue_rectification(
    session: Session,
    *,
    actor: Principal,
    at: datetime,
    settings: Settings,
    authorization_id: uuid.UUID,
    data: RectificationIn,
) -> RectificationOrder:
    """Order rectification by a deadline. A missed deadline later forces the exit on its
    own (the sweep), so the deadline leaves at least ``rectification_min_working_days``."""
    actor.require(Permission.RECTIFICATIONS_ISSUE)
    authorization = service.seen(session, actor, authorization_id)
    if authorization.status not in (st.ACTIVE, st.SUSPENDED, st.EXPIRING, st.RENEWED):
        raise Conflict("rect.not_in_force")
    today = local(at).date()
    if data.deadline <= today:
        raise InvalidInput("rect.deadline_past")
    least = settings.rectification_min_working_days
    if working_days_between(today, data.deadline) < least:
        raise InvalidInput(
            "rect.deadline_too_soon",
            days=least,
            earliest=add_working_days(today, least).isoformat(),
        )
    order = RectificationOrder(
        authorization_id=authorization.id,
        grounds=data.grounds,
        description=data.description,
        deadline=data.deadline,
        status=st.RECTIFICATION.initial,
        issued_by=actor.username,
        issued_at=at,
    )
    session.add(order)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=RECTIFICATION_ISSUED,
        target_type="authorization",
        target_id=authorization.id,
        at=at,
        detail={"grounds": data.grounds, "deadline": data.deadline.isoformat()},
    )
    return order


def report_rectification(
    session: Session, *, actor: Principal, at: datetime, order_id: uuid.UUID, report: str
) -> RectificationOrder:
    actor.require(Permission.RECTIFICATIONS_RESPOND)
    order = seen_order(session, actor, order_id)
    authorization = service.seen(session, actor, order.authorization_id)
    if authorization.operator_id != actor.organization_id:
        raise NotFound("rect.not_found")
    if local(at).date() > order.deadline:
        raise Conflict("rect.report_late", deadline=order.deadline.isoformat())
    st.RECTIFICATION.fire(order, "report", session=session, actor=actor, at=at)
    order.report = report
    order.reported_at = at
    return order


#: The irreversible act of failing a rectification and forcing the exit: filed here,
#: carried out by ``endings``.
FORCE = "exit.force"
#: The irreversible act of forcing the exit directly for a major breach or violation,
#: without a rectification first: filed here, carried out by ``endings``.
FORCE_DIRECT = "authorization.force_exit"


def force_exit_directly(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    at: datetime,
    authorization_id: uuid.UUID,
    grounds: str,
    description: str,
    decision_id: uuid.UUID | None = None,
) -> ApprovalRequest:
    """Ask to force the operator out at once for a major breach, a violation or a major
    security incident (R5.5, 有权强制其退出). Nothing ends until a second bureau user
    approves, or at once on a cited collective decision someone else recorded. Returns the
    request (``approved`` if it was carried out)."""
    actor.require(Permission.EXITS_DECIDE)
    authorization = service.seen(session, actor, authorization_id)
    if grounds not in FORCE_GROUNDS:
        raise InvalidInput("exit.bad_grounds", grounds=grounds)
    return approvals.request(
        session,
        actor=actor,
        settings=settings,
        at=at,
        act=FORCE_DIRECT,
        target_id=authorization.id,
        grounds=description,
        params={"grounds": grounds},
        decision_id=decision_id,
    )


def check_rectification(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    at: datetime,
    order_id: uuid.UUID,
    passed: bool,
    note: str,
    decision_id: uuid.UUID | None = None,
) -> tuple[RectificationOrder, ApprovalRequest | None]:
    """A passed check is recorded at once. A failed one forces the exit, so it is filed as
    a request for a second bureau user (the order stays ``reported`` until then); the
    request is returned with the order, ``approved`` if a cited decision carried it out."""
    actor.require(Permission.RECTIFICATIONS_ISSUE)
    order = seen_order(session, actor, order_id)
    if not passed:
        request = approvals.request(
            session,
            actor=actor,
            settings=settings,
            at=at,
            act=FORCE,
            target_id=order.id,
            grounds=note,
            params={"note": note},
            decision_id=decision_id,
        )
        return order, request
    approvals.refuse_while_pending(session, act=FORCE, target_id=order.id)
    st.RECTIFICATION.fire(order, "pass", session=session, actor=actor, at=at, detail={"note": note})
    order.check_note = note
    order.checked_at = at
    return order, None
