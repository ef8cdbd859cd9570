"""Data products run in the guard, on the sandbox tests' small city (``tests/sandbox/world.py``:
12 enterprises in three districts, 9 of them rated for 2024,站前区 A A B C, 西市区 A B B,
老边区 A C), one city per database for the module.

Exact answers for each product type, inputs typed as a buyer types them, the refusals of
a declaration the guard cannot run, the buyer-side decision and its audit rows, and a
dataset downloaded with a fingerprint that names its download after the copy was
shuffled, cut and re-saved. k is 4 here, so of 站前区 (5), 西市区 (4) and 老边区 (3) the last
is suppressed."""

from __future__ import annotations

import csv
import io
import random
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from sluice.audit.models import AuditEvent
from sluice.catalog.models import ResourceField
from sluice.core.errors import SluiceError
from sluice.core.permissions import OrgKind, Role
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.dataplane import sandbox_shared, subject_tokens
from sluice.guard import product_calls
from sluice.guard.product_calls import FingerprintedFile, ProductAnswer
from sluice.guard.product_errors import InputInvalid, InvalidSpec, ProductFailed, PurposeNotAllowed
from sluice.guard.product_exports import ApprovedExport, register_export_source
from sluice.guard.product_specs import (
    CallableProduct,
    DatasetSpec,
    InputField,
    ScoreSpec,
    StatisticsSpec,
    VerificationSpec,
)
from sluice.guard.service import AuthorizationInactive
from sluice.ingestion import service as ingestion
from sluice.sandbox import export_repository, exports, queries, workspaces
from tests.authorizations.factories import terminate_by_two
from tests.conftest import module_database
from tests.identity.factories import make_org
from tests.sandbox.world import USCC, SandboxWorld, build

K = 4
UNRATED = 4  # 站前区's fifth enterprise has no rating
USCC_INPUT = InputField(name="uscc", type="uscc", title="统一社会信用代码")
RATING_INPUT = InputField(
    name="rating", type="enum", title="纳税信用级别", values=["A", "B", "C", "D", "M"]
)
RATED = VerificationSpec(
    view="swj_tax_ratings",
    inputs=[USCC_INPUT, RATING_INPUT],
    subject="uscc",
    match={"uscc": "uscc_token", "rating": "rating"},
)
RATING_OF = VerificationSpec(
    view="swj_tax_ratings",
    inputs=[USCC_INPUT, InputField(name="year", type="int", title="评价年度")],
    subject="uscc",
    match={"uscc": "uscc_token", "year": "rating_year"},
    answer_column="rating",
    answer_values=["A", "B", "C", "D", "M"],
)
BY_DISTRICT = StatisticsSpec(
    sql="SELECT district, count(*) AS firms FROM scjgj_enterprises "
    "WHERE established_on >= :since GROUP BY district ORDER BY district",
    parameters=[InputField(name="since", type="date", title="成立日期不早于")],
    dimensions=["district"],
)
SCORE = ScoreSpec(
    subject=USCC_INPUT,
    sql="""
    SELECT max(CASE rating WHEN 'A' THEN 90 WHEN 'B' THEN 70 ELSE 40 END) AS score,
           string_agg(CASE WHEN rating = 'C' THEN 'low_tax_rating' END, ',') AS reasons
    FROM swj_tax_ratings
    WHERE uscc_token = :subject AND rating_year = 2024
    """,
    reasons={"low_tax_rating": ("纳税信用等级低", "Low tax credit rating")},
)
EXPORTED = """
SELECT e.name, year(e.established_on) AS founded, count(*) AS firms,
       sum(e.registered_capital_fen) AS capital_fen
FROM scjgj_enterprises AS e
GROUP BY e.name, year(e.established_on)
"""


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def city(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
) -> Iterator[SandboxWorld]:
    root = tmp_path_factory.mktemp("products")
    with module_database(request, root, sqlite_template) as database:
        yield build(database, root / "var")


@pytest.fixture(scope="module")
def settings(city: SandboxWorld) -> Settings:
    return city.settings.model_copy(update={"sandbox_export_min_subjects": K})


@pytest.fixture(scope="module")
def buyer(city: SandboxWorld) -> Principal:
    with city.database.unit_of_work() as session:
        organization = make_org(session, city.clock(), OrgKind.BUYER)
    return Principal(
        username="银行甲的密钥",
        via="api_key",
        organization_id=organization,
        organization_kind=OrgKind.BUYER,
        roles=frozenset({Role.BUYER}),
    )


@pytest.fixture(scope="module", autouse=True)
def export_source() -> Iterator[None]:
    """The sandbox's exports, as ``sandbox.exports`` is to register them with the guard."""

    def source(session: Any, export_id: uuid.UUID) -> ApprovedExport | None:
        found = export_repository.export(session, Principal.system("sandbox"), export_id)
        if found is None:
            return None
        export = found.export
        return ApprovedExport(
            id=export.id,
            status=export.status,
            owner_id=export.owner_id,
            file_name=export.file_name,
            file_sm3=export.file_sm3,
            rows=export.rows,
            resource_ids=tuple(uuid.UUID(v["resource_id"]) for v in export.versions),
            columns=tuple((c["name"], c["type"]) for c in export.columns),
        )

    unregister = register_export_source(source)
    yield
    unregister()


def product(
    city: SandboxWorld,
    spec: VerificationSpec | StatisticsSpec | ScoreSpec | DatasetSpec,
    *,
    authorization_id: uuid.UUID | None = None,
    resources: tuple[uuid.UUID, ...] | None = None,
    subject: str | None = "uscc",
) -> CallableProduct:
    return CallableProduct(
        id=uuid.uuid4(),
        code=f"p-{spec.kind}-{secrets.token_hex(3)}",
        name="测试产品",
        type=spec.kind,
        operator_id=city.world.operator.organization_id or uuid.uuid4(),
        authorization_id=authorization_id or city.finance,
        spec=spec,
        resource_ids=resources or (city.ratings,),
        domain="industry:finance",
        consent_required=subject is not None,
        subject_input=subject,
        subject_kind="enterprise" if subject else None,
        billing_unit="call",
        price_fen=50,
        pricing_rule="cap:industry:finance@2026-11-01",
        purposes=("credit_assessment",),
    )


def call(
    city: SandboxWorld, settings: Settings, made: CallableProduct, **inputs: object
) -> ProductAnswer:
    with city.database.unit_of_work() as session:
        return product_calls.run(
            session, settings=settings, product=made, inputs=inputs, at=city.clock().now()
        )


def _validate(
    city: SandboxWorld,
    settings: Settings,
    spec: VerificationSpec | StatisticsSpec | ScoreSpec | DatasetSpec,
    authorization_id: uuid.UUID | None = None,
) -> list[uuid.UUID]:
    with city.database.unit_of_work() as session:
        return product_calls.validate_spec(
            session,
            settings=settings,
            product_spec=spec,
            authorization_id=authorization_id or city.finance,
            at=city.clock().now(),
        )


# -- verification -------------------------------------------------------------------------------


def test_a_verification_answers_match_or_no_match_and_nothing_else(
    city: SandboxWorld, settings: Settings
) -> None:
    verify = product(city, RATED)
    rated_a = call(city, settings, verify, uscc=USCC[0], rating="A")
    assert rated_a.result == {"result": "match"}  # the whole answer
    assert rated_a.items == 1
    assert [v["view"] for v in rated_a.versions] == ["swj_tax_ratings"]
    assert call(city, settings, verify, uscc=USCC[0], rating="B").result == {"result": "no_match"}
    assert call(city, settings, verify, uscc=USCC[2], rating="B").result == {"result": "match"}
    unrated = call(city, settings, verify, uscc=USCC[UNRATED], rating="A")
    assert unrated.result == {"result": "no_match"}


def test_a_credit_code_typed_in_another_spelling_matches_as_ingestion_cleaned_it(
    city: SandboxWorld, settings: Settings
) -> None:
    verify = product(city, RATED)
    code = USCC[2]
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in code.lower())
    for typed in (code.lower(), fullwidth, f"  {code[:6]} {code[6:12]}　{code[12:]} "):
        assert call(city, settings, verify, uscc=typed, rating="Ｂ").result == {"result": "match"}
    # The token is the very one ingestion wrote for that enterprise.
    with city.database.unit_of_work() as session:
        version = ingestion.current_version(session, city.ratings)
        assert version is not None
        table = pq.read_table(Path(version.path))
    token = product_calls.clean_call_inputs(
        settings, verify, {"uscc": fullwidth, "rating": "B"}
    ).subject_token
    assert token in table.column("uscc_token").to_pylist()
    assert table.column("uscc_token").to_pylist().count(token) == 1
    assert (
        product_calls.clean_call_inputs(
            settings, product(city, BY_DISTRICT, subject=None), {"since": "2000-01-01"}
        ).subject_token
        is None
    )


def test_a_verification_with_an_answer_column_answers_the_one_declared_value(
    city: SandboxWorld, settings: Settings
) -> None:
    rating = product(city, RATING_OF)
    assert call(city, settings, rating, uscc=USCC[3], year=2024).result == {"result": "C"}
    assert call(city, settings, rating, uscc=USCC[5], year="2024").result == {"result": "A"}
    assert call(city, settings, rating, uscc=USCC[3], year=2023).result == {"result": "no_match"}
    narrower = RATING_OF.model_copy(update={"answer_values": ["A", "B"]})
    assert call(city, settings, product(city, narrower), uscc=USCC[3], year=2024).result == {
        "result": "no_match"
    }


def test_inputs_are_bound_never_written_into_the_sql(
    city: SandboxWorld, settings: Settings
) -> None:
    named = VerificationSpec(
        view="scjgj_enterprises",
        inputs=[USCC_INPUT, InputField(name="name", type="text", title="企业名称")],
        subject="uscc",
        match={"uscc": "uscc_token", "name": "name"},
    )
    assert _validate(city, settings, named) == [city.enterprises]
    verify = product(city, named, resources=(city.enterprises,))
    assert call(city, settings, verify, uscc=USCC[0], name="营口测试企业01有限公司").result == {
        "result": "match"
    }
    for injected in ("x' OR '1'='1", "营口测试企业01有限公司' --", "'; SELECT 1; --"):
        answer = call(city, settings, verify, uscc=USCC[0], name=injected)
        assert answer.result == {"result": "no_match"}


@pytest.mark.parametrize(
    ("inputs", "named", "words"),
    [
        ({"rating": "A"}, "uscc", "缺少输入 uscc"),
        ({"uscc": "   ", "rating": "A"}, "uscc", "缺少输入 uscc"),
        ({"uscc": USCC[0][:-1] + "0", "rating": "A"}, "uscc", "不是有效的统一社会信用代码"),
        ({"uscc": "12345", "rating": "A"}, "uscc", "不是有效的统一社会信用代码"),
        ({"uscc": USCC[0], "rating": "E"}, "rating", "只能是：A、B、C、D、M"),
        ({"uscc": [USCC[0]], "rating": "A"}, "uscc", "不能是列表或对象"),
        ({"uscc": USCC[0], "rating": "A", "name": "x"}, "name", "没有名为 name 的输入"),
        ({"uscc": USCC[0] * 20, "rating": "A"}, "uscc", "超过 200 个字符"),
    ],
)
def test_a_bad_input_is_input_invalid_naming_it(
    city: SandboxWorld,
    settings: Settings,
    inputs: dict[str, object],
    named: str,
    words: str,
) -> None:
    with pytest.raises(InputInvalid) as refused:
        call(city, settings, product(city, RATED), **inputs)
    assert (refused.value.status, refused.value.code, refused.value.input) == (
        422,
        "input_invalid",
        named,
    )
    assert words in refused.value.detail("zh-CN")
    assert named in refused.value.detail("en")
    assert refused.value.problem("en")["input"] == named


def test_the_subject_token_refuses_a_malformed_subject(
    city: SandboxWorld, settings: Settings
) -> None:
    with pytest.raises(InputInvalid) as refused:
        product_calls.clean_call_inputs(settings, product(city, RATED), {"uscc": "91210800"})
    assert refused.value.input == "uscc"
    assert "is not a valid Unified social credit code" in refused.value.detail("en")


@pytest.mark.parametrize(
    "inputs", [{"uscc": "\ud800", "rating": "A"}, {"uscc": USCC[0], "rating": "A\udfff"}]
)
def test_text_no_utf8_encodes_is_input_invalid_not_a_crash(
    city: SandboxWorld, settings: Settings, inputs: dict[str, object]
) -> None:
    """A JSON body may carry a lone surrogate (``"\\ud800"``), which Python decodes but no
    UTF-8 encodes."""
    [named] = [name for name, value in inputs.items() if not str(value).isascii()]
    verify = product(city, RATED)
    for ask in (
        lambda: call(city, settings, verify, **inputs),
        lambda: product_calls.clean_call_inputs(settings, verify, inputs),
    ):
        with pytest.raises(InputInvalid) as refused:
            ask()
        assert (refused.value.status, refused.value.input) == (422, named)
        assert "UTF-8" in refused.value.detail("en") and "UTF-8" in refused.value.detail("zh-CN")
    with pytest.raises(subject_tokens.IdentifierInvalid) as invalid:
        subject_tokens.subject_token("\ud800", "uscc", settings=settings)
    assert invalid.value.reason == "malformed"


# -- statistics ---------------------------------------------------------------------------------


def test_statistics_by_district_leave_out_groups_under_k_and_count_them(
    city: SandboxWorld, settings: Settings
) -> None:
    by_district = product(city, BY_DISTRICT, resources=(city.enterprises,), subject=None)
    everyone = call(city, settings, by_district, since="2000-01-01")
    assert everyone.result == {
        "columns": [{"name": "district", "type": "VARCHAR"}, {"name": "firms", "type": "BIGINT"}],
        "rows": [["站前区", 5], ["西市区", 4]],
        "suppressed": 1,
    }
    assert everyone.items == 2
    # Founded 2012 or later: 站前区 3, 西市区 4, 老边区 3; the date in any spelling ingestion reads.
    for since in ("2012-01-01", "2012/1/1", "2012年1月1日", "２０１２－０１－０１"):
        later = call(city, settings, by_district, since=since)
        assert (later.result["rows"], later.result["suppressed"]) == ([["西市区", 4]], 2)
    with pytest.raises(InputInvalid) as refused:
        call(city, settings, by_district, since="2012-02-30")
    assert refused.value.input == "since"


# -- score --------------------------------------------------------------------------------------


def test_a_score_answers_the_score_and_labelled_reasons_only(
    city: SandboxWorld, settings: Settings
) -> None:
    score = product(city, SCORE)
    assert call(city, settings, score, uscc=USCC[0]).result == {"score": 90, "reasons": []}
    assert call(city, settings, score, uscc=USCC[2]).result == {"score": 70, "reasons": []}
    low = call(city, settings, score, uscc=USCC[3])
    assert low.result == {
        "score": 40,
        "reasons": [{"code": "low_tax_rating", "label": "纳税信用等级低"}],
    }
    assert low.items == 1
    with city.database.unit_of_work() as session:
        english = product_calls.run(
            session,
            settings=settings,
            product=score,
            inputs={"uscc": USCC[10]},
            at=city.clock().now(),
            locale="en",
        )
    assert english.result["reasons"] == [
        {"code": "low_tax_rating", "label": "Low tax credit rating"}
    ]
    # A subject without data: no score, no reasons, no item answered.
    nothing = call(city, settings, score, uscc=USCC[UNRATED])
    assert (nothing.result, nothing.items) == ({"score": None, "reasons": []}, 0)
    capped = product(city, SCORE.model_copy(update={"score_range": (50, 80)}))
    assert call(city, settings, capped, uscc=USCC[0]).result["score"] == 80
    assert call(city, settings, capped, uscc=USCC[3]).result["score"] == 50


def test_undeclared_reason_codes_never_leave(city: SandboxWorld, settings: Settings) -> None:
    leaking = SCORE.model_copy(
        update={
            "sql": "SELECT 60 AS score, list_value('low_tax_rating', rating, 'other') AS reasons "
            "FROM swj_tax_ratings WHERE uscc_token = :subject AND rating_year = 2024"
        }
    )
    assert _validate(city, settings, leaking) == [city.ratings]
    answer = call(city, settings, product(city, leaking), uscc=USCC[0])
    assert answer.result == {
        "score": 60,
        "reasons": [{"code": "low_tax_rating", "label": "纳税信用等级低"}],
    }


def _score(sql: str) -> ScoreSpec:
    return SCORE.model_copy(update={"sql": sql})


#: The reviewer's: 营口测试企业05有限公司's exact registered capital under another's consent.
OTHERS_CAPITAL = (
    "SELECT sum(CASE WHEN name = '营口测试企业05有限公司' THEN registered_capital_fen ELSE 0 END)"
    " AS score, 'rated' AS reasons FROM scjgj_enterprises "
    "WHERE uscc_token = :subject OR name = '营口测试企业05有限公司'"
)


@pytest.mark.parametrize(
    ("sql", "view"),
    [
        pytest.param(OTHERS_CAPITAL, "scjgj_enterprises", id="the subject OR another"),
        pytest.param(
            "SELECT count(*) AS score, '' AS reasons FROM scjgj_enterprises "
            "WHERE (uscc_token = :subject OR district = '西市区') AND district IS NOT NULL",
            "scjgj_enterprises",
            id="an OR within a top-level AND",
        ),
        pytest.param(
            "SELECT count(*) AS score, '' AS reasons FROM scjgj_enterprises AS e "
            "JOIN swj_tax_ratings AS t ON t.rating_year = 2024 WHERE e.uscc_token = :subject",
            "swj_tax_ratings",
            id="a joined view not restricted",
        ),
        pytest.param(
            "WITH everyone AS (SELECT registered_capital_fen AS c FROM scjgj_enterprises) "
            "SELECT sum(c) AS score, '' AS reasons FROM everyone, swj_tax_ratings AS t "
            "WHERE t.uscc_token = :subject",
            "scjgj_enterprises",
            id="a CTE reading everyone",
        ),
        pytest.param(
            "SELECT count(*) AS score, '' AS reasons FROM (SELECT uscc_token FROM "
            "swj_tax_ratings WHERE uscc_token = :subject UNION ALL SELECT uscc_token "
            "FROM scjgj_enterprises WHERE district = '西市区') AS u",
            "scjgj_enterprises",
            id="a set operation's other branch",
        ),
    ],
)
def test_a_score_reading_other_subjects_rows_is_refused_at_declaration_and_call(
    city: SandboxWorld, settings: Settings, sql: str, view: str
) -> None:
    with pytest.raises(InvalidSpec) as refused:
        _validate(city, settings, _score(sql))
    assert (refused.value.code, refused.value.part) == ("spec_invalid", view)
    assert "top-level AND" in refused.value.detail("en")
    assert f"视图 {view}" in refused.value.detail("zh-CN")
    # A product declared before the rule (or past it) answers nothing at all.
    leaking = product(city, _score(sql), resources=(city.enterprises, city.ratings))
    with pytest.raises(ProductFailed) as failed:
        call(city, settings, leaking, uscc=USCC[0])
    assert (failed.value.status, failed.value.code) == (409, "product_failed")
    assert view in failed.value.detail("en")


def test_a_score_never_answers_a_sensitive_value_of_its_subject(
    city: SandboxWorld, settings: Settings
) -> None:
    own = _score(
        "SELECT max(registered_capital_fen) AS score, 'rated' AS reasons "
        "FROM scjgj_enterprises WHERE uscc_token = :subject"
    )
    with pytest.raises(InvalidSpec) as refused:
        _validate(city, settings, own)
    assert (refused.value.code, refused.value.part) == (
        "spec_invalid",
        "MAX(registered_capital_fen)",
    )
    assert "A score answer leaves the platform" in refused.value.detail("en")
    with pytest.raises(ProductFailed):
        call(city, settings, product(city, own, resources=(city.enterprises,)), uscc=USCC[0])
    as_row = _score(
        "SELECT registered_capital_fen AS score, '' AS reasons FROM scjgj_enterprises "
        "WHERE uscc_token = :subject"
    )
    with pytest.raises(InvalidSpec):  # a row value the policy itself refuses
        _validate(city, settings, as_row)
    for wide in ((0, 1001), (-1, 100), (0, 10**12)):
        with pytest.raises(InvalidSpec) as too_wide:
            _validate(city, settings, SCORE.model_copy(update={"score_range": wide}))
        assert too_wide.value.part == f"{wide[0]}–{wide[1]}"
        assert "within 0 to 1000" in too_wide.value.detail("en")
    assert _validate(city, settings, SCORE.model_copy(update={"score_range": (0, 1000)}))


def test_a_score_restricted_to_its_subject_in_every_read_answers(
    city: SandboxWorld, settings: Settings
) -> None:
    joined = _score(
        "WITH mine AS (SELECT t.rating FROM swj_tax_ratings AS t "
        "WHERE (t.uscc_token = :subject) AND t.rating_year = 2024) "
        "SELECT count(*) * 10 + max(CASE m.rating WHEN 'A' THEN 5 ELSE 0 END) AS score, "
        "'' AS reasons FROM mine AS m, scjgj_enterprises AS e "
        "WHERE :subject = e.uscc_token AND e.district IS NOT NULL"
    )
    assert _validate(city, settings, joined) == [city.enterprises, city.ratings]
    made = product(city, joined, resources=(city.enterprises, city.ratings))
    assert call(city, settings, made, uscc=USCC[0]).result == {"score": 15, "reasons": []}
    assert call(city, settings, made, uscc=USCC[2]).result == {"score": 10, "reasons": []}


def test_a_column_tightened_after_declaration_fails_statistics_and_scores(
    city: SandboxWorld, settings: Settings
) -> None:
    firsts = StatisticsSpec(
        sql="SELECT district, count(*) AS firms, min(name) AS first_name "
        "FROM scjgj_enterprises GROUP BY district ORDER BY district"
    )
    named = _score(
        "SELECT count(*) AS score, min(name) AS reasons FROM scjgj_enterprises "
        "WHERE uscc_token = :subject"
    )
    assert _validate(city, settings, firsts) == [city.enterprises]
    assert _validate(city, settings, named) == [city.enterprises]
    statistics = product(city, firsts, resources=(city.enterprises,), subject=None)
    score = product(city, named, resources=(city.enterprises,))
    assert call(city, settings, statistics).result["rows"] == [
        ["站前区", 5, "营口测试企业01有限公司"],
        ["西市区", 4, "营口测试企业06有限公司"],
    ]
    assert call(city, settings, score, uscc=USCC[0]).result == {"score": 1, "reasons": []}
    # The provider reclassifies company names as sensitive: min(name) picks one record's.
    _reclassify(city, "name", "sensitive")
    try:
        for made, inputs in ((statistics, {}), (score, {"uscc": USCC[0]})):
            with pytest.raises(ProductFailed) as failed:
                call(city, settings, made, **inputs)
            assert failed.value.code == "product_failed"
            assert "MIN(name)" in failed.value.detail("en")
    finally:
        _reclassify(city, "name", "public")
    assert call(city, settings, statistics).result["suppressed"] == 1


def _reclassify(city: SandboxWorld, field: str, field_class: str) -> None:
    with city.database.unit_of_work() as session:
        found = session.scalars(
            select(ResourceField).where(
                ResourceField.resource_id == city.enterprises, ResourceField.name == field
            )
        ).one()
        found.field_class = field_class


# -- declarations ---------------------------------------------------------------------------------


def test_a_declaration_returns_the_resources_it_reads(
    city: SandboxWorld, settings: Settings
) -> None:
    assert _validate(city, settings, RATED) == [city.ratings]
    assert _validate(city, settings, BY_DISTRICT) == [city.enterprises]
    assert _validate(city, settings, SCORE) == [city.ratings]
    joined = StatisticsSpec(
        sql="SELECT e.district, t.rating, count(DISTINCT e.uscc_token) AS firms "
        "FROM scjgj_enterprises AS e JOIN swj_tax_ratings AS t ON t.uscc_token = e.uscc_token "
        "WHERE t.rating_year = :year GROUP BY e.district, t.rating",
        parameters=[InputField(name="year", type="int", title="年度")],
        dimensions=["district", "rating"],
    )
    assert _validate(city, settings, joined) == [city.enterprises, city.ratings]  # by view name


def _statistics(sql: str, *parameters: str) -> StatisticsSpec:
    return StatisticsSpec(
        sql=sql, parameters=[InputField(name=p, type="text", title=p) for p in parameters]
    )


@pytest.mark.parametrize(
    ("spec", "part", "words", "agreement"),
    [
        pytest.param(
            # 就业服务 (``jobs``) covers the enterprises only.
            _statistics("SELECT rating, count(*) AS n FROM swj_tax_ratings GROUP BY rating"),
            "swj_tax_ratings",
            "relation_not_allowed",
            "jobs",
            id="a view outside the agreement's scope",
        ),
        pytest.param(
            _statistics("SELECT count(*) AS n FROM read_csv('/etc/passwd')"),
            "read_csv",
            "function_not_allowed",
            "finance",
            id="a table function",
        ),
        pytest.param(
            _statistics("SELECT getenv('HOME') AS home, count(*) AS n FROM scjgj_enterprises"),
            "getenv",
            "function_not_allowed",
            "finance",
            id="a function not allowed",
        ),
        pytest.param(
            _statistics("SELECT uscc_token, count(*) AS n FROM scjgj_enterprises GROUP BY 1"),
            "uscc_token",
            "column_not_allowed",
            "finance",
            id="a token as a group key",
        ),
        pytest.param(
            _statistics(
                "SELECT string_agg(uscc_token, ',') AS tokens, count(*) AS n FROM scjgj_enterprises"
            ),
            "uscc_token",
            "column_not_allowed",
            "finance",
            id="a token in the output through an aggregate",
        ),
        pytest.param(
            _statistics("SELECT name, district FROM scjgj_enterprises"),
            "SELECT",
            "must aggregate",
            "finance",
            id="row-level statistics",
        ),
        pytest.param(
            _statistics(
                "SELECT district, count(*) AS n FROM scjgj_enterprises "
                "WHERE district = :d AND name = :other GROUP BY district",
                "d",
            ),
            "other",
            "not declared",
            "finance",
            id="an undeclared parameter",
        ),
        pytest.param(
            _statistics(
                "SELECT district, :d AS echoed, count(*) AS n FROM scjgj_enterprises "
                "WHERE district = :d GROUP BY district",
                "d",
            ),
            "d",
            "only appear in a WHERE",
            "finance",
            id="a parameter echoed in the output",
        ),
        pytest.param(
            _statistics("SELECT count(*) AS n FROM scjgj_enterprises WHERE district = ?"),
            "?",
            "unnamed parameter",
            "finance",
            id="an unnamed parameter",
        ),
        pytest.param(
            _statistics("SELECT count(*) AS n FROM scjgj_enterprises", "d"),
            "d",
            "does not use :d",
            "finance",
            id="a parameter never used",
        ),
        pytest.param(
            StatisticsSpec(
                sql="SELECT district, count(*) AS n FROM scjgj_enterprises GROUP BY district",
                dimensions=["name"],
            ),
            "name",
            "not a group-key column",
            "finance",
            id="a dimension that is not a group key",
        ),
        pytest.param(
            RATED.model_copy(update={"view": "gaj_residents"}),
            "gaj_residents",
            "not in the agreement's workspace",
            "finance",
            id="a verification of a view outside the workspace",
        ),
        pytest.param(
            RATED.model_copy(update={"match": {"uscc": "uscc_masked", "rating": "rating"}}),
            "uscc",
            "token column",
            "finance",
            id="a verification comparing a masked column",
        ),
        pytest.param(
            RATED.model_copy(update={"match": {"uscc": "uscc_token", "rating": "grade"}}),
            "grade",
            "has no column",
            "finance",
            id="a verification of a column that does not exist",
        ),
        pytest.param(
            RATED.model_copy(
                update={
                    "inputs": [InputField(name="uscc", type="text", title="代码"), RATING_INPUT]
                }
            ),
            "uscc",
            "must be an ID number",
            "finance",
            id="a subject that is not an identifier",
        ),
        pytest.param(
            SCORE.model_copy(
                update={
                    "sql": "SELECT 50 AS score, '' AS reasons, rating FROM swj_tax_ratings "
                    "WHERE uscc_token = :subject"
                }
            ),
            "rating、reasons、score",
            "exactly the columns score and reasons",
            "finance",
            id="a score with another column",
        ),
        pytest.param(
            SCORE.model_copy(
                update={
                    "sql": "SELECT 50 AS score, uscc_token AS reasons FROM swj_tax_ratings "
                    "WHERE uscc_token = :subject"
                }
            ),
            "uscc_token",
            "column_not_allowed",
            "finance",
            id="a score reason carrying a token",
        ),
    ],
)
def test_a_declaration_the_guard_cannot_run_is_spec_invalid(
    city: SandboxWorld,
    settings: Settings,
    spec: VerificationSpec | StatisticsSpec | ScoreSpec,
    part: str,
    words: str,
    agreement: str,
) -> None:
    scope = city.jobs if agreement == "jobs" else city.finance
    with pytest.raises(InvalidSpec) as refused:
        _validate(city, settings, spec, authorization_id=scope)
    assert (refused.value.status, refused.value.code) == (422, "spec_invalid")
    assert part in refused.value.part
    assert words in refused.value.detail("en")
    assert refused.value.detail("zh-CN") != refused.value.detail("en")


def test_a_declaration_on_an_agreement_of_other_scope_sees_only_its_views(
    city: SandboxWorld, settings: Settings
) -> None:
    with pytest.raises(InvalidSpec) as refused:
        _validate(city, settings, RATED, authorization_id=city.jobs)
    assert "scjgj_enterprises" in refused.value.detail("en")


# -- the buyer's call ---------------------------------------------------------------------------


def _decisions(city: SandboxWorld, product_code: str) -> list[AuditEvent]:
    with city.database.unit_of_work() as session:
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "guard.decision")
            .order_by(AuditEvent.occurred_at, AuditEvent.id)
        ).all()
    return [e for e in events if e.detail.get("product") == product_code]


def test_a_call_the_agreement_covers_is_allowed_and_audited(
    city: SandboxWorld, buyer: Principal
) -> None:
    verify = product(city, RATED)
    with city.database.unit_of_work() as session:
        product_calls.authorize_call(
            session, actor=buyer, product=verify, at=city.clock().now(), purpose="credit_assessment"
        )
    [event] = _decisions(city, verify.code)
    assert (event.outcome, event.target_id, event.actor_username) == (
        "ok",
        str(city.finance),
        buyer.username,
    )
    assert event.actor_organization_id == buyer.organization_id
    assert event.detail["decision"] == "allowed"
    assert event.detail["use"] == "product_call"
    assert event.detail["buyer"] == str(buyer.organization_id)
    assert event.detail["product_id"] == str(verify.id)
    assert event.detail["resources"] == [str(city.ratings)]
    assert event.detail["purpose"] == "credit_assessment"


def test_a_purpose_the_product_does_not_serve_is_refused_and_audited(
    city: SandboxWorld, buyer: Principal
) -> None:
    verify = product(city, RATED)
    # The refusal leaves the unit of work, which rolls back and keeps the audit row.
    with pytest.raises(PurposeNotAllowed) as refused, city.database.unit_of_work() as session:
        product_calls.authorize_call(
            session, actor=buyer, product=verify, at=city.clock().now(), purpose="marketing"
        )
    assert (refused.value.status, refused.value.code) == (403, "purpose_not_allowed")
    assert "credit_assessment" in refused.value.detail("en")
    [event] = _decisions(city, verify.code)
    assert (event.outcome, event.detail["reason"], event.detail["purpose"]) == (
        "refused",
        "purpose_not_allowed",
        "marketing",
    )


def test_an_ended_agreement_refuses_its_products_and_keeps_the_audit_row(
    city: SandboxWorld, settings: Settings, buyer: Principal
) -> None:
    agreement = city.agreement()
    by_district = product(
        city, BY_DISTRICT, authorization_id=agreement, resources=(city.enterprises,), subject=None
    )
    assert call(city, settings, by_district, since="2000-01-01").result["rows"]
    assert f"product-{agreement}" in sandbox_shared._engines
    with city.database.unit_of_work() as session:
        terminate_by_two(
            session,
            city.world,
            clock=city.clock(),
            settings=city.settings,
            authorization_id=agreement,
            reason="严重违约",
        )
    with pytest.raises(AuthorizationInactive) as refused, city.database.unit_of_work() as session:
        product_calls.authorize_call(
            session,
            actor=buyer,
            product=by_district,
            at=city.clock().now(),
            purpose="credit_assessment",
        )
    assert (refused.value.status, refused.value.code) == (403, "authorization_inactive")
    [event] = _decisions(city, by_district.code)
    assert (event.outcome, event.detail["reason"], event.detail["code"]) == (
        "refused",
        "not_in_force",
        "authorization_inactive",
    )
    assert event.detail["status"] == "terminated"
    assert event.target_id == str(agreement)
    # Nor does any path run it, and the ending let go of its engine (the endings hook).
    with pytest.raises(AuthorizationInactive):
        call(city, settings, by_district, since="2000-01-01")
    assert f"product-{agreement}" not in sandbox_shared._engines


# -- datasets -----------------------------------------------------------------------------------


def _requested_export(city: SandboxWorld, settings: Settings) -> tuple[uuid.UUID, uuid.UUID]:
    """A requested export of the 普惠金融 workspace with 12 rows (k = 1 for it), and the
    workspace."""
    one = settings.model_copy(update={"sandbox_export_min_subjects": 1})
    with city.database.unit_of_work() as session:
        rows = workspaces.workspace_rows(session, actor=city.operator(), at=city.clock().now())
        workspace = next(r.workspace.id for r in rows if r.workspace.scenario == "普惠金融")
        query = queries.run(
            session,
            actor=city.operator(),
            settings=one,
            at=city.clock().now(),
            workspace_id=workspace,
            sql=EXPORTED,
        ).query.id
    with city.database.unit_of_work() as session:
        export = exports.request(
            session,
            actor=city.operator(),
            settings=one,
            at=city.clock().now(),
            workspace_id=workspace,
            query_id=query,
            purpose="企业名录数据集",
        )
        return workspace, export.id


def _download(
    city: SandboxWorld, settings: Settings, made: CallableProduct, buyer: Principal
) -> FingerprintedFile:
    assert buyer.organization_id is not None
    with city.database.unit_of_work() as session:
        return product_calls.download(
            session,
            settings=settings,
            product=made,
            buyer_id=buyer.organization_id,
            download_id=uuid.uuid4(),
            at=city.clock().now(),
        )


def _rows(content: bytes) -> list[tuple[str, ...]]:
    """The rows as their meaning: numbers in their shortest spelling, in a fixed order."""

    def shortest(cell: str) -> str:
        return cell.rstrip("0").rstrip(".") if "." in cell else cell

    reader = csv.reader(io.StringIO(content.decode("utf-8-sig")))
    next(reader)
    return sorted(tuple(shortest(c) for c in row) for row in reader)


def test_a_dataset_download_is_fingerprinted_and_names_its_download_when_leaked(
    city: SandboxWorld, settings: Settings, buyer: Principal
) -> None:
    workspace, export_id = _requested_export(city, settings)
    dataset = product(
        city, DatasetSpec(export_id=export_id), resources=(city.enterprises,), subject=None
    )
    with pytest.raises(SluiceError) as pending:
        _download(city, settings, dataset, buyer)
    assert (pending.value.status, pending.value.code) == (404, "product_unavailable")
    with pytest.raises(InvalidSpec):
        _validate(city, settings, DatasetSpec(export_id=export_id))

    with city.database.unit_of_work() as session:
        exports.approve(
            session,
            actor=city.world.bureau_principal(),
            settings=settings,
            at=city.clock().now(),
            export_id=export_id,
        )
        original = exports.file(
            session,
            actor=city.operator(),
            settings=settings,
            at=city.clock().now(),
            workspace_id=workspace,
            export_id=export_id,
        )[1]
    assert _validate(city, settings, DatasetSpec(export_id=export_id)) == [city.enterprises]

    downloads = [_download(city, settings, dataset, buyer) for _ in range(20)]
    first = downloads[0]
    assert (first.media_type, first.rows, len(first.seed_hex)) == (
        "text/csv; charset=utf-8",
        12,
        32,
    )
    assert first.file_name == f"{dataset.code}.csv"
    assert len({d.content for d in downloads}) == 20  # each download carries its own marks
    assert all(_rows(d.content) == _rows(original) for d in downloads)  # and means the same
    assert first.sm3_hex != downloads[1].sm3_hex

    candidates = [(uuid.uuid4(), d.seed_hex) for d in downloads]
    leaked_index = 7
    reader = csv.reader(io.StringIO(downloads[leaked_index].content.decode()))
    header, *rows = list(reader)
    shuffle = random.Random(12)
    shuffle.shuffle(rows)
    kept = rows[: round(len(rows) * 0.7)]
    resaved = io.StringIO()
    writer = csv.writer(resaved, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(kept)
    leaked = resaved.getvalue().encode("utf-8-sig")
    assert product_calls.identify(leaked, candidates) == candidates[leaked_index][0]
    assert product_calls.identify(original, candidates) is None
    assert product_calls.identify(b"district,firms\n\xe7\xab\x99,5\n", candidates) is None
