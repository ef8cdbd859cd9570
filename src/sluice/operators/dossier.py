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
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO, Final

from sqlalchemy.orm import Session

from sluice.audit import service as audit
from sluice.core.clock import Clock, local
from sluice.core.errors import Conflict, NotFound
from sluice.core.i18n import MessageRef, add_messages
from sluice.core.permissions import Permission
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.identity import repository as identity_repository
from sluice.identity.models import Organization
from sluice.operators import checklist, checks, evidence, guards, repository
from sluice.operators.guards import ENTITY, Problem
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


#: The refusal's code when a credit code is not one (its own title, "统一社会信用代码无效").
INVALID_CREDIT_CODE: Final = "invalid_credit_code"


audit.declare_detail_labels(
    {"relies_on_platform": ("依托实施机构提供的运营平台", "Relies on the bureau's platform")}
)
add_messages(
    {
        "operators.platform_reliance_not_accepted": (
            "清单项“{item}”不能以依托实施机构提供的运营平台的方式满足，请说明本单位自身的情况并上传证明材料。",
            "The checklist item '{item}' cannot be met by relying on the platform the bureau "
            "provides; describe your own means and upload evidence.",
        ),
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


# --- the rules of each form section ------------------------------------------------------
#
# Every rule a section's values break beyond their schema, found in one pass: the page shows
# them with the schema's own errors next to their fields, the service refuses with all of
# them (``guards.refuse``). ``values`` holds the fields that parsed, as the schema takes them
# (a date as a date, an id as a UUID); a field that did not parse is absent and the rules
# that need it wait for it.

#: The values of one section that parsed, by the schema's field names.
Values = Mapping[str, Any]


def credit_code_problems(value: str | None, *, on: str = "credit_code") -> list[Problem]:
    """A typed credit code that is not one, with what is wrong (length, format, check)."""
    if not value:
        return []
    code = checks.compact_credit_code(value)
    reason = checks.credit_code_problem(code)
    if reason is None:
        return []
    return [
        guards.problem(
            "operators.credit_code.invalid",
            on,
            kind=reason.rsplit(".", 1)[-1],
            problem_code=INVALID_CREDIT_CODE,
            code=code,
            reason=MessageRef(reason),
        )
    ]


def _own_code_problems(value: str, organization: Organization | None) -> list[Problem]:
    """A valid credit code that is not the applicant organization's own."""
    found = credit_code_problems(value)
    registered = organization.credit_code if organization else None
    if found or not registered or checks.compact_credit_code(value) == registered:
        return found
    return [guards.problem("operators.credit_code.not_own", "credit_code", registered=registered)]


def _not_after(values: Values, name: str, on: date) -> list[Problem]:
    day = values.get(name)
    if isinstance(day, date) and day > on:
        return [guards.problem("operators.date_in_future", name)]
    return []


def company_problems(
    *, organization: Organization | None, values: Values, on: date
) -> list[Problem]:
    """A new application's company details: a credit code (typed, or the organization's
    registered one) that is valid and the organization's own; an establishment date not
    after today."""
    problems = []
    raw_code = values.get("credit_code") or (organization.credit_code if organization else None)
    if not raw_code:
        problems.append(guards.problem("operators.credit_code.required", "credit_code"))
    else:
        problems.extend(_own_code_problems(raw_code, organization))
    problems.extend(_not_after(values, "established_on", on))
    return guards.first_per_field(problems)


def _company_change_problems(
    session: Session, application: OperatorApplication, values: Values, on: date
) -> list[Problem]:
    """Changed company details: the credit code as for a new one, a new name not already
    an entity of the graph."""
    problems = []
    if code := values.get("credit_code"):
        organization = identity_repository.organization(session, application.organization_id)
        problems.extend(_own_code_problems(code, organization))
    name = values.get("company_name")
    renamed = isinstance(name, str) and name != application.company_name
    if renamed and repository.entity_named(session, application.id, str(name)) is not None:
        problems.append(guards.clash("operators.entity_name_taken", "company_name", name=name))
    problems.extend(_not_after(values, "established_on", on))
    return problems


def _principal_problems(
    session: Session, application: OperatorApplication, values: Values, on: date
) -> list[Problem]:
    return []  # a principal person's schema is all its rules


def _entity_code_problems(kind: NodeKind | None, credit_code: str | None) -> list[Problem]:
    if not credit_code:
        return []
    if kind is NodeKind.PERSON:
        return [guards.problem("operators.credit_code.not_for_person", "credit_code")]
    return credit_code_problems(credit_code)


def _entity_problems(
    session: Session, application: OperatorApplication, values: Values, on: date
) -> list[Problem]:
    """A new entity: a name the graph does not have yet; a credit code only for an
    organization, and a valid one."""
    problems = []
    name = values.get("name")
    if name and repository.entity_named(session, application.id, name) is not None:
        problems.append(guards.clash("operators.entity_name_taken", "name", name=name))
    problems.extend(_entity_code_problems(values.get("kind"), values.get("credit_code")))
    return problems


def _named_entity(
    session: Session, application: OperatorApplication, values: Values, name: str
) -> tuple[OperatorEntity | None, list[Problem]]:
    """The entity of this application whose id ``name`` holds (None if none was given)."""
    entity_id = values.get(name)
    if not isinstance(entity_id, uuid.UUID):
        return None, []
    found = repository.child(
        session, OperatorEntity, application_id=application.id, child_id=entity_id
    )
    if found is None:
        return None, [guards.problem("operators.child_not_found", name)]
    return found, []


def _link_problems(
    session: Session, application: OperatorApplication, values: Values, on: date
) -> list[Problem]:
    """A new link: two different entities, no natural person held, a share for a
    shareholding only that keeps the held entity's shareholders at 100 % at most, and not a
    link already declared."""
    holder, problems = _named_entity(session, application, values, "holder_id")
    held, held_problems = _named_entity(session, application, values, "held_id")
    problems.extend(held_problems)
    relation = values.get("relation")
    share = values.get("share_bp")
    if holder is not None and held is not None and holder.id == held.id:
        problems.append(guards.problem("operators.link_same_entity", "held_id"))
    if (
        held is not None
        and isinstance(relation, Relation)
        and relation is not Relation.AFFILIATE
        and held.kind == NodeKind.PERSON.value
    ):
        problems.append(guards.problem("operators.person_not_held", "held_id"))
    if relation is Relation.SHAREHOLDER:
        if share is None:
            problems.append(guards.problem("operators.share_required", "share_bp"))
        elif held is not None:
            total = repository.declared_shares(session, held.id) + share
            if total > 10000:
                problems.append(
                    guards.problem(
                        "operators.shares_exceed",
                        "share_bp",
                        name=held.name,
                        total=checks.percent_bp(total),
                    )
                )
    elif relation is not None and share is not None:
        problems.append(guards.problem("operators.share_only_shareholder", "share_bp"))
    if holder is not None and held is not None and isinstance(relation, Relation):
        existing = repository.link_between(
            session, holder_id=holder.id, held_id=held.id, relation=relation.value
        )
        if existing is not None:
            problems.append(guards.clash("operators.link_exists", "relation"))
    return problems


def _credit_record_problems(
    session: Session, application: OperatorApplication, values: Values, on: date
) -> list[Problem]:
    """A credit record: listed and removed (if it was) by today, removed after listed."""
    _, problems = _named_entity(session, application, values, "entity_id")
    problems.extend(_not_after(values, "listed_on", on))
    problems.extend(_not_after(values, "removed_on", on))
    listed, removed = values.get("listed_on"), values.get("removed_on")
    if isinstance(listed, date) and isinstance(removed, date) and removed < listed:
        problems.append(guards.problem("operators.removed_before_listed", "removed_on"))
    return problems


def _penalty_problems(
    session: Session, application: OperatorApplication, values: Values, on: date
) -> list[Problem]:
    _, problems = _named_entity(session, application, values, "entity_id")
    return problems + _not_after(values, "decided_on", on)


def _incident_problems(
    session: Session, application: OperatorApplication, values: Values, on: date
) -> list[Problem]:
    _, problems = _named_entity(session, application, values, "entity_id")
    return problems + _not_after(values, "occurred_on", on)


def _financials_problems(
    session: Session, application: OperatorApplication, values: Values, on: date
) -> list[Problem]:
    """Statements of a year that has begun, whose net assets are assets less liabilities."""
    _, problems = _named_entity(session, application, values, "entity_id")
    year = values.get("fiscal_year")
    if isinstance(year, int) and year > on.year:
        problems.append(guards.problem("operators.date_in_future", "fiscal_year"))
    assets = values.get("total_assets_fen")
    liabilities = values.get("total_liabilities_fen")
    net = values.get("net_assets_fen")
    if isinstance(assets, int) and isinstance(liabilities, int) and isinstance(net, int):
        expected = assets - liabilities
        if net != expected:
            problems.append(
                guards.problem(
                    "operators.net_assets_mismatch",
                    "net_assets_fen",
                    expected=checks.yuan(expected),
                )
            )
    return problems


SectionRules = Callable[[Session, OperatorApplication, Values, date], list[Problem]]

#: Each form section of a draft and its rules, by the name the console's forms use.
SECTION_RULES: Final[Mapping[str, SectionRules]] = {
    "company": _company_change_problems,
    "principal": _principal_problems,
    "entity": _entity_problems,
    "link": _link_problems,
    "credit-record": _credit_record_problems,
    "penalty": _penalty_problems,
    "incident": _incident_problems,
    "financials": _financials_problems,
}


def _checked(
    session: Session, application: OperatorApplication, clock: Clock, section: str, values: Values
) -> list[Problem]:
    rules = SECTION_RULES[section]
    return guards.first_per_field(rules(session, application, values, today(clock)))


def problems(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    application_id: uuid.UUID,
    section: str,
    values: Values,
) -> list[Problem]:
    """Every rule the values typed in one section of the actor's draft break beyond their
    schema, at most one a field; the section's service refuses the same ones."""
    application = guards.draft(session, actor, application_id)
    return _checked(session, application, clock, section, values)


def refuse_problems(
    session: Session, application: OperatorApplication, clock: Clock, section: str, values: Values
) -> None:
    """Refuse ``values`` for ``section`` with every rule they break (the services' check)."""
    guards.refuse(_checked(session, application, clock, section, values))


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


def _remove(
    session: Session,
    actor: Principal,
    clock: Clock,
    application: OperatorApplication,
    row: object,
    action: str,
    detail: dict[str, str],
) -> None:
    """Delete one part of a draft application and record who removed what."""
    session.delete(row)
    now = guards.touch(application, clock)
    guards.record(
        session, actor=actor, at=now, action=action, target_id=application.id, detail=detail
    )


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
    _remove(
        session,
        actor,
        clock,
        application,
        principal,
        "principal_removed",
        {"principal_id": str(principal_id), "name": principal.name},
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
    refuse_problems(session, application, clock, "entity", data.model_dump())
    code = checks.compact_credit_code(data.credit_code) if data.credit_code else None
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
    kind = NodeKind(changes.get("kind", entity.kind))
    problems = []
    renamed = "name" in changes and changes["name"] != entity.name
    if renamed and repository.entity_named(session, application.id, changes["name"]):
        problems.append(guards.clash("operators.entity_name_taken", "name", name=changes["name"]))
    problems.extend(_entity_code_problems(kind, changes.get("credit_code")))
    guards.refuse(problems)
    if "credit_code" in changes:
        changes["credit_code"] = checks.compact_credit_code(changes["credit_code"])
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
    _remove(
        session,
        actor,
        clock,
        application,
        entity,
        "entity_removed",
        {"entity_id": str(entity_id), "name": entity.name},
    )


def add_link(
    session: Session, *, actor: Principal, clock: Clock, application_id: uuid.UUID, data: LinkCreate
) -> OperatorLink:
    application = guards.draft(session, actor, application_id)
    holder = _entity(session, application, data.holder_id)
    held = _entity(session, application, data.held_id)
    refuse_problems(session, application, clock, "link", data.model_dump())
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
    _remove(
        session,
        actor,
        clock,
        application,
        link,
        "link_removed",
        {"link_id": str(link_id), "relation": link.relation},
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
    refuse_problems(session, application, clock, "credit-record", data.model_dump())
    entity = _subject(session, application, data.entity_id)
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
    refuse_problems(session, application, clock, "penalty", data.model_dump())
    entity = _subject(session, application, data.entity_id)
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
    refuse_problems(session, application, clock, "incident", data.model_dump())
    entity = _subject(session, application, data.entity_id)
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
    refuse_problems(session, application, clock, "financials", data.model_dump())
    entity = _subject(session, application, data.entity_id)
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
    _remove(
        session,
        actor,
        clock,
        application,
        record,
        "record_removed",
        {"kind": kind, "record_id": str(record_id)},
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
    relies_on_platform: bool = False,
) -> OperatorChecklistAnswer:
    application = guards.draft(session, actor, application_id)
    item = checklist.active_item(session, item_key)
    if relies_on_platform and not item.accepts_platform_reliance:
        raise guards.invalid(
            "operators.platform_reliance_not_accepted",
            "relies_on_platform",
            item=checklist.Bilingual(item.title_zh, item.title_en),
        )
    answer = checklist.answer_row(session, application.id, item.id)
    answer.statement = statement
    answer.relies_on_platform = relies_on_platform
    now = guards.touch(application, clock)
    guards.record(
        session,
        actor=actor,
        at=now,
        action="statement_saved",
        target_id=application.id,
        detail={"item": item.key, "relies_on_platform": relies_on_platform},
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
        business_status=application.business_status,
    )
