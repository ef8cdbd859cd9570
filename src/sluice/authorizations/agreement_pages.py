"""Console pages of authorization agreements: the list, drafting with the catalog entry
picker, the detail page and what can be done there (submit, decide, sign, suspend, resume,
terminate, renew, change the scope).

Thin: every change goes through the same services the REST API calls; the pages only turn
forms into the API's schemas and show refusals in the reader's language, keeping what was
typed. Which buttons a page offers is worked out here for display only; the services
decide and refuse. Exits and rectification (``exit_pages``) act from the detail page too.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from sluice.approvals import service as approvals
from sluice.approvals import states as approval_states
from sluice.authorizations import (
    assets,
    attestations,
    comments,
    destruction,
    exits,
    parties,
    repository,
    service,
)
from sluice.authorizations import shared_pages as forms
from sluice.authorizations import states as st
from sluice.authorizations.clauses import (
    DEFAULT_TEXT,
    GRANTABLE_RIGHTS,
    MODES,
    TEXT_CLAUSES,
    AgreementClauses,
    ProductClause,
    RevenueClause,
)
from sluice.authorizations.models import Authorization
from sluice.authorizations.schemas import AuthorizationCreate, ScopeChange
from sluice.authorizations.shared_pages import Manager, Reader, Signer
from sluice.catalog.vocabulary import DOMAINS
from sluice.core.clock import Clock, local
from sluice.core.database import undo_keeping_refusal
from sluice.core.errors import SluiceError
from sluice.core.i18n import MessageRef, add_messages, translate
from sluice.core.paging import ListQuery
from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.operators.selection import service as selection
from sluice.web.deps import AppClock, AppSettings, DbSession, Locale
from sluice.web.forms import parse_form
from sluice.web.listing import ListSpec, render_list
from sluice.web.picker import PickItem, PickResult, add_picker
from sluice.web.templating import NavItem, add_nav, render

router = APIRouter(tags=["console"])

#: How many catalog hits the entry picker shows: the catalog has thousands of entries.
SEARCH_SIZE: Final = 10
#: The two lists the entry picker fills: a new draft's scope, and a scope change's additions.
PICK_FIELDS: Final = ("entry_ids", "add_entry_ids")
#: Empty product rows a new draft offers.
PRODUCT_ROWS: Final = 3
#: States in which an exit may be requested and a rectification ordered (as ``exits`` checks).
EXITABLE: Final = frozenset({st.ACTIVE, st.SUSPENDED, st.EXPIRING})
DEFAULT_REVENUE_METHOD: Final = (
    "授权运营收入按年度单独核算；政府分成部分按季度缴入市财政局指定账户，"
    "分配比例可按评估结果动态调整，调整以新版本协议记载。"
)

add_nav(
    NavItem("nav.authorizations", "/console/authorizations", P.AUTHORIZATIONS_READ, order=70),
)
add_messages(
    {
        "nav.authorizations": ("授权运营协议", "Authorizations"),
        "authz_page.title": ("授权运营协议", "Authorizations"),
        "authz_page.lead": (
            "数据局是唯一的授权主体：依据经集体决策批准的实施方案，与资格审核通过的运营机构"
            "签订授权运营协议；协议经三重一大集体决策批准、双方 SM2 签署后生效。",
            "The bureau alone authorizes: under an implementation plan approved by collective "
            "decision it makes an agreement with a qualified operator; the agreement takes "
            "effect once a collective decision approved it and both parties signed it (SM2).",
        ),
        "authz_page.lead_operator": (
            "本单位获得的授权运营协议。",
            "The authorizations your company holds.",
        ),
        "authz_page.new": ("起草授权协议", "Draft an authorization"),
        "authz_page.empty_bureau": (
            "还没有授权运营协议。先在“实施方案”中编制并批准方案，再点“起草授权协议”。",
            "No agreement yet. Approve an implementation plan first, then choose “Draft an "
            "authorization”.",
        ),
        "authz_page.empty_reader": (
            "还没有授权运营协议。",
            "No agreement yet.",
        ),
        "authz_page.empty_operator": (
            "贵单位还没有授权运营协议：资格审核通过并经遴选后，数据局起草的协议会出现在这里。",
            "Your company holds no agreement yet: once qualified and selected, the agreement "
            "the bureau drafts appears here.",
        ),
        "authz_page.search_list": (
            "搜索协议编号、应用场景或运营机构",
            "Search by number, scenario or operator",
        ),
        "authz_page.expiring": ("到期", "Ending"),
        "authz_page.within_days": ("{days} 天内到期", "Within {days} days"),
        "authz_page.number": ("协议编号", "Number"),
        "authz_page.operator": ("运营机构", "Operator"),
        "authz_page.scenario": ("应用场景", "Scenario"),
        "authz_page.term": ("授权期限", "Term"),
        "authz_page.term_range": ("{start} 至 {end}", "{start} to {end}"),
        "authz_page.term_years": ("{years} 年（双方签署后起算）", "{years} years (from signing)"),
        "authz_page.plan": ("实施方案", "Implementation plan"),
        "authz_page.choose_plan": ("请选择已批准的实施方案", "Choose an approved plan"),
        "authz_page.no_plans": (
            "还没有经集体决策批准的实施方案，请先在“实施方案”中编制并批准。",
            "No implementation plan has been approved yet; draft and approve one first.",
        ),
        "authz_page.plan_not_approved": (
            "请选择经集体决策批准的实施方案。",
            "Choose an implementation plan approved by a collective decision.",
        ),
        "authz_page.operator_help": (
            "只有通过资格审核的运营机构可以选择。",
            "Only operators that passed the qualification review can be chosen.",
        ),
        "authz_page.round": ("竞争性磋商（可选）", "Consultation round (optional)"),
        "authz_page.no_round": ("不关联磋商", "None"),
        "authz_page.round_id": (
            "磋商编号（可选，UUID）",
            "Consultation round id (optional, UUID)",
        ),
        "authz_page.round_selected": ("选定：{name}", "selected: {name}"),
        "authz_page.mode": ("授权模式", "Mode"),
        "authz_page.domain": ("授权领域（分领域授权时必选）", "Domain (for a domain mode)"),
        "authz_page.no_domain": ("—", "—"),
        "authz_page.purpose": ("使用目的", "Purpose"),
        "authz_page.term_years_label": ("授权期限（年）", "Term (years)"),
        "authz_page.term_help": (
            "默认 {default} 年，最长 {max} 年。",
            "Default {default} years, at most {max}.",
        ),
        "authz_page.rights": ("授予的权利", "Rights granted"),
        "authz_page.scope": ("数据资源范围（已发布的目录条目）", "Scope (published entries)"),
        "authz_page.scope_current": ("当前授权范围", "Current scope"),
        "authz_page.search": ("搜索目录", "Search the catalog"),
        "authz_page.search_placeholder": (
            "输入关键词，如 企业、社保、不动产",
            "Keywords, e.g. 企业, 社保, 不动产",
        ),
        "authz_page.search_found": (
            "共 {total} 条，显示前 {shown} 条",
            "{total} found, showing {shown}",
        ),
        "authz_page.search_none": ("没有找到匹配的目录条目。", "No catalog entry matches."),
        "authz_page.add": ("加入", "Add"),
        "authz_page.chosen": ("已选条目（取消勾选即移除）", "Chosen (untick to remove)"),
        "authz_page.chosen_none": ("尚未选择条目。", "Nothing chosen yet."),
        "authz_page.entries_required": (
            "请至少选择一个已发布的目录条目。",
            "Choose at least one published catalog entry.",
        ),
        "authz_page.clauses": ("协议条款", "Clauses"),
        "authz_page.products": ("数据产品清单（至少一项）", "Products (at least one)"),
        "authz_page.product_name": ("产品名称", "Name"),
        "authz_page.product_description": ("产品说明", "Description"),
        "authz_page.product_review": ("安全合规审查方式", "Security and compliance review"),
        "authz_page.products_required": (
            "请至少填写一项数据产品（名称、说明、审查方式）。",
            "Fill in at least one product (name, description, review).",
        ),
        "authz_page.products_distinct": ("产品名称不能重复。", "Product names must differ."),
        "authz_page.government_share": (
            "政府分成比例（%，最多两位小数）",
            "Government share (%, up to two decimals)",
        ),
        "authz_page.share_invalid": (
            "请填写 0 到 100 之间的百分比，最多两位小数，如 12.50。",
            "Enter a percentage from 0 to 100 with at most two decimals, e.g. 12.50.",
        ),
        "authz_page.revenue_method": ("核算与分配方式", "Accounting and distribution"),
        "authz_page.create": ("保存草稿", "Save the draft"),
        "authz_page.back": ("返回授权列表", "Back to the authorizations"),
        "authz_page.purpose_label": ("使用目的", "Purpose"),
        "authz_page.version": ("当前版本", "Current version"),
        "authz_page.approved_by": ("批准决策", "Approved by"),
        "authz_page.renewed_from": ("续期自", "Renews"),
        "authz_page.renewed_by": ("续期协议", "Renewed by"),
        "authz_page.ended": ("终止", "Ended"),
        "authz_page.documents": ("协议文本", "Agreement document"),
        "authz_page.document_html": ("网页版", "HTML"),
        "authz_page.document_pdf": ("PDF 版", "PDF"),
        "authz_page.actions": ("可执行的操作", "What you can do"),
        "authz_page.no_actions": ("您当前无可执行的操作。", "Nothing for you to do now."),
        "authz_page.decision": ("集体决策（三重一大）", "Collective decision"),
        "authz_page.meeting": ("会议名称", "Meeting"),
        "authz_page.meeting_placeholder": ("如 2026年第12次局务会", "e.g. bureau meeting 12/2026"),
        "authz_page.held_on": ("会议日期", "Held on"),
        "authz_page.participants": ("参会人员（每行一人，至少 3 人）", "Participants (one a line)"),
        "authz_page.participants_short": ("参会人员", "Participants"),
        "authz_page.outcome": ("决策结果", "Outcome"),
        "authz_page.summary": ("会议纪要摘要", "Summary of the minutes"),
        "authz_page.record_decision": ("记录决策", "Record the decision"),
        "authz_page.decisions": ("决策记录", "Decisions"),
        "authz_page.sign": (
            "以本方名义签署第 {version} 版",
            "Sign version {version} for your side",
        ),
        "authz_page.sign_help": (
            "签署即以本单位 SM2 私钥对协议第 {version} 版规范文本的 SM3 摘要 {digest} 签名。",
            "Signing makes your organization's SM2 signature over the SM3 digest {digest} "
            "of version {version}'s canonical form.",
        ),
        "authz_page.reason": ("理由", "Reason"),
        "authz_page.renew": ("续期（依据集体决策）", "Renew (on a collective decision)"),
        "authz_page.scope_change": ("变更授权范围", "Change the scope"),
        "authz_page.scope_add": ("新增条目", "Entries to add"),
        "authz_page.scope_remove": ("勾选要撤回的条目", "Tick entries to remove"),
        "authz_page.scope_submit": ("生成新版本", "Make the new version"),
        "authz_page.rectify": ("下达整改通知", "Order rectification"),
        "authz_page.grounds": ("整改事由", "Grounds"),
        "authz_page.description": ("问题描述", "What is wrong"),
        "authz_page.deadline": ("整改期限", "Deadline"),
        "authz_page.exit_request": ("申请退出", "Request an exit"),
        "authz_page.exit_letter": ("书面申请（退出理由和安排）", "Written request"),
        "authz_page.exit_date": ("拟退出日期", "Exit date"),
        "authz_page.exit_help": (
            "须至少提前 {months} 个月申请：今天申请，最早可于 {earliest} 退出。",
            "At least {months} months' notice: asked today, the earliest exit date is {earliest}.",
        ),
        "authz_page.versions": ("版本与变更", "Versions and changes"),
        "authz_page.version_no": ("版本", "Version"),
        "authz_page.digest": ("SM3 摘要", "SM3 digest"),
        "authz_page.changes": ("与上一版的差异", "Changes from the previous version"),
        "authz_page.changes_none": ("首个版本", "First version"),
        "authz_page.change_added": ("新增数据资源：{item}", "Resource added: {item}"),
        "authz_page.change_removed": ("撤回数据资源：{item}", "Resource removed: {item}"),
        "authz_page.change_changed": ("{field}：{before} → {after}", "{field}: {before} → {after}"),
        "authz_page.created": ("时间", "Made"),
        "authz_page.signatures": ("签署记录", "Signatures"),
        "authz_page.party": ("签署方", "Party"),
        "authz_page.party.bureau": ("数据局", "Bureau"),
        "authz_page.party.operator": ("运营机构", "Operator"),
        "authz_page.signer": ("签署人", "Signer"),
        "authz_page.signed_at": ("签署时间", "Signed"),
        "authz_page.public_key": ("SM2 公钥", "SM2 public key"),
        "authz_page.signature": ("签名值", "Signature"),
        "authz_page.check": ("验签", "Check"),
        "authz_page.valid": ("有效", "valid"),
        "authz_page.invalid": ("无效", "INVALID"),
        "authz_page.signatures_none": ("尚无签署。", "Not signed yet."),
        "authz_page.reminders": ("到期提醒", "Expiry reminders"),
        "authz_page.reminder": (
            "期满（{end}）前 {days} 天提醒，发送于 {sent}",
            "{days} days before the end ({end}), sent {sent}",
        ),
        "authz_page.exits": ("退出", "Exits"),
        "authz_page.exit_kind": ("类型", "Kind"),
        "authz_page.decide_exit": ("审批退出申请", "Decide the exit"),
        "authz_page.approve_exit": ("同意", "Approve"),
        "authz_page.refuse_exit": ("不同意", "Refuse"),
        "authz_page.execute_exit": ("终止授权并开始交接", "End the authorization, hand over"),
        "authz_page.handover": ("交接清单", "Handover checklist"),
        "authz_page.mark_done": ("标记完成", "Mark done"),
        "authz_page.done_by": ("{who} 于 {at} 完成", "done by {who}, {at}"),
        "authz_page.assets": ("资产处置", "Asset disposal"),
        "authz_page.asset_name": ("资产名称", "Asset"),
        "authz_page.asset_kind": ("资产类别", "Kind"),
        "authz_page.goes_to": ("归属", "Goes to"),
        "authz_page.add_asset": ("登记资产", "Record an asset"),
        "authz_page.complete_exit": ("交接和资产处置完成", "Complete the handover"),
        "authz_page.rectifications": ("整改", "Rectification"),
        "authz_page.report": ("整改报告", "Report"),
        "authz_page.submit_report": ("提交整改报告", "Submit the report"),
        "authz_page.check_note": ("验收意见", "Check note"),
        "authz_page.pass": ("合格", "Passed"),
        "authz_page.fail": ("不合格（强制退出）", "Failed (forced exit)"),
        "authz_page.check_submit": ("记录验收结果", "Record the check"),
        "authz_page.certificate": ("数据销毁证明", "Destruction certificate"),
        "authz_page.certificate_number": ("证明编号", "Number"),
        "authz_page.issued_at": ("出具时间", "Issued"),
        "authz_page.items": ("已销毁的派生数据", "Derived data destroyed"),
        "authz_page.item_name": ("文件", "File"),
        "authz_page.item_bytes": ("字节", "Bytes"),
        "authz_page.items_none": ("没有派生数据文件。", "No derived files."),
        "authz_page.key_destroyed": (
            "授权数据密钥（{scope}）已销毁。",
            "The authorization's data key ({scope}) was destroyed.",
        ),
        "authz_page.cert_check": (
            "用数据局公钥验证",
            "Checked with the bureau's public key",
        ),
        "authz_page.cert_valid": (
            "证明内容与签名有效",
            "Content and signature valid",
        ),
        "authz_page.cert_invalid": (
            "验证失败：内容或签名与数据局公钥不符",
            "Check failed: the content or signature does not match the bureau's key",
        ),
        "authz_page.lifecycle": ("协议流转规则", "How an agreement moves"),
        "authz_page.from": ("从", "From"),
        "authz_page.to": ("到", "To"),
        "authz_page.by": ("所需权限", "Permission"),
        "authz_page.transition": ("操作", "Action"),
        "authz_page.done": ("已完成：{action}。", "Done: {action}."),
        "authz_page.done.created": ("授权协议草稿已保存。", "The draft has been saved."),
        "authz_page.done.decision": ("已记录集体决策。", "The collective decision is recorded."),
        "authz_page.done.sign": ("已签署。", "Signed."),
        "authz_page.done.renew": (
            "已生成续期协议，待双方签署。",
            "The renewal agreement is made and awaits both signatures.",
        ),
        "authz_page.done.scope": ("已生成新版本。", "A new version has been made."),
        "authz_page.done.rectify": ("已下达整改通知。", "Rectification ordered."),
        "authz_page.done.exit": ("退出申请已提交。", "Exit request submitted."),
        "authz_page.done.exit_decision": ("已审批退出申请。", "The exit has been decided."),
        "authz_page.done.exit_execute": (
            "授权已终止，交接开始。",
            "The authorization has ended; the handover has begun.",
        ),
        "authz_page.done.asset": ("已登记资产处置。", "Asset disposal recorded."),
        "authz_page.done.item": ("交接事项已完成。", "Handover item done."),
        "authz_page.done.exit_complete": ("退出已完成。", "The exit is complete."),
        "authz_page.done.report": ("整改报告已提交。", "Report submitted."),
        "authz_page.done.check": ("已记录验收结果。", "Check recorded."),
        "authz_page.done.terminate_requested": (
            "终止申请已提交。终止不可撤销，须由另一名数据局工作人员在“待审批事项”中批准后才执行；"
            "在此之前协议照常有效。",
            "The request to terminate has been filed. Termination cannot be undone, so it is "
            "carried out only when another member of the bureau approves it under “Approvals”; "
            "until then the agreement stays as it is.",
        ),
        "authz_page.done.force_requested": (
            "强制退出申请已提交。强制退出不可撤销，须由另一名数据局工作人员在“待审批事项”中批准后"
            "才执行；在此之前协议照常有效。",
            "The request to force the exit has been filed. It cannot be undone, so it is carried "
            "out only when another member of the bureau approves it under “Approvals”; until "
            "then the agreement stays as it is.",
        ),
        "authz_page.done.refused": (
            "已记录拒不整改：协议已终止，运营机构被强制退出，并依法追究责任。",
            "The refusal is recorded: the agreement has ended by forced exit, and liability is "
            "pursued.",
        ),
        "authz_page.done.asset_registered": (
            "已登记软硬件资产归属。",
            "The software or hardware and its owner are registered.",
        ),
        "authz_page.done.attested": (
            "删除销毁承诺已签名提交，待数据局核验。",
            "The attestation is signed and filed; the bureau will check it.",
        ),
        "authz_page.done.attestation": (
            "已记录核验结果。",
            "The check of the attestation is recorded.",
        ),
        "authz_page.done.check_requested": (
            "“不合格”的验收意见已提交审批：整改不合格将强制退出，须由另一名数据局工作人员批准后"
            "才执行。",
            "The failed check has been filed for approval: failing forces the exit, so it is "
            "carried out only when another member of the bureau approves it.",
        ),
        "authz_page.pending_approvals": (
            "待审批的不可逆操作",
            "Irreversible acts awaiting approval",
        ),
        "authz_page.pending_line": (
            "{act}：{who} 于 {at} 提出，理由：{grounds}。须由另一名数据局工作人员审批，{expires} 前"
            "有效。",
            "{act}: asked by {who} at {at}, on the grounds: {grounds}. Another member of the "
            "bureau must approve it before {expires}.",
        ),
        "authz_page.to_approvals": ("前往审批", "Go to approvals"),
        "authz_page.terminate_help": (
            "终止不可撤销：提交后须由另一名数据局工作人员批准才执行；若已有他人记录的、同意终止"
            "本协议的集体决策，可选择该决策作为依据，提交即执行。",
            "Termination cannot be undone: once filed it is carried out only when another "
            "member of the bureau approves it; if someone else recorded a collective decision "
            "approving this termination, cite it and it is carried out at once.",
        ),
        "authz_page.cite_decision": ("依据的集体决策（可选）", "Collective decision (optional)"),
        "authz_page.no_decision": ("不引用，待第二人审批", "None: wait for a second approver"),
        "authz_page.fail_help": (
            "选择“不合格”将强制退出（终止协议并销毁数据），须由另一名数据局工作人员批准后执行。",
            "“Failed” forces the exit (the agreement ends and its data is destroyed); it is "
            "carried out only when another member of the bureau approves it.",
        ),
        "authz_page.field.mode": ("授权模式", "Mode"),
        "authz_page.field.domain": ("领域", "Domain"),
        "authz_page.field.scenario": ("场景", "Scenario"),
        "authz_page.field.purpose": ("目的", "Purpose"),
        "authz_page.field.rights": ("权利", "Rights"),
        "authz_page.field.term_years": ("期限（年）", "Term (years)"),
        "authz_page.field.term_start": ("起始日", "Start"),
    }
)


def basis_points(text: str) -> int | None:
    """A percentage as typed (``12.5``, ``12.50%``) in basis points; None if it is not one."""
    try:
        value = Decimal(text.strip().rstrip("%").strip())
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0 or value > 100:
        return None
    points = value * 100
    if points != points.to_integral_value():
        return None
    return int(points)


def _percent(points: int) -> str:
    return f"{points // 100}.{points % 100:02d}"


# -- reads for the pages --------------------------------------------------------------------


def _offers(
    actor: Principal,
    authorization: Authorization,
    *,
    signed: set[str],
    open_exit: bool,
    terminate_pending: bool = False,
    force_pending: bool = False,
) -> dict[str, bool]:
    """Which forms to show this reader now (the services still decide)."""
    manage = actor.has(P.AUTHORIZATIONS_MANAGE)
    available = {t.name for t in st.AUTHORIZATION.available(authorization.status)}
    party = service.party_of(actor, authorization)
    status = authorization.status
    return {
        "submit": manage and "submit" in available,
        "decide": manage and "approve" in available,
        "sign": actor.has(P.AUTHORIZATIONS_SIGN)
        and party is not None
        and party not in signed
        and status in st.SIGNABLE,
        "suspend": manage and "suspend" in available,
        "resume": manage and "resume" in available,
        "terminate": manage and "terminate" in available and not terminate_pending,
        "renew": manage and "renew" in available,
        "scope": manage and status not in st.ENDED and status != st.RENEWED,
        "rectify": actor.has(P.RECTIFICATIONS_ISSUE) and status in EXITABLE,
        "exit": actor.has(P.EXITS_REQUEST)
        and party == "operator"
        and status in EXITABLE
        and not open_exit,
        "force_exit": actor.has(P.EXITS_DECIDE)
        and status in (*EXITABLE, st.RENEWED)
        and not force_pending,
        "register_asset": manage and status not in st.ENDED,
    }


#: Fields of a version whose values are codes, and where their labels are.
_CODED: Final = {"mode": "mode", "domain": "vocab.domain", "rights": "right"}


def _change_line(change: Mapping[str, Any], locale: str) -> str:
    if change["kind"] == "added":
        return translate("authz_page.change_added", locale, item=change["after"])
    if change["kind"] == "removed":
        return translate("authz_page.change_removed", locale, item=change["before"])
    field = str(change["field"])
    if field.startswith("clauses."):
        label = MessageRef(f"clause.{field.removeprefix('clauses.')}")
    else:
        label = MessageRef(f"authz_page.field.{field}")

    def shown(value: Any) -> str:
        if value is None:
            return "—"
        if field in _CODED and isinstance(value, str | list):
            codes = value if isinstance(value, list) else [value]
            separator = ", " if locale == "en" else "、"
            text = separator.join(translate(f"{_CODED[field]}.{code}", locale) for code in codes)
        else:
            text = value if isinstance(value, str) else str(value)
        return text if len(text) <= 80 else text[:80] + "…"

    return translate(
        "authz_page.change_changed",
        locale,
        field=label,
        before=shown(change["before"]),
        after=shown(change["after"]),
    )


def _exit_views(
    session: Session, actor: Principal, authorization: Authorization
) -> list[dict[str, Any]]:
    return [
        {
            "exit": e,
            "handover": exits.handover_items(session, e.id),
            "assets": exits.disposals(session, e.id),
        }
        for e in exits.exits(session, actor, authorization.id)
    ]


def _detail_context(
    session: Session,
    actor: Principal,
    settings: Settings,
    clock: Clock,
    locale: str,
    authorization: Authorization,
) -> dict[str, Any]:
    current = service.current_version(session, authorization)
    signatures = repository.signatures(session, authorization.id)
    signed = {s.party for s in signatures if s.version == authorization.version}
    exit_views = _exit_views(session, actor, authorization)
    open_exit = any(v["exit"].status in st.EXIT_IN_PROGRESS for v in exit_views)
    certificate = repository.certificate(session, authorization.id)
    bureau_key = parties.bureau_public_key(session) if certificate else None
    today = local(clock.now()).date()
    plan = repository.plan(session, authorization.plan_id)
    renewed_from = (
        repository.authorization(session, authorization.renewed_from_id)
        if authorization.renewed_from_id
        else None
    )
    operator = parties.organization(session, authorization.operator_id)
    orders = exits.rectifications(session, actor, authorization.id)
    pending = (
        approvals.pending_for(session, [authorization.id, *(o.id for o in orders)])
        if actor.has(P.APPROVALS_READ)
        else []
    )
    return {
        "a": authorization,
        "operator": operator,
        "plan": plan,
        "renewed_from": renewed_from,
        "renewed_by": repository.successors(session, authorization.id),
        "content": current.content,
        "current": current,
        "share": _percent(int(current.content["clauses"]["revenue"]["government_share_bp"])),
        "approval": repository.decision(session, authorization.decision_id),
        "decisions": repository.decisions_about(session, authorization.id),
        "versions": [
            {"v": v, "changes": [_change_line(c, locale) for c in v.changes]}
            for v in reversed(repository.versions(session, authorization.id))
        ],
        "signatures": [{"s": s, "valid": service.verify_signature(session, s)} for s in signatures],
        "offers": _offers(
            actor,
            authorization,
            signed=signed,
            open_exit=open_exit,
            terminate_pending=any(r.act in service.ENDING_ACTS.values() for r in pending),
            force_pending=any(r.act == exits.FORCE_DIRECT for r in pending),
        ),
        "pending_approvals": pending,
        "failing": {r.target_id for r in pending if r.act == exits.FORCE},
        "termination_decisions": [
            d
            for act in service.ENDING_ACTS.values()
            for d in service.matter_decisions(session, act=act, target_id=authorization.id)
        ],
        "force_decisions": service.matter_decisions(
            session, act=exits.FORCE_DIRECT, target_id=authorization.id
        ),
        "party": service.party_of(actor, authorization),
        "reminders": repository.reminders(session, authorization.id),
        "exits": exit_views,
        "rectifications": orders,
        "certificate": certificate,
        "bureau_key": bureau_key,
        # The key the certificate names, if it is the bureau's own (a retired one too), as
        # the API and the public verification page check it.
        "certificate_valid": destruction.verify_issued(session, certificate)
        if certificate
        else False,
        "lifecycle": st.AUTHORIZATION.table(locale),
        "today": today.isoformat(),
        "earliest_exit": exits.earliest_exit_date(settings, today).isoformat(),
        "exit_months": settings.exit_notice_months,
        "outcomes": ("approved", "rejected", "deferred"),
        "grounds": ("violation", "breach", "major_incident"),
        "asset_kinds": tuple(exits.ASSET_OWNER),
        **_ending_context(session, actor, authorization),
        **_comment_context(session, actor, clock, authorization),
    }


def _comment_context(
    session: Session, actor: Principal, clock: Clock, authorization: Authorization
) -> dict[str, Any]:
    """The parties' comments on the draft (R5.2) and whether the bureau may ask for more."""
    today = local(clock.now()).date()
    return {
        "comment_shown": actor.has(P.AGREEMENT_COMMENTS_READ),
        "comment_rounds": comments.rounds_of_agreement(session, actor, authorization, today=today),
        "comment_offer": comments.may_open(actor, authorization, session),
        "comment_days": comments.DEFAULT_WORKING_DAYS,
    }


def _ending_context(
    session: Session, actor: Principal, authorization: Authorization
) -> dict[str, Any]:
    """What the agreement's ending settles: how it ended, its software and hardware, the
    disposals made without an exit, the operator's deletion attestation, the new round."""
    attestation = attestations.attestation(session, actor, authorization.id)
    following = (
        selection.round_following(session, authorization.id)
        if actor.has(P.SELECTION_MANAGE)
        else None
    )
    return {
        "ending_ways": tuple(service.ENDING_ACTS),
        "force_grounds": exits.FORCE_GROUNDS,
        "registered_assets": assets.registered(session, authorization),
        "register_kinds": assets.REGISTERED_KINDS,
        "asset_owners": assets.OWNERS,
        "ending_disposals": [
            d for d in assets.disposals(session, authorization.id) if d.exit_id is None
        ],
        "attestation": attestation,
        "attestation_valid": attestations.verify(session, attestation) if attestation else False,
        "following_round": following,
    }


# -- list -----------------------------------------------------------------------------------


#: The agreements list: 50 a page, the newest number first.
AGREEMENTS = ListSpec(
    sorts=tuple(repository.AUTHORIZATION_SORTS),
    filters=("status", "operator", "expiring"),
    default_sort="-number",
)


def _list_filters(
    session: Session, actor: Principal, locale: str
) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """Status and "expiring within"; the bureau also filters by operator (an operator, who
    sees only its own agreements, gets no operator filter: it would name only itself)."""
    filters: list[tuple[str, str, list[tuple[str, str]]]] = [
        (
            "status",
            translate("common.status", locale),
            [(s, translate(f"state.authorization.{s}", locale)) for s in st.AUTHORIZATION.states],
        )
    ]
    if repository.sees_all(actor):
        options = [(str(i), name) for i, name in service.operator_options(session, actor)]
        filters.append(("operator", translate("authz_page.operator", locale), options))
    filters.append(
        (
            "expiring",
            translate("authz_page.expiring", locale),
            [
                (str(days), translate("authz_page.within_days", locale, days=days))
                for days in (30, 90)
            ],
        )
    )
    return filters


@router.get("/console/authorizations", response_class=HTMLResponse)
def authorizations_page(
    request: Request,
    actor: Reader,
    session: DbSession,
    clock: AppClock,
    locale: Locale,
    listing: Annotated[ListQuery, Depends(AGREEMENTS)],
) -> HTMLResponse:
    today = local(clock.now()).date()
    page = service.authorization_page(session, actor, listing, today=today)
    return render_list(
        request,
        "authorizations/list.html",
        {
            "filters": _list_filters(session, actor, locale),
            "sees_all": repository.sees_all(actor),
            "can_draft": actor.has(P.AUTHORIZATIONS_MANAGE),
        },
        page=page,
        rows_template="authorizations/_rows.html",
    )


# -- drafting -------------------------------------------------------------------------------


def _blank_draft(settings: Settings) -> dict[str, Any]:
    return {
        "mode": "scenario",
        "term_years": str(settings.authorization_default_term_years),
        "rights": list(GRANTABLE_RIGHTS),
        "entry_ids": [],
        "products": [{"name": "", "description": "", "review": ""}] * PRODUCT_ROWS,
        "government_share": "",
        "revenue_method": DEFAULT_REVENUE_METHOD,
        **{f"clause_{key}": DEFAULT_TEXT[key] for key, _, _ in TEXT_CLAUSES},
    }


def _typed_draft(form: FormData) -> dict[str, Any]:
    names, descriptions, reviews = (
        forms.texts(form, "product_name"),
        forms.texts(form, "product_description"),
        forms.texts(form, "product_review"),
    )
    rows = max(len(names), len(descriptions), len(reviews), PRODUCT_ROWS)

    def at(values: list[str], i: int) -> str:
        return values[i] if i < len(values) else ""

    return {
        **forms.plain(form),
        "rights": forms.texts(form, "rights"),
        "entry_ids": forms.texts(form, "entry_ids"),
        "products": [
            {"name": at(names, i), "description": at(descriptions, i), "review": at(reviews, i)}
            for i in range(rows)
        ],
    }


def _clauses(
    typed: Mapping[str, Any], locale: str
) -> tuple[AgreementClauses | None, dict[str, str]]:
    errors: dict[str, str] = {}
    products: list[ProductClause] = []
    filled = [p for p in typed["products"] if any(p.values())]
    for index, row in enumerate(typed["products"]):
        if not any(row.values()):
            continue
        product, problems = parse_form(ProductClause, row, locale)
        errors.update({f"product_{index}_{k}": v for k, v in problems.items()})
        if product is not None:
            products.append(product)
    if not filled:
        errors["products"] = translate("authz_page.products_required", locale)
    share = basis_points(str(typed.get("government_share", "")))
    if share is None:
        errors["government_share"] = translate("authz_page.share_invalid", locale)
    values = {
        "products": products,
        "revenue": {"government_share_bp": share or 0, "method": typed.get("revenue_method", "")},
        **{key: typed.get(f"clause_{key}", "") for key, _, _ in TEXT_CLAUSES},
    }
    clauses, problems = parse_form(AgreementClauses, values, locale)
    for field, message in problems.items():
        if field == "products":
            if filled and not any(k.startswith("product_") for k in errors):
                errors["products"] = translate("authz_page.products_distinct", locale)
        elif field == "revenue":
            errors.setdefault("revenue_method", message)
        else:
            errors.setdefault(f"clause_{field}", message)
    return (clauses if not errors else None), errors


def _placeholder_clauses() -> AgreementClauses:
    """Stands in for clauses that did not parse, so the rest of the form is checked too."""
    return AgreementClauses(
        products=[ProductClause(name="-", description="-", review="-")],
        revenue=RevenueClause(government_share_bp=0, method="-"),
    )


def _parsed_draft(
    typed: Mapping[str, Any], locale: str
) -> tuple[AuthorizationCreate | None, dict[str, str]]:
    """The new-draft form as the API's schema, and every problem the schema finds."""
    clauses, errors = _clauses(typed, locale)
    optional = {
        k: typed.get(k, "")
        for k in ("selection_round_id", "domain", "term_years")
        if typed.get(k, "")
    }
    values = {
        "operator_id": typed.get("operator_id", ""),
        "plan_id": typed.get("plan_id", ""),
        "mode": typed.get("mode", ""),
        "scenario": typed.get("scenario", ""),
        "purpose": typed.get("purpose", ""),
        "rights": typed.get("rights", []),
        "entry_ids": typed.get("entry_ids", []),
        "clauses": clauses or _placeholder_clauses(),
        **optional,
    }
    data, problems = parse_form(AuthorizationCreate, values, locale)
    if "entry_ids" in problems:
        problems["entry_ids"] = translate("authz_page.entries_required", locale)
    errors.update(problems)
    return data, errors


def _one(text: object) -> uuid.UUID | None:
    found = forms.uuids([text]) if isinstance(text, str) else []
    return found[0] if found else None


def _business_problems(
    session: Session,
    actor: Principal,
    settings: Settings,
    typed: Mapping[str, Any],
    errors: Mapping[str, str],
    locale: str,
) -> dict[str, str]:
    """The drafting rules the form breaks (term, plan, operator, scenario, scope …), checked
    on every field that parsed, whatever else is wrong: all of them come back at once."""

    def parsed(name: str) -> bool:
        return name not in errors

    term = str(typed.get("term_years", "")).strip()
    scenario = str(typed.get("scenario", "")).strip()
    mode = str(typed.get("mode", ""))
    products = [str(p["name"]).strip() for p in typed.get("products", []) if p.get("name")]
    problems = service.check_draft(
        session,
        actor=actor,
        settings=settings,
        operator_id=_one(typed.get("operator_id")) if parsed("operator_id") else None,
        plan_id=_one(typed.get("plan_id")) if parsed("plan_id") else None,
        selection_round_id=_one(typed.get("selection_round_id"))
        if parsed("selection_round_id")
        else None,
        mode=mode if parsed("mode") and mode in MODES else None,
        domain=str(typed.get("domain", "")).strip() or None,
        scenario=scenario if parsed("scenario") else None,
        term_years=int(term) if parsed("term_years") and term.isdigit() else None,
        rights=list(typed.get("rights", [])) if parsed("rights") else None,
        entry_ids=forms.uuids(list(typed.get("entry_ids", []))) if parsed("entry_ids") else None,
        product_names=products if parsed("products") and products else None,
    )
    found: dict[str, list[str]] = {}
    plan_id = _one(typed.get("plan_id"))
    if parsed("plan_id") and plan_id is not None:
        approved = {p.id for p in service.approved_plans(session, actor)}
        if plan_id not in approved:
            key = "authz_page.plan_not_approved" if approved else "authz_page.no_plans"
            found["plan_id"] = [translate(key, locale)]
    for problem in problems:
        if problem.field == "plan_id" and "plan_id" in found:
            continue
        found.setdefault(problem.field, []).append(problem.error.detail(locale))
    return {name: " ".join(messages) for name, messages in found.items()}


def _operator_text(choice: parties.OperatorChoice) -> str:
    return f"{choice.name} · {choice.credit_code or '—'}"


def _chosen_operator(session: Session, typed: object) -> tuple[str, str] | None:
    """The operator the form names, as the picker shows it chosen."""
    operator_id = _one(typed)
    choice = parties.operator_choice(session, operator_id) if operator_id else None
    return (str(choice.id), _operator_text(choice)) if choice else None


def _pick_operators(
    session: Session, actor: Principal, q: str, limit: int, locale: str
) -> PickResult:
    """The operators a draft may name, as the drafting checks accept them: qualified (and
    active), by name or credit code; shown as name · credit code."""
    total, found = parties.pick_operators(session, actor=actor, q=q, limit=limit)
    return PickResult(total, [PickItem(str(o.id), o.name, o.credit_code or "—") for o in found])


add_picker("operators", P.AUTHORIZATIONS_MANAGE, _pick_operators)


def _draft_page(
    request: Request,
    session: Session,
    actor: Principal,
    settings: Settings,
    locale: str,
    *,
    form: dict[str, Any],
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "authorizations/new.html",
        {
            "form": form,
            "errors": errors or {},
            "error": error,
            "chosen_operator": _chosen_operator(session, form.get("operator_id")),
            "plans": service.approved_plans(session, actor),
            "rounds": parties.round_choices(session),
            "modes": MODES,
            "domains": DOMAINS,
            "rights": GRANTABLE_RIGHTS,
            "text_clauses": TEXT_CLAUSES,
            "chosen": service.entries_shown(
                session, forms.uuids(form.get("entry_ids", [])), locale
            ),
            "default_years": settings.authorization_default_term_years,
            "max_years": settings.authorization_max_term_years,
        },
        status_code=status_code,
    )


@router.get("/console/authorizations/new", response_class=HTMLResponse)
def new_authorization_page(
    request: Request,
    actor: Manager,
    session: DbSession,
    settings: AppSettings,
    locale: Locale,
) -> HTMLResponse:
    return _draft_page(request, session, actor, settings, locale, form=_blank_draft(settings))


@router.post("/console/authorizations", response_class=HTMLResponse)
async def create_authorization(
    request: Request,
    actor: Manager,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    typed = _typed_draft(await request.form())
    data, errors = _parsed_draft(typed, locale)
    errors = {**_business_problems(session, actor, settings, typed, errors, locale), **errors}
    if data is None or errors:
        return _draft_page(
            request, session, actor, settings, locale, form=typed, errors=errors, status_code=422
        )
    try:
        created = service.create_authorization(
            session, actor=actor, settings=settings, at=clock.now(), data=data
        )
    except SluiceError as refused:
        undo_keeping_refusal(session, refused)
        return _draft_page(
            request,
            session,
            actor,
            settings,
            locale,
            form=typed,
            error=refused.detail(locale),
            status_code=refused.status,
        )
    return RedirectResponse(f"/console/authorizations/{created.id}?done=created", status_code=303)


# -- the entry picker (htmx) ------------------------------------------------------------------


def _pick_field(field: str) -> str:
    return field if field in PICK_FIELDS else PICK_FIELDS[0]


@router.get("/console/authorizations/entries", response_class=HTMLResponse)
def search_entries(
    request: Request,
    actor: Manager,
    session: DbSession,
    locale: Locale,
    q: Annotated[str, Query(max_length=100)] = "",
    field: Annotated[str, Query(max_length=20)] = PICK_FIELDS[0],
) -> HTMLResponse:
    """Published catalog entries matching ``q``, each with a button that adds it."""
    result = None
    if q.strip():
        result = service.search_entries(session, q=q, locale=locale, size=SEARCH_SIZE)
    return render(
        request,
        "authorizations/_results.html",
        {"result": result, "field": _pick_field(field), "q": q},
    )


@router.get("/console/authorizations/entries/chosen", response_class=HTMLResponse)
def chosen_entries(
    request: Request,
    actor: Manager,
    session: DbSession,
    locale: Locale,
    field: Annotated[str, Query(max_length=20)] = PICK_FIELDS[0],
    add: Annotated[str, Query(max_length=40)] = "",
) -> HTMLResponse:
    """The picker's list again, with the entry ``add`` joined to the ticked ones."""
    name = _pick_field(field)
    ticked = request.query_params.getlist(name)
    ids = forms.uuids([*ticked, add])
    return render(
        request,
        "authorizations/_chosen.html",
        {"chosen": service.entries_shown(session, ids, locale), "field": name},
    )


# -- detail and actions -----------------------------------------------------------------------


def _detail_page(
    request: Request,
    session: Session,
    actor: Principal,
    settings: Settings,
    clock: Clock,
    locale: str,
    authorization_id: uuid.UUID,
    *,
    done: str | None = None,
    error: str | None = None,
    errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    authorization = service.visible(session, actor, authorization_id)
    context = _detail_context(session, actor, settings, clock, locale, authorization)
    typed = form or {}
    notice = None
    if done and f"authz_page.done.{done}" in _DONE_KEYS:
        notice = translate(f"authz_page.done.{done}", locale)
    elif done in {t.name for t in st.AUTHORIZATION.transitions}:
        action = MessageRef(f"transition.authorization.{done}")
        notice = translate("authz_page.done", locale, action=action)
    added = forms.uuids(list(typed.get("add_entry_ids", [])))
    context.update(
        {
            "notice": notice,
            "error": error,
            "errors": errors or {},
            "form": typed,
            "chosen_add": service.entries_shown(session, added, locale),
        }
    )
    return render(request, "authorizations/detail.html", context, status_code=status_code)


_DONE_KEYS: Final = frozenset(
    f"authz_page.done.{name}"
    for name in (
        "created",
        "decision",
        "sign",
        "renew",
        "scope",
        "rectify",
        "exit",
        "exit_decision",
        "exit_execute",
        "asset",
        "item",
        "exit_complete",
        "report",
        "check",
        "terminate_requested",
        "check_requested",
        "force_requested",
        "refused",
        "asset_registered",
        "attested",
        "attestation",
    )
)


@router.get("/console/authorizations/{authorization_id}", response_class=HTMLResponse)
def authorization_page(
    request: Request,
    authorization_id: uuid.UUID,
    actor: Reader,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
    done: Annotated[str | None, Query(max_length=30)] = None,
) -> HTMLResponse:
    return _detail_page(
        request, session, actor, settings, clock, locale, authorization_id, done=done
    )


#: An action: given the posted form, change something; may name another page to go to.
Action = Callable[[FormData], uuid.UUID | None]


async def act(
    request: Request,
    session: Session,
    actor: Principal,
    settings: Settings,
    clock: Clock,
    locale: str,
    authorization_id: uuid.UUID,
    name: str,
    action: Action,
) -> Response:
    """Run one action posted from an agreement's detail page (here and in ``exit_pages``):
    back to the page with ``done`` when it went well, the page again with the refusal and
    what was typed when it did not (a 404 stays a 404)."""
    form = await request.form()
    service.visible(session, actor, authorization_id)  # not visible: the 404 page
    typed: dict[str, Any] = {
        **forms.plain(form),
        "action": name,
        "add_entry_ids": forms.texts(form, "add_entry_ids"),
        "remove_entry_ids": forms.texts(form, "remove_entry_ids"),
    }
    try:
        target = action(form)
    except forms.Redirect as done:
        return RedirectResponse(done.location, status_code=303)
    except forms.FormInvalid as invalid:
        session.rollback()
        return _detail_page(
            request,
            session,
            actor,
            settings,
            clock,
            locale,
            authorization_id,
            errors=invalid.errors,
            error=translate("authz_page.form_problems", locale),
            form=typed,
            status_code=422,
        )
    except SluiceError as refused:
        if refused.status == 404:
            raise
        undo_keeping_refusal(session, refused)
        return _detail_page(
            request,
            session,
            actor,
            settings,
            clock,
            locale,
            authorization_id,
            error=refused.detail(locale),
            form=typed,
            status_code=refused.status,
        )
    return RedirectResponse(
        f"/console/authorizations/{target or authorization_id}?done={name}", status_code=303
    )


@router.post("/console/authorizations/{authorization_id}/submit", response_class=HTMLResponse)
async def submit_authorization(
    request: Request,
    authorization_id: uuid.UUID,
    actor: Manager,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    def run(form: FormData) -> None:
        service.submit(session, actor=actor, at=clock.now(), authorization_id=authorization_id)

    return await act(
        request, session, actor, settings, clock, locale, authorization_id, "submit", run
    )


@router.post("/console/authorizations/{authorization_id}/decision", response_class=HTMLResponse)
async def decide_authorization(
    request: Request,
    authorization_id: uuid.UUID,
    actor: Manager,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    def run(form: FormData) -> None:
        service.decide(
            session,
            actor=actor,
            at=clock.now(),
            authorization_id=authorization_id,
            data=forms.decision_from(form, locale),
        )

    return await act(
        request, session, actor, settings, clock, locale, authorization_id, "decision", run
    )


@router.post("/console/authorizations/{authorization_id}/sign", response_class=HTMLResponse)
async def sign_authorization(
    request: Request,
    authorization_id: uuid.UUID,
    actor: Signer,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    def run(form: FormData) -> None:
        service.sign(
            session,
            actor=actor,
            settings=settings,
            at=clock.now(),
            authorization_id=authorization_id,
        )

    return await act(
        request, session, actor, settings, clock, locale, authorization_id, "sign", run
    )


async def _reasoned(
    request: Request,
    authorization_id: uuid.UUID,
    actor: Principal,
    session: Session,
    clock: Clock,
    settings: Settings,
    locale: str,
    name: str,
) -> Response:
    """Suspend, resume and terminate: a reason, one service call."""

    def run(form: FormData) -> None:
        reason = forms.reason(form, locale)
        at = clock.now()
        if name == "suspend":
            service.suspend(
                session, actor=actor, at=at, authorization_id=authorization_id, reason=reason
            )
        elif name == "resume":
            service.resume(
                session, actor=actor, at=at, authorization_id=authorization_id, reason=reason
            )
        else:
            filed = service.terminate(
                session,
                actor=actor,
                settings=settings,
                at=at,
                authorization_id=authorization_id,
                reason=reason,
                decision_id=forms.cited_decision(form),
                how=forms.text(form, "how") or "termination",
            )
            if filed.status != approval_states.APPROVED:
                raise forms.Redirect(
                    f"/console/authorizations/{authorization_id}?done=terminate_requested"
                )

    return await act(request, session, actor, settings, clock, locale, authorization_id, name, run)


@router.post("/console/authorizations/{authorization_id}/suspend", response_class=HTMLResponse)
async def suspend_authorization(
    request: Request,
    authorization_id: uuid.UUID,
    actor: Manager,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    return await _reasoned(
        request, authorization_id, actor, session, clock, settings, locale, "suspend"
    )


@router.post("/console/authorizations/{authorization_id}/resume", response_class=HTMLResponse)
async def resume_authorization(
    request: Request,
    authorization_id: uuid.UUID,
    actor: Manager,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    return await _reasoned(
        request, authorization_id, actor, session, clock, settings, locale, "resume"
    )


@router.post("/console/authorizations/{authorization_id}/terminate", response_class=HTMLResponse)
async def terminate_authorization(
    request: Request,
    authorization_id: uuid.UUID,
    actor: Manager,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    return await _reasoned(
        request, authorization_id, actor, session, clock, settings, locale, "terminate"
    )


@router.post("/console/authorizations/{authorization_id}/renew", response_class=HTMLResponse)
async def renew_authorization(
    request: Request,
    authorization_id: uuid.UUID,
    actor: Manager,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    def run(form: FormData) -> uuid.UUID:
        successor = service.renew(
            session,
            actor=actor,
            settings=settings,
            at=clock.now(),
            authorization_id=authorization_id,
            data=forms.decision_from(form, locale),
        )
        return successor.id

    return await act(
        request, session, actor, settings, clock, locale, authorization_id, "renew", run
    )


@router.post("/console/authorizations/{authorization_id}/scope", response_class=HTMLResponse)
async def change_scope(
    request: Request,
    authorization_id: uuid.UUID,
    actor: Manager,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Response:
    def run(form: FormData) -> None:
        change: ScopeChange = forms.parsed(
            ScopeChange,
            {
                "add_entry_ids": forms.texts(form, "add_entry_ids"),
                "remove_entry_ids": forms.texts(form, "remove_entry_ids"),
                "reason": forms.text(form, "reason"),
            },
            locale,
        )
        service.change_scope(
            session,
            actor=actor,
            settings=settings,
            at=clock.now(),
            authorization_id=authorization_id,
            change=change,
        )

    return await act(
        request, session, actor, settings, clock, locale, authorization_id, "scope", run
    )
