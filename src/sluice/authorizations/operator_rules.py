"""The operator's data-governance, trading and security rules filed with the bureau (R5.2:
运营机构完善并报备数据治理、交易和安全管理制度). Keyword-only, no HTTP, no commit.

* An operator holding an agreement (approved, or signed and not ended) files its rules
  (``file``): one of three kinds, a title, and the text or an uploaded PDF (or both). The
  PDF is kept SM4-sealed in the evidence store under its SM3, like every other evidence;
  what was filed (operator, kind, version, title, the text's and the file's SM3) gets the
  SM3 digest of its canonical form. Each filing is the next version of its kind and never
  changes: a revision is filed again.
* The bureau acknowledges a version (``review``), or returns it with the reason and the
  operator files a new one. Only the newest version of a kind can be acknowledged.
* The operator reads its own filings, the bureau everyone's (``operator_rule_repository``).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, Final

from sqlalchemy.orm import Session

from sluice.audit import service as audit
from sluice.audit.lifecycles import StateMachine, Transition
from sluice.authorizations import operator_rule_repository as repo
from sluice.authorizations import parties
from sluice.authorizations.operator_rule_models import OperatorRule
from sluice.core.canonical import canonical_bytes, canonical_digest
from sluice.core.errors import Conflict, InvalidInput, NotFound
from sluice.core.i18n import add_messages
from sluice.core.ids import sm3_hex
from sluice.core.paging import ListQuery, Page
from sluice.core.permissions import OrgKind, Permission
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.operators import evidence

FILED: Final = repo.FILED
ACKNOWLEDGED: Final = "acknowledged"
RETURNED: Final = "returned"

_REVIEW = Permission.OPERATOR_RULES_ACKNOWLEDGE

RULE = StateMachine(
    entity="operator_rule",
    entity_labels=("运营机构管理制度", "Operator's rules"),
    states={
        FILED: ("已报备待确认", "Filed, awaiting acknowledgement"),
        ACKNOWLEDGED: ("数据局已确认", "Acknowledged by the bureau"),
        RETURNED: ("已退回", "Returned"),
    },
    initial=FILED,
    transitions=(
        Transition("acknowledge", (FILED,), ACKNOWLEDGED, _REVIEW, "确认报备", "Acknowledge"),
        Transition("return", (FILED,), RETURNED, _REVIEW, "退回修改", "Return for revision"),
    ),
)

FILED_ACTION = "operator_rule.filed"
audit.declare_actions({FILED_ACTION: ("报备管理制度", "Rules filed")})
audit.declare_target_types({"operator_rule": ("运营机构管理制度", "Operator's rules")})
audit.declare_detail_values("kind", "rule_kind.{value}")

#: The kinds of rules R5.2 asks of an operator, in the order pages list them.
KINDS: Final = ("governance", "trading", "security")
#: What a filing calls itself in its signed content.
RECORD_TITLE: Final = "运营机构管理制度报备"
PDF_MAGIC: Final = b"%PDF-"
MAX_BODY: Final = 100_000

add_messages(
    {
        "rule_kind.governance": ("数据治理制度", "Data-governance rules"),
        "rule_kind.trading": ("数据交易管理制度", "Data-trading rules"),
        "rule_kind.security": ("数据安全管理制度", "Data-security rules"),
        "rules_filed.not_found": (
            "没有这份制度，或您无权查看。",
            "There is no such filing, or you may not see it.",
        ),
        "rules_filed.no_file": ("这份制度没有上传文件。", "No document was uploaded with it."),
        "rules_filed.not_operator": (
            "只有运营机构报备本单位的管理制度。",
            "Only an operator files its own rules.",
        ),
        "rules_filed.no_agreement": (
            "贵单位尚无经批准或生效中的授权运营协议；协议批准后再报备管理制度。",
            "Your company holds no approved or active agreement yet; file your rules once "
            "one is approved.",
        ),
        "rules_filed.kind_unknown": (
            "请选择制度类别：数据治理、数据交易或数据安全管理。",
            "Choose the kind: data governance, data trading or data security.",
        ),
        "rules_filed.title_length": (
            "标题须为 2 至 200 个字符。",
            "The title is 2 to 200 characters long.",
        ),
        "rules_filed.body_or_file": (
            "请填写制度正文或上传 PDF 文件（或两者都有）。",
            "Give the text of the rules or upload them as a PDF (or both).",
        ),
        "rules_filed.body_too_long": (
            "正文最多 {max} 个字符；更长的制度请上传 PDF。",
            "The text is at most {max} characters; upload longer rules as a PDF.",
        ),
        "rules_filed.not_pdf": (
            "上传的文件不是 PDF（文件头应为 %PDF-）。",
            "The uploaded file is not a PDF (it should begin with %PDF-).",
        ),
        "rules_filed.superseded": (
            "“{title}”已有更新的第 {version} 版报备，只能确认或退回最新版本。",
            "“{title}” has a newer filing, version {version}; only the newest can be "
            "acknowledged or returned.",
        ),
        "rules_filed.reason_required": (
            "退回须说明理由。",
            "Say why it is returned.",
        ),
        "problem.rules_superseded": ("已有更新版本", "A newer version exists"),
    }
)


def _invalid(key: str, field: str, **params: object) -> InvalidInput:
    return InvalidInput(key, errors=[{"field": field, "type": key.rsplit(".", 1)[-1]}], **params)


def _pdf(stream: BinaryIO) -> bool:
    head = stream.read(len(PDF_MAGIC))
    stream.seek(0)
    return head == PDF_MAGIC


def file(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    at: datetime,
    kind: str,
    title: str,
    body: str = "",
    stream: BinaryIO | None = None,
    filename: str | None = None,
) -> OperatorRule:
    """File the next version of one kind of the actor's company's rules."""
    actor.require(Permission.OPERATOR_RULES_FILE)
    operator_id = actor.organization_id
    if actor.organization_kind != OrgKind.OPERATOR or operator_id is None:
        raise Conflict("rules_filed.not_operator")
    if not repo.holds_agreement(session, operator_id):
        raise Conflict("rules_filed.no_agreement")
    title = title.strip()
    text = body.strip()
    if kind not in KINDS:
        raise _invalid("rules_filed.kind_unknown", "kind")
    if not 2 <= len(title) <= 200:
        raise _invalid("rules_filed.title_length", "title")
    if len(text) > MAX_BODY:
        raise _invalid("rules_filed.body_too_long", "body", max=MAX_BODY)
    if not text and stream is None:
        raise _invalid("rules_filed.body_or_file", "body")
    if stream is not None and not _pdf(stream):
        raise _invalid("rules_filed.not_pdf", "file")
    stored = (
        evidence.store(
            stream, home=settings.home, keys=settings.keys_path, limit_mb=settings.upload_max_mb
        )
        if stream is not None
        else None
    )
    name = (Path(filename or "rules.pdf").name[:200] or "rules.pdf") if stored else None
    previous = repo.latest(session, operator_id, kind)
    version = (previous.version if previous else 0) + 1
    operator = parties.organization(session, operator_id)
    content: dict[str, Any] = {
        "record": RECORD_TITLE,
        "operator": {
            "id": operator_id,
            "name": operator.name if operator else None,
            "credit_code": operator.credit_code if operator else None,
        },
        "kind": kind,
        "version": version,
        "title": title,
        "body_sm3": sm3_hex(text) if text else None,
        "document": {"name": name, "bytes": stored.size_bytes, "sm3": stored.sm3}
        if stored
        else None,
        "filed_by": actor.display_name or actor.username,
        "filed_at": at,
    }
    rule = OperatorRule(
        operator_id=operator_id,
        kind=kind,
        version=version,
        title=title,
        body=text,
        file_name=name,
        file_sm3=stored.sm3 if stored else None,
        file_bytes=stored.size_bytes if stored else None,
        content=json.loads(canonical_bytes(content)),
        digest=canonical_digest(content),
        status=RULE.initial,
        filed_by=actor.username,
        filed_by_name=actor.display_name or actor.username,
        filed_at=at,
    )
    session.add(rule)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=FILED_ACTION,
        target_type="operator_rule",
        target_id=rule.id,
        at=at,
        detail={"kind": kind, "version": version, "title": title, "digest": rule.digest},
    )
    return rule


def review(
    session: Session,
    *,
    actor: Principal,
    at: datetime,
    rule_id: uuid.UUID,
    acknowledge: bool,
    note: str,
) -> OperatorRule:
    """The bureau acknowledges the newest filed version of a kind, or returns it (with the
    reason) for the operator to file again."""
    actor.require(Permission.OPERATOR_RULES_ACKNOWLEDGE)
    rule = repo.rule_for(session, actor, rule_id, for_update=True)
    if rule is None:
        raise NotFound("rules_filed.not_found")
    name = "acknowledge" if acknowledge else "return"
    RULE.require(rule, name)
    newest = repo.latest(session, rule.operator_id, rule.kind)
    if newest is not None and newest.version > rule.version:
        raise Conflict(
            "rules_filed.superseded",
            problem_code="rules_superseded",
            title=rule.title,
            version=newest.version,
        )
    text = note.strip()[:2000]
    if not acknowledge and len(text) < 2:
        raise _invalid("rules_filed.reason_required", "note")
    RULE.fire(
        rule,
        name,
        session=session,
        actor=actor,
        at=at,
        detail={"kind": rule.kind, "version": rule.version, "note": text},
    )
    rule.reviewed_by = actor.username
    rule.reviewed_by_name = actor.display_name or actor.username
    rule.reviewed_at = at
    rule.review_note = text
    return rule


def rule(session: Session, actor: Principal, rule_id: uuid.UUID) -> OperatorRule:
    actor.require(Permission.OPERATOR_RULES_READ)
    found = repo.rule_for(session, actor, rule_id)
    if found is None:
        raise NotFound("rules_filed.not_found")
    return found


def newest_version(session: Session, rule: OperatorRule) -> int:
    """The number of the newest version of the same kind of the same operator's rules."""
    found = repo.latest(session, rule.operator_id, rule.kind)
    return found.version if found else rule.version


def page(session: Session, actor: Principal, query: ListQuery) -> Page[repo.RuleRow]:
    """The filed versions the actor sees: an operator its own, the bureau all."""
    actor.require(Permission.OPERATOR_RULES_READ)
    return repo.rule_page(session, actor, query)


def current(session: Session, actor: Principal) -> dict[str, OperatorRule]:
    """The actor's company's newest version of each kind (an operator's own overview)."""
    actor.require(Permission.OPERATOR_RULES_READ)
    if actor.organization_kind != OrgKind.OPERATOR or actor.organization_id is None:
        return {}
    return repo.current_of(session, actor.organization_id)


def document(
    session: Session, *, actor: Principal, settings: Settings, rule_id: uuid.UUID
) -> tuple[OperatorRule, bytes]:
    """The uploaded PDF, checked against its SM3, for those who see the filing."""
    found = rule(session, actor, rule_id)
    if found.file_sm3 is None:
        raise NotFound("rules_filed.no_file")
    return found, evidence.read(settings.home, found.file_sm3, keys=settings.keys_path)


def operator_name(session: Session, rule: OperatorRule) -> str:
    return parties.names(session, [rule.operator_id])[rule.operator_id]
