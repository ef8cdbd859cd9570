"""Emergency plans and their drills (R8.12, R8.13). Keyword-only, no HTTP, no commit.

* The bureau keeps the city's emergency plan for data-security incidents and information
  leaks (实施机构制定数据安全和信息泄露应急响应预案); each operator keeps its own, made after
  the bureau's (运营机构根据实施机构的预案制定本单位专项应急预案). ``file_plan`` files the
  next version of the actor's own organization's plan: a text or a PDF (or both), with who
  approved it inside the organization and on what day. A filed version never changes;
  revising the plan as it learns (动态更新完善预案) is filing the next version, and every
  version stays readable. The PDF is kept SM4-sealed in the evidence store under its SM3;
  what was filed gets the SM3 digest of its canonical form.
* ``record_drill`` records a drill held under a version of the organization's own plan: the
  day, the scenario, who took part (joint drills name the parties), what it found and what
  follows.
* The bureau sees every plan and drill, an operator its own only (``repository``).
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO, Final

from sqlalchemy.orm import Session

from sluice.audit import details as audit_details
from sluice.audit import service as audit
from sluice.core.canonical import canonical_bytes, canonical_digest
from sluice.core.clock import local
from sluice.core.errors import Conflict, InvalidInput, NotFound
from sluice.core.i18n import add_messages
from sluice.core.ids import sm3_hex
from sluice.core.paging import ListQuery, Page
from sluice.core.permissions import OrgKind, Permission
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.incidents import repository as repo
from sluice.incidents.models import EmergencyDrill, EmergencyPlan
from sluice.operators import evidence

PLAN_FILED: Final = "emergency_plan.filed"
DRILL_RECORDED: Final = "emergency_drill.recorded"
#: What a filing calls itself in its content.
RECORD_TITLE: Final = "应急预案"
PDF_MAGIC: Final = b"%PDF-"
MAX_BODY: Final = 100_000
MAX_TEXT: Final = 4000
#: Organizations that keep an emergency plan.
OWNER_KINDS: Final = (OrgKind.BUREAU, OrgKind.OPERATOR)

audit.declare_actions(
    {
        PLAN_FILED: ("编制应急预案", "Emergency plan filed"),
        DRILL_RECORDED: ("记录应急演练", "Emergency drill recorded"),
    }
)
audit.declare_target_types(
    {
        "emergency_plan": ("应急预案", "Emergency plan"),
        "emergency_drill": ("应急演练", "Emergency drill"),
    }
)
audit_details.declare_detail_labels({"plan": ("应急预案", "Emergency plan")})

add_messages(
    {
        "emergency_plan.not_found": (
            "没有这份应急预案，或您无权查看。",
            "There is no such emergency plan, or you may not see it.",
        ),
        "emergency_plan.no_file": ("这一版预案没有上传文件。", "No document was uploaded with it."),
        "emergency_plan.not_owner": (
            "只有数据局和运营机构编制本单位的应急预案。",
            "Only the bureau and operators keep their own emergency plans.",
        ),
        "emergency_plan.title_length": (
            "标题须为 2 至 200 个字符。",
            "The title is 2 to 200 characters long.",
        ),
        "emergency_plan.body_or_file": (
            "请填写预案正文或上传 PDF 文件（或两者都有）。",
            "Give the text of the plan or upload it as a PDF (or both).",
        ),
        "emergency_plan.body_too_long": (
            "正文最多 {max} 个字符；更长的预案请上传 PDF。",
            "The text is at most {max} characters; upload a longer plan as a PDF.",
        ),
        "emergency_plan.not_pdf": (
            "上传的文件不是 PDF（文件头应为 %PDF-）。",
            "The uploaded file is not a PDF (it should begin with %PDF-).",
        ),
        "emergency_plan.approver_length": (
            "请写明批准人（姓名和职务），2 至 200 个字符。",
            "Name who approved it (name and post), 2 to 200 characters.",
        ),
        "emergency_plan.approved_future": (
            "批准日期不能晚于今天（{today}）。",
            "The day of approval cannot be after today ({today}).",
        ),
        "emergency_drill.not_own_plan": (
            "只能在本单位的应急预案下记录演练。",
            "Drills are recorded under one's own organization's plan only.",
        ),
        "emergency_drill.held_future": (
            "演练日期不能晚于今天（{today}）；演练结束后再记录。",
            "The drill's day cannot be after today ({today}); record it once it is held.",
        ),
        "emergency_drill.text_length": (
            "须为 2 至 {max} 个字符。",
            "2 to {max} characters.",
        ),
    }
)


def _invalid(key: str, field: str, **params: object) -> InvalidInput:
    return InvalidInput(key, errors=[{"field": field, "type": key.rsplit(".", 1)[-1]}], **params)


def _pdf(stream: BinaryIO) -> bool:
    head = stream.read(len(PDF_MAGIC))
    stream.seek(0)
    return head == PDF_MAGIC


def _owner(actor: Principal) -> uuid.UUID:
    if actor.organization_kind not in OWNER_KINDS or actor.organization_id is None:
        raise Conflict("emergency_plan.not_owner")
    return actor.organization_id


def file_plan(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    at: datetime,
    title: str,
    approved_by: str,
    approved_on: date,
    body: str = "",
    stream: BinaryIO | None = None,
    filename: str | None = None,
) -> EmergencyPlan:
    """File the next version of the actor's own organization's emergency plan."""
    actor.require(Permission.EMERGENCY_PLANS_MANAGE)
    owner_id = _owner(actor)
    title = title.strip()
    text = body.strip()
    approver = approved_by.strip()
    today = local(at).date()
    if not 2 <= len(title) <= 200:
        raise _invalid("emergency_plan.title_length", "title")
    if not 2 <= len(approver) <= 200:
        raise _invalid("emergency_plan.approver_length", "approved_by")
    if approved_on > today:
        raise _invalid("emergency_plan.approved_future", "approved_on", today=today.isoformat())
    if len(text) > MAX_BODY:
        raise _invalid("emergency_plan.body_too_long", "body", max=MAX_BODY)
    if not text and stream is None:
        raise _invalid("emergency_plan.body_or_file", "body")
    if stream is not None and not _pdf(stream):
        raise _invalid("emergency_plan.not_pdf", "file")
    stored = (
        evidence.store(
            stream, home=settings.home, keys=settings.keys_path, limit_mb=settings.upload_max_mb
        )
        if stream is not None
        else None
    )
    name = (Path(filename or "plan.pdf").name[:200] or "plan.pdf") if stored else None
    previous = repo.latest_plan(session, owner_id)
    version = (previous.version if previous else 0) + 1
    owner = repo.organizations(session, [owner_id]).get(owner_id)
    content: dict[str, Any] = {
        "record": RECORD_TITLE,
        "owner": {
            "id": owner_id,
            "name": owner.name if owner else None,
            "credit_code": owner.credit_code if owner else None,
        },
        "version": version,
        "title": title,
        "approved_by": approver,
        "approved_on": approved_on.isoformat(),
        "body_sm3": sm3_hex(text) if text else None,
        "document": {"name": name, "bytes": stored.size_bytes, "sm3": stored.sm3}
        if stored
        else None,
        "filed_by": actor.display_name or actor.username,
        "filed_at": at,
    }
    plan = EmergencyPlan(
        owner_id=owner_id,
        version=version,
        title=title,
        body=text,
        file_name=name,
        file_sm3=stored.sm3 if stored else None,
        file_bytes=stored.size_bytes if stored else None,
        approved_by=approver,
        approved_on=approved_on,
        content=json.loads(canonical_bytes(content)),
        digest=canonical_digest(content),
        filed_by=actor.username,
        filed_by_name=actor.display_name or actor.username,
        filed_at=at,
    )
    session.add(plan)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=PLAN_FILED,
        target_type="emergency_plan",
        target_id=plan.id,
        at=at,
        detail={"version": version, "title": title, "digest": plan.digest},
    )
    return plan


def _text(value: str, field: str, limit: int = MAX_TEXT) -> str:
    text = value.strip()
    if not 2 <= len(text) <= limit:
        raise _invalid("emergency_drill.text_length", field, max=limit)
    return text


def record_drill(
    session: Session,
    *,
    actor: Principal,
    at: datetime,
    plan_id: uuid.UUID,
    held_on: date,
    scenario: str,
    participants: str,
    findings: str,
    follow_up: str,
) -> EmergencyDrill:
    """Record a drill held under a version of the actor's own organization's plan."""
    actor.require(Permission.EMERGENCY_PLANS_MANAGE)
    owner_id = _owner(actor)
    under = plan(session, actor, plan_id)
    if under.owner_id != owner_id:
        raise Conflict("emergency_drill.not_own_plan")
    today = local(at).date()
    if held_on > today:
        raise _invalid("emergency_drill.held_future", "held_on", today=today.isoformat())
    drill = EmergencyDrill(
        plan_id=under.id,
        owner_id=owner_id,
        held_on=held_on,
        scenario=_text(scenario, "scenario"),
        participants=_text(participants, "participants"),
        findings=_text(findings, "findings"),
        follow_up=_text(follow_up, "follow_up"),
        recorded_by=actor.username,
        recorded_by_name=actor.display_name or actor.username,
        recorded_at=at,
    )
    session.add(drill)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=DRILL_RECORDED,
        target_type="emergency_drill",
        target_id=drill.id,
        at=at,
        detail={"plan": str(under.id), "version": under.version, "held_on": held_on.isoformat()},
    )
    return drill


def plan(session: Session, actor: Principal, plan_id: uuid.UUID) -> EmergencyPlan:
    actor.require(Permission.EMERGENCY_PLANS_READ)
    found = repo.plan_for(session, actor, plan_id)
    if found is None:
        raise NotFound("emergency_plan.not_found")
    return found


def page(session: Session, actor: Principal, query: ListQuery) -> Page[repo.PlanRow]:
    """The plans the actor sees: an operator its own, the bureau every one."""
    actor.require(Permission.EMERGENCY_PLANS_READ)
    return repo.plan_page(session, actor, query)


def versions(session: Session, actor: Principal, plan: EmergencyPlan) -> list[EmergencyPlan]:
    """Every version of the plan's owner's plan, the newest first (``plan`` was seen)."""
    actor.require(Permission.EMERGENCY_PLANS_READ)
    return repo.plan_versions(session, plan.owner_id)


def drills(session: Session, actor: Principal, plan: EmergencyPlan) -> list[EmergencyDrill]:
    """Every drill of the plan's owner, under any version, the latest first."""
    actor.require(Permission.EMERGENCY_PLANS_READ)
    return repo.drills_of(session, plan.owner_id)


def own_latest(session: Session, actor: Principal) -> EmergencyPlan | None:
    """The newest version of the actor's own organization's plan, if it has one."""
    actor.require(Permission.EMERGENCY_PLANS_READ)
    if actor.organization_kind not in OWNER_KINDS or actor.organization_id is None:
        return None
    return repo.latest_plan(session, actor.organization_id)


def document(
    session: Session, *, actor: Principal, settings: Settings, plan_id: uuid.UUID
) -> tuple[EmergencyPlan, bytes]:
    """The uploaded PDF, checked against its SM3, for those who see the plan."""
    found = plan(session, actor, plan_id)
    if found.file_sm3 is None:
        raise NotFound("emergency_plan.no_file")
    return found, evidence.read(settings.home, found.file_sm3, keys=settings.keys_path)


def owner_name(session: Session, plan: EmergencyPlan) -> str:
    found = repo.organizations(session, [plan.owner_id]).get(plan.owner_id)
    return found.name if found else ""
