"""The automated checks on plain data: their results, their exact explanations in both
languages, the thresholds taken from the settings, and R2.9."""

from __future__ import annotations

from datetime import date

from sluice.core.settings import Settings
from sluice.demo.city import credit_code
from sluice.operators import checks
from sluice.operators.checks import (
    CheckResult,
    CreditEntry,
    Dossier,
    EntityFile,
    Incident,
    Penalty,
    Person,
    Result,
    Statement,
    Verdict,
)
from sluice.operators.ownership import Graph, Link, Node, NodeKind, Relation

ON = date(2026, 11, 26)
CODE = credit_code("9121080031800001")


def _text(result: CheckResult, locale: str = "zh-CN") -> list[str]:
    return [
        checks.localize(result.key, result.params, locale),
        *(checks.localize(f.key, f.params, locale) for f in result.findings),
    ]


def _statement(**changes: int | str) -> Statement:
    values: dict[str, int | str] = {
        "fiscal_year": 2025,
        "total_assets_fen": 50_000_000_000,
        "total_liabilities_fen": 20_000_000_000,
        "net_assets_fen": 30_000_000_000,
        "revenue_fen": 12_000_000_000,
        "net_profit_fen": 900_000_000,
        "committed_funds_fen": 2_000_000_000,
        "audit_opinion": "unqualified",
        **changes,
    }
    return Statement(**values)  # type: ignore[arg-type]


# --- R2.1 -------------------------------------------------------------------------------


def test_a_valid_credit_code_passes() -> None:
    result = checks.check_credit_code(CODE, CODE)
    assert result.result is Result.PASS
    assert _text(result) == [f"统一社会信用代码 {CODE} 校验有效，为依法登记的法人主体。"]


def test_an_invalid_credit_code_fails_and_says_why() -> None:
    broken = CODE[:-1] + ("X" if CODE[-1] != "X" else "Y")
    result = checks.check_credit_code(broken)
    assert result.result is Result.FAIL
    assert _text(result) == [f"统一社会信用代码 {broken} 无效：校验码不正确（GB 32100）。"]
    assert _text(result, "en") == [
        f"The unified social credit code {broken} is not valid: its check character is wrong "
        "(GB 32100)."
    ]


def test_an_individual_business_is_not_a_legal_entity() -> None:
    code = credit_code("9221080031800009")
    assert checks.credit_code_problem(code) is None
    result = checks.check_credit_code(code)
    assert result.result is Result.FAIL
    assert result.key == "operators.check.credit_code.not_legal_entity"


def test_a_code_other_than_the_registered_one_needs_review() -> None:
    other = credit_code("9121080031800077")
    assert checks.check_credit_code(other, CODE).result is Result.NEEDS_REVIEW


# --- R2.2, R2.3, R2.10 ------------------------------------------------------------------


def test_principals_with_a_major_penalty_or_serious_dishonesty_fail() -> None:
    clean = Person("陈晓", "法定代表人", "CN", False, False)
    assert checks.check_principals([clean]).result is Result.PASS
    assert checks.check_principals([]).result is Result.FAIL
    result = checks.check_principals(
        [
            clean,
            Person("刘某", "总经理", "CN", True, True),
            Person("赵某", "董事", "CN", False, True),
        ]
    )
    assert result.result is Result.FAIL
    assert _text(result) == [
        "2 名主要负责人有重大行政处罚或严重失信记录。",
        "刘某（总经理）受过重大行政处罚。",
        "刘某（总经理）有严重失信记录。",
        "赵某（董事）有严重失信记录。",
    ]


def test_a_credit_record_still_listed_fails_and_a_repaired_one_passes() -> None:
    listed = CreditEntry("dishonest_debtor", date(2025, 5, 6), None, "未履行生效判决")
    repaired = CreditEntry("abnormal_operation", date(2022, 1, 4), date(2022, 9, 1), "未按期年报")
    assert checks.check_credit_records(EntityFile(credit=(repaired,)), on=ON).result is Result.PASS
    result = checks.check_credit_records(EntityFile(credit=(listed, repaired)), on=ON)
    assert result.result is Result.FAIL
    assert _text(result) == [
        "在国家信用信息平台上有 1 条尚未移出的不良记录。",
        "2022-01-04 列入“经营异常名录”：未按期年报；已于 2022-09-01 信用修复移出",
        "2025-05-06 列入“失信被执行人”：未履行生效判决（尚未移出）",
    ]


def test_only_a_recent_major_penalty_fails() -> None:
    recent = Penalty(date(2024, 2, 1), "营口市市场监督管理局", True, "吊销分支机构执照")
    old = Penalty(date(2023, 11, 25), "营口市生态环境局", True, "责令停产停业")
    minor = Penalty(date(2026, 3, 1), "营口市税务局", False, "逾期申报罚款 200 元")
    assert checks.check_penalties(EntityFile(penalties=(old, minor)), on=ON).result is Result.PASS
    result = checks.check_penalties(EntityFile(penalties=(recent, old, minor)), on=ON)
    assert result.result is Result.FAIL
    assert _text(result)[0] == (
        "近 3 年内（2023-11-26 以来）受到 1 次重大行政处罚，属重大违法记录。"
    )


# --- R2.5 -------------------------------------------------------------------------------


def test_finance_passes_with_sound_statements_and_says_the_numbers() -> None:
    result = checks.check_finance(EntityFile(statements=(_statement(),)), Settings(), on=ON)
    assert result.result is Result.PASS
    assert _text(result) == [
        "2025 年度：净资产 300,000,000.00 元，承诺投入资金 20,000,000.00 元，资产负债率 "
        "40.00%，均符合要求。"
    ]


def test_finance_thresholds_come_from_the_settings() -> None:
    file = EntityFile(
        statements=(
            _statement(
                total_assets_fen=1_500_000_000,
                total_liabilities_fen=600_000_000,
                net_assets_fen=900_000_000,
                committed_funds_fen=500_000_000,
            ),
        )
    )
    default = checks.check_finance(file, Settings(), on=ON)
    assert default.result is Result.FAIL
    assert _text(default) == [
        "2025 年度财务状况不符合要求。",
        "净资产 9,000,000.00 元，低于要求的 10,000,000.00 元。",
    ]
    assert _text(default, "en")[1] == (
        "Net assets CNY 9,000,000.00, below the required CNY 10,000,000.00."
    )
    lower = Settings(operator_min_net_assets_fen=900_000_000)
    assert checks.check_finance(file, lower, on=ON).result is Result.PASS
    stricter = Settings(
        operator_min_net_assets_fen=900_000_000,
        operator_min_committed_funds_fen=500_000_001,
        operator_max_debt_ratio_percent=39,
    )
    result = checks.check_finance(file, stricter, on=ON)
    assert result.result is Result.FAIL
    assert _text(result)[1:] == [
        "承诺用于数据治理和初期运营的资金 5,000,000.00 元，低于要求的 5,000,000.01 元。",
        "资产负债率 40.00%（负债 6,000,000.00 元 / 资产 15,000,000.00 元），高于上限 39%。",
    ]


def test_an_unclean_audit_fails_only_when_the_setting_requires_a_clean_one() -> None:
    file = EntityFile(statements=(_statement(audit_opinion="qualified"),))
    result = checks.check_finance(file, Settings(), on=ON)
    assert _text(result)[1] == "审计意见为“保留意见”，要求为标准无保留意见。"
    relaxed = Settings(operator_require_clean_audit=False)
    assert checks.check_finance(file, relaxed, on=ON).result is Result.PASS


def test_missing_or_old_statements() -> None:
    assert checks.check_finance(EntityFile(), Settings(), on=ON).key == (
        "operators.check.finance.missing"
    )
    two_years = EntityFile(statements=(_statement(fiscal_year=2024),))
    assert checks.check_finance(two_years, Settings(), on=ON).result is Result.NEEDS_REVIEW
    three_years = EntityFile(statements=(_statement(fiscal_year=2023),))
    assert checks.check_finance(three_years, Settings(), on=ON).result is Result.FAIL


def test_a_loss_needs_review() -> None:
    file = EntityFile(statements=(_statement(net_profit_fen=-1_234_567),))
    result = checks.check_finance(file, Settings(), on=ON)
    assert result.result is Result.NEEDS_REVIEW
    assert _text(result)[1] == "上一年度亏损 12,345.67 元。"


# --- R2.8 -------------------------------------------------------------------------------


def test_an_incident_two_years_eleven_months_ago_fails_three_years_one_month_passes() -> None:
    recent = Incident(date(2023, 12, 26), "data", "客户信息泄露")
    older = Incident(date(2023, 10, 26), "network", "勒索病毒")
    assert checks.check_incidents(EntityFile(incidents=(older,)), Settings(), on=ON).result is (
        Result.PASS
    )
    result = checks.check_incidents(EntityFile(incidents=(recent, older)), Settings(), on=ON)
    assert result.result is Result.FAIL
    assert _text(result) == [
        "近 3 年内（2023-11-26 以来）发生 1 起网络安全或数据安全事件。",
        "2023-12-26 发生数据安全事件：客户信息泄露",
    ]
    five = Settings(operator_incident_years=5)
    assert len(checks.check_incidents(EntityFile(incidents=(older,)), five, on=ON).findings) == 1


# --- R2.9 -------------------------------------------------------------------------------


def _group(*, parent_file: EntityFile, parent_jurisdiction_above: str = "CN") -> Dossier:
    nodes = (
        Node("parent", "营口港数字集团有限公司", NodeKind.COMPANY, "CN"),
        Node("owner", "上级控股公司", NodeKind.COMPANY, parent_jurisdiction_above),
        Node("sub", "港数科技有限公司", NodeKind.COMPANY, "CN"),
        Node("minor", "参股公司", NodeKind.COMPANY, "CN"),
    )
    links = (
        Link("owner", "parent", Relation.SHAREHOLDER, 10000),
        Link("parent", "sub", Relation.SHAREHOLDER, 5100),
        Link("state", "owner", Relation.SHAREHOLDER, 10000),
        Link("parent", "minor", Relation.SHAREHOLDER, 3000),
    )
    state = Node("state", "辽宁省国资委", NodeKind.GOVERNMENT, "CN")
    healthy = EntityFile(statements=(_statement(),))
    return Dossier(
        credit_code=CODE,
        registered_code=CODE,
        principals=(Person("陈晓", "法定代表人", "CN", False, False),),
        graph=Graph((*nodes, state), links),
        applicant="parent",
        files={"parent": parent_file, "sub": healthy, "minor": healthy},
        business_status="existing",
    )


def test_a_disqualified_parent_qualifies_through_a_controlled_subsidiary() -> None:
    troubled = EntityFile(
        statements=(_statement(),),
        incidents=(Incident(date(2025, 8, 1), "network", "官网被篡改"),),
    )
    evaluation = checks.evaluate(_group(parent_file=troubled), Settings(), on=ON)
    assert evaluation.verdict is Verdict.QUALIFIES_THROUGH
    assert evaluation.through is not None
    assert evaluation.through.path.names == ("营口港数字集团有限公司", "港数科技有限公司")
    assert evaluation.through.path.steps[1].link == Link(
        "parent", "sub", Relation.SHAREHOLDER, 5100
    )
    # A 30 % holding is not control: that company is never tried.
    assert [e.path.names[-1] for e in evaluation.controlled] == ["港数科技有限公司"]


def test_a_foreign_owned_parent_cannot_qualify_through_its_subsidiary() -> None:
    evaluation = checks.evaluate(
        _group(parent_file=EntityFile(statements=(_statement(),)), parent_jurisdiction_above="HK"),
        Settings(),
        on=ON,
    )
    assert evaluation.verdict is Verdict.FAILS
    [tried] = evaluation.controlled
    capital = next(r for r in tried.results if r.check is checks.Check.DOMESTIC_CAPITAL)
    assert [p.names for p in capital.paths] == [
        ("港数科技有限公司", "营口港数字集团有限公司", "上级控股公司")
    ]


def test_an_applicant_level_failure_is_not_rescued_by_a_subsidiary() -> None:
    dossier = _group(parent_file=EntityFile())
    dossier = Dossier(**{**dossier.__dict__, "principals": ()})
    evaluation = checks.evaluate(dossier, Settings(), on=ON)
    assert evaluation.verdict is Verdict.FAILS
    assert evaluation.controlled == ()


def test_a_clean_applicant_qualifies_without_trying_anyone_else() -> None:
    evaluation = checks.evaluate(
        _group(parent_file=EntityFile(statements=(_statement(),))), Settings(), on=ON
    )
    assert evaluation.verdict is Verdict.QUALIFIES
    assert evaluation.controlled == ()
