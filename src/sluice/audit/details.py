"""An audit event in words: its action, target, outcome and details in the reader's language.

The log stores codes (``kind: public_data_asset``); auditors read labels (类型：公共数据资产).
Modules declare what their codes mean next to where they record them, as they declare their
actions:

* ``declare_detail_labels({"goes_to": ("归属", "Goes to")})``: a detail key's label;
* ``declare_detail_values("goes_to", "asset_owner.{value}")``: a detail value is a code whose
  label is the first of these message keys that exists (``{value}`` is the code, ``{target_type}``
  the event's target type, so ``from``/``to`` of a lifecycle read ``state.{target_type}.{value}``);
  ``values={"x": ("…", "…")}`` declares labels of its own;
* ``declare_target_types({"user": ("用户", "User")})``: a target type's label (lifecycle
  entities already have one, ``entity.<type>``).

Nothing here is required: an undeclared key shows as readable words (``rows_total`` → "rows
total"), an undeclared value as itself. The labels below cover the keys the platform records
today; a module may add its own with the same functions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

from sluice.core.i18n import ZH, add_messages, has_message, translate

#: Hex digests and ids this long are shortened on a page (kept whole in exports and titles).
_LONG_TOKEN: Final = re.compile(r"^[0-9a-fA-F-]{32,}$")
#: Characters of a long token a page shows before ``…``.
SHORT_TOKEN: Final = 12

_value_patterns: dict[str, tuple[str, ...]] = {}
_key_patterns: dict[str, tuple[str, ...]] = {}
_target_types: set[str] = set()


class EventLike(Protocol):
    action: str
    outcome: str
    target_type: str
    detail: dict[str, Any]


def declare_detail_labels(labels: Mapping[str, tuple[str, str]]) -> None:
    """Label detail keys (zh-CN, English): ``audit.detail.<key>``."""
    add_messages({f"audit.detail.{key}": texts for key, texts in labels.items()})


def declare_detail_values(
    key: str, *patterns: str, values: Mapping[str, tuple[str, str]] | None = None
) -> None:
    """The values of detail ``key`` are codes, shown by their labels.

    ``values`` declares labels (``audit.value.<key>.<code>``), which come first; then each
    pattern (a message key with ``{value}`` and optionally ``{target_type}``) in order.
    """
    if values:
        add_messages({f"audit.value.{key}.{code}": texts for code, texts in values.items()})
    known = _value_patterns.get(key, ())
    _value_patterns[key] = known + tuple(p for p in patterns if p not in known)


def declare_detail_keys(parent: str, *patterns: str) -> None:
    """The keys inside detail ``parent`` (a mapping) are codes labelled by the first of these
    message keys (with ``{key}``) that exists: ``declare_detail_keys("results",
    "operators.check.{key}")``. Their values follow ``declare_detail_values("results.*", …)``.
    """
    known = _key_patterns.get(parent, ())
    _key_patterns[parent] = known + tuple(p for p in patterns if p not in known)


def declare_target_types(labels: Mapping[str, tuple[str, str]]) -> None:
    """Label target types that are not lifecycle entities: ``audit.target.<type>``."""
    add_messages({f"audit.target.{kind}": texts for kind, texts in labels.items()})
    _target_types.update(labels)


def declared_target_types() -> frozenset[str]:
    return frozenset(_target_types)


def action_label(action: str, locale: str) -> str:
    key = f"audit.action.{action}"
    return translate(key, locale) if has_message(key) else action


def target_label(target_type: str, locale: str) -> str:
    for key in (f"audit.target.{target_type}", f"entity.{target_type}"):
        if has_message(key):
            return translate(key, locale)
    return _words(target_type)


def outcome_label(outcome: str, locale: str) -> str:
    key = f"audit.outcome.{outcome}"
    return translate(key, locale) if has_message(key) else outcome


def reason_label(code: str, locale: str) -> str:
    """A reason code in words: its declared label, else the title of the refusal with that
    code (``problem.<code>``), else the code."""
    for candidate in (f"audit.value.reason.{code}", f"problem.{code}"):
        if has_message(candidate):
            return translate(candidate, locale)
    return code


def key_label(key: str, locale: str, parent: str | None = None) -> str:
    """A detail key's label; inside a nested value, ``audit.detail.<parent>.<key>`` first."""
    candidates = []
    if parent:
        candidates.append(f"audit.detail.{parent}.{key}")
        candidates += [pattern.format(key=key) for pattern in _key_patterns.get(parent, ())]
    for message in [*candidates, f"audit.detail.{key}"]:
        if has_message(message):
            return translate(message, locale)
    return _words(key)


@dataclass(frozen=True)
class DetailLine:
    key: str
    label: str
    text: str
    #: The text shortened for a page (long digests and ids), or ``text``.
    short: str


def describe(event: EventLike, locale: str) -> list[DetailLine]:
    """The event's details, one line a key, in the reader's language."""
    lines = []
    for key, value in event.detail.items():
        text = _value(key, value, event.target_type, locale)
        short = f"{text[:SHORT_TOKEN]}…" if _LONG_TOKEN.match(text) else text
        lines.append(DetailLine(key, key_label(key, locale), text, short))
    return lines


def as_text(event: EventLike, locale: str) -> str:
    """The details on one line (for an export): ``类型：公共数据资产；归属：归政府``."""
    colon, separator = ("：", "；") if locale == ZH else (": ", "; ")
    return separator.join(f"{line.label}{colon}{line.text}" for line in describe(event, locale))


def _words(code: str) -> str:
    return code.replace("_", " ").replace(".", " ").strip() or code


def _value(key: str, value: Any, target_type: str, locale: str, parent: str | None = None) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return translate("audit.yes" if value else "audit.no", locale)
    if isinstance(value, Mapping):
        colon, separator = ("：", "，") if locale == ZH else (": ", ", ")
        return separator.join(
            f"{key_label(str(k), locale, key)}{colon}"
            f"{_value(str(k), v, target_type, locale, parent=key)}"
            for k, v in value.items()
        )
    if isinstance(value, Sequence) and not isinstance(value, str):
        nested = any(isinstance(v, Mapping) for v in value)
        separator = ("；" if nested else "、") if locale == ZH else ("; " if nested else ", ")
        parts = [_value(key, v, target_type, locale, parent) for v in value]
        return separator.join(f"（{p}）" if nested and locale == ZH else p for p in parts)
    return _code(key, str(value), target_type, locale, parent)


def _code(key: str, value: str, target_type: str, locale: str, parent: str | None) -> str:
    patterns = _value_patterns.get(key, ())
    if parent:
        patterns = _value_patterns.get(f"{parent}.*", ()) + patterns
    candidates = [f"audit.value.{key}.{value}"]
    candidates += [pattern.format(value=value, target_type=target_type) for pattern in patterns]
    for candidate in candidates:
        if has_message(candidate):
            return translate(candidate, locale)
    return value


# -- What the platform records today ---------------------------------------------------------

add_messages(
    {
        "audit.yes": ("是", "yes"),
        "audit.no": ("否", "no"),
        "audit.outcome.ok": ("成功", "Done"),
        "audit.outcome.refused": ("拒绝", "Refused"),
        "audit.outcome.failed": ("失败", "Failed"),
    }
)

declare_target_types(
    {
        "organization": ("机构", "Organization"),
        "user": ("用户", "User"),
        "api_key": ("API 密钥", "API key"),
        "address": ("访问地址", "Client address"),
        "data_resource": ("数据资源", "Data resource"),
        "quality_assessment": ("质量评估", "Quality assessment"),
        "operator_checklist_item": ("资格审查事项", "Qualification checklist item"),
        "audit_log": ("审计日志", "Audit log"),
    }
)

declare_detail_labels(
    {
        "account_failures": ("账号连续失败次数", "Failures on the account"),
        "act": ("事项", "Act"),
        "action": ("事件", "Event"),
        "actor": ("操作者", "Actor"),
        "q": ("搜索词", "Search text"),
        "upto_id": ("截至事件编号", "Up to event no."),
        "actor_username": ("操作者用户名", "Actor's username"),
        "address": ("地址", "Address"),
        "address_failures": ("该地址失败次数", "Failures from the address"),
        "announced_on": ("公告日期", "Announced on"),
        "application_id": ("申请", "Application"),
        "approval": ("审批", "Approval"),
        "base": ("基准", "Base"),
        "by_run": ("评估批次", "Assessment run"),
        "candidate": ("候选机构", "Candidate"),
        "certificate": ("销毁证明编号", "Certificate number"),
        "changed": ("变更项", "Changed"),
        "changes": ("变更", "Changes"),
        "channel": ("渠道", "Channel"),
        "code": ("编码", "Code"),
        "content_hash": ("内容摘要（SM3）", "Content digest (SM3)"),
        "count": ("数量", "Count"),
        "credit_code": ("统一社会信用代码", "Credit code"),
        "criteria": ("评审因素", "Criteria"),
        "criterion": ("评审因素", "Criterion"),
        "days_before": ("提前天数", "Days before"),
        "deadline": ("期限", "Deadline"),
        "decision": ("决策记录", "Decision"),
        "deduction": ("扣分", "Deduction"),
        "digest": ("摘要（SM3）", "Digest (SM3)"),
        "display_name": ("姓名", "Name"),
        "due_date": ("答复期限", "Due date"),
        "entity": ("主体", "Entity"),
        "entity_id": ("主体编号", "Entity id"),
        "entries": ("目录条目数", "Catalog entries"),
        "everywhere": ("全部会话", "Everywhere"),
        "evidence": ("证明材料", "Evidence"),
        "evidence_id": ("证明材料编号", "Evidence id"),
        "exit": ("退出申请", "Exit"),
        "exit_date": ("退出日期", "Exit date"),
        "expired_at": ("到期时间", "Expired at"),
        "expires_at": ("到期时间", "Expires at"),
        "expires_in": ("有效期（秒）", "Valid for (seconds)"),
        "failures": ("失败项", "Failures"),
        "field_name": ("字段", "Field"),
        "fields": ("字段数", "Fields"),
        "filename": ("文件名", "File name"),
        "files": ("文件数", "Files"),
        "filters": ("筛选条件", "Filters"),
        "fiscal_year": ("会计年度", "Fiscal year"),
        "from": ("原状态", "From"),
        "goes_to": ("归属", "Goes to"),
        "grounds": ("理由", "Grounds"),
        "held": ("被持有方", "Held"),
        "held_on": ("召开日期", "Held on"),
        "hold_reason": ("暂存原因", "Reason held"),
        "holder": ("持有方", "Holder"),
        "item": ("事项", "Item"),
        "judgment": ("判定", "Judgment"),
        "jurisdiction": ("注册地", "Jurisdiction"),
        "keys": ("事项", "Items"),
        "kind": ("类型", "Kind"),
        "late": ("逾期", "Late"),
        "link_id": ("关系编号", "Link id"),
        "meeting": ("会议", "Meeting"),
        "member": ("专家", "Member"),
        "minimum_candidates": ("最少候选数", "Minimum candidates"),
        "name": ("名称", "Name"),
        "note": ("说明", "Note"),
        "number": ("编号", "Number"),
        "operator": ("运营机构", "Operator"),
        "organization": ("机构", "Organization"),
        "organization_id": ("机构编号", "Organization id"),
        "outcome": ("结论", "Outcome"),
        "party": ("签署方", "Party"),
        "prefix": ("前缀", "Prefix"),
        "principal_id": ("人员编号", "Person id"),
        "provider_id": ("提供部门编号", "Provider id"),
        "providers": ("提供部门数", "Providers"),
        "rank": ("排名", "Rank"),
        "ranking": ("排名", "Ranking"),
        "reason": ("原因", "Reason"),
        "record_id": ("记录编号", "Record id"),
        "rectification": ("整改", "Rectification"),
        "relation": ("关系", "Relation"),
        "renews": ("续期自", "Renews"),
        "replaces_version": ("替换版本", "Replaces version"),
        "requested_by": ("申请人", "Requested by"),
        "resolution": ("处理结果", "Resolution"),
        "resource": ("数据资源", "Resource"),
        "resource_id": ("数据资源编号", "Resource id"),
        "resources": ("数据资源数", "Resources"),
        "restores_version": ("恢复版本", "Restores version"),
        "results": ("检查结果", "Results"),
        "role": ("角色", "Role"),
        "roles": ("角色", "Roles"),
        "rows": ("行数", "Rows"),
        "rows_accepted": ("入库行数", "Rows accepted"),
        "rows_after": ("处理后行数", "Rows after"),
        "rows_before": ("处理前行数", "Rows before"),
        "rows_rejected": ("隔离行数", "Rows rejected"),
        "rows_total": ("总行数", "Rows in all"),
        "run": ("检查批次", "Run"),
        "scenario": ("应用场景", "Scenario"),
        "second": ("复核人", "Second approver"),
        "settings": ("参数", "Settings"),
        "share_bp": ("持股比例（万分之）", "Share (basis points)"),
        "shared_from": ("共享来源", "Shared from"),
        "size_bytes": ("大小（字节）", "Size (bytes)"),
        "sm3": ("SM3 摘要", "SM3 digest"),
        "sort": ("排序", "Sort"),
        "source": ("来源文件", "Source"),
        "status": ("状态", "Status"),
        "statutory_calendar": ("按法定工作日", "Statutory calendar"),
        "successor": ("后续协议", "Successor"),
        "target": ("对象", "Target"),
        "target_id": ("对象编号", "Target id"),
        "target_level": ("纠错范围", "Level"),
        "target_type": ("对象类型", "Target type"),
        "term_end": ("期限止", "Term ends"),
        "term_start": ("期限起", "Term starts"),
        "term_years": ("期限（年）", "Term (years)"),
        "through": ("依据", "Through"),
        "tie_at_top": ("并列第一", "Tie at the top"),
        "title": ("标题", "Title"),
        "to": ("新状态", "To"),
        "top_ranked": ("排名第一", "Top ranked"),
        "until": ("截至", "Until"),
        "use": ("用途", "Use"),
        "user_id": ("用户编号", "User id"),
        "username": ("用户名", "Username"),
        "verdict": ("结论", "Verdict"),
        "version": ("版本", "Version"),
        "via": ("方式", "Via"),
        "weight": ("权重", "Weight"),
        "weighted_score": ("加权得分", "Weighted score"),
        "working_days": ("工作日", "Working days"),
        "rows_exported": ("导出行数", "Rows exported"),
        "rows_matched": ("符合条件行数", "Rows matched"),
        "format": ("格式", "Format"),
        "date_from": ("开始日期", "From date"),
        "date_to": ("结束日期", "To date"),
    }
)

# The filters an export of this log was asked with (``audit.exported``).
declare_detail_labels(
    {
        "filters.action": ("事件", "Event"),
        "filters.actor": ("操作者", "Actor"),
        "filters.organization": ("机构", "Organization"),
        "filters.target_type": ("对象类型", "Target type"),
        "filters.target_id": ("对象编号", "Target id"),
        "filters.outcome": ("结果", "Outcome"),
        "filters.q": ("搜索词", "Search text"),
        "settings.domestic_jurisdictions": ("境内注册地", "Domestic jurisdictions"),
        "settings.incident_years": ("安全事件追溯年限", "Incident look-back (years)"),
        "settings.max_debt_ratio_percent": ("资产负债率上限（%）", "Highest debt ratio (%)"),
        "settings.min_committed_funds_fen": ("最低承诺投入（分）", "Least committed funds (fen)"),
        "settings.min_net_assets_fen": ("最低净资产（分）", "Least net assets (fen)"),
        "settings.require_clean_audit": ("须标准无保留审计意见", "Clean audit opinion required"),
        "changes.from": ("原值", "From"),
        "changes.to": ("新值", "To"),
    }
)
declare_detail_keys("results", "operators.check.{key}")
declare_detail_values("results.*", "operators.result.{value}")

# Codes whose labels other modules already declare, found by message key.
declare_detail_values("kind", "org_kind.{value}", "asset_kind.{value}", "exit_kind.{value}")
declare_detail_values("goes_to", "asset_owner.{value}")
declare_detail_values("from", "state.{target_type}.{value}")
declare_detail_values("to", "state.{target_type}.{value}")
declare_detail_values("status", "state.{target_type}.{value}")
declare_detail_values("role", "role.{value}")
declare_detail_values("roles", "role.{value}")
declare_detail_values("party", "role.{value}")
declare_detail_values("grounds", "grounds.{value}")
declare_detail_values("relation", "operators.relation.{value}")
declare_detail_values("judgment", "ops.judgment.{value}")
declare_detail_values("verdict", "operators.verdict.{value}")
declare_detail_values("target_level", "tickets.level.{value}")
declare_detail_values("outcome", "decision.outcome.{value}", "audit.outcome.{value}")
declare_detail_values("action", "audit.action.{value}")
declare_detail_values("target_type", "audit.target.{value}", "entity.{value}")
declare_detail_values("grade", "vocab.grade.{value}")
declare_detail_values("open_level", "vocab.open_level.{value}")
declare_detail_values("domain", "vocab.domain.{value}")
declare_detail_values(
    "reason",
    values={
        "bad_password": ("密码错误", "Wrong password"),
        "unknown_user": ("用户不存在", "No such user"),
        "locked": ("账号已锁定", "Account locked"),
        "inactive": ("账号已停用", "Account deactivated"),
        "address_locked": ("该地址已被锁定", "Address locked"),
        "not_in_force": ("授权未生效或不在期限内", "Authorization not in force"),
        "out_of_scope": ("数据资源不在授权范围内", "Resource outside the authorization"),
        "no_longer_authorizable": ("数据资源已不可授权", "Resource no longer authorizable"),
    },
)
declare_detail_values("channel", values={"console": ("控制台", "Console"), "api": ("接口", "API")})
declare_detail_values(
    "via",
    values={
        "session": ("控制台会话", "Console session"),
        "token": ("访问令牌", "Bearer token"),
        "api_key": ("API 密钥", "API key"),
        "system": ("系统", "System"),
    },
)
