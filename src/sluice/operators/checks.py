"""The automated qualification checks (R2.1–R2.5, R2.8, R2.9, R2.10). No database.

Each check gives ``pass``, ``fail`` or ``needs_review`` and explains itself with a message
key and parameters, so the explanation is rendered in the reader's language, not the
language of whoever ran the check. Amounts are formatted in yuan when the check runs;
translatable parameters are stored as ``{"$msg": key}`` and jurisdictions as
``{"$jurisdiction": code}``.

Checks of the applicant only: the credit code and the registration status (R2.1), and the
principal persons (R2.2).
Checks of an entity (``ENTITY_CHECKS``): credit records (R2.3), domestic capital (R2.4),
finance (R2.5), security incidents (R2.8), major penalties (R2.10). When the applicant
fails an entity check, ``evaluate`` tries the entities it controls (R2.9): one that passes
every entity check qualifies the applicant through it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, Final

from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength, ValidationError

from sluice.core.i18n import add_messages, translate
from sluice.core.settings import Settings
from sluice.operators import jurisdictions
from sluice.operators.ownership import (
    ChainPath,
    Graph,
    Relation,
    capital_verdict,
    controlled_entities,
)

#: Years before the check in which a major administrative penalty is a major illegal
#: record (政府采购法 第二十二条: 参加政府采购活动前三年内，在经营活动中没有重大违法记录).
PENALTY_YEARS: Final = 3
#: Credit codes starting so belong to individually-owned businesses (个体工商户), which are
#: not legal entities (GB 32100: registration authority 9, organization type 2).
INDIVIDUAL_BUSINESS_PREFIX: Final = "92"


class Result(StrEnum):
    PASS = "pass"  # noqa: S105 - a check result, not a secret
    NEEDS_REVIEW = "needs_review"
    FAIL = "fail"


_SEVERITY = {Result.PASS: 0, Result.NEEDS_REVIEW: 1, Result.FAIL: 2}


def worst(results: Iterable[Result], default: Result = Result.PASS) -> Result:
    return max(results, key=_SEVERITY.__getitem__, default=default)


class Verdict(StrEnum):
    QUALIFIES = "qualifies"
    QUALIFIES_THROUGH = "qualifies_through"
    NEEDS_REVIEW = "needs_review"
    FAILS = "fails"


class Check(StrEnum):
    CREDIT_CODE = "credit_code"
    BUSINESS_STATUS = "business_status"
    PRINCIPALS = "principals"
    CREDIT_RECORDS = "credit_records"
    DOMESTIC_CAPITAL = "domestic_capital"
    FINANCE = "finance"
    INCIDENTS = "incidents"
    PENALTIES = "penalties"


REQUIREMENT: Final = {
    Check.CREDIT_CODE: "R2.1",
    Check.BUSINESS_STATUS: "R2.1",
    Check.PRINCIPALS: "R2.2",
    Check.CREDIT_RECORDS: "R2.3",
    Check.DOMESTIC_CAPITAL: "R2.4",
    Check.FINANCE: "R2.5",
    Check.INCIDENTS: "R2.8",
    Check.PENALTIES: "R2.10",
}
APPLICANT_CHECKS: Final = (Check.CREDIT_CODE, Check.BUSINESS_STATUS, Check.PRINCIPALS)
#: Registration statuses of a going concern (存续, 在业); any other one is a company that
#: is wound up, struck off or not trading (吊销, 注销, 停业).
GOING_CONCERN: Final = frozenset({"existing", "in_business"})
ENTITY_CHECKS: Final = (
    Check.CREDIT_RECORDS,
    Check.DOMESTIC_CAPITAL,
    Check.FINANCE,
    Check.INCIDENTS,
    Check.PENALTIES,
)


@dataclass(frozen=True)
class Finding:
    result: Result
    key: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckResult:
    check: Check
    result: Result
    key: str
    params: Mapping[str, Any] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()
    paths: tuple[ChainPath, ...] = ()

    @property
    def requirement(self) -> str:
        return REQUIREMENT[self.check]

    def explanation(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "params": dict(self.params),
            "findings": [
                {"result": f.result.value, "key": f.key, "params": dict(f.params)}
                for f in self.findings
            ],
        }


# --- what the checks read -------------------------------------------------------------


@dataclass(frozen=True)
class Statement:
    fiscal_year: int
    total_assets_fen: int
    total_liabilities_fen: int
    net_assets_fen: int
    revenue_fen: int
    net_profit_fen: int
    committed_funds_fen: int
    audit_opinion: str


@dataclass(frozen=True)
class Incident:
    occurred_on: date
    kind: str
    description: str


@dataclass(frozen=True)
class Penalty:
    decided_on: date
    authority: str
    major: bool
    description: str


@dataclass(frozen=True)
class CreditEntry:
    category: str
    listed_on: date
    removed_on: date | None
    description: str


@dataclass(frozen=True)
class Person:
    name: str
    position: str
    nationality: str
    major_penalty: bool
    serious_dishonesty: bool


@dataclass(frozen=True)
class EntityFile:
    """The records that describe one entity of the graph."""

    statements: tuple[Statement, ...] = ()
    incidents: tuple[Incident, ...] = ()
    penalties: tuple[Penalty, ...] = ()
    credit: tuple[CreditEntry, ...] = ()


@dataclass(frozen=True)
class Dossier:
    credit_code: str
    #: The credit code the platform has on record for the organization, if any.
    registered_code: str | None
    principals: tuple[Person, ...]
    graph: Graph
    applicant: str
    files: Mapping[str, EntityFile]
    #: The applicant's registration status as declared (``schemas.BusinessStatus``).
    business_status: str | None = None

    def file(self, key: str) -> EntityFile:
        return self.files.get(key, EntityFile())


# --- helpers ----------------------------------------------------------------------------


def yuan(fen: int) -> str:
    """12345678 fen -> '123,456.78' (the unit is in the message)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def percent_bp(bp: int) -> str:
    """5100 basis points -> '51.00'."""
    whole, rest = divmod(bp, 100)
    return f"{whole}.{rest:02d}"


def years_before(on: date, years: int) -> date:
    try:
        return on.replace(year=on.year - years)
    except ValueError:  # 29 February in a year that has none
        return on.replace(year=on.year - years, day=28)


def msg(key: str) -> dict[str, str]:
    return {"$msg": key}


def jurisdiction(code: str) -> dict[str, str]:
    return {"$jurisdiction": code}


def localize(key: str, params: Mapping[str, Any], locale: str) -> str:
    rendered: dict[str, object] = {}
    for name, value in params.items():
        if isinstance(value, dict) and "$msg" in value:
            rendered[name] = translate(value["$msg"], locale)
        elif isinstance(value, dict) and "$jurisdiction" in value:
            rendered[name] = jurisdictions.label(value["$jurisdiction"], locale)
        else:
            rendered[name] = value
    return translate(key, locale, **rendered)


def credit_code_problem(value: str) -> str | None:
    """The message key of what is wrong with a credit code, or None if it is valid."""
    try:
        uscc.validate(value)
    except InvalidLength:
        return "operators.credit_code.length"
    except InvalidChecksum:
        return "operators.credit_code.checksum"
    except InvalidFormat:
        return "operators.credit_code.format"
    except (ValidationError, KeyError, ValueError):
        # stdnum raises KeyError on some region codes; any such code is not valid here.
        return "operators.credit_code.format"
    return None


def compact_credit_code(value: str) -> str:
    compacted: str = uscc.compact(value)
    return compacted


# --- the checks -----------------------------------------------------------------------


def check_credit_code(code: str, registered: str | None = None) -> CheckResult:
    """R2.1: a registered legal entity with a checksum-valid credit code (GB 32100)."""
    problem = credit_code_problem(code)
    if problem is not None:
        return CheckResult(
            Check.CREDIT_CODE,
            Result.FAIL,
            "operators.check.credit_code.invalid",
            {"code": code, "reason": msg(problem)},
        )
    if code.startswith(INDIVIDUAL_BUSINESS_PREFIX):
        return CheckResult(
            Check.CREDIT_CODE,
            Result.FAIL,
            "operators.check.credit_code.not_legal_entity",
            {"code": code},
        )
    if registered and registered != code:
        return CheckResult(
            Check.CREDIT_CODE,
            Result.NEEDS_REVIEW,
            "operators.check.credit_code.differs",
            {"code": code, "registered": registered},
        )
    return CheckResult(
        Check.CREDIT_CODE, Result.PASS, "operators.check.credit_code.valid", {"code": code}
    )


def check_business_status(status: str | None) -> CheckResult:
    """R2.1: a company that is still a going concern on the enterprise credit publicity
    system. One whose licence is revoked, that is deregistered or has stopped trading cannot
    bear civil liability as an operator or keep up business standing; an undeclared status
    is for the reviewer to look up."""
    if status is None:
        return CheckResult(
            Check.BUSINESS_STATUS, Result.NEEDS_REVIEW, "operators.check.business_status.missing"
        )
    params = {"status": msg(f"operators.business_status.{status}")}
    if status in GOING_CONCERN:
        return CheckResult(
            Check.BUSINESS_STATUS, Result.PASS, "operators.check.business_status.pass", params
        )
    return CheckResult(
        Check.BUSINESS_STATUS, Result.FAIL, f"operators.check.business_status.{status}", params
    )


def check_principals(persons: Iterable[Person]) -> CheckResult:
    """R2.2: no principal person with a major administrative penalty or serious dishonesty."""
    persons = tuple(persons)
    if not persons:
        return CheckResult(Check.PRINCIPALS, Result.FAIL, "operators.check.principals.none")
    findings: list[Finding] = []
    for person in persons:
        params = {"name": person.name, "position": person.position}
        if person.major_penalty:
            findings.append(Finding(Result.FAIL, "operators.finding.principal_penalty", params))
        if person.serious_dishonesty:
            findings.append(Finding(Result.FAIL, "operators.finding.principal_dishonest", params))
    if findings:
        return CheckResult(
            Check.PRINCIPALS,
            Result.FAIL,
            "operators.check.principals.fail",
            {"count": len({f.params["name"] for f in findings})},
            tuple(findings),
        )
    return CheckResult(
        Check.PRINCIPALS, Result.PASS, "operators.check.principals.pass", {"count": len(persons)}
    )


def check_credit_records(file: EntityFile, *, on: date) -> CheckResult:
    """R2.3: no bad record on the national credit information platform now."""
    findings = []
    for entry in sorted(file.credit, key=lambda e: e.listed_on):
        params: dict[str, Any] = {
            "category": msg(f"operators.credit_category.{entry.category}"),
            "listed_on": entry.listed_on.isoformat(),
            "description": entry.description,
        }
        if entry.removed_on is not None and entry.removed_on <= on:
            params["removed_on"] = entry.removed_on.isoformat()
            findings.append(Finding(Result.PASS, "operators.finding.credit_repaired", params))
        else:
            findings.append(Finding(Result.FAIL, "operators.finding.credit_listed", params))
    result = worst(f.result for f in findings)
    failing = sum(1 for f in findings if f.result is Result.FAIL)
    key = "operators.check.credit_records." + ("fail" if failing else "pass")
    return CheckResult(
        Check.CREDIT_RECORDS, result, key, {"count": failing or len(findings)}, tuple(findings)
    )


def _path_params(path: ChainPath) -> dict[str, Any]:
    end = path.end
    return {"name": end.name, "jurisdiction": jurisdiction(end.jurisdiction), "depth": path.depth}


def check_domestic_capital(graph: Graph, subject: str, domestic: Iterable[str]) -> CheckResult:
    """R2.4: no foreign element anywhere above the subject; the path to each one found."""
    verdict = capital_verdict(graph, subject, tuple(domestic))
    findings = [
        Finding(Result.FAIL, "operators.finding.foreign_element", _path_params(path))
        for path in verdict.foreign_paths
    ]
    findings += [
        Finding(
            Result.NEEDS_REVIEW,
            "operators.finding.shares_undeclared",
            {"name": short.node.name, "declared": percent_bp(short.declared_bp)},
        )
        for short in verdict.shortfalls
    ]
    result = worst(f.result for f in findings)
    key = {
        Result.PASS: "operators.check.domestic_capital.pass",
        Result.NEEDS_REVIEW: "operators.check.domestic_capital.incomplete",
        Result.FAIL: "operators.check.domestic_capital.fail",
    }[result]
    params = {"reached": verdict.reached, "foreign": len(verdict.foreign_paths)}
    return CheckResult(
        Check.DOMESTIC_CAPITAL, result, key, params, tuple(findings), verdict.foreign_paths
    )


def check_finance(file: EntityFile, settings: Settings, *, on: date) -> CheckResult:
    """R2.5: last year's statements show enough net assets, committed funds, a bearable
    debt ratio and (if required) a clean audit opinion; thresholds from the settings."""
    last_year = on.year - 1
    latest = max(file.statements, key=lambda s: s.fiscal_year, default=None)
    if latest is None or latest.fiscal_year < last_year - 1:
        return CheckResult(
            Check.FINANCE, Result.FAIL, "operators.check.finance.missing", {"year": last_year}
        )
    findings: list[Finding] = []
    if latest.fiscal_year < last_year:
        findings.append(
            Finding(
                Result.NEEDS_REVIEW,
                "operators.finding.statements_old",
                {"year": latest.fiscal_year, "expected": last_year},
            )
        )
    if latest.net_assets_fen < settings.operator_min_net_assets_fen:
        findings.append(
            Finding(
                Result.FAIL,
                "operators.finding.net_assets_low",
                {
                    "value": yuan(latest.net_assets_fen),
                    "minimum": yuan(settings.operator_min_net_assets_fen),
                },
            )
        )
    if latest.committed_funds_fen < settings.operator_min_committed_funds_fen:
        findings.append(
            Finding(
                Result.FAIL,
                "operators.finding.committed_funds_low",
                {
                    "value": yuan(latest.committed_funds_fen),
                    "minimum": yuan(settings.operator_min_committed_funds_fen),
                },
            )
        )
    if latest.total_assets_fen <= 0:
        findings.append(Finding(Result.FAIL, "operators.finding.no_assets"))
    elif (
        latest.total_liabilities_fen * 100
        > settings.operator_max_debt_ratio_percent * latest.total_assets_fen
    ):
        ratio_bp = latest.total_liabilities_fen * 10000 // latest.total_assets_fen
        findings.append(
            Finding(
                Result.FAIL,
                "operators.finding.debt_ratio_high",
                {
                    "value": percent_bp(ratio_bp),
                    "maximum": settings.operator_max_debt_ratio_percent,
                    "liabilities": yuan(latest.total_liabilities_fen),
                    "assets": yuan(latest.total_assets_fen),
                },
            )
        )
    if settings.operator_require_clean_audit and latest.audit_opinion != "unqualified":
        findings.append(
            Finding(
                Result.FAIL,
                "operators.finding.audit_not_clean",
                {"opinion": msg(f"operators.audit_opinion.{latest.audit_opinion}")},
            )
        )
    if latest.net_profit_fen < 0:
        findings.append(
            Finding(
                Result.NEEDS_REVIEW,
                "operators.finding.loss",
                {"value": yuan(-latest.net_profit_fen)},
            )
        )
    result = worst(f.result for f in findings)
    params = {
        "year": latest.fiscal_year,
        "net_assets": yuan(latest.net_assets_fen),
        "committed": yuan(latest.committed_funds_fen),
        "debt_ratio": percent_bp(
            latest.total_liabilities_fen * 10000 // latest.total_assets_fen
            if latest.total_assets_fen > 0
            else 0
        ),
    }
    key = f"operators.check.finance.{result.value}"
    return CheckResult(Check.FINANCE, result, key, params, tuple(findings))


def check_incidents(file: EntityFile, settings: Settings, *, on: date) -> CheckResult:
    """R2.8: no network or data security incident in the ``operator_incident_years``
    before the check date (an incident on the same calendar day that many years before
    still counts)."""
    years = settings.operator_incident_years
    since = years_before(on, years)
    findings = [
        Finding(
            Result.FAIL,
            "operators.finding.incident",
            {
                "on": incident.occurred_on.isoformat(),
                "kind": msg(f"operators.incident_kind.{incident.kind}"),
                "description": incident.description,
            },
        )
        for incident in sorted(file.incidents, key=lambda i: i.occurred_on)
        if incident.occurred_on >= since
    ]
    result = worst(f.result for f in findings)
    key = "operators.check.incidents." + ("fail" if findings else "pass")
    params = {"years": years, "since": since.isoformat(), "count": len(findings)}
    return CheckResult(Check.INCIDENTS, result, key, params, tuple(findings))


def check_penalties(file: EntityFile, *, on: date) -> CheckResult:
    """R2.10: no major administrative penalty in the ``PENALTY_YEARS`` before the check.
    Older or lesser penalties are listed for the reviewer but do not fail the check."""
    since = years_before(on, PENALTY_YEARS)
    findings = []
    for penalty in sorted(file.penalties, key=lambda p: p.decided_on):
        params: dict[str, Any] = {
            "on": penalty.decided_on.isoformat(),
            "authority": penalty.authority,
            "description": penalty.description,
        }
        if penalty.major and penalty.decided_on >= since:
            findings.append(Finding(Result.FAIL, "operators.finding.major_penalty", params))
        else:
            key = "major_penalty_old" if penalty.major else "minor_penalty"
            findings.append(Finding(Result.PASS, f"operators.finding.{key}", params))
    result = worst(f.result for f in findings)
    failing = sum(1 for f in findings if f.result is Result.FAIL)
    key = "operators.check.penalties." + ("fail" if failing else "pass")
    params = {"years": PENALTY_YEARS, "since": since.isoformat(), "count": failing}
    return CheckResult(Check.PENALTIES, result, key, params, tuple(findings))


def entity_checks(
    dossier: Dossier, key: str, settings: Settings, *, on: date
) -> tuple[CheckResult, ...]:
    file = dossier.file(key)
    return (
        check_credit_records(file, on=on),
        check_domestic_capital(dossier.graph, key, settings.domestic_jurisdictions),
        check_finance(file, settings, on=on),
        check_incidents(file, settings, on=on),
        check_penalties(file, on=on),
    )


# --- the overall verdict --------------------------------------------------------------


@dataclass(frozen=True)
class EntityEvaluation:
    """A controlled entity tried under R2.9: the path to it from the applicant, its results."""

    path: ChainPath
    results: tuple[CheckResult, ...]

    @property
    def passes(self) -> bool:
        return all(r.result is not Result.FAIL for r in self.results)

    @property
    def clean(self) -> bool:
        return all(r.result is Result.PASS for r in self.results)


@dataclass(frozen=True)
class Evaluation:
    applicant_results: tuple[CheckResult, ...]
    controlled: tuple[EntityEvaluation, ...]
    through: EntityEvaluation | None
    verdict: Verdict

    def failing(self) -> tuple[CheckResult, ...]:
        return tuple(r for r in self.applicant_results if r.result is Result.FAIL)


def evaluate(dossier: Dossier, settings: Settings, *, on: date) -> Evaluation:
    own = (
        check_credit_code(dossier.credit_code, dossier.registered_code),
        check_business_status(dossier.business_status),
        check_principals(dossier.principals),
        *entity_checks(dossier, dossier.applicant, settings, on=on),
    )
    by_check = {r.check: r for r in own}
    if any(by_check[c].result is Result.FAIL for c in APPLICANT_CHECKS):
        # R2.9 lends an entity's standing, not the applicant's identity or its people.
        return Evaluation(own, (), None, Verdict.FAILS)
    if all(by_check[c].result is not Result.FAIL for c in ENTITY_CHECKS):
        clean = all(r.result is Result.PASS for r in own)
        return Evaluation(own, (), None, Verdict.QUALIFIES if clean else Verdict.NEEDS_REVIEW)
    tried = tuple(
        EntityEvaluation(path, entity_checks(dossier, path.end.key, settings, on=on))
        for path in controlled_entities(dossier.graph, dossier.applicant)
    )
    through = next((e for e in tried if e.clean), None) or next(
        (e for e in tried if e.passes), None
    )
    verdict = Verdict.QUALIFIES_THROUGH if through else Verdict.FAILS
    return Evaluation(own, tried, through, verdict)


def path_json(
    path: ChainPath, *, domestic: Iterable[str], downwards: bool = False
) -> list[dict[str, Any]]:
    """A path as stored with a check result: one item per entity, with the link by which
    it was reached from the previous one."""
    domestic = {code.upper() for code in domestic}
    return [
        {
            "entity_id": step.node.key,
            "name": step.node.name,
            "jurisdiction": step.node.jurisdiction,
            "relation": step.link.relation.value if step.link else None,
            "share_bp": step.link.share_bp if step.link else None,
            "direction": "down" if downwards else "up",
            "foreign": step.node.jurisdiction.upper() not in domestic,
        }
        for step in path.steps
    ]


def step_label(step: Mapping[str, Any], locale: str) -> str:
    """How an entity of a stored path relates to the one before it."""
    relation = step.get("relation")
    if relation is None:
        return ""
    direction = step.get("direction", "up")
    if relation == Relation.AFFILIATE.value:
        direction = "up"
    share = step.get("share_bp")
    key = f"operators.step.{direction}.{relation}"
    return translate(key, locale, share=percent_bp(share) if share is not None else "—")


add_messages(
    {
        "operators.result.pass": ("通过", "Pass"),
        "operators.result.fail": ("不通过", "Fail"),
        "operators.result.needs_review": ("需人工复核", "Needs review"),
        "operators.verdict.qualifies": ("自动检查全部通过", "All automated checks pass"),
        "operators.verdict.qualifies_through": (
            "通过下属控制主体“{entity}”符合条件（R2.9）",
            "Qualifies through the controlled entity '{entity}' (R2.9)",
        ),
        "operators.verdict.needs_review": (
            "自动检查无不通过项，部分需人工复核",
            "No automated check fails; some need review",
        ),
        "operators.verdict.fails": ("自动检查有不通过项", "An automated check fails"),
        "operators.check.credit_code": ("统一社会信用代码", "Unified social credit code"),
        "operators.check.business_status": ("登记状态", "Registration status"),
        "operators.check.principals": ("主要负责人", "Principal persons"),
        "operators.check.credit_records": ("信用记录", "Credit records"),
        "operators.check.domestic_capital": ("内资穿透核查", "Domestic capital (look-through)"),
        "operators.check.finance": ("财务状况", "Financial capacity"),
        "operators.check.incidents": ("网络和数据安全事件", "Security incidents"),
        "operators.check.penalties": ("重大违法记录", "Major illegal records"),
        "operators.credit_code.length": (
            "长度应为 18 位",
            "it must have 18 characters",
        ),
        "operators.credit_code.format": (
            "含有不允许的字符或登记管理部门、机构类别代码无效",
            "it contains characters that are not allowed, or an invalid registration "
            "authority or organization type",
        ),
        "operators.credit_code.checksum": (
            "校验码不正确",
            "its check character is wrong",
        ),
        "operators.check.credit_code.invalid": (
            "统一社会信用代码 {code} 无效：{reason}（GB 32100）。",
            "The unified social credit code {code} is not valid: {reason} (GB 32100).",
        ),
        "operators.check.credit_code.not_legal_entity": (
            "统一社会信用代码 {code} 属于个体工商户，不是法人主体。",
            "The credit code {code} belongs to an individually-owned business, which is not a "
            "legal entity.",
        ),
        "operators.check.credit_code.differs": (
            "申请填写的代码 {code} 与平台登记的本单位代码 {registered} 不一致。",
            "The code on the application, {code}, differs from the one registered on the "
            "platform for this organization, {registered}.",
        ),
        "operators.check.credit_code.valid": (
            "统一社会信用代码 {code} 校验有效，为依法登记的法人主体。",
            "The unified social credit code {code} is valid: a registered legal entity.",
        ),
        "operators.business_status.existing": ("存续（在营、开业、在册）", "existing (trading)"),
        "operators.business_status.in_business": ("在业", "in business"),
        "operators.business_status.suspended": ("停业", "suspended"),
        "operators.business_status.revoked": ("吊销", "licence revoked"),
        "operators.business_status.cancelled": ("注销", "deregistered"),
        "operators.check.business_status.missing": (
            "未填报登记状态，请审核人员在国家企业信用信息公示系统核实。",
            "No registration status is declared; the reviewer must look it up on the "
            "national enterprise credit information publicity system.",
        ),
        "operators.check.business_status.pass": (
            "登记状态为“{status}”：企业依法存续，能够独立承担民事责任。",
            "The registration status is '{status}': the company exists in law and can bear "
            "civil liability on its own.",
        ),
        "operators.check.business_status.revoked": (
            "登记状态为“{status}”：营业执照已被吊销，企业不得继续经营，"
            "不具备良好的商业信誉，不能成为运营机构。",
            "The registration status is '{status}': the business licence was revoked, so the "
            "company may not trade and lacks sound business standing; it cannot become an "
            "operator.",
        ),
        "operators.check.business_status.cancelled": (
            "登记状态为“{status}”：企业已注销，法人资格终止，不能独立承担民事责任，"
            "不能成为运营机构。",
            "The registration status is '{status}': the company is struck off and no longer "
            "a legal person able to bear civil liability; it cannot become an operator.",
        ),
        "operators.check.business_status.suspended": (
            "登记状态为“{status}”：企业已停止经营，不能开展授权运营业务，不能成为运营机构。",
            "The registration status is '{status}': the company has stopped trading and "
            "cannot run an authorized operation; it cannot become an operator.",
        ),
        "operators.check.principals.none": (
            "未填报主要负责人（至少应填报法定代表人）。",
            "No principal person is listed (at least the legal representative is needed).",
        ),
        "operators.check.principals.fail": (
            "{count} 名主要负责人有重大行政处罚或严重失信记录。",
            "{count} principal person(s) carry a major administrative penalty or a serious "
            "dishonesty record.",
        ),
        "operators.check.principals.pass": (
            "已填报 {count} 名主要负责人，均无重大行政处罚和严重失信记录。",
            "{count} principal person(s) listed; none carries a major administrative penalty "
            "or a serious dishonesty record.",
        ),
        "operators.finding.principal_penalty": (
            "{name}（{position}）受过重大行政处罚。",
            "{name} ({position}) carries a major administrative penalty.",
        ),
        "operators.finding.principal_dishonest": (
            "{name}（{position}）有严重失信记录。",
            "{name} ({position}) has a serious dishonesty record.",
        ),
        "operators.check.credit_records.fail": (
            "在国家信用信息平台上有 {count} 条尚未移出的不良记录。",
            "{count} bad record(s) are still listed on the national credit information platform.",
        ),
        "operators.check.credit_records.pass": (
            "国家信用信息平台上无现存不良记录。",
            "No bad record is listed on the national credit information platform.",
        ),
        "operators.finding.credit_listed": (
            "{listed_on} 列入“{category}”：{description}（尚未移出）",
            "Listed on {listed_on} as '{category}': {description} (still listed)",
        ),
        "operators.finding.credit_repaired": (
            "{listed_on} 列入“{category}”：{description}；已于 {removed_on} 信用修复移出",
            "Listed on {listed_on} as '{category}': {description}; removed on {removed_on} "
            "after credit repair",
        ),
        "operators.check.domestic_capital.pass": (
            "逐级穿透核查 {reached} 个主体（股东、关联方、实际控制人），均为境内资本。",
            "Looked through {reached} parties (shareholders, affiliates, actual controllers) "
            "at every level: all domestic capital.",
        ),
        "operators.check.domestic_capital.incomplete": (
            "穿透核查 {reached} 个主体未发现境外成分，但部分公司的股东未申报完整，需人工复核。",
            "No foreign element among the {reached} parties looked through, but some "
            "companies' shareholders are not fully declared; a reviewer must look.",
        ),
        "operators.check.domestic_capital.fail": (
            "穿透核查发现 {foreign} 个境外（含港澳台）成分，路径见下。",
            "The look-through found {foreign} foreign element(s) (Hong Kong, Macao and Taiwan "
            "included); the paths are shown below.",
        ),
        "operators.finding.foreign_element": (
            "境外成分：{name}（{jurisdiction}），位于第 {depth} 层。",
            "Foreign element: {name} ({jurisdiction}), {depth} level(s) up.",
        ),
        "operators.finding.shares_undeclared": (
            "{name} 已申报股东持股合计 {declared}%，不等于 100%。",
            "The declared shareholders of {name} hold {declared} % in total, not 100 %.",
        ),
        "operators.check.finance.missing": (
            "未提供 {year} 年度（上一年度）财务报表。",
            "The financial statements for {year} (last year) are missing.",
        ),
        "operators.check.finance.pass": (
            "{year} 年度：净资产 {net_assets} 元，承诺投入资金 {committed} 元，资产负债率 "
            "{debt_ratio}%，均符合要求。",
            "{year}: net assets CNY {net_assets}, committed funds CNY {committed}, debt ratio "
            "{debt_ratio} %; all within the requirements.",
        ),
        "operators.check.finance.needs_review": (
            "{year} 年度财务指标达到门槛，但有需人工复核的情况。",
            "The {year} figures meet the thresholds, but something needs a reviewer's look.",
        ),
        "operators.check.finance.fail": (
            "{year} 年度财务状况不符合要求。",
            "The {year} financial position does not meet the requirements.",
        ),
        "operators.finding.statements_old": (
            "最近一期报表为 {year} 年度，尚缺 {expected} 年度报表。",
            "The latest statements are for {year}; those for {expected} are missing.",
        ),
        "operators.finding.net_assets_low": (
            "净资产 {value} 元，低于要求的 {minimum} 元。",
            "Net assets CNY {value}, below the required CNY {minimum}.",
        ),
        "operators.finding.committed_funds_low": (
            "承诺用于数据治理和初期运营的资金 {value} 元，低于要求的 {minimum} 元。",
            "Funds committed to data governance and initial operation CNY {value}, below the "
            "required CNY {minimum}.",
        ),
        "operators.finding.no_assets": ("资产总额为零。", "Total assets are zero."),
        "operators.finding.debt_ratio_high": (
            "资产负债率 {value}%（负债 {liabilities} 元 / 资产 {assets} 元），"
            "高于上限 {maximum}%。",
            "Debt ratio {value} % (liabilities CNY {liabilities} / assets CNY {assets}), above "
            "the maximum of {maximum} %.",
        ),
        "operators.finding.audit_not_clean": (
            "审计意见为“{opinion}”，要求为标准无保留意见。",
            "The audit opinion is '{opinion}'; an unqualified opinion is required.",
        ),
        "operators.finding.loss": (
            "上一年度亏损 {value} 元。",
            "Last year's result was a loss of CNY {value}.",
        ),
        "operators.check.incidents.pass": (
            "近 {years} 年内（{since} 以来）未发生网络安全或数据安全事件。",
            "No network or data security incident in the last {years} years (since {since}).",
        ),
        "operators.check.incidents.fail": (
            "近 {years} 年内（{since} 以来）发生 {count} 起网络安全或数据安全事件。",
            "{count} network or data security incident(s) in the last {years} years (since "
            "{since}).",
        ),
        "operators.finding.incident": (
            "{on} 发生{kind}：{description}",
            "{on}, {kind}: {description}",
        ),
        "operators.check.penalties.pass": (
            "近 {years} 年内（{since} 以来）无重大行政处罚。",
            "No major administrative penalty in the last {years} years (since {since}).",
        ),
        "operators.check.penalties.fail": (
            "近 {years} 年内（{since} 以来）受到 {count} 次重大行政处罚，属重大违法记录。",
            "{count} major administrative penalt(ies) in the last {years} years (since "
            "{since}): a major illegal record.",
        ),
        "operators.finding.major_penalty": (
            "{on} {authority} 作出重大行政处罚：{description}",
            "{on}, major penalty by {authority}: {description}",
        ),
        "operators.finding.major_penalty_old": (
            "{on} {authority} 作出重大行政处罚（已超过 3 年）：{description}",
            "{on}, major penalty by {authority} (more than 3 years ago): {description}",
        ),
        "operators.finding.minor_penalty": (
            "{on} {authority} 作出一般行政处罚：{description}",
            "{on}, ordinary penalty by {authority}: {description}",
        ),
        "operators.credit_category.dishonest_debtor": ("失信被执行人", "Dishonest judgment debtor"),
        "operators.credit_category.serious_dishonesty": (
            "严重失信主体名单",
            "List of seriously dishonest entities",
        ),
        "operators.credit_category.abnormal_operation": (
            "经营异常名录",
            "List of abnormal operations",
        ),
        "operators.credit_category.tax_violation": (
            "重大税收违法失信主体",
            "Major tax violation",
        ),
        "operators.credit_category.procurement_ban": (
            "政府采购严重违法失信行为记录",
            "Government procurement ban",
        ),
        "operators.credit_category.other": ("其他不良记录", "Other bad record"),
        "operators.audit_opinion.unqualified": ("标准无保留意见", "Unqualified"),
        "operators.audit_opinion.qualified": ("保留意见", "Qualified"),
        "operators.audit_opinion.adverse": ("否定意见", "Adverse"),
        "operators.audit_opinion.disclaimer": ("无法表示意见", "Disclaimer"),
        "operators.incident_kind.network": ("网络安全事件", "network security incident"),
        "operators.incident_kind.data": ("数据安全事件", "data security incident"),
        "operators.node_kind.company": ("企业", "Company"),
        "operators.node_kind.government": ("国资监管机构/政府部门", "State body"),
        "operators.node_kind.person": ("自然人", "Natural person"),
        "operators.node_kind.other": (
            "其他主体（基金、合伙企业等）",
            "Other (fund, partnership …)",
        ),
        "operators.relation.shareholder": ("持股（股东 → 被持股企业）", "Holds shares in"),
        "operators.relation.controller": ("实际控制", "Is the actual controller of"),
        "operators.relation.manages": ("托管/受托管理", "Manages"),
        "operators.relation.affiliate": ("关联方", "Is an affiliate of"),
        "operators.step.up.shareholder": ("股东，持股 {share}%", "shareholder, {share} %"),
        "operators.step.up.controller": ("实际控制人", "actual controller"),
        "operators.step.up.manages": ("托管方", "manager"),
        "operators.step.up.affiliate": ("关联方", "affiliate"),
        "operators.step.down.shareholder": ("控股子公司，持股 {share}%", "subsidiary, {share} %"),
        "operators.step.down.controller": ("实际控制的企业", "controlled entity"),
        "operators.step.down.manages": ("受托管理的主体", "managed entity"),
    }
)
