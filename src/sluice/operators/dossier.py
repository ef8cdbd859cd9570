"""What an application declares while it is a draft, and the dossier the checks read.

The applicant declares its principal persons (R2.2), the ownership graph (entities and the
links between them, R2.4, R2.9), the records that describe the graph's entities (credit
records, penalties, incidents, financial statements: R2.3, R2.5, R2.8), and answers the
checklist with statements and evidence stored by their SM3 digest. Each change needs the
application to be a draft (``guards.draft``) and is audited. ``for_checks`` reads it all
back as ``checks.Dossier``; ``graph`` as the ownership graph.
"""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy.orm import Session

from sluice.audit import service as audit
from sluice.core.clock import Clock, local
from sluice.core.errors import Conflict, InvalidInput, NotFound
from sluice.core.i18n import MessageRef, add_messages
from sluice.core.permissions import Permission
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.identity import repository as identity_repository
from sluice.operators import checklist, checks, evidence, guards, repository
from sluice.operators.guards import ENTITY
from sluice.operators.models import (
    OperatorApplication,
    OperatorChecklistAnswer,
    OperatorCreditRecord,
    OperatorEntity,
    OperatorEvidence,
    OperatorFinancials,
    OperatorIncident,
    OperatorLink,
    OperatorPenalty,
    OperatorPrincipal,
)
from sluice.operators.ownership import Graph, Link, Node, NodeKind, Relation
from sluice.operators.schemas import (
    CreditRecordCreate,
    EntityCreate,
    EntityUpdate,
    FinancialsIn,
    IncidentCreate,
    LinkCreate,
    PenaltyCreate,
    PrincipalCreate,
)

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


audit.declare_actions(
    {
        f"{ENTITY}.principal_added": ("添加主要负责人", "Principal person added"),
        f"{ENTITY}.principal_removed": ("删除主要负责人", "Principal person removed"),
        f"{ENTITY}.entity_added": ("添加股权结构主体", "Ownership entity added"),
        f"{ENTITY}.entity_changed": ("修改股权结构主体", "Ownership entity changed"),
        f"{ENTITY}.entity_removed": ("删除股权结构主体", "Ownership entity removed"),
        f"{ENTITY}.link_added": ("添加股权或控制关系", "Ownership link added"),
        f"{ENTITY}.link_removed": ("删除股权或控制关系", "Ownership link removed"),
        f"{ENTITY}.record_added": ("添加信用、处罚或安全事件记录", "Record added"),
        f"{ENTITY}.record_removed": ("删除记录", "Record removed"),
        f"{ENTITY}.financials_saved": ("保存财务报表", "Financial statements saved"),
        f"{ENTITY}.evidence_uploaded": ("上传证明材料", "Evidence uploaded"),
        f"{ENTITY}.statement_saved": ("填写清单项说明", "Checklist statement saved"),
    }
)


class InvalidCreditCode(InvalidInput):
    code = "invalid_credit_code"


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
        "operators.credit_code.not_for_person": (
            "自然人没有统一社会信用代码。",
            "A natural person has no unified social credit code.",
        ),
        "operators.child_not_found": (
            "该申请中没有这条记录。",
            "This application has no such record.",
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
    }
)


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


# --- principal persons --------------------------------------------------------------------


def add_principal(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    application_id: uuid.UUID,
    data: PrincipalCreate,
) -> OperatorPrincipal:
    application = guards.draft(session, actor, application_id)
    now = guards.touch(application, clock)
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
    guards.record(
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
    application = guards.draft(session, actor, application_id)
    principal = repository.child(
        session, OperatorPrincipal, application_id=application.id, child_id=principal_id
    )
    if principal is None:
        raise NotFound("operators.child_not_found")
    session.delete(principal)
    now = guards.touch(application, clock)
    guards.record(
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
    application = guards.draft(session, actor, application_id)
    if repository.entity_named(session, application.id, data.name) is not None:
        raise Conflict("operators.entity_name_taken", name=data.name)
    code = None
    if data.credit_code:
        if data.kind is NodeKind.PERSON:
            raise guards.invalid("operators.credit_code.not_for_person", "credit_code")
        code = valid_credit_code(data.credit_code)
    now = guards.touch(application, clock)
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
    guards.record(
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
    application = guards.draft(session, actor, application_id)
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
            raise guards.invalid("operators.credit_code.not_for_person", "credit_code")
        changes["credit_code"] = valid_credit_code(changes["credit_code"])
    if "kind" in changes:
        changes["kind"] = kind.value
    for name, value in changes.items():
        setattr(entity, name, value)
    now = guards.touch(application, clock)
    guards.record(
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
    application = guards.draft(session, actor, application_id)
    entity = _entity(session, application, entity_id)
    if entity.is_applicant:
        raise Conflict("operators.applicant_entity_fixed")
    in_use = repository.records_of_entity(session, entity.id)
    if in_use:
        raise Conflict("operators.entity_in_use", name=entity.name, count=in_use)
    repository.delete_links_of(session, entity.id)
    session.delete(entity)
    now = guards.touch(application, clock)
    guards.record(
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
    application = guards.draft(session, actor, application_id)
    holder = _entity(session, application, data.holder_id)
    held = _entity(session, application, data.held_id)
    if holder.id == held.id:
        raise guards.invalid("operators.link_same_entity", "held_id")
    if data.relation is not Relation.AFFILIATE and held.kind == NodeKind.PERSON.value:
        raise guards.invalid("operators.person_not_held", "held_id")
    if data.relation is Relation.SHAREHOLDER:
        if data.share_bp is None:
            raise guards.invalid("operators.share_required", "share_bp")
        total = repository.declared_shares(session, held.id) + data.share_bp
        if total > 10000:
            raise guards.invalid(
                "operators.shares_exceed",
                "share_bp",
                name=held.name,
                total=checks.percent_bp(total),
            )
    elif data.share_bp is not None:
        raise guards.invalid("operators.share_only_shareholder", "share_bp")
    existing = repository.link_between(
        session, holder_id=holder.id, held_id=held.id, relation=data.relation.value
    )
    if existing is not None:
        raise Conflict("operators.link_exists")
    now = guards.touch(application, clock)
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
    guards.record(
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
    application = guards.draft(session, actor, application_id)
    link = repository.child(session, OperatorLink, application_id=application.id, child_id=link_id)
    if link is None:
        raise NotFound("operators.child_not_found")
    session.delete(link)
    now = guards.touch(application, clock)
    guards.record(
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
        raise guards.invalid("operators.child_not_found", "entity_id")
    return entity


def _not_after(day: date, on: date, field: str) -> None:
    if day > on:
        raise guards.invalid("operators.date_in_future", field)


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
    guards.record(
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
    application = guards.draft(session, actor, application_id)
    entity = _subject(session, application, data.entity_id)
    _not_after(data.listed_on, today(clock), "listed_on")
    if data.removed_on is not None:
        _not_after(data.removed_on, today(clock), "removed_on")
        if data.removed_on < data.listed_on:
            raise guards.invalid("operators.removed_before_listed", "removed_on")
    now = guards.touch(application, clock)
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
    application = guards.draft(session, actor, application_id)
    entity = _subject(session, application, data.entity_id)
    _not_after(data.decided_on, today(clock), "decided_on")
    now = guards.touch(application, clock)
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
    application = guards.draft(session, actor, application_id)
    entity = _subject(session, application, data.entity_id)
    _not_after(data.occurred_on, today(clock), "occurred_on")
    now = guards.touch(application, clock)
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
    application = guards.draft(session, actor, application_id)
    entity = _subject(session, application, data.entity_id)
    if data.fiscal_year > today(clock).year:
        raise guards.invalid("operators.date_in_future", "fiscal_year")
    expected = data.total_assets_fen - data.total_liabilities_fen
    if data.net_assets_fen != expected:
        raise guards.invalid(
            "operators.net_assets_mismatch", "net_assets_fen", expected=checks.yuan(expected)
        )
    now = guards.touch(application, clock)
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
    guards.record(
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
    application = guards.draft(session, actor, application_id)
    record = repository.entity_record(
        session, model, application_id=application.id, record_id=record_id
    )
    if record is None:
        raise NotFound("operators.child_not_found")
    session.delete(record)
    now = guards.touch(application, clock)
    guards.record(
        session,
        actor=actor,
        at=now,
        action="record_removed",
        target_id=application.id,
        detail={"kind": kind, "record_id": str(record_id)},
    )


# --- checklist statements and evidence ----------------------------------------------------


def save_statement(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    application_id: uuid.UUID,
    item_key: str,
    statement: str,
) -> OperatorChecklistAnswer:
    application = guards.draft(session, actor, application_id)
    item = checklist.active_item(session, item_key)
    answer = checklist.answer_row(session, application.id, item.id)
    answer.statement = statement
    now = guards.touch(application, clock)
    guards.record(
        session,
        actor=actor,
        at=now,
        action="statement_saved",
        target_id=application.id,
        detail={"item": item.key},
    )
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
    application = guards.draft(session, actor, application_id)
    item = checklist.active_item(session, item_key) if item_key else None
    stored = evidence.store(
        stream, home=settings.home, keys=settings.keys_path, limit_mb=settings.upload_max_mb
    )
    name = Path(filename or "evidence").name[:255] or "evidence"
    now = guards.touch(application, clock)
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
    guards.record(
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
    guards.require_any(actor, Permission.OPERATORS_READ, Permission.OPERATORS_APPLY)
    application = guards.visible(session, actor, application_id)
    document = repository.child(
        session, OperatorEvidence, application_id=application.id, child_id=evidence_id
    )
    if document is None:
        raise NotFound("operators.child_not_found")
    return document, evidence.read(settings.home, document.sm3, keys=settings.keys_path)


# --- read back for the checks -------------------------------------------------------------


def graph(entities: list[OperatorEntity], links: list[OperatorLink]) -> Graph:
    return Graph(
        tuple(Node(str(e.id), e.name, NodeKind(e.kind), e.jurisdiction) for e in entities),
        tuple(
            Link(str(link.holder_id), str(link.held_id), Relation(link.relation), link.share_bp)
            for link in links
        ),
    )


def for_checks(session: Session, application: OperatorApplication) -> checks.Dossier:
    entities = repository.children(session, OperatorEntity, application.id)
    links = repository.children(session, OperatorLink, application.id)
    ownership = graph(entities, links)
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
        graph=ownership,
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
