"""What is stored, read back: check results in the reader's language, evidence files as
downloads (API and console alike), and the application as both sides' console pages show it
(the applicant's steps and the reviewer's page share their partial templates, so they share
this context and the labels of those templates)."""

from __future__ import annotations

from itertools import pairwise
from typing import Any
from urllib.parse import quote

from fastapi.responses import Response

from sluice.core.i18n import add_messages, translate
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.operators import applications, checks, jurisdictions
from sluice.operators.models import OperatorCheckResult, OperatorEvidence
from sluice.operators.ownership import NodeKind, Relation
from sluice.operators.schemas import (
    AuditOpinion,
    BusinessStatus,
    CheckRead,
    CreditCategory,
    FindingRead,
    IncidentKind,
    Judgment,
    PathStep,
)


def path_steps(path: list[dict[str, Any]], locale: str) -> list[PathStep]:
    return [
        PathStep(
            entity_id=str(step["entity_id"]),
            name=step["name"],
            jurisdiction=step["jurisdiction"],
            relation=step.get("relation"),
            share_bp=step.get("share_bp"),
            foreign=bool(step.get("foreign")),
            label=checks.step_label(step, locale),
        )
        for step in path
    ]


def check_read(row: OperatorCheckResult, locale: str) -> CheckRead:
    explanation = row.explanation
    return CheckRead(
        check=row.check,
        requirement=row.requirement,
        entity_name=row.entity_name,
        for_applicant=row.for_applicant,
        result=row.result,
        message=checks.localize(explanation["key"], explanation.get("params", {}), locale),
        findings=[
            FindingRead(
                result=f["result"], message=checks.localize(f["key"], f.get("params", {}), locale)
            )
            for f in explanation.get("findings", [])
        ],
        paths=[path_steps(path, locale) for path in row.paths],
    )


def download(document: OperatorEvidence, content: bytes) -> Response:
    return Response(
        content,
        media_type=document.content_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(document.filename)}",
            "X-Content-SM3": document.sm3,
            # Downloaded, never rendered here: the content type is whatever the uploader said.
            "X-Content-Type-Options": "nosniff",
        },
    )


add_messages(
    {
        "ops.lead": (
            "按《营口市公共数据授权运营实施方案》第二部分，申请单位须为依法登记、能够独立承担民事责任、"
            "遵守公平竞争规则、具有良好商业信誉的法人，内资控股，具备财务、技术、管理和安全能力。"
            "提交后系统自动核验统一社会信用代码、登记状态、信用记录、股权穿透（内资）、"
            "财务和安全事件，审核人员逐项判定其余条件。",
            "Under section 2 of the city plan, an applicant must be a registered legal entity "
            "able to bear civil liability on its own, following fair-competition rules, with "
            "sound business standing and reputation, domestic capital and the financial, "
            "technical, management and security capacity to operate. On submission the "
            "platform checks the credit code, the registration status, credit records, "
            "ownership (look-through for foreign capital), finances and incidents; a reviewer "
            "judges the other conditions item by item.",
        ),
        "ops.none": ("还没有申请。", "No application yet."),
        "ops.empty": ("无", "None"),
        "ops.check_name": ("检查项", "Check"),
        "ops.company": ("申请单位", "Applicant"),
        "ops.company_name": ("单位名称", "Company name"),
        "ops.credit_code": ("统一社会信用代码", "Unified social credit code"),
        "ops.legal_representative": ("法定代表人", "Legal representative"),
        "ops.registered_address": ("注册地址", "Registered address"),
        "ops.established_on": ("成立日期", "Established on"),
        "ops.registered_capital": ("注册资本（元）", "Registered capital (CNY)"),
        "ops.business_scope": ("经营范围", "Business scope"),
        "ops.business_status": (
            "登记状态（国家企业信用信息公示系统）",
            "Registration status (enterprise credit publicity system)",
        ),
        "ops.business_status_unset": ("未填报", "Not declared"),
        "ops.relies_on_platform": (
            "依托实施机构提供的运营平台开展业务",
            "Relies on the platform the bureau provides",
        ),
        "ops.relies_on_platform_help": (
            "申请单位选择依托实施机构提供的运营平台开展业务，以平台的数据处理能力满足本项条件，"
            "无须另附本单位的证明材料（R2.6）。",
            "The applicant meets this condition by relying on the processing capacity of the "
            "platform the bureau provides, so no evidence of its own is needed (R2.6).",
        ),
        "ops.platform_reliance_offer": (
            "可依托实施机构提供的运营平台开展业务（选择后本项无须上传证明材料）",
            "May rely on the platform the bureau provides (then this item needs no evidence)",
        ),
        "ops.step.company": ("企业信息", "Company"),
        "ops.step.principals": ("主要负责人", "Principal persons"),
        "ops.step.ownership": ("股权结构", "Ownership"),
        "ops.step.records": ("信用与合规记录", "Records"),
        "ops.step.finance": ("财务状况", "Finance"),
        "ops.step.checklist": ("能力条件与证明材料", "Capacity and evidence"),
        "ops.step.submit": ("提交与结果", "Submit and results"),
        "ops.saved": ("已保存。", "Saved."),
        "ops.remove": ("删除", "Remove"),
        "ops.name": ("姓名", "Name"),
        "ops.position": ("职务", "Position"),
        "ops.nationality": ("国籍（代码）", "Nationality (code)"),
        "ops.id_number": ("证件号码（仅保存脱敏形式）", "ID number (kept masked only)"),
        "ops.major_penalty": ("受过重大行政处罚", "Major administrative penalty"),
        "ops.serious_dishonesty": ("有严重失信记录", "Serious dishonesty record"),
        "ops.note": ("备注", "Note"),
        "ops.entities": ("主体", "Entities"),
        "ops.entity": ("主体", "Entity"),
        "ops.kind": ("类型", "Kind"),
        "ops.jurisdiction": ("注册地/国籍（ISO 代码）", "Jurisdiction / nationality (ISO code)"),
        "ops.links": ("股权、控制和关联关系", "Shareholdings, control and affiliation"),
        "ops.holder": ("持有方/控制方", "Holder / controller"),
        "ops.relation": ("关系", "Relation"),
        "ops.held": ("被持有/被控制方", "Held / controlled"),
        "ops.share": ("持股比例（%）", "Share (%)"),
        "ops.applicant_self": ("申请单位", "the applicant"),
        "ops.foreign": ("境外", "foreign"),
        "ops.on_path": ("在发现境外成分的路径上", "on a path to a foreign element"),
        "ops.credit_records": ("信用记录（信用中国）", "Credit records (Credit China)"),
        "ops.category": ("类别", "Category"),
        "ops.listed_on": ("列入日期", "Listed on"),
        "ops.removed_on": ("移出日期（如已信用修复）", "Removed on (after repair)"),
        "ops.description": ("情况说明", "Description"),
        "ops.penalties": ("行政处罚", "Administrative penalties"),
        "ops.decided_on": ("处罚日期", "Decided on"),
        "ops.authority": ("处罚机关", "Authority"),
        "ops.major": ("重大行政处罚", "Major penalty"),
        "ops.amount": ("罚没金额（元）", "Amount (CNY)"),
        "ops.incidents": ("网络和数据安全事件", "Security incidents"),
        "ops.occurred_on": ("发生日期", "Occurred on"),
        "ops.incident_kind": ("类型", "Kind"),
        "ops.financials": ("年度财务报表", "Annual statements"),
        "ops.finance_clean_audit": ("，须为标准无保留审计意见", "; an unqualified audit opinion"),
        "ops.fiscal_year": ("会计年度", "Fiscal year"),
        "ops.total_assets": ("资产总额（元）", "Total assets (CNY)"),
        "ops.total_liabilities": ("负债总额（元）", "Total liabilities (CNY)"),
        "ops.net_assets": ("净资产（元）", "Net assets (CNY)"),
        "ops.revenue": ("营业收入（元）", "Revenue (CNY)"),
        "ops.net_profit": ("净利润（元）", "Net profit (CNY)"),
        "ops.committed_funds": (
            "承诺用于数据治理和初期运营的资金（元）",
            "Funds committed to data governance and initial operation (CNY)",
        ),
        "ops.audit_opinion": ("审计意见", "Audit opinion"),
        "ops.requirement": ("要求", "Requirement"),
        "ops.evidence": ("证明材料", "Evidence"),
        "ops.evidence_required": ("须附证明材料", "Evidence required"),
        "ops.no_evidence": ("尚未上传", "None yet"),
        "ops.general_evidence": (
            "其他材料（营业执照、审计报告、章程等）",
            "Other documents (licence, audit report, articles …)",
        ),
        "ops.judgment.met": ("符合", "Met"),
        "ops.judgment.not_met": ("不符合", "Not met"),
        "ops.checks": ("自动检查结果", "Automated checks"),
        "ops.checks_not_run": ("提交后运行自动检查。", "The checks run on submission."),
        "ops.check_run": ("第 {run} 次检查 · {at}", "Run {run} · {at}"),
        "ops.verdict": ("总体结论", "Overall"),
        "ops.through_path": ("R2.9 认定路径", "R2.9 path"),
        "ops.tried": (
            "申请单位有检查不通过，以下为其控制的主体的检查结果（R2.9）",
            "The applicant fails a check; results of the entities it controls (R2.9)",
        ),
        "ops.path": ("穿透路径", "Path"),
        "ops.decision_reason": ("审核意见", "Reason"),
        "ops.decided": ("{who} 于 {at} 作出决定", "Decided by {who} on {at}"),
        "ops.history": ("办理记录", "History"),
        "ops.submitted_at": ("提交时间", "Submitted"),
        "ops.back": ("返回列表", "Back to the list"),
        "ops.yuan": ("{amount} 元", "CNY {amount}"),
    }
)


def _highlights(view: applications.ApplicationView) -> dict[str, set[str]]:
    """Entity ids and links on paths that found a foreign element, for the graph tables."""
    foreign: set[str] = set()
    on_path: set[str] = set()
    pairs: set[str] = set()
    for result in view.own_results:
        for path in result.paths:
            ids = [str(step["entity_id"]) for step in path]
            on_path.update(ids)
            foreign.update(str(s["entity_id"]) for s in path if s.get("foreign"))
            pairs.update("|".join(sorted(pair)) for pair in pairwise(ids))
    return {"foreign": foreign, "on_path": on_path, "pairs": pairs}


def page_context(
    view: applications.ApplicationView, *, actor: Principal, settings: Settings, locale: str
) -> dict[str, Any]:
    """What the applicant's and the reviewer's application templates both read."""
    a = view.application
    tried = [
        (name, [check_read(r, locale) for r in results]) for name, results in view.tried_entities
    ]
    return {
        "view": view,
        "a": a,
        "entity_names": {e.id: e.name for e in view.entities},
        "checks": [check_read(r, locale) for r in view.own_results],
        "tried": tried,
        "verdict": applications.verdict_message(a, locale),
        "through": path_steps(a.qualifying_path, locale) if a.qualifying_path else None,
        "marks": _highlights(view),
        "actions": applications.allowed_actions(actor, a),
        "yuan": checks.yuan,
        "pct": checks.percent_bp,
        "jur": lambda code: jurisdictions.label(code, locale),
        "jurisdictions": list(jurisdictions.COMMON),
        "node_kinds": list(NodeKind),
        "relations": list(Relation),
        "credit_categories": list(CreditCategory),
        "incident_kinds": list(IncidentKind),
        "audit_opinions": list(AuditOpinion),
        "judgments": list(Judgment),
        "missing_evidence": [v for v in view.items if v.needs_evidence],
        "business_statuses": list(BusinessStatus),
        "upload_mb": settings.upload_max_mb,
        "finance_rules": {
            "net": checks.yuan(settings.operator_min_net_assets_fen),
            "committed": checks.yuan(settings.operator_min_committed_funds_fen),
            "ratio": settings.operator_max_debt_ratio_percent,
            "audit": translate("ops.finance_clean_audit", locale)
            if settings.operator_require_clean_audit
            else "",
        },
    }
