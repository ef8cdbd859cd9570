"""The rules of operator qualification (R2.1–R2.10). Keyword-only, no HTTP, no commit.

* An operator company applies for itself (its organization is the applicant). It has at
  most one open application (draft, submitted or returned) at a time, and edits only while
  the application is a draft.
* The application declares the company, its principal persons, its ownership graph and the
  records that describe the graph's entities, and answers the bureau's checklist with
  evidence. Submitting runs the automated checks (``checks``); the reviewer may run them
  again, judges each checklist item met or not met, and decides with a reason.
* The reviewer cannot qualify while an automated check fails (unless the applicant
  qualifies through a controlled entity, R2.9) or a checklist item is not met or not yet
  judged. The checks are run once more when qualifying, so the decision rests on the rules
  and settings of that moment.
* Everyone but the bureau sees only their own organization's applications; others' are not
  found. Every change is audited.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy.orm import Session

from sluice.audit import service as audit
from sluice.audit.models import AuditEvent
from sluice.core.clock import Clock, local
from sluice.core.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    SluiceError,
)
from sluice.core.i18n import MessageList, MessageRef, add_messages, translate
from sluice.core.permissions import Permission
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.identity import repository as identity_repository
from sluice.identity.models import Organization
from sluice.operators import checks, evidence, repository
from sluice.operators.checklist import DEFAULT_ITEMS
from sluice.operators.models import (
    OperatorApplication,
    OperatorChecklistAnswer,
    OperatorChecklistItem,
    OperatorCheckResult,
    OperatorCreditRecord,
    OperatorEntity,
    OperatorEvidence,
    OperatorFinancials,
    OperatorIncident,
    OperatorLink,
    OperatorPenalty,
    OperatorPrincipal,
)
from sluice.operators.ownership import Graph, Link, Node, NodeKind, Relation, upward_reach
from sluice.operators.schemas import (
    ApplicationCreate,
    ApplicationUpdate,
    ChecklistItemCreate,
    ChecklistItemUpdate,
    CreditRecordCreate,
    Decision,
    EntityCreate,
    EntityUpdate,
    FinancialsIn,
    IncidentCreate,
    Judgment,
    LinkCreate,
    PenaltyCreate,
    PrincipalCreate,
)
from sluice.operators.states import APPLICATION, DRAFT, SUBMITTED

ENTITY = APPLICATION.entity
ITEM_ENTITY = "operator_checklist_item"
#: Record kinds an applicant adds one by one, as they appear in URLs.
RECORD_KINDS: dict[
    str,
    type[OperatorCreditRecord]
    | type[OperatorPenalty]
    | type[OperatorIncident]
    | type[OperatorFinancials],
] = {
    "credit-records": OperatorCreditRecord,
    "penalties": OperatorPenalty,
    "incidents": OperatorIncident,
    "financials": OperatorFinancials,
}

_ACTIONS = {
    "created": ("创建资格申请", "Application created"),
    "updated": ("修改企业信息", "Company details changed"),
    "principal_added": ("添加主要负责人", "Principal person added"),
    "principal_removed": ("删除主要负责人", "Principal person removed"),
    "entity_added": ("添加股权结构主体", "Ownership entity added"),
    "entity_changed": ("修改股权结构主体", "Ownership entity changed"),
    "entity_removed": ("删除股权结构主体", "Ownership entity removed"),
    "link_added": ("添加股权或控制关系", "Ownership link added"),
    "link_removed": ("删除股权或控制关系", "Ownership link removed"),
    "record_added": ("添加信用、处罚或安全事件记录", "Record added"),
    "record_removed": ("删除记录", "Record removed"),
    "financials_saved": ("保存财务报表", "Financial statements saved"),
    "evidence_uploaded": ("上传证明材料", "Evidence uploaded"),
    "statement_saved": ("填写清单项说明", "Checklist statement saved"),
    "checks_run": ("运行自动检查", "Automated checks run"),
    "item_judged": ("判定清单项", "Checklist item judged"),
}
audit.declare_actions({f"{ENTITY}.{name}": labels for name, labels in _ACTIONS.items()})
audit.declare_actions(
    {
        f"{ITEM_ENTITY}.created": ("新增资格审核清单项", "Checklist item created"),
        f"{ITEM_ENTITY}.changed": ("修改资格审核清单项", "Checklist item changed"),
        f"{ITEM_ENTITY}.seeded": ("初始化资格审核清单", "Default checklist created"),
    }
)


class InvalidCreditCode(InvalidInput):
    code = "invalid_credit_code"


class QualificationBlocked(SluiceError):
    status = 409
    code = "qualification_blocked"


add_messages(
    {
        "problem.invalid_credit_code": ("统一社会信用代码无效", "Invalid credit code"),
        "error.invalid_credit_code": (
            "统一社会信用代码无效。",
            "The unified social credit code is not valid.",
        ),
        "operators.credit_code.invalid": (
            "统一社会信用代码 {code} 无效：{reason}。",
            "The unified social credit code {code} is not valid: {reason}.",
        ),
        "operators.credit_code.required": (
            "请填写统一社会信用代码。",
            "Please enter the unified social credit code.",
        ),
        "operators.credit_code.not_own": (
            "申请单位须为本单位：平台登记的统一社会信用代码为 {registered}。",
            "The applicant must be your own organization, whose registered credit code is "
            "{registered}.",
        ),
        "operators.credit_code.not_for_person": (
            "自然人没有统一社会信用代码。",
            "A natural person has no unified social credit code.",
        ),
        "problem.qualification_blocked": ("暂不能认定合格", "Cannot qualify yet"),
        "error.qualification_blocked": (
            "暂不能认定合格。",
            "The application cannot be qualified yet.",
        ),
        "operators.blocked": (
            "不能认定合格。未通过的自动检查：{checks}；未判定或判定为不符合的清单项：{items}。",
            "Cannot qualify. Automated checks failing: {checks}; checklist items not judged "
            "or not met: {items}.",
        ),
        "operators.not_found": (
            "资格申请不存在，或您无权查看。",
            "There is no such application, or you may not see it.",
        ),
        "operators.child_not_found": (
            "该申请中没有这条记录。",
            "This application has no such record.",
        ),
        "operators.no_organization": (
            "您的账户不属于任何单位，不能提出申请。",
            "Your account belongs to no organization, so it cannot apply.",
        ),
        "operators.open_application_exists": (
            "本单位已有一份未办结的申请，请继续办理该申请。",
            "Your organization already has an application in progress; please continue it.",
        ),
        "operators.not_editable": (
            "申请当前为“{state}”，只有“填写中”的申请可以修改。",
            "The application is '{state}'; only a draft can be changed.",
        ),
        "operators.not_under_review": (
            "申请当前为“{state}”，只有“待审核”的申请可以审核。",
            "The application is '{state}'; only a submitted application can be reviewed.",
        ),
        "operators.entity_name_taken": (
            "股权结构中已有名为“{name}”的主体。",
            "The ownership graph already has an entity named '{name}'.",
        ),
        "operators.applicant_entity_fixed": (
            "申请单位本身的名称、类型和注册地由企业信息决定，不能在此修改。",
            "The applicant's own name, kind and jurisdiction come from the company details "
            "and cannot be changed here.",
        ),
        "operators.entity_in_use": (
            "“{name}”下还有 {count} 条记录（财务、信用、处罚或安全事件），请先删除这些记录。",
            "'{name}' still has {count} record(s) (finance, credit, penalties or incidents); "
            "remove them first.",
        ),
        "operators.link_same_entity": (
            "关系的两端不能是同一主体。",
            "A link needs two different entities.",
        ),
        "operators.link_exists": ("这条关系已经存在。", "This link already exists."),
        "operators.share_required": (
            "股东关系须填写持股比例。",
            "A shareholding needs its share.",
        ),
        "operators.share_only_shareholder": (
            "只有股东关系填写持股比例；控制、托管和关联关系不填。",
            "Only a shareholding has a share; control, management and affiliation do not.",
        ),
        "operators.shares_exceed": (
            "“{name}”已申报的股东持股合计将达 {total}%，超过 100%。",
            "The declared shareholders of '{name}' would hold {total} %, more than 100 %.",
        ),
        "operators.person_not_held": (
            "自然人不能被持股、控制或托管。",
            "A natural person cannot be held, controlled or managed.",
        ),
        "operators.date_in_future": ("日期不能晚于今天。", "The date cannot be after today."),
        "operators.removed_before_listed": (
            "移出日期不能早于列入日期。",
            "The removal date cannot be before the listing date.",
        ),
        "operators.net_assets_mismatch": (
            "净资产应等于资产总额减负债总额（{expected} 元）。",
            "Net assets must equal total assets less total liabilities (CNY {expected}).",
        ),
        "operators.item_unknown": (
            "没有启用中的清单项“{key}”。",
            "There is no active checklist item '{key}'.",
        ),
        "operators.item_key_taken": (
            "清单项标识“{key}”已被使用。",
            "The checklist item key '{key}' is taken.",
        ),
        "operators.evidence_missing": (
            "以下清单项需要上传证明材料：{items}。",
            "These checklist items need evidence: {items}.",
        ),
        "operators.note_required": (
            "判定为不符合时须说明理由。",
            "Please say why the item is not met.",
        ),
        "operators.reason_required": (
            "请填写审核意见（理由）。",
            "Please give the reason for the decision.",
        ),
    }
)


class Bilingual(MessageRef):
    """Text the bureau typed in both languages (a checklist item's title) as a parameter."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__("")
        self.zh = zh
        self.en = en

    def render(self, locale: str) -> str:
        return self.en if locale == "en" and self.en else self.zh


def _invalid(message_key: str, on: str, /, **params: Any) -> InvalidInput:
    """A refusal of the input, naming the field it is about (forms show it there)."""
    kind = message_key.rsplit(".", 1)[-1]
    return InvalidInput(message_key, errors=[{"field": on, "type": kind}], **params)


def today(clock: Clock) -> date:
    return local(clock.now()).date()


def valid_credit_code(value: str, *, field: str = "credit_code") -> str:
    """The compact form of a valid code; an invalid one is refused with what is wrong."""
    code = checks.compact_credit_code(value)
    problem = checks.credit_code_problem(code)
    if problem is not None:
        raise InvalidCreditCode(
            "operators.credit_code.invalid",
            code=code,
            reason=MessageRef(problem),
            errors=[{"field": field, "type": problem.rsplit(".", 1)[-1]}],
        )
    return code


def mask_id_number(value: str) -> str:
    """``210802199001011234`` -> ``210802********1234``; shorter numbers keep less."""
    value = value.strip().upper()
    if len(value) >= 15:
        first, last = 6, 4
    elif len(value) >= 6:
        first, last = 1, 2
    else:
        first, last = 0, 0
    return value[:first] + "*" * (len(value) - first - last) + value[len(value) - last :]


def _record(
    session: Session,
    *,
    actor: Principal,
    at: Any,
    action: str,
    target_id: uuid.UUID,
    detail: dict[str, Any] | None = None,
) -> None:
    audit.record(
        session,
        actor=actor,
        action=f"{ENTITY}.{action}",
        target_type=ENTITY,
        target_id=target_id,
        at=at,
        detail=detail,
    )


def _state(application: OperatorApplication) -> MessageRef:
    return MessageRef(f"state.{ENTITY}.{application.status}")


def _require_any(actor: Principal, *permissions: Permission) -> None:
    if not any(actor.has(p) for p in permissions):
        raise PermissionDenied(permission=str(permissions[0]))


def _visible(
    session: Session, actor: Principal, application_id: uuid.UUID, *, for_update: bool = False
) -> OperatorApplication:
    found = repository.application(
        session, actor=actor, application_id=application_id, for_update=for_update
    )
    if found is None:
        raise NotFound("operators.not_found")
    return found


def _draft(session: Session, actor: Principal, application_id: uuid.UUID) -> OperatorApplication:
    """The applicant's own application, which must be a draft to change."""
    actor.require(Permission.OPERATORS_APPLY)
    application = _visible(session, actor, application_id, for_update=True)
    if application.status != DRAFT:
        raise Conflict("operators.not_editable", state=_state(application))
    return application


def _under_review(
    session: Session, actor: Principal, application_id: uuid.UUID
) -> OperatorApplication:
    actor.require(Permission.OPERATORS_REVIEW)
    application = _visible(session, actor, application_id, for_update=True)
    if application.status != SUBMITTED:
        raise Conflict("operators.not_under_review", state=_state(application))
    return application


def _touch(application: OperatorApplication, clock: Clock) -> Any:
    now = clock.now()
    application.updated_at = now
    return now


# --- the application ----------------------------------------------------------------------


def create_application(
    session: Session, *, actor: Principal, clock: Clock, data: ApplicationCreate
) -> OperatorApplication:
    actor.require(Permission.OPERATORS_APPLY)
    if actor.organization_id is None:
        raise PermissionDenied("operators.no_organization")
    organization = identity_repository.organization(session, actor.organization_id)
    if organization is None:
        raise PermissionDenied("operators.no_organization")
    if repository.open_application(session, organization.id) is not None:
        raise Conflict("operators.open_application_exists")
    raw_code = data.credit_code or organization.credit_code
    if not raw_code:
        raise _invalid("operators.credit_code.required", "credit_code")
    code = valid_credit_code(raw_code)
    if organization.credit_code and code != organization.credit_code:
        raise _invalid(
            "operators.credit_code.not_own", "credit_code", registered=organization.credit_code
        )
    ensure_default_items(session, clock=clock)
    now = clock.now()
    name = data.company_name or organization.name
    application = OperatorApplication(
        organization_id=organization.id,
        company_name=name,
        company_name_en=data.company_name_en or organization.name_en,
        credit_code=code,
        legal_representative=data.legal_representative,
        registered_address=data.registered_address,
        established_on=data.established_on,
        registered_capital_fen=data.registered_capital_fen,
        business_scope=data.business_scope,
        status=APPLICATION.initial,
        created_by=actor.username,
        created_at=now,
        updated_at=now,
        checks_run=0,
    )
    session.add(application)
    session.flush()
    session.add(
        OperatorEntity(
            application_id=application.id,
            kind=NodeKind.COMPANY.value,
            name=name,
            # A company with a unified social credit code is registered on the mainland.
            jurisdiction="CN",
            credit_code=code,
            is_applicant=True,
            created_at=now,
        )
    )
    session.flush()
    _record(
        session,
        actor=actor,
        at=now,
        action="created",
        target_id=application.id,
        detail={"organization_id": str(organization.id), "credit_code": code},
    )
    return application


def update_application(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    application_id: uuid.UUID,
    data: ApplicationUpdate,
) -> OperatorApplication:
    application = _draft(session, actor, application_id)
    changes = data.model_dump(exclude_none=True)
    if "credit_code" in changes:
        code = valid_credit_code(changes["credit_code"])
        organization = identity_repository.organization(session, application.organization_id)
        if organization and organization.credit_code and code != organization.credit_code:
            raise _invalid(
                "operators.credit_code.not_own", "credit_code", registered=organization.credit_code
            )
        changes["credit_code"] = code
    applicant = repository.applicant_entity(session, application.id)
    if "company_name" in changes and changes["company_name"] != application.company_name:
        clash = repository.entity_named(session, application.id, changes["company_name"])
        if clash is not None:
            raise Conflict("operators.entity_name_taken", name=changes["company_name"])
        applicant.name = changes["company_name"]
    if "credit_code" in changes:
        applicant.credit_code = changes["credit_code"]
    for name, value in changes.items():
        setattr(application, name, value)
    now = _touch(application, clock)
    _record(
        session,
        actor=actor,
        at=now,
        action="updated",
        target_id=application.id,
        detail={"fields": sorted(changes)},
    )
    return application


def add_principal(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    application_id: uuid.UUID,
    data: PrincipalCreate,
) -> OperatorPrincipal:
    application = _draft(session, actor, application_id)
    now = _touch(application, clock)
    principal = OperatorPrincipal(
        application_id=application.id,
        name=data.name,
        position=data.position,
        nationality=data.nationality,
        id_number_masked=mask_id_number(data.id_number) if data.id_number else None,
        major_penalty=data.major_penalty,
        serious_dishonesty=data.serious_dishonesty,
        note=data.note,
        created_at=now,
    )
    session.add(principal)
    session.flush()
    _record(
        session,
        actor=actor,
        at=now,
        action="principal_added",
        target_id=application.id,
        detail={"principal_id": str(principal.id), "name": principal.name},
    )
    return principal


def remove_principal(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    application_id: uuid.UUID,
    principal_id: uuid.UUID,
) -> None:
    application = _draft(session, actor, application_id)
    principal = repository.child(
        session, OperatorPrincipal, application_id=application.id, child_id=principal_id
    )
    if principal is None:
        raise NotFound("operators.child_not_found")
    session.delete(principal)
    now = _touch(application, clock)
    _record(
        session,
        actor=actor,
        at=now,
        action="principal_removed",
        target_id=application.id,
        detail={"principal_id": str(principal_id), "name": principal.name},
    )


# --- the ownership graph ------------------------------------------------------------------


def add_entity(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    application_id: uuid.UUID,
    data: EntityCreate,
) -> OperatorEntity:
    application = _draft(session, actor, application_id)
    if repository.entity_named(session, application.id, data.name) is not None:
        raise Conflict("operators.entity_name_taken", name=data.name)
    code = None
    if data.credit_code:
        if data.kind is NodeKind.PERSON:
            raise _invalid("operators.credit_code.not_for_person", "credit_code")
        code = valid_credit_code(data.credit_code)
    now = _touch(application, clock)
    entity = OperatorEntity(
        application_id=application.id,
        kind=data.kind.value,
        name=data.name,
        jurisdiction=data.jurisdiction,
        credit_code=code,
        is_applicant=False,
        note=data.note,
        created_at=now,
    )
    session.add(entity)
    session.flush()
    _record(
        session,
        actor=actor,
        at=now,
        action="entity_added",
        target_id=application.id,
        detail={
            "entity_id": str(entity.id),
            "name": entity.name,
            "kind": entity.kind,
            "jurisdiction": entity.jurisdiction,
        },
    )
    return entity


def _entity(
    session: Session, application: OperatorApplication, entity_id: uuid.UUID
) -> OperatorEntity:
    entity = repository.child(
        session, OperatorEntity, application_id=application.id, child_id=entity_id
    )
    if entity is None:
        raise NotFound("operators.child_not_found")
    return entity


def update_entity(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    application_id: uuid.UUID,
    entity_id: uuid.UUID,
    data: EntityUpdate,
) -> OperatorEntity:
    application = _draft(session, actor, application_id)
    entity = _entity(session, application, entity_id)
    changes = data.model_dump(exclude_none=True)
    if entity.is_applicant and set(changes) - {"note"}:
        raise Conflict("operators.applicant_entity_fixed")
    renamed = "name" in changes and changes["name"] != entity.name
    if renamed and repository.entity_named(session, application.id, changes["name"]):
        raise Conflict("operators.entity_name_taken", name=changes["name"])
    kind = NodeKind(changes.get("kind", entity.kind))
    if "credit_code" in changes:
        if kind is NodeKind.PERSON:
            raise _invalid("operators.credit_code.not_for_person", "credit_code")
        changes["credit_code"] = valid_credit_code(changes["credit_code"])
    if "kind" in changes:
        changes["kind"] = kind.value
    for name, value in changes.items():
        setattr(entity, name, value)
    now = _touch(application, clock)
    _record(
        session,
        actor=actor,
        at=now,
        action="entity_changed",
        target_id=application.id,
        detail={"entity_id": str(entity.id), "fields": sorted(changes)},
    )
    return entity


def remove_entity(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    application_id: uuid.UUID,
    entity_id: uuid.UUID,
) -> None:
    application = _draft(session, actor, application_id)
    entity = _entity(session, application, entity_id)
    if entity.is_applicant:
        raise Conflict("operators.applicant_entity_fixed")
    in_use = repository.records_of_entity(session, entity.id)
    if in_use:
        raise Conflict("operators.entity_in_use", name=entity.name, count=in_use)
    repository.delete_links_of(session, entity.id)
    session.delete(entity)
    now = _touch(application, clock)
    _record(
        session,
        actor=actor,
        at=now,
        action="entity_removed",
        target_id=application.id,
        detail={"entity_id": str(entity_id), "name": entity.name},
    )


def add_link(
    session: Session, *, actor: Principal, clock: Clock, application_id: uuid.UUID, data: LinkCreate
) -> OperatorLink:
    application = _draft(session, actor, application_id)
    holder = _entity(session, application, data.holder_id)
    held = _entity(session, application, data.held_id)
    if holder.id == held.id:
        raise _invalid("operators.link_same_entity", "held_id")
    if data.relation is not Relation.AFFILIATE and held.kind == NodeKind.PERSON.value:
        raise _invalid("operators.person_not_held", "held_id")
    if data.relation is Relation.SHAREHOLDER:
        if data.share_bp is None:
            raise _invalid("operators.share_required", "share_bp")
        total = repository.declared_shares(session, held.id) + data.share_bp
        if total > 10000:
            raise _invalid(
                "operators.shares_exceed",
                "share_bp",
                name=held.name,
                total=checks.percent_bp(total),
            )
    elif data.share_bp is not None:
        raise _invalid("operators.share_only_shareholder", "share_bp")
    existing = repository.link_between(
        session, holder_id=holder.id, held_id=held.id, relation=data.relation.value
    )
    if existing is not None:
        raise Conflict("operators.link_exists")
    now = _touch(application, clock)
    link = OperatorLink(
        application_id=application.id,
        holder_id=holder.id,
        held_id=held.id,
        relation=data.relation.value,
        share_bp=data.share_bp,
        created_at=now,
    )
    session.add(link)
    session.flush()
    _record(
        session,
        actor=actor,
        at=now,
        action="link_added",
        target_id=application.id,
        detail={
            "link_id": str(link.id),
            "holder": holder.name,
            "held": held.name,
            "relation": link.relation,
            "share_bp": link.share_bp,
        },
    )
    return link


def remove_link(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    application_id: uuid.UUID,
    link_id: uuid.UUID,
) -> None:
    application = _draft(session, actor, application_id)
    link = repository.child(session, OperatorLink, application_id=application.id, child_id=link_id)
    if link is None:
        raise NotFound("operators.child_not_found")
    session.delete(link)
    now = _touch(application, clock)
    _record(
        session,
        actor=actor,
        at=now,
        action="link_removed",
        target_id=application.id,
        detail={"link_id": str(link_id), "relation": link.relation},
    )


# --- records that describe an entity ------------------------------------------------------


def _subject(
    session: Session, application: OperatorApplication, entity_id: uuid.UUID | None
) -> OperatorEntity:
    """The entity a record describes: the one named, or the applicant itself."""
    if entity_id is None:
        return repository.applicant_entity(session, application.id)
    entity = repository.child(
        session, OperatorEntity, application_id=application.id, child_id=entity_id
    )
    if entity is None:
        raise _invalid("operators.child_not_found", "entity_id")
    return entity


def _not_after(day: date, on: date, field: str) -> None:
    if day > on:
        raise _invalid("operators.date_in_future", field)


def _added(
    session: Session,
    *,
    actor: Principal,
    application: OperatorApplication,
    record: OperatorCreditRecord | OperatorPenalty | OperatorIncident,
    kind: str,
    entity: OperatorEntity,
    now: Any,
) -> None:
    session.add(record)
    session.flush()
    _record(
        session,
        actor=actor,
        at=now,
        action="record_added",
        target_id=application.id,
        detail={"kind": kind, "record_id": str(record.id), "entity": entity.name},
    )


def add_credit_record(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    application_id: uuid.UUID,
    data: CreditRecordCreate,
) -> OperatorCreditRecord:
    application = _draft(session, actor, application_id)
    entity = _subject(session, application, data.entity_id)
    _not_after(data.listed_on, today(clock), "listed_on")
    if data.removed_on is not None:
        _not_after(data.removed_on, today(clock), "removed_on")
        if data.removed_on < data.listed_on:
            raise _invalid("operators.removed_before_listed", "removed_on")
    now = _touch(application, clock)
    record = OperatorCreditRecord(
        application_id=application.id,
        entity_id=entity.id,
        category=data.category.value,
        source=data.source,
        listed_on=data.listed_on,
        removed_on=data.removed_on,
        description=data.description,
        created_at=now,
    )
    _added(
        session,
        actor=actor,
        application=application,
        record=record,
        kind="credit-records",
        entity=entity,
        now=now,
    )
    return record


def add_penalty(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    application_id: uuid.UUID,
    data: PenaltyCreate,
) -> OperatorPenalty:
    application = _draft(session, actor, application_id)
    entity = _subject(session, application, data.entity_id)
    _not_after(data.decided_on, today(clock), "decided_on")
    now = _touch(application, clock)
    record = OperatorPenalty(
        application_id=application.id,
        entity_id=entity.id,
        decided_on=data.decided_on,
        authority=data.authority,
        document_no=data.document_no,
        major=data.major,
        amount_fen=data.amount_fen,
        description=data.description,
        created_at=now,
    )
    _added(
        session,
        actor=actor,
        application=application,
        record=record,
        kind="penalties",
        entity=entity,
        now=now,
    )
    return record


def add_incident(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    application_id: uuid.UUID,
    data: IncidentCreate,
) -> OperatorIncident:
    application = _draft(session, actor, application_id)
    entity = _subject(session, application, data.entity_id)
    _not_after(data.occurred_on, today(clock), "occurred_on")
    now = _touch(application, clock)
    record = OperatorIncident(
        application_id=application.id,
        entity_id=entity.id,
        occurred_on=data.occurred_on,
        kind=data.kind.value,
        description=data.description,
        created_at=now,
    )
    _added(
        session,
        actor=actor,
        application=application,
        record=record,
        kind="incidents",
        entity=entity,
        now=now,
    )
    return record


def save_financials(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    application_id: uuid.UUID,
    data: FinancialsIn,
) -> OperatorFinancials:
    """One entity's statements for one fiscal year; saving the same year again replaces them."""
    application = _draft(session, actor, application_id)
    entity = _subject(session, application, data.entity_id)
    if data.fiscal_year > today(clock).year:
        raise _invalid("operators.date_in_future", "fiscal_year")
    expected = data.total_assets_fen - data.total_liabilities_fen
    if data.net_assets_fen != expected:
        raise _invalid(
            "operators.net_assets_mismatch", "net_assets_fen", expected=checks.yuan(expected)
        )
    now = _touch(application, clock)
    statement = repository.financials_for(
        session, entity_id=entity.id, fiscal_year=data.fiscal_year
    )
    if statement is None:
        statement = OperatorFinancials(
            application_id=application.id,
            entity_id=entity.id,
            fiscal_year=data.fiscal_year,
            created_at=now,
        )
        session.add(statement)
    for name, value in data.model_dump(mode="json", exclude={"entity_id", "fiscal_year"}).items():
        setattr(statement, name, value)
    session.flush()
    _record(
        session,
        actor=actor,
        at=now,
        action="financials_saved",
        target_id=application.id,
        detail={"entity": entity.name, "fiscal_year": data.fiscal_year},
    )
    return statement


def remove_record(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    application_id: uuid.UUID,
    kind: str,
    record_id: uuid.UUID,
) -> None:
    model = RECORD_KINDS.get(kind)
    if model is None:
        raise NotFound("operators.child_not_found")
    application = _draft(session, actor, application_id)
    record = repository.entity_record(
        session, model, application_id=application.id, record_id=record_id
    )
    if record is None:
        raise NotFound("operators.child_not_found")
    session.delete(record)
    now = _touch(application, clock)
    _record(
        session,
        actor=actor,
        at=now,
        action="record_removed",
        target_id=application.id,
        detail={"kind": kind, "record_id": str(record_id)},
    )


# --- checklist and evidence ---------------------------------------------------------------


def ensure_default_items(session: Session, *, clock: Clock) -> None:
    """Write the default checklist when the bureau has none yet."""
    if repository.item_count(session):
        return
    now = clock.now()
    for position, item in enumerate(DEFAULT_ITEMS, start=1):
        session.add(
            OperatorChecklistItem(
                key=item.key,
                requirement=item.requirement,
                title_zh=item.title_zh,
                title_en=item.title_en,
                description_zh=item.description_zh,
                description_en=item.description_en,
                evidence_required=item.evidence_required,
                active=True,
                position=position * 10,
                created_at=now,
                updated_at=now,
            )
        )
    session.flush()
    audit.record(
        session,
        actor=Principal.system("operators"),
        action=f"{ITEM_ENTITY}.seeded",
        target_type=ITEM_ENTITY,
        target_id="default",
        at=now,
        detail={"keys": [item.key for item in DEFAULT_ITEMS]},
    )


def checklist_items(
    session: Session, *, actor: Principal, clock: Clock, active_only: bool = False
) -> list[OperatorChecklistItem]:
    _require_any(
        actor, Permission.OPERATORS_READ, Permission.OPERATORS_APPLY, Permission.OPERATORS_REVIEW
    )
    ensure_default_items(session, clock=clock)
    return repository.items(session, active_only=active_only)


def create_item(
    session: Session, *, actor: Principal, clock: Clock, data: ChecklistItemCreate
) -> OperatorChecklistItem:
    actor.require(Permission.OPERATORS_REVIEW)
    ensure_default_items(session, clock=clock)
    if repository.item_by_key(session, data.key) is not None:
        raise Conflict("operators.item_key_taken", key=data.key)
    now = clock.now()
    item = OperatorChecklistItem(**data.model_dump(), created_at=now, updated_at=now)
    session.add(item)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=f"{ITEM_ENTITY}.created",
        target_type=ITEM_ENTITY,
        target_id=item.key,
        at=now,
        detail=data.model_dump(),
    )
    return item


def update_item(
    session: Session, *, actor: Principal, clock: Clock, key: str, data: ChecklistItemUpdate
) -> OperatorChecklistItem:
    actor.require(Permission.OPERATORS_REVIEW)
    item = repository.item_by_key(session, key)
    if item is None:
        raise NotFound("operators.item_unknown", key=key)
    changes = data.model_dump(exclude_none=True)
    for name, value in changes.items():
        setattr(item, name, value)
    now = clock.now()
    item.updated_at = now
    audit.record(
        session,
        actor=actor,
        action=f"{ITEM_ENTITY}.changed",
        target_type=ITEM_ENTITY,
        target_id=item.key,
        at=now,
        detail=changes,
    )
    return item


def _active_item(session: Session, key: str, field: str = "item_key") -> OperatorChecklistItem:
    item = repository.item_by_key(session, key)
    if item is None or not item.active:
        raise _invalid("operators.item_unknown", field, key=key)
    return item


def save_statement(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    application_id: uuid.UUID,
    item_key: str,
    statement: str,
) -> OperatorChecklistAnswer:
    application = _draft(session, actor, application_id)
    item = _active_item(session, item_key)
    answer = _answer_row(session, application.id, item.id)
    answer.statement = statement
    now = _touch(application, clock)
    _record(
        session,
        actor=actor,
        at=now,
        action="statement_saved",
        target_id=application.id,
        detail={"item": item.key},
    )
    return answer


def _answer_row(
    session: Session, application_id: uuid.UUID, item_id: uuid.UUID
) -> OperatorChecklistAnswer:
    answer = repository.answer(session, application_id=application_id, item_id=item_id)
    if answer is None:
        answer = OperatorChecklistAnswer(application_id=application_id, item_id=item_id)
        session.add(answer)
    return answer


def upload_evidence(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    settings: Settings,
    application_id: uuid.UUID,
    stream: BinaryIO,
    filename: str,
    content_type: str | None,
    title: str | None = None,
    item_key: str | None = None,
) -> OperatorEvidence:
    application = _draft(session, actor, application_id)
    item = _active_item(session, item_key) if item_key else None
    stored = evidence.store(
        stream, home=settings.home, keys=settings.keys_path, limit_mb=settings.upload_max_mb
    )
    name = Path(filename or "evidence").name[:255] or "evidence"
    now = _touch(application, clock)
    document = OperatorEvidence(
        application_id=application.id,
        item_id=item.id if item else None,
        title=(title or "").strip()[:200] or name,
        filename=name,
        content_type=(content_type or "application/octet-stream")[:100],
        size_bytes=stored.size_bytes,
        sm3=stored.sm3,
        uploaded_by=actor.username,
        uploaded_at=now,
    )
    session.add(document)
    session.flush()
    _record(
        session,
        actor=actor,
        at=now,
        action="evidence_uploaded",
        target_id=application.id,
        detail={
            "evidence_id": str(document.id),
            "item": item.key if item else None,
            "filename": name,
            "sm3": stored.sm3,
            "size_bytes": stored.size_bytes,
        },
    )
    return document


def evidence_file(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    application_id: uuid.UUID,
    evidence_id: uuid.UUID,
) -> tuple[OperatorEvidence, bytes]:
    """The document and its content, checked against its SM3 digest."""
    _require_any(actor, Permission.OPERATORS_READ, Permission.OPERATORS_APPLY)
    application = _visible(session, actor, application_id)
    document = repository.child(
        session, OperatorEvidence, application_id=application.id, child_id=evidence_id
    )
    if document is None:
        raise NotFound("operators.child_not_found")
    return document, evidence.read(settings.home, document.sm3, keys=settings.keys_path)


# --- submitting, checking, deciding -------------------------------------------------------


def _graph(entities: list[OperatorEntity], links: list[OperatorLink]) -> Graph:
    return Graph(
        tuple(Node(str(e.id), e.name, NodeKind(e.kind), e.jurisdiction) for e in entities),
        tuple(
            Link(str(link.holder_id), str(link.held_id), Relation(link.relation), link.share_bp)
            for link in links
        ),
    )


_RELATION_ORDER = {r.value: n for n, r in enumerate(Relation)}


def _reading_order(
    entities: list[OperatorEntity], links: list[OperatorLink]
) -> tuple[list[OperatorEntity], list[OperatorLink]]:
    """The graph as one reads it: the applicant, then level after level upwards, then the
    rest (subsidiaries, managed entities); each entity's holders together, largest first."""
    applicant = next((e for e in entities if e.is_applicant), None)
    rank: dict[uuid.UUID, int] = {}
    if applicant is not None:
        reach = upward_reach(_graph(entities, links), str(applicant.id))
        rank = {uuid.UUID(key): n for n, key in enumerate(reach.parents)}
    last = len(rank)
    ordered = sorted(entities, key=lambda e: (rank.get(e.id, last), e.name))
    position = {e.id: n for n, e in enumerate(ordered)}
    return ordered, sorted(
        links,
        key=lambda link: (
            position[link.held_id],
            _RELATION_ORDER[link.relation],
            -(link.share_bp or 0),
            position[link.holder_id],
        ),
    )


def _dossier(session: Session, application: OperatorApplication) -> checks.Dossier:
    entities = repository.children(session, OperatorEntity, application.id)
    links = repository.children(session, OperatorLink, application.id)
    graph = _graph(entities, links)
    files: dict[str, dict[str, list[Any]]] = {
        str(e.id): {"statements": [], "incidents": [], "penalties": [], "credit": []}
        for e in entities
    }
    for s in repository.children(session, OperatorFinancials, application.id):
        files[str(s.entity_id)]["statements"].append(
            checks.Statement(
                s.fiscal_year,
                s.total_assets_fen,
                s.total_liabilities_fen,
                s.net_assets_fen,
                s.revenue_fen,
                s.net_profit_fen,
                s.committed_funds_fen,
                s.audit_opinion,
            )
        )
    for i in repository.children(session, OperatorIncident, application.id):
        files[str(i.entity_id)]["incidents"].append(
            checks.Incident(i.occurred_on, i.kind, i.description)
        )
    for p in repository.children(session, OperatorPenalty, application.id):
        files[str(p.entity_id)]["penalties"].append(
            checks.Penalty(p.decided_on, p.authority, p.major, p.description)
        )
    for c in repository.children(session, OperatorCreditRecord, application.id):
        files[str(c.entity_id)]["credit"].append(
            checks.CreditEntry(c.category, c.listed_on, c.removed_on, c.description)
        )
    organization = identity_repository.organization(session, application.organization_id)
    principals = repository.children(session, OperatorPrincipal, application.id)
    applicant = next(e for e in entities if e.is_applicant)
    return checks.Dossier(
        credit_code=application.credit_code,
        registered_code=organization.credit_code if organization else None,
        principals=tuple(
            checks.Person(p.name, p.position, p.nationality, p.major_penalty, p.serious_dishonesty)
            for p in principals
        ),
        graph=graph,
        applicant=str(applicant.id),
        files={
            key: checks.EntityFile(
                tuple(f["statements"]),
                tuple(f["incidents"]),
                tuple(f["penalties"]),
                tuple(f["credit"]),
            )
            for key, f in files.items()
        },
    )


def _run_checks(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    settings: Settings,
    application: OperatorApplication,
) -> checks.Evaluation:
    dossier = _dossier(session, application)
    now = clock.now()
    evaluation = checks.evaluate(dossier, settings, on=local(now).date())
    run = application.checks_run + 1
    domestic = settings.domestic_jurisdictions
    rows: list[tuple[str, bool, checks.CheckResult]] = [
        (dossier.applicant, True, r) for r in evaluation.applicant_results
    ]
    for tried in evaluation.controlled:
        rows += [(tried.path.end.key, False, r) for r in tried.results]
    for position, (key, own, result) in enumerate(rows):
        session.add(
            OperatorCheckResult(
                application_id=application.id,
                run=run,
                position=position,
                entity_id=uuid.UUID(key),
                entity_name=dossier.graph.node(key).name,
                for_applicant=own,
                check=result.check.value,
                requirement=result.requirement,
                result=result.result.value,
                explanation=result.explanation(),
                paths=[checks.path_json(p, domestic=domestic) for p in result.paths],
                ran_at=now,
            )
        )
    through = evaluation.through
    application.checks_run = run
    application.checked_at = now
    application.verdict = evaluation.verdict.value
    application.qualifying_entity_id = uuid.UUID(through.path.end.key) if through else None
    application.qualifying_path = (
        checks.path_json(through.path, domestic=domestic, downwards=True) if through else None
    )
    session.flush()
    _record(
        session,
        actor=actor,
        at=now,
        action="checks_run",
        target_id=application.id,
        detail={
            "run": run,
            "verdict": evaluation.verdict.value,
            "results": {r.check.value: r.result.value for r in evaluation.applicant_results},
            "through": through.path.end.name if through else None,
            "settings": {
                "domestic_jurisdictions": list(domestic),
                "min_net_assets_fen": settings.operator_min_net_assets_fen,
                "min_committed_funds_fen": settings.operator_min_committed_funds_fen,
                "max_debt_ratio_percent": settings.operator_max_debt_ratio_percent,
                "require_clean_audit": settings.operator_require_clean_audit,
                "incident_years": settings.operator_incident_years,
            },
        },
    )
    return evaluation


def _missing_evidence(
    session: Session, application: OperatorApplication
) -> list[OperatorChecklistItem]:
    attached = {d.item_id for d in repository.evidence(session, application.id)}
    return [
        item
        for item in repository.items(session, active_only=True)
        if item.evidence_required and item.id not in attached
    ]


def submit(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    settings: Settings,
    application_id: uuid.UUID,
) -> OperatorApplication:
    application = _draft(session, actor, application_id)
    ensure_default_items(session, clock=clock)
    missing = _missing_evidence(session, application)
    if missing:
        raise _invalid(
            "operators.evidence_missing",
            "evidence",
            items=_titles(missing),
        )
    now = _touch(application, clock)
    APPLICATION.fire(application, "submit", session=session, actor=actor, at=now)
    application.submitted_at = now
    _run_checks(session, actor=actor, clock=clock, settings=settings, application=application)
    return application


def revise(
    session: Session, *, actor: Principal, clock: Clock, application_id: uuid.UUID
) -> OperatorApplication:
    actor.require(Permission.OPERATORS_APPLY)
    application = _visible(session, actor, application_id, for_update=True)
    now = _touch(application, clock)
    APPLICATION.fire(application, "revise", session=session, actor=actor, at=now)
    return application


def recheck(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    settings: Settings,
    application_id: uuid.UUID,
) -> checks.Evaluation:
    application = _under_review(session, actor, application_id)
    return _run_checks(
        session, actor=actor, clock=clock, settings=settings, application=application
    )


def judge_item(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    application_id: uuid.UUID,
    item_key: str,
    judgment: Judgment,
    note: str | None,
) -> OperatorChecklistAnswer:
    application = _under_review(session, actor, application_id)
    item = _active_item(session, item_key)
    if judgment is Judgment.NOT_MET and not (note and note.strip()):
        raise _invalid("operators.note_required", "note")
    answer = _answer_row(session, application.id, item.id)
    now = clock.now()
    answer.judgment = judgment.value
    answer.note = note.strip() if note else None
    answer.judged_at = now
    answer.judged_by = actor.username
    _record(
        session,
        actor=actor,
        at=now,
        action="item_judged",
        target_id=application.id,
        detail={"item": item.key, "judgment": judgment.value, "note": answer.note},
    )
    return answer


def _titles(items: Iterable[OperatorChecklistItem]) -> MessageList:
    return _Titles([Bilingual(i.title_zh, i.title_en) for i in items])


class _Titles(MessageList):
    def __init__(self, titles: list[Bilingual]) -> None:
        super().__init__([])
        self.titles = titles

    def render(self, locale: str) -> str:
        separator = "、" if locale == "zh-CN" else ", "
        return separator.join(t.render(locale) for t in self.titles) or "—"


def blockers(
    session: Session, application: OperatorApplication, evaluation: checks.Evaluation
) -> tuple[list[checks.CheckResult], list[OperatorChecklistItem]]:
    """What stops qualification: failing checks (none if R2.9 helps) and checklist items
    not judged met."""
    failing = [] if evaluation.verdict is not checks.Verdict.FAILS else list(evaluation.failing())
    answers = repository.answers(session, application.id)
    open_items = [
        item
        for item in repository.items(session, active_only=True)
        if (answer := answers.get(item.id)) is None or answer.judgment != Judgment.MET.value
    ]
    return failing, open_items


def decide(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    settings: Settings,
    application_id: uuid.UUID,
    decision: Decision,
    reason: str,
) -> OperatorApplication:
    application = _under_review(session, actor, application_id)
    reason = reason.strip()
    if len(reason) < 2:
        raise _invalid("operators.reason_required", "reason")
    if decision is Decision.QUALIFY:
        evaluation = _run_checks(
            session, actor=actor, clock=clock, settings=settings, application=application
        )
        failing, open_items = blockers(session, application, evaluation)
        if failing or open_items:
            raise QualificationBlocked(
                "operators.blocked",
                checks=MessageList([f"operators.check.{r.check.value}" for r in failing]),
                items=_titles(open_items),
            )
    now = _touch(application, clock)
    detail: dict[str, Any] = {"reason": reason}
    if decision is Decision.QUALIFY:
        detail["verdict"] = application.verdict
        detail["run"] = application.checks_run
    APPLICATION.fire(
        application, decision.value, session=session, actor=actor, at=now, detail=detail
    )
    application.decision_reason = reason
    application.decided_by = actor.username
    if decision is not Decision.RETURN:
        application.decided_at = now
    return application


# --- reading --------------------------------------------------------------------------------


def list_applications(
    session: Session,
    *,
    actor: Principal,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[OperatorApplication]]:
    _require_any(actor, Permission.OPERATORS_READ, Permission.OPERATORS_APPLY)
    return repository.applications(session, actor=actor, status=status, limit=limit, offset=offset)


@dataclass(frozen=True)
class ItemView:
    item: OperatorChecklistItem
    answer: OperatorChecklistAnswer | None
    evidence: list[OperatorEvidence]

    def title(self, locale: str) -> str:
        return self.item.title_en if locale == "en" else self.item.title_zh

    def description(self, locale: str) -> str:
        return self.item.description_en if locale == "en" else self.item.description_zh


@dataclass(frozen=True)
class ApplicationView:
    application: OperatorApplication
    principals: list[OperatorPrincipal]
    entities: list[OperatorEntity]
    links: list[OperatorLink]
    credit_records: list[OperatorCreditRecord]
    penalties: list[OperatorPenalty]
    incidents: list[OperatorIncident]
    financials: list[OperatorFinancials]
    general_evidence: list[OperatorEvidence]
    items: list[ItemView]
    results: list[OperatorCheckResult]

    @property
    def all_evidence(self) -> list[OperatorEvidence]:
        return [*self.general_evidence, *(d for v in self.items for d in v.evidence)]

    def entity_name(self, entity_id: uuid.UUID) -> str:
        return next((e.name for e in self.entities if e.id == entity_id), "—")

    @property
    def own_results(self) -> list[OperatorCheckResult]:
        return [r for r in self.results if r.for_applicant]

    @property
    def tried_entities(self) -> list[tuple[str, list[OperatorCheckResult]]]:
        """Controlled entities tried under R2.9, each with its results, in order."""
        grouped: dict[str, list[OperatorCheckResult]] = {}
        for r in self.results:
            if not r.for_applicant:
                grouped.setdefault(r.entity_name, []).append(r)
        return list(grouped.items())


def get(
    session: Session, *, actor: Principal, clock: Clock, application_id: uuid.UUID
) -> ApplicationView:
    _require_any(actor, Permission.OPERATORS_READ, Permission.OPERATORS_APPLY)
    application = _visible(session, actor, application_id)
    ensure_default_items(session, clock=clock)
    documents = repository.evidence(session, application.id)
    answers = repository.answers(session, application.id)
    entities, links = _reading_order(
        repository.children(session, OperatorEntity, application.id),
        repository.children(session, OperatorLink, application.id),
    )
    items = [
        ItemView(item, answers.get(item.id), [d for d in documents if d.item_id == item.id])
        for item in repository.items(session, active_only=True)
    ]
    return ApplicationView(
        application=application,
        principals=repository.children(session, OperatorPrincipal, application.id),
        entities=entities,
        links=links,
        credit_records=repository.children(session, OperatorCreditRecord, application.id),
        penalties=repository.children(session, OperatorPenalty, application.id),
        incidents=repository.children(session, OperatorIncident, application.id),
        financials=repository.children(session, OperatorFinancials, application.id),
        general_evidence=[d for d in documents if d.item_id is None],
        items=items,
        results=repository.results(
            session, application_id=application.id, run=application.checks_run
        ),
    )


def history(session: Session, *, actor: Principal, application_id: uuid.UUID) -> list[AuditEvent]:
    _require_any(actor, Permission.OPERATORS_READ, Permission.OPERATORS_APPLY)
    application = _visible(session, actor, application_id)
    return repository.history(session, application.id)


def allowed_actions(actor: Principal, application: OperatorApplication) -> list[str]:
    return [t.name for t in APPLICATION.available(application.status) if actor.has(t.permission)]


def own_organization(session: Session, *, actor: Principal) -> Organization | None:
    """The applicant's organization as registered on the platform (to prefill the form)."""
    actor.require(Permission.OPERATORS_APPLY)
    if actor.organization_id is None:
        return None
    return identity_repository.organization(session, actor.organization_id)


def own_applications(session: Session, *, actor: Principal) -> list[OperatorApplication]:
    actor.require(Permission.OPERATORS_APPLY)
    return repository.applications(session, actor=actor, limit=50)[1]


def verdict_message(application: OperatorApplication, locale: str) -> str | None:
    if application.verdict is None:
        return None
    entity = ""
    if application.qualifying_path:
        entity = application.qualifying_path[-1]["name"]
    return translate(f"operators.verdict.{application.verdict}", locale, entity=entity)


# --- what other modules ask -----------------------------------------------------------------


def qualified_application(
    session: Session, organization_id: uuid.UUID
) -> OperatorApplication | None:
    """The organization's latest qualified application, if any (selection, authorization)."""
    return repository.latest_qualified(session, organization_id)


def is_qualified(session: Session, organization_id: uuid.UUID) -> bool:
    return qualified_application(session, organization_id) is not None


def affiliated_organizations(session: Session, organization_id: uuid.UUID) -> set[uuid.UUID]:
    """Other qualified operators tied to this one through ownership graphs (N2): one that
    appears in this operator's graph, one whose graph names this operator, or one whose
    graph shares an entity (a common shareholder, controller or affiliate) with it."""
    own = qualified_application(session, organization_id)
    if own is None:
        return set()
    organization = identity_repository.organization(session, organization_id)
    own_codes = {c for c in (own.credit_code, organization and organization.credit_code) if c}
    related: set[uuid.UUID] = set()
    for code in own_codes:
        related.update(repository.applications_naming(session, code))
    for code in repository.graph_credit_codes(session, own.id) - own_codes:
        related.update(repository.applications_naming(session, code))
        related.update(repository.qualified_with_code(session, code))
    related.discard(organization_id)
    return related
