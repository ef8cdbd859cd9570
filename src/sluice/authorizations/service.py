"""The rules of authorization agreements (R3.1–R3.6, R5.1, R5.2, N1–N3). No HTTP, no commit.

* Only the bureau drafts, approves and changes authorizations (R3.1, R3.6: a provider or an
  operator can never authorize anyone); the permission table says so and every function
  here checks it.
* Scope is catalog entries: published ones only; a resource barred from opening is refused
  (N3); a resource obtained through government data sharing needs its providing unit's
  recorded consent (N3); in domain mode every resource must be in that domain.
* Rights granted are processing/use and product operation, never ownership or holding (R3.4).
* The term is ``authorization_default_term_years`` unless given, never more than
  ``authorization_max_term_years`` (N1: at most 5), counted from the day both parties have
  signed (R5.1).
* One scenario, one authorization (R3.2, a setting): an agreement names one scenario and
  no other agreement holds that scenario at the same time.
* Approval needs an approved implementation plan and a collective decision (三重一大, R5.2),
  taken only once the parties' comments on the draft are all in and handled (``comments``);
  signing is SM2 over the SM3 digest of the version's canonical form; the second signature
  makes the agreement take effect.
* Every scope change makes a new version with its differences (R3.3); the scope rows the
  guard reads follow the newest version at once.
* Terminating is irreversible (N1 三重一大, DESIGN §7): ``terminate`` only files a request,
  carried out when a second bureau user approves it or when it cites an approved collective
  decision on this termination that someone else recorded (``sluice.approvals``). Carrying
  it out, like every other way an agreement ends, is ``endings``' work.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final, TypeVar

from sqlalchemy.orm import Session

from sluice.approvals import registry as approvals_registry
from sluice.approvals import service as approvals
from sluice.approvals.models import ApprovalRequest
from sluice.approvals.registry import DecisionRef
from sluice.audit import service as audit
from sluice.authorizations import comment_repository, numbering, parties, repository
from sluice.authorizations import states as st
from sluice.authorizations.clauses import GRANTABLE_RIGHTS, NEVER_GRANTED
from sluice.authorizations.models import (
    AgreementSignature,
    Authorization,
    AuthorizationScope,
    AuthorizationVersion,
    CollectiveDecision,
    ImplementationPlan,
)
from sluice.authorizations.schemas import (
    AuthorizationCreate,
    DecisionIn,
    MatterDecisionIn,
    PlanIn,
    ScopeChange,
)
from sluice.catalog import reads as catalog_reads
from sluice.catalog import repository as catalog
from sluice.catalog.schemas import CatalogPage, EntryRead
from sluice.core.canonical import canonical_digest
from sluice.core.clock import local
from sluice.core.errors import Conflict, InvalidInput, NotFound, SluiceError
from sluice.core.i18n import MessageList, MessageRef, add_messages, has_message
from sluice.core.paging import ListQuery, Page
from sluice.core.permissions import OrgKind, Permission
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.identity import signing
from sluice.identity.models import Organization
from sluice.operators import qualified
from sluice.operators.selection import service as selection

DECISION_RECORDED = "collective_decision.recorded"
PLAN_CREATED = "implementation_plan.created"
AUTHORIZATION_CREATED = "authorization.created"
SCOPE_CHANGED = "authorization.scope_changed"
SIGNED = "authorization.signed"
RENEWAL_CREATED = "authorization.renewal_created"

audit.declare_actions(
    {
        DECISION_RECORDED: ("记录集体决策（三重一大）", "Collective decision recorded"),
        PLAN_CREATED: ("编制实施方案", "Implementation plan drafted"),
        AUTHORIZATION_CREATED: ("起草授权协议", "Authorization drafted"),
        SCOPE_CHANGED: ("变更授权范围（新版本）", "Authorization scope changed (new version)"),
        SIGNED: ("签署授权协议", "Authorization agreement signed"),
        RENEWAL_CREATED: ("续期生成新协议", "Renewal agreement created"),
    }
)

#: The required parts of an implementation plan (实施方案, N1), in order.
PLAN_SECTIONS = (
    ("necessity", "必要性和可行性", "Necessity and feasibility"),
    ("resources", "授权运营的公共数据范围", "Public data in scope"),
    ("mode", "授权模式", "Mode of authorization"),
    ("operator_selection", "运营机构选择方式", "How operators are selected"),
    ("term", "授权期限", "Term"),
    ("security", "安全风险评估和保障措施", "Security risk assessment and safeguards"),
    ("products", "数据产品和服务", "Data products and services"),
    ("pricing_revenue", "价格机制和收益分配", "Pricing and revenue sharing"),
    ("supervision", "监督管理", "Supervision"),
    ("exit", "退出机制", "Exit"),
)

add_messages({f"plan_section.{key}": (zh, en) for key, zh, en in PLAN_SECTIONS})
add_messages(
    {
        "authz.not_found": (
            "授权不存在，或您无权查看。",
            "There is no such authorization, or you may not see it.",
        ),
        "authz.plan_not_found": ("实施方案不存在。", "There is no such implementation plan."),
        "authz.bad_ending": (
            "终止方式只能是终止、解除或撤销，不能是 {how}。",
            "An agreement is terminated, rescinded or revoked, not {how}.",
        ),
        "authz.plan_sections_missing": (
            "实施方案缺少必备内容：{missing}。",
            "The implementation plan lacks required parts: {missing}.",
        ),
        "authz.plan_not_approved": (
            "实施方案“{title}”尚未经集体决策批准，不能据此批准授权。",
            "The implementation plan “{title}” has not been approved by a collective decision; "
            "no authorization can be approved under it.",
        ),
        "authz.operator_unknown": (
            "所选单位不是运营机构。",
            "The chosen organization is not an operator.",
        ),
        "authz.operator_not_qualified": (
            "“{name}”尚未通过运营机构资格审核，不能授权。",
            "“{name}” has not passed the operator qualification review and cannot be authorized.",
        ),
        "authz.operator_not_selected": (
            "磋商结果选定的运营机构不是“{name}”。",
            "The consultation did not select “{name}”.",
        ),
        "authz.term_too_long": (
            "授权期限 {years} 年超过上限 {max} 年（国家规定最长 5 年）。",
            "A term of {years} years is longer than the limit of {max} years (national rules: "
            "at most 5).",
        ),
        "authz.right_never_granted": (
            "不能授予“{right}”：授权运营只授予数据加工使用权和产品经营权，不转让所有权或持有权。",
            "“{right}” cannot be granted: an authorization grants processing/use and product "
            "operation only, never ownership or holding.",
        ),
        "authz.right_unknown": ("未知的权利类型：{right}。", "Unknown right: {right}."),
        "authz.no_rights": ("至少授予一项权利。", "Grant at least one right."),
        "authz.domain_required": (
            "分领域授权须指明领域。",
            "An authorization by domain must name the domain.",
        ),
        "authz.scenario_single": (
            "一场景一授权：一个授权只能对应一个应用场景（“{scenario}”看起来包含多个场景）。",
            "One scenario, one authorization: an authorization names one scenario "
            "(“{scenario}” looks like several).",
        ),
        "authz.scenario_taken": (
            "一场景一授权：场景“{scenario}”已有授权 {number}（{status}）。",
            "One scenario, one authorization: the scenario “{scenario}” already has "
            "authorization {number} ({status}).",
        ),
        "authz.entry_unknown": (
            "目录条目不存在：{entry}。",
            "There is no such catalog entry: {entry}.",
        ),
        "authz.entry_not_published": (
            "“{title}”不在已发布的授权运营目录中，不能授权。",
            "“{title}” is not in the published catalog and cannot be authorized.",
        ),
        "authz.resource_closed": (
            "“{title}”属于不予开放的数据，不能授权运营。",
            "“{title}” is barred from opening and is never authorized.",
        ),
        "authz.sharing_consent_required": (
            "“{title}”通过政务数据共享获得，须先取得提供单位（{source}）同意。",
            "“{title}” was obtained through government data sharing; its providing unit "
            "({source}) must consent first.",
        ),
        "authz.outside_domain": (
            "“{title}”不属于授权领域“{domain}”。",
            "“{title}” is not in the authorized domain “{domain}”.",
        ),
        "authz.scope_empty": (
            "变更后授权范围不能为空；要结束授权请终止。",
            "The scope cannot become empty; terminate the authorization instead.",
        ),
        "authz.scope_no_change": ("没有需要变更的内容。", "Nothing to change."),
        "authz.scope_locked": (
            "授权处于“{status}”状态，不能变更范围。",
            "The scope cannot change while the authorization is {status}.",
        ),
        "authz.comments_open": (
            "第 {number} 轮征求意见尚未结束（截止 {due}）：须结束征求意见并记录每条意见的"
            "处理情况后，才能作出集体决策。",
            "Round {number} of comments is still open (last day {due}): close it and record "
            "how every comment was handled before the collective decision.",
        ),
        "authz.comments_unhandled": (
            "还有 {n} 条意见未记录处理情况（采纳、部分采纳，或不采纳及理由），不能作出集体决策。",
            "{n} comments have no recorded handling yet (adopted, partly adopted, or not "
            "adopted with the reason); the collective decision cannot be taken.",
        ),
        "problem.comments_open": ("征求意见尚未结束", "Comments still open"),
        "problem.comments_unhandled": ("意见尚未处理", "Comments not handled"),
        "authz.decision_not_approved": (
            "集体决策结果为“{outcome}”，不能据此批准。",
            "The collective decision's outcome is “{outcome}”; nothing can be approved on it.",
        ),
        "authz.already_signed": (
            "您方已签署第 {version} 版。",
            "Your side has already signed version {version}.",
        ),
        "authz.not_signable": (
            "授权处于“{status}”状态，不能签署。",
            "The agreement cannot be signed while it is {status}.",
        ),
        "authz.renewal_needs_term": (
            "授权没有起止日期，不能续期。",
            "The authorization has no term yet and cannot be renewed.",
        ),
        "authz.product_delivered": (
            "数据产品“{product}”已由{operator}在授权 {number} 下交付，运营机构不得直接或通过"
            "关联方重复开发。",
            "The product “{product}” was already delivered by {operator} under authorization "
            "{number}; an operator may not develop it again, itself or through an affiliate.",
        ),
        "problem.product_already_delivered": ("产品已交付", "Product already delivered"),
        "authz.round_other_scenario": (
            "磋商“{round}”针对的是“{scenario}”场景，不能用于其他场景的授权。",
            "The consultation “{round}” was for the scenario “{scenario}” and cannot found "
            "an authorization for another scenario.",
        ),
        "authz.round_used": (
            "该磋商结果已用于授权 {number}；新的授权需要新的磋商。",
            "This consultation already founded authorization {number}; a new authorization "
            "needs a new consultation.",
        ),
        "authz.renewal_blocked": (
            "该授权有未结的退出申请或整改通知，处理完毕前不能续期。",
            "This authorization has an open exit or rectification order; it cannot be "
            "renewed until that is settled.",
        ),
        "problem.round_other_scenario": ("磋商场景不符", "Consultation for another scenario"),
        "problem.round_used": ("磋商结果已使用", "Consultation already used"),
        "problem.renewal_blocked": ("有未结事项，不能续期", "Renewal blocked by open matters"),
        "authz.matter_unknown": (
            "没有名为“{act}”的需两人审批的操作。",
            "There is no irreversible act called “{act}”.",
        ),
        "authz.no_certificate": (
            "该授权尚无销毁证明。",
            "This authorization has no destruction certificate.",
        ),
        "problem.term_too_long": ("授权期限过长", "Term too long"),
        "problem.right_not_grantable": ("不能授予的权利", "Right not grantable"),
        "problem.one_scenario": ("一场景一授权", "One scenario per authorization"),
        "problem.scenario_taken": ("场景已有授权", "Scenario already authorized"),
        "problem.resource_closed": ("不予开放的数据", "Data barred from opening"),
        "problem.entry_not_published": ("目录条目未发布", "Catalog entry not published"),
        "problem.sharing_consent_required": (
            "需要共享数据提供单位同意",
            "Sharing consent required",
        ),
        "problem.outside_domain": ("不属于授权领域", "Outside the authorized domain"),
        "problem.operator_not_qualified": ("运营机构未通过资格审核", "Operator not qualified"),
        "problem.plan_not_approved": ("实施方案未批准", "Implementation plan not approved"),
        "problem.not_signable": ("当前不能签署", "Not signable now"),
        "problem.exit_notice_too_short": ("退出申请提前期不足", "Exit notice too short"),
        "decision.outcome.approved": ("同意", "approved"),
        "decision.outcome.rejected": ("不同意", "rejected"),
        "decision.outcome.deferred": ("暂缓", "deferred"),
    }
)

T = TypeVar("T")

_SCENARIO_LIST = re.compile(r"[、,，;；/|]|\s和\s")


# -- reads ----------------------------------------------------------------------------------


def seen(session: Session, actor: Principal, authorization_id: uuid.UUID) -> Authorization:
    """The authorization if the actor may see it (``repository.seen_by``); otherwise
    ``not_found``, so its existence does not leak. Callers check their own permission."""
    found = repository.authorization_for(session, actor, authorization_id)
    if found is None:
        raise NotFound("authz.not_found")
    return found


def visible(session: Session, actor: Principal, authorization_id: uuid.UUID) -> Authorization:
    """The authorization to read, if the actor may see it."""
    actor.require(Permission.AUTHORIZATIONS_READ)
    return seen(session, actor, authorization_id)


def authorizations(
    session: Session, actor: Principal, *, status: str | None = None
) -> list[Authorization]:
    """The agreements the actor may see, newest first."""
    actor.require(Permission.AUTHORIZATIONS_READ)
    return repository.authorizations(session, actor, status=status)


def authorization_page(
    session: Session, actor: Principal, query: ListQuery, *, today: date
) -> Page[repository.AuthorizationRow]:
    """One page of the agreements the actor may see (``repository.authorization_page``)."""
    actor.require(Permission.AUTHORIZATIONS_READ)
    return repository.authorization_page(session, actor, query, today=today)


def operator_options(session: Session, actor: Principal) -> list[tuple[uuid.UUID, str]]:
    """The operators the actor may filter the agreements list by: those holding agreements
    the actor sees (an operator: only itself)."""
    actor.require(Permission.AUTHORIZATIONS_READ)
    return repository.operators_seen(session, actor)


def _managed(session: Session, actor: Principal, authorization_id: uuid.UUID) -> Authorization:
    actor.require(Permission.AUTHORIZATIONS_MANAGE)
    return seen(session, actor, authorization_id)


def plans(session: Session, actor: Principal) -> list[ImplementationPlan]:
    """The implementation plans the actor may see, newest first (the drafting form and the
    plans page each require their own permission)."""
    return repository.plans_for(session, actor)


def plan_page(session: Session, actor: Principal, query: ListQuery) -> Page[ImplementationPlan]:
    """One page of the implementation plans, for those who draft them."""
    actor.require(Permission.PLANS_MANAGE)
    return repository.plan_page(session, actor, query)


def approved_plans(session: Session, actor: Principal) -> list[ImplementationPlan]:
    """The plans an agreement may be drafted under: approved by a collective decision."""
    return repository.approved_plans(session, actor)


def plan_decisions(
    session: Session, plans: list[ImplementationPlan]
) -> dict[uuid.UUID, list[CollectiveDecision]]:
    return repository.decisions_about_each(session, [p.id for p in plans])


def in_force_on(authorization: Authorization, day: date) -> bool:
    return (
        authorization.status in st.IN_FORCE
        and authorization.term_start is not None
        and authorization.term_end is not None
        and authorization.term_start <= day <= authorization.term_end
    )


def in_scope(session: Session, authorization: Authorization, resource_id: uuid.UUID) -> bool:
    """The resource is in the agreement's current scope (the rows the newest version set)."""
    return repository.in_scope(session, authorization.id, resource_id)


# -- collective decisions and plans -------------------------------------------------------


def record_decision(
    session: Session,
    *,
    actor: Principal,
    at: datetime,
    subject_type: str,
    subject_id: uuid.UUID,
    data: DecisionIn,
) -> CollectiveDecision:
    decision = CollectiveDecision(
        subject_type=subject_type,
        subject_id=subject_id,
        meeting=data.meeting,
        held_on=data.held_on,
        participants=list(data.participants),
        outcome=data.outcome,
        summary=data.summary,
        recorded_by=actor.username,
        recorded_at=at,
    )
    session.add(decision)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=DECISION_RECORDED,
        target_type=subject_type,
        target_id=subject_id,
        at=at,
        detail={
            "meeting": data.meeting,
            "held_on": data.held_on.isoformat(),
            "outcome": data.outcome,
        },
    )
    return decision


def missing_plan_sections(sections: dict[str, str]) -> list[str]:
    """The required parts of a plan left empty, in the plan's order."""
    return [key for key, _, _ in PLAN_SECTIONS if not (sections.get(key) or "").strip()]


def create_plan(
    session: Session, *, actor: Principal, at: datetime, data: PlanIn
) -> ImplementationPlan:
    actor.require(Permission.PLANS_MANAGE)
    sections = {key: (data.sections.get(key) or "").strip() for key, _, _ in PLAN_SECTIONS}
    missing = missing_plan_sections(sections)
    if missing:
        keys = [f"plan_section.{key}" for key in missing]
        raise InvalidInput("authz.plan_sections_missing", missing=MessageList(keys))
    plan = ImplementationPlan(
        title=data.title,
        sections=sections,
        status=st.PLAN.initial,
        created_by=actor.username,
        created_at=at,
    )
    session.add(plan)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=PLAN_CREATED,
        target_type="implementation_plan",
        target_id=plan.id,
        at=at,
        detail={"title": plan.title},
    )
    return plan


def decide_plan(
    session: Session, *, actor: Principal, at: datetime, plan_id: uuid.UUID, data: DecisionIn
) -> ImplementationPlan:
    actor.require(Permission.PLANS_MANAGE)
    plan = repository.plan_for(session, actor, plan_id)
    if plan is None:
        raise NotFound("authz.plan_not_found")
    if data.outcome == "deferred":
        record_decision(
            session,
            actor=actor,
            at=at,
            subject_type="implementation_plan",
            subject_id=plan.id,
            data=data,
        )
        return plan
    name = "approve" if data.outcome == "approved" else "reject"
    st.PLAN.require(plan, name)
    decision = record_decision(
        session,
        actor=actor,
        at=at,
        subject_type="implementation_plan",
        subject_id=plan.id,
        data=data,
    )
    st.PLAN.fire(plan, name, session=session, actor=actor, at=at, detail={"meeting": data.meeting})
    plan.decision_id = decision.id
    if name == "approve":
        plan.approved_at = at
    return plan


# -- drafting ---------------------------------------------------------------------------------


def _check_term(settings: Settings, years: int | None) -> int:
    chosen = years or settings.authorization_default_term_years
    if chosen > settings.authorization_max_term_years:
        raise InvalidInput(
            "authz.term_too_long",
            problem_code="term_too_long",
            years=chosen,
            max=settings.authorization_max_term_years,
        )
    return chosen


def _check_rights(rights: list[str]) -> list[str]:
    if not rights:
        raise InvalidInput("authz.no_rights")
    for right in rights:
        if right in NEVER_GRANTED:
            raise InvalidInput(
                "authz.right_never_granted",
                problem_code="right_not_grantable",
                right=MessageRef(f"right.{right}"),
            )
        if right not in GRANTABLE_RIGHTS:
            raise InvalidInput("authz.right_unknown", right=right)
    return [r for r in GRANTABLE_RIGHTS if r in rights]


def _scenario_key(scenario: str) -> str:
    return re.sub(r"\s+", "", scenario).casefold()


def _check_scenario(
    session: Session,
    settings: Settings,
    scenario: str,
    *,
    ignore: set[uuid.UUID],
) -> str:
    key = _scenario_key(scenario)
    if not settings.one_scenario_one_authorization:
        return key
    if _SCENARIO_LIST.search(scenario):
        raise InvalidInput("authz.scenario_single", problem_code="one_scenario", scenario=scenario)
    for other in repository.holding_scenario(session, key, st.HOLDS_SCENARIO):
        if other.id in ignore:
            continue
        raise Conflict(
            "authz.scenario_taken",
            problem_code="scenario_taken",
            scenario=scenario,
            number=other.number,
            status=MessageRef(f"state.authorization.{other.status}"),
        )
    return key


def _check_operator(session: Session, operator_id: uuid.UUID) -> Organization:
    org = parties.organization(session, operator_id)
    if org is None or org.kind != OrgKind.OPERATOR.value:
        raise InvalidInput("authz.operator_unknown")
    if not qualified.is_qualified(session, org.id):
        raise InvalidInput(
            "authz.operator_not_qualified", problem_code="operator_not_qualified", name=org.name
        )
    return org


def _check_round(
    session: Session, operator: Organization, selection_round_id: uuid.UUID, scenario: str | None
) -> None:
    """The consultation chose this operator, for this scenario, and founded nothing yet
    (``scenario`` None: not known yet, that part is not checked)."""
    selected = selection.published_selection(session, selection_round_id)
    if selected is None or selected.organization_id != operator.id:
        raise InvalidInput("authz.operator_not_selected", name=operator.name)
    if scenario is not None and _scenario_key(selected.scenario) != _scenario_key(scenario):
        raise InvalidInput(
            "authz.round_other_scenario",
            problem_code="round_other_scenario",
            round=selected.title,
            scenario=selected.scenario,
        )
    for used in repository.using_round(session, selection_round_id):
        raise Conflict("authz.round_used", problem_code="round_used", number=used.number)


def product_key(name: str) -> str:
    """A product's name as N2 compares names: blanks dropped, case folded."""
    return re.sub(r"\s+", "", name).casefold()


def delivered_product_name(
    session: Session,
    *,
    operator_ids: Collection[uuid.UUID],
    names: Iterable[str],
    excluding: Collection[uuid.UUID] = (),
) -> tuple[str, Authorization] | None:
    """N2 by name: the first of ``names`` that an agreement of these operators which took
    effect already names as a product (folded with ``product_key``), with that agreement;
    the agreements in ``excluding`` (a product's own renewal chain) are not looked at.

    The layers decide how N2 is split. An agreement's product clause is only a name and a
    description, so drafting an agreement compares names here (``_check_products_new``).
    The products module, above this one, declares products with their content: its
    ``products.service.already_delivered`` asks this function for the names and compares
    the content itself (type, resources read, normalised spec and output) with the
    products listed before, which this module cannot see."""
    wanted = {product_key(n): n for n in names}
    skip = set(excluding)
    for earlier in repository.delivered_by(session, operator_ids):
        if earlier.id in skip:
            continue
        content = current_version(session, earlier).content
        for product in content["clauses"]["products"]:
            name = wanted.get(product_key(product["name"]))
            if name is not None:
                return name, earlier
    return None


def _check_products_new(session: Session, operator: Organization, names: list[str]) -> None:
    """N2: no operator re-develops, itself or through an affiliate, a product it has
    already delivered under an agreement that took effect (by name: see
    ``delivered_product_name``)."""
    others = {operator.id} | qualified.affiliated_organizations(session, operator.id)
    found = delivered_product_name(session, operator_ids=others, names=names)
    if found is not None:
        name, earlier = found
        holder = parties.organization(session, earlier.operator_id)
        raise Conflict(
            "authz.product_delivered",
            problem_code="product_already_delivered",
            product=name,
            number=earlier.number,
            operator=holder.name if holder else "—",
        )


def _domain_label(domain: str | None) -> MessageRef | str:
    key = f"vocab.domain.{domain}"
    return MessageRef(key) if domain and has_message(key) else (domain or "—")


def _scope_problems(
    session: Session, entry_ids: list[uuid.UUID], *, mode: str | None, domain: str | None
) -> tuple[list[dict[str, Any]], list[SluiceError]]:
    """Catalog entries described for the agreement, and every reason one of them cannot be
    authorized (an entry may have several)."""
    entries = {e.id: e for e in catalog.entries_by_ids(session, list(dict.fromkeys(entry_ids)))}
    problems: list[SluiceError] = [
        InvalidInput("authz.entry_unknown", entry=str(entry_id))
        for entry_id in dict.fromkeys(entry_ids)
        if entry_id not in entries
    ]
    resources = catalog.resources_by_ids(session, [e.resource_id for e in entries.values()])
    providers = catalog.organizations(session, {e.provider_id for e in entries.values()})
    items = []
    for entry in entries.values():
        resource = resources[entry.resource_id]
        if resource.open_level == "closed":
            problems.append(
                InvalidInput(
                    "authz.resource_closed", problem_code="resource_closed", title=resource.name
                )
            )
        if entry.status != "published":
            problems.append(
                InvalidInput(
                    "authz.entry_not_published",
                    problem_code="entry_not_published",
                    title=entry.title,
                )
            )
        if resource.origin == "shared" and resource.sharing_consent_at is None:
            problems.append(
                InvalidInput(
                    "authz.sharing_consent_required",
                    problem_code="sharing_consent_required",
                    title=resource.name,
                    source=resource.shared_from or "—",
                )
            )
        if mode == "domain" and resource.domain != domain:
            problems.append(
                InvalidInput(
                    "authz.outside_domain",
                    problem_code="outside_domain",
                    title=resource.name,
                    domain=_domain_label(domain),
                )
            )
        provider = providers[entry.provider_id]
        items.append(
            {
                "entry_id": str(entry.id),
                "resource_id": str(resource.id),
                "code": f"{provider.code}/{resource.code}",
                "title": resource.name,
                "provider": provider.name,
                "open_level": resource.open_level,
                "grade": resource.grade,
                "origin": resource.origin,
            }
        )
    return sorted(items, key=lambda item: item["code"]), problems


def _scope_items(
    session: Session, entry_ids: list[uuid.UUID], *, mode: str, domain: str | None
) -> list[dict[str, Any]]:
    """Validate catalog entries for authorization and describe them for the agreement."""
    items, problems = _scope_problems(session, entry_ids, mode=mode, domain=domain)
    if problems:
        raise problems[0]
    return items


@dataclass(frozen=True)
class DraftProblem:
    """A rule a new draft breaks, and the field of the drafting form it is about (a
    ``sluice.web.forms.Problem``: its message key and parameters are the refusal's)."""

    field: str
    error: SluiceError

    @property
    def key(self) -> str:
        return self.error.message_key

    @property
    def params(self) -> dict[str, Any]:
        return self.error.params


@dataclass
class _Draft:
    """A draft checked in one pass: every problem, and what the checks worked out."""

    problems: list[DraftProblem] = field(default_factory=list)
    plan: ImplementationPlan | None = None
    operator: Organization | None = None
    years: int | None = None
    rights: list[str] | None = None
    scenario_key: str | None = None
    scope: list[dict[str, Any]] | None = None

    def attempt(self, name: str, check: Callable[[], T]) -> T | None:
        try:
            return check()
        except SluiceError as error:
            self.problems.append(DraftProblem(name, error))
            return None


def _plan_named(session: Session, plan_id: uuid.UUID) -> ImplementationPlan:
    plan = repository.plan(session, plan_id)
    if plan is None:
        raise NotFound("authz.plan_not_found")
    return plan


def _checked_draft(
    session: Session,
    settings: Settings,
    *,
    operator_id: uuid.UUID | None,
    plan_id: uuid.UUID | None,
    selection_round_id: uuid.UUID | None,
    mode: str | None,
    domain: str | None,
    scenario: str | None,
    term_years: int | None,
    rights: list[str] | None,
    entry_ids: list[uuid.UUID] | None,
    product_names: list[str] | None,
) -> _Draft:
    draft = _Draft()
    if plan_id is not None:
        draft.plan = draft.attempt("plan_id", lambda: _plan_named(session, plan_id))
    if operator_id is not None:
        draft.operator = draft.attempt("operator_id", lambda: _check_operator(session, operator_id))
    operator = draft.operator
    if operator is not None and selection_round_id is not None:
        draft.attempt(
            "selection_round_id",
            lambda: _check_round(session, operator, selection_round_id, scenario),
        )
    domain_known = mode != "domain" or bool(domain)
    if not domain_known:
        draft.problems.append(DraftProblem("domain", InvalidInput("authz.domain_required")))
    draft.years = draft.attempt("term_years", lambda: _check_term(settings, term_years))
    if rights is not None:
        draft.rights = draft.attempt("rights", lambda: _check_rights(rights))
    if scenario is not None:
        draft.scenario_key = draft.attempt(
            "scenario", lambda: _check_scenario(session, settings, scenario, ignore=set())
        )
    if entry_ids is not None:
        draft.scope, problems = _scope_problems(
            session, entry_ids, mode=mode if domain_known else None, domain=domain
        )
        draft.problems.extend(DraftProblem("entry_ids", p) for p in problems)
    if operator is not None and product_names is not None:
        draft.attempt("products", lambda: _check_products_new(session, operator, product_names))
    return draft


def check_draft(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    operator_id: uuid.UUID | None = None,
    plan_id: uuid.UUID | None = None,
    selection_round_id: uuid.UUID | None = None,
    mode: str | None = None,
    domain: str | None = None,
    scenario: str | None = None,
    term_years: int | None = None,
    rights: list[str] | None = None,
    entry_ids: list[uuid.UUID] | None = None,
    product_names: list[str] | None = None,
) -> list[DraftProblem]:
    """Every rule a new draft breaks, each with its field, found in one pass, so a form can
    show them all at once. A value not given (it did not even parse) skips the rules that
    need it; ``term_years`` None is the default term. ``create_authorization`` refuses on
    the first of the same problems."""
    actor.require(Permission.AUTHORIZATIONS_MANAGE)
    return _checked_draft(
        session,
        settings,
        operator_id=operator_id,
        plan_id=plan_id,
        selection_round_id=selection_round_id,
        mode=mode,
        domain=domain,
        scenario=scenario,
        term_years=term_years,
        rights=rights,
        entry_ids=entry_ids,
        product_names=product_names,
    ).problems


def entries_shown(session: Session, ids: list[uuid.UUID], locale: str) -> list[EntryRead]:
    """Catalog entries by id, in the order given, for the scope picker's checkboxes."""
    found = catalog.entries_by_ids(session, ids)
    reads = {e.id: e for e in catalog_reads.entries_read(session, found, locale=locale)}
    return [reads[i] for i in ids if i in reads]


def search_entries(session: Session, *, q: str, locale: str, size: int) -> CatalogPage:
    """The first ``size`` published catalog entries matching ``q``, for the scope picker."""
    return catalog_reads.search_catalog(
        session,
        q=q,
        provider=None,
        domain=None,
        open_level=None,
        batch=None,
        page=1,
        page_size=size,
        locale=locale,
    )


def _party(org: Organization) -> dict[str, Any]:
    return {"id": str(org.id), "name": org.name, "credit_code": org.credit_code}


def _content(
    authorization: Authorization,
    *,
    bureau: Organization,
    operator: Organization,
    rights: list[str],
    scope: list[dict[str, Any]],
    clauses: dict[str, Any],
) -> dict[str, Any]:
    content: dict[str, Any] = {
        "number": authorization.number,
        "bureau": _party(bureau),
        "operator": _party(operator),
        "mode": authorization.mode,
        "domain": authorization.domain,
        "scenario": authorization.scenario,
        "purpose": authorization.purpose,
        "rights": rights,
        "term_years": authorization.term_years,
        "scope": scope,
        "clauses": clauses,
    }
    if authorization.term_start is not None:
        content["term_start"] = authorization.term_start.isoformat()
    return content


def _add_version(
    session: Session,
    authorization: Authorization,
    *,
    number: int,
    content: dict[str, Any],
    changes: list[dict[str, Any]],
    reason: str,
    actor: Principal,
    at: datetime,
) -> AuthorizationVersion:
    signed = {**content, "version": number}
    version = AuthorizationVersion(
        authorization_id=authorization.id,
        number=number,
        content=signed,
        digest=canonical_digest(signed),
        changes=changes,
        reason=reason,
        created_by=actor.username,
        created_at=at,
    )
    session.add(version)
    authorization.version = number
    return version


def add_version(
    session: Session,
    authorization: Authorization,
    *,
    content: dict[str, Any],
    changes: list[dict[str, Any]],
    reason: str,
    actor: Principal,
    at: datetime,
) -> AuthorizationVersion:
    """The agreement's next version with this content (an amendment, ``amendments``): the
    parties sign it as they sign any version."""
    return _add_version(
        session,
        authorization,
        number=authorization.version + 1,
        content=content,
        changes=changes,
        reason=reason,
        actor=actor,
        at=at,
    )


def _set_scope(
    session: Session, authorization: Authorization, scope: list[dict[str, Any]], version: int
) -> None:
    current = {row.resource_id: row for row in repository.scope(session, authorization.id)}
    wanted = {uuid.UUID(item["resource_id"]): item for item in scope}
    for resource_id, row in current.items():
        if resource_id not in wanted:
            session.delete(row)
    for resource_id, item in wanted.items():
        if resource_id not in current:
            session.add(
                AuthorizationScope(
                    authorization_id=authorization.id,
                    resource_id=resource_id,
                    entry_id=uuid.UUID(item["entry_id"]),
                    added_in_version=version,
                )
            )
    session.flush()


def _next_number(session: Session, at: datetime) -> str:
    return numbering.next_number(session, numbering.AGREEMENT, at)


def create_authorization(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    at: datetime,
    data: AuthorizationCreate,
) -> Authorization:
    actor.require(Permission.AUTHORIZATIONS_MANAGE)
    draft = _checked_draft(
        session,
        settings,
        operator_id=data.operator_id,
        plan_id=data.plan_id,
        selection_round_id=data.selection_round_id,
        mode=data.mode,
        domain=data.domain,
        scenario=data.scenario,
        term_years=data.term_years,
        rights=data.rights,
        entry_ids=data.entry_ids,
        product_names=[p.name for p in data.clauses.products],
    )
    if draft.problems:
        raise draft.problems[0].error
    plan, operator, years, rights = draft.plan, draft.operator, draft.years, draft.rights
    scenario_key, scope = draft.scenario_key, draft.scope
    if (
        plan is None
        or operator is None
        or years is None
        or rights is None
        or scenario_key is None
        or scope is None
    ):  # pragma: no cover - every check ran on a complete draft and found nothing
        raise InvalidInput()
    authorization = Authorization(
        number=_next_number(session, at),
        operator_id=operator.id,
        plan_id=plan.id,
        selection_round_id=data.selection_round_id,
        mode=data.mode,
        domain=data.domain if data.mode == "domain" else None,
        scenario=data.scenario,
        scenario_key=scenario_key,
        purpose=data.purpose,
        status=st.AUTHORIZATION.initial,
        term_years=years,
        version=1,
        created_by=actor.username,
        created_at=at,
    )
    session.add(authorization)
    session.flush()
    content = _content(
        authorization,
        bureau=parties.bureau_organization(session),
        operator=operator,
        rights=rights,
        scope=scope,
        clauses=data.clauses.model_dump(),
    )
    _add_version(
        session,
        authorization,
        number=1,
        content=content,
        changes=[],
        reason="",
        actor=actor,
        at=at,
    )
    _set_scope(session, authorization, scope, 1)
    audit.record(
        session,
        actor=actor,
        action=AUTHORIZATION_CREATED,
        target_type="authorization",
        target_id=authorization.id,
        at=at,
        detail={
            "number": authorization.number,
            "operator": operator.name,
            "scenario": authorization.scenario,
            "resources": len(scope),
            "term_years": years,
        },
    )
    return authorization


def current_version(session: Session, authorization: Authorization) -> AuthorizationVersion:
    version = repository.version(session, authorization.id, authorization.version)
    if version is None:  # pragma: no cover - every authorization is created with version 1
        raise NotFound("authz.not_found")
    return version


def diff_content(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """The differences between two versions, for people reading the agreement."""
    changes: list[dict[str, Any]] = []
    old_scope = {item["code"]: item for item in before.get("scope", [])}
    new_scope = {item["code"]: item for item in after.get("scope", [])}
    for code in sorted(new_scope.keys() - old_scope.keys()):
        changes.append(
            {
                "kind": "added",
                "field": "scope",
                "before": None,
                "after": f"{code} {new_scope[code]['title']}",
            }
        )
    for code in sorted(old_scope.keys() - new_scope.keys()):
        changes.append(
            {
                "kind": "removed",
                "field": "scope",
                "before": f"{code} {old_scope[code]['title']}",
                "after": None,
            }
        )
    for key in ("mode", "domain", "scenario", "purpose", "rights", "term_years", "term_start"):
        if before.get(key) != after.get(key):
            changes.append(
                {
                    "kind": "changed",
                    "field": key,
                    "before": before.get(key),
                    "after": after.get(key),
                }
            )
    old_clauses, new_clauses = before.get("clauses", {}), after.get("clauses", {})
    for key in sorted(set(old_clauses) | set(new_clauses)):
        if old_clauses.get(key) != new_clauses.get(key):
            changes.append(
                {
                    "kind": "changed",
                    "field": f"clauses.{key}",
                    "before": old_clauses.get(key),
                    "after": new_clauses.get(key),
                }
            )
    return changes


def change_scope(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    at: datetime,
    authorization_id: uuid.UUID,
    change: ScopeChange,
) -> AuthorizationVersion:
    """Expand, adjust or revoke scope (R3.3): a new version, effective for the guard at once."""
    authorization = _managed(session, actor, authorization_id)
    if authorization.status in st.ENDED or authorization.status == st.RENEWED:
        raise Conflict(
            "authz.scope_locked",
            status=MessageRef(f"state.authorization.{authorization.status}"),
        )
    previous = current_version(session, authorization)
    kept = [
        uuid.UUID(item["entry_id"])
        for item in previous.content["scope"]
        if uuid.UUID(item["entry_id"]) not in set(change.remove_entry_ids)
    ]
    wanted = list(dict.fromkeys([*kept, *change.add_entry_ids]))
    if not wanted:
        raise InvalidInput("authz.scope_empty")
    scope = _scope_items(session, wanted, mode=authorization.mode, domain=authorization.domain)
    content = {**previous.content, "scope": scope}
    content.pop("version", None)
    changes = diff_content(previous.content, content)
    if not changes:
        raise InvalidInput("authz.scope_no_change")
    if authorization.status == st.APPROVED:
        # Approved but not yet signed: the decision was on the old scope, decide again.
        st.AUTHORIZATION.fire(
            authorization,
            "reopen",
            session=session,
            actor=actor,
            at=at,
            detail={"reason": change.reason},
        )
    number = authorization.version + 1
    version = _add_version(
        session,
        authorization,
        number=number,
        content=content,
        changes=changes,
        reason=change.reason,
        actor=actor,
        at=at,
    )
    _set_scope(session, authorization, scope, number)
    audit.record(
        session,
        actor=actor,
        action=SCOPE_CHANGED,
        target_type="authorization",
        target_id=authorization.id,
        at=at,
        detail={"version": number, "reason": change.reason, "changes": changes},
    )
    return version


# -- review, approval, signing ------------------------------------------------------------------


def submit(
    session: Session, *, actor: Principal, at: datetime, authorization_id: uuid.UUID
) -> Authorization:
    authorization = _managed(session, actor, authorization_id)
    st.AUTHORIZATION.fire(authorization, "submit", session=session, actor=actor, at=at)
    return authorization


def return_for_changes(
    session: Session, *, actor: Principal, at: datetime, authorization_id: uuid.UUID, reason: str
) -> Authorization:
    authorization = _managed(session, actor, authorization_id)
    st.AUTHORIZATION.fire(
        authorization, "return", session=session, actor=actor, at=at, detail={"reason": reason}
    )
    return authorization


def decide(
    session: Session,
    *,
    actor: Principal,
    at: datetime,
    authorization_id: uuid.UUID,
    data: DecisionIn,
) -> Authorization:
    """Record the collective decision on an agreement under review and act on its outcome.
    Refused while the parties' comments are still being taken or any is unhandled (R5.2):
    the meeting decides on the draft with every comment and its handling before it."""
    authorization = _managed(session, actor, authorization_id)
    st.AUTHORIZATION.require(authorization, "approve")
    _check_comments_settled(session, authorization)
    if data.outcome == "approved":
        plan = repository.plan(session, authorization.plan_id)
        if plan is None or plan.status != st.PLAN_APPROVED:
            raise Conflict(
                "authz.plan_not_approved",
                problem_code="plan_not_approved",
                title=plan.title if plan else "—",
            )
    decision = record_decision(
        session,
        actor=actor,
        at=at,
        subject_type="authorization",
        subject_id=authorization.id,
        data=data,
    )
    if data.outcome == "approved":
        authorization.decision_id = decision.id
        comment_repository.attach_to_decision(
            session, authorization.id, decision.id, authorization.version
        )
        st.AUTHORIZATION.fire(
            authorization,
            "approve",
            session=session,
            actor=actor,
            at=at,
            detail={"meeting": data.meeting, "decision": str(decision.id)},
        )
    elif data.outcome == "rejected":
        st.AUTHORIZATION.fire(
            authorization,
            "return",
            session=session,
            actor=actor,
            at=at,
            detail={"meeting": data.meeting, "decision": str(decision.id)},
        )
    return authorization


def _check_comments_settled(session: Session, authorization: Authorization) -> None:
    still_open = comment_repository.open_round(session, authorization.id)
    if still_open is not None:
        raise Conflict(
            "authz.comments_open",
            problem_code="comments_open",
            number=still_open.number,
            due=still_open.due_on.isoformat(),
        )
    waiting = comment_repository.unhandled(session, authorization.id)
    if waiting:
        raise Conflict("authz.comments_unhandled", problem_code="comments_unhandled", n=waiting)


def party_of(actor: Principal, authorization: Authorization) -> str | None:
    """Which side of the agreement the actor signs for, if any."""
    if actor.organization_kind == OrgKind.BUREAU:
        return "bureau"
    if (
        actor.organization_kind == OrgKind.OPERATOR
        and actor.organization_id == authorization.operator_id
    ):
        return "operator"
    return None


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        # 29 February in a year that has none: the anniversary is 1 March, so the term
        # still ends on the last day of February (Civil Code art. 202's month-end rule).
        return date(day.year + years, 3, 1)


def term_end_for(start: date, years: int) -> date:
    return _add_years(start, years) - timedelta(days=1)


def sign(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    at: datetime,
    authorization_id: uuid.UUID,
) -> AgreementSignature:
    """Sign the current version for the actor's side; the second side's signature brings an
    approved agreement into force, its term counted from that day."""
    actor.require(Permission.AUTHORIZATIONS_SIGN)
    # Lock the row first (before anything loads it): the two parties may sign at the same
    # moment, and exactly one of them must see the other's signature and start the term.
    repository.authorization(session, authorization_id, for_update=True)
    authorization = visible(session, actor, authorization_id)
    party = party_of(actor, authorization)
    if party is None:
        # Not a party: the agreement is not theirs to see, so for them it does not exist.
        raise NotFound("authz.not_found")
    if authorization.status not in st.SIGNABLE:
        raise Conflict(
            "authz.not_signable",
            problem_code="not_signable",
            status=MessageRef(f"state.authorization.{authorization.status}"),
        )
    version = current_version(session, authorization)
    existing = repository.signatures(session, authorization.id, version.number)
    if any(s.party == party for s in existing):
        raise Conflict("authz.already_signed", version=version.number)
    organization_id = (
        parties.bureau_organization(session).id if party == "bureau" else authorization.operator_id
    )
    made = signing.sign(
        session,
        organization_id=organization_id,
        message=bytes.fromhex(version.digest),
        settings=settings,
        at=at,
    )
    signature = AgreementSignature(
        authorization_id=authorization.id,
        version=version.number,
        party=party,
        organization_id=organization_id,
        signer=actor.display_name or actor.username,
        signed_at=at,
        digest=version.digest,
        public_key_hex=made.public_key_hex,
        signature_hex=made.signature_hex,
    )
    session.add(signature)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=SIGNED,
        target_type="authorization",
        target_id=authorization.id,
        at=at,
        detail={"party": party, "version": version.number, "digest": version.digest},
    )
    both_signed = len(existing) + 1 == 2
    if both_signed and authorization.status == st.APPROVED:
        start = authorization.term_start or local(at).date()
        authorization.term_start = start
        authorization.term_end = term_end_for(start, authorization.term_years)
        authorization.activated_at = at
        st.AUTHORIZATION.fire(
            authorization,
            "activate",
            session=session,
            actor=actor,
            at=at,
            detail={
                "term_start": start.isoformat(),
                "term_end": authorization.term_end.isoformat(),
            },
        )
    return signature


def verify_signature(session: Session, signature: AgreementSignature) -> bool:
    """The signature is over this version's content as stored now, by a key that really is
    the signing organization's, and it checks under that key."""
    version = repository.version(session, signature.authorization_id, signature.version)
    return (
        version is not None
        and canonical_digest(version.content) == version.digest == signature.digest
        and signing.is_key_of(session, signature.organization_id, signature.public_key_hex)
        and signing.verify(
            signature.public_key_hex, bytes.fromhex(signature.digest), signature.signature_hex
        )
    )


# -- while in force ---------------------------------------------------------------------------


def suspend(
    session: Session, *, actor: Principal, at: datetime, authorization_id: uuid.UUID, reason: str
) -> Authorization:
    authorization = _managed(session, actor, authorization_id)
    st.AUTHORIZATION.fire(
        authorization, "suspend", session=session, actor=actor, at=at, detail={"reason": reason}
    )
    return authorization


def resume(
    session: Session, *, actor: Principal, at: datetime, authorization_id: uuid.UUID, reason: str
) -> Authorization:
    authorization = _managed(session, actor, authorization_id)
    st.AUTHORIZATION.fire(
        authorization, "resume", session=session, actor=actor, at=at, detail={"reason": reason}
    )
    return authorization


#: The irreversible act of terminating an agreement: filed here, carried out by ``endings``.
TERMINATE = "authorization.terminate"
#: Rescinding (解除) and revoking (撤销) an agreement: ends of their own (R5.6), filed and
#: carried out the same way.
RESCIND = "authorization.rescind"
REVOKE = "authorization.revoke"
#: The acts by which the bureau ends an agreement, by the end reason each records.
ENDING_ACTS: Final = {"termination": TERMINATE, "rescission": RESCIND, "revocation": REVOKE}


def terminate(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    at: datetime,
    authorization_id: uuid.UUID,
    reason: str,
    decision_id: uuid.UUID | None = None,
    how: str = "termination",
) -> ApprovalRequest:
    """Ask to terminate (or, with ``how``, to rescind or revoke): nothing ends until a
    second bureau user approves the request, or at once if it cites an approved collective
    decision on this very act recorded by someone else. Returns the request (``approved``
    if it was carried out)."""
    authorization = _managed(session, actor, authorization_id)
    if how not in ENDING_ACTS:
        raise InvalidInput("authz.bad_ending", how=how)
    return approvals.request(
        session,
        actor=actor,
        settings=settings,
        at=at,
        act=ENDING_ACTS[how],
        target_id=authorization.id,
        grounds=reason,
        decision_id=decision_id,
    )


class _DecisionBook:
    """Collective decisions as the approvals module reads them."""

    def find(self, session: Session, decision_id: uuid.UUID) -> DecisionRef | None:
        found = repository.decision(session, decision_id)
        return _decision_ref(found) if found else None


def _decision_ref(decision: CollectiveDecision) -> DecisionRef:
    return DecisionRef(
        id=decision.id,
        subject_type=decision.subject_type,
        subject_id=decision.subject_id,
        outcome=decision.outcome,
        meeting=decision.meeting,
        held_on=decision.held_on,
        recorded_by=decision.recorded_by,
    )


approvals_registry.register_decisions(_DecisionBook())


def record_matter_decision(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    at: datetime,
    data: MatterDecisionIn,
) -> tuple[CollectiveDecision, ApprovalRequest | None]:
    """Record a collective decision on one irreversible act on one object. A request
    waiting there is approved (and carried out) by it, or rejected, unless the person
    recording the decision is the one who made the request: then it waits as before."""
    actor.require(Permission.PLANS_MANAGE)
    try:
        act = approvals_registry.act(data.act)
    except LookupError:
        raise InvalidInput("authz.matter_unknown", act=data.act) from None
    act.subject(session, data.target_id)  # not found: 404
    decision = record_decision(
        session,
        actor=actor,
        at=at,
        subject_type=act.name,
        subject_id=data.target_id,
        data=DecisionIn.model_validate(data.model_dump(exclude={"act", "target_id"})),
    )
    request = approvals.on_decision(
        session, actor=actor, settings=settings, at=at, decision=_decision_ref(decision)
    )
    return decision, request


def matter_decisions(
    session: Session, *, act: str, target_id: uuid.UUID
) -> list[CollectiveDecision]:
    """Approved collective decisions on this act on this object, which a request can cite."""
    return [
        d
        for d in repository.decisions_about(session, target_id)
        if d.subject_type == act and d.outcome == "approved"
    ]


def renew(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    at: datetime,
    authorization_id: uuid.UUID,
    data: DecisionIn,
) -> Authorization:
    """Renew an expiring agreement on a recorded bureau decision (until the evaluation module
    supplies results): the old agreement stays in force to the end of its term, and a
    successor with the same content, starting the next day, awaits both signatures."""
    authorization = _managed(session, actor, authorization_id)
    if authorization.term_end is None:
        raise Conflict("authz.renewal_needs_term")
    if data.outcome != "approved":
        raise InvalidInput(
            "authz.decision_not_approved",
            outcome=MessageRef(f"decision.outcome.{data.outcome}"),
        )
    st.AUTHORIZATION.require(authorization, "renew")
    if repository.has_open_matters(session, authorization.id):
        raise Conflict("authz.renewal_blocked", problem_code="renewal_blocked")
    decision = record_decision(
        session,
        actor=actor,
        at=at,
        subject_type="renewal",
        subject_id=authorization.id,
        data=data,
    )
    previous = current_version(session, authorization)
    successor = Authorization(
        number=_next_number(session, at),
        operator_id=authorization.operator_id,
        plan_id=authorization.plan_id,
        selection_round_id=authorization.selection_round_id,
        mode=authorization.mode,
        domain=authorization.domain,
        scenario=authorization.scenario,
        scenario_key=authorization.scenario_key,
        purpose=authorization.purpose,
        status=st.APPROVED,
        term_years=authorization.term_years,
        term_start=authorization.term_end + timedelta(days=1),
        version=1,
        decision_id=decision.id,
        renewal_decision_id=decision.id,
        renewed_from_id=authorization.id,
        created_by=actor.username,
        created_at=at,
    )
    session.add(successor)
    session.flush()
    content = {**previous.content, "number": successor.number}
    content.pop("version", None)
    content["term_start"] = successor.term_start.isoformat() if successor.term_start else None
    _add_version(
        session,
        successor,
        number=1,
        content=content,
        changes=[],
        reason=f"续期自 {authorization.number}",
        actor=actor,
        at=at,
    )
    _set_scope(session, successor, content["scope"], 1)
    authorization.renewal_decision_id = decision.id
    st.AUTHORIZATION.fire(
        authorization,
        "renew",
        session=session,
        actor=actor,
        at=at,
        detail={"successor": successor.number, "decision": str(decision.id)},
    )
    audit.record(
        session,
        actor=actor,
        action=RENEWAL_CREATED,
        target_type="authorization",
        target_id=successor.id,
        at=at,
        detail={"renews": authorization.number},
    )
    return successor
