"""Column rules by class and form (R8.2): the issue's table, and tightening only."""

from __future__ import annotations

import pytest

from sluice.core.i18n import EN, ZH, has_message, translate
from sluice.dataplane.column_rules import (
    RULES_HEADERS,
    RULES_TABLE,
    ColumnRule,
    FieldClass,
    Form,
    RuleInvalid,
    RuleLoosened,
    default_rule,
    field_rule,
    tighten,
)


@pytest.mark.parametrize(
    ("field_class", "form", "expected"),
    [
        pytest.param("public", "value", ColumnRule(True, "any", "yes", "yes"), id="public"),
        pytest.param("internal", "value", ColumnRule(True, "any", "yes", "yes"), id="internal"),
        pytest.param(
            "sensitive", "value", ColumnRule(False, "any", "generalised", "yes"), id="sensitive"
        ),
        pytest.param(
            "identifier",
            "token",
            ColumnRule(False, "count_distinct", "no", "equality"),
            id="identifier_token",
        ),
        pytest.param(
            "identifier", "masked", ColumnRule(True, "count", "no", "no"), id="identifier_masked"
        ),
        # Pairs outside the table take the stricter of their class and their form.
        pytest.param(
            "sensitive",
            "token",
            ColumnRule(False, "count_distinct", "no", "equality"),
            id="sensitive_token",
        ),
        pytest.param("public", "masked", ColumnRule(True, "count", "no", "no"), id="public_masked"),
        pytest.param(
            "sensitive", "masked", ColumnRule(False, "count", "no", "no"), id="sensitive_masked"
        ),
        pytest.param(
            "identifier",
            "value",
            ColumnRule(False, "none", "no", "no"),
            id="plaintext_identifier_is_unusable",
        ),
    ],
)
def test_default_rules_are_the_issue_table(
    field_class: FieldClass, form: Form, expected: ColumnRule
) -> None:
    assert default_rule(field_class, form) == expected


def test_a_provider_may_tighten_every_cell() -> None:
    base = default_rule("public", "value")
    assert tighten(
        base,
        {
            "in_rows": "no",
            "in_aggregates": "count_distinct",
            "as_group_key": "generalised",
            "in_filters": "equality",
        },
    ) == ColumnRule(False, "count_distinct", "generalised", "equality")
    token = default_rule("identifier", "token")
    assert tighten(token, {"in_aggregates": "count", "in_filters": "no"}) == ColumnRule(
        False, "count", "no", "no"
    )
    # Keeping a cell as it is is not loosening it.
    assert tighten(token, {"in_filters": "equality"}) == token
    assert tighten(token, {}) == token


@pytest.mark.parametrize(
    ("field_class", "form", "key", "value"),
    [
        pytest.param("sensitive", "value", "in_rows", "yes", id="sensitive_into_rows"),
        pytest.param("sensitive", "value", "as_group_key", "yes", id="sensitive_raw_key"),
        pytest.param("identifier", "token", "in_aggregates", "any", id="token_any_aggregate"),
        pytest.param("identifier", "token", "in_filters", "yes", id="token_any_filter"),
        pytest.param("identifier", "masked", "in_aggregates", "count_distinct", id="masked"),
    ],
)
def test_loosening_is_refused_naming_the_key(
    field_class: FieldClass, form: Form, key: str, value: str
) -> None:
    with pytest.raises(RuleLoosened) as refused:
        tighten(default_rule(field_class, form), {key: value})
    assert refused.value.status == 422
    assert refused.value.code == "rule_loosened"
    assert key in refused.value.detail(ZH)
    assert key in refused.value.detail(EN)
    assert "只能收紧" in refused.value.detail(ZH)
    assert "only tighten" in refused.value.detail(EN)


def test_unknown_cells_and_values_are_invalid() -> None:
    base = default_rule("public", "value")
    with pytest.raises(RuleInvalid) as key:
        tighten(base, {"in_output": "no"})
    assert key.value.code == "rule_invalid"
    assert "in_output" in key.value.detail(EN)
    with pytest.raises(RuleInvalid) as value:
        tighten(base, {"in_filters": "sometimes"})
    assert "sometimes" in value.value.detail(ZH)


def test_the_table_as_shown_has_every_label_in_both_languages() -> None:
    assert [(row.field_class, row.form) for row in RULES_TABLE] == [
        ("public", "value"),
        ("internal", "value"),
        ("sensitive", "value"),
        ("identifier", "token"),
        ("identifier", "masked"),
    ]
    keys = [*RULES_HEADERS]
    for row in RULES_TABLE:
        assert row.rule == default_rule(row.field_class, row.form)
        keys.extend([row.class_label, row.form_label, *row.cells])
    for key in keys:
        assert has_message(key), key
    token = RULES_TABLE[3]
    assert [translate(cell, EN) for cell in token.cells] == [
        "No",
        "count, count(DISTINCT …) only",
        "No",
        "Equality joins and filters only (=, IN literals, IS NULL)",
    ]
    assert translate(RULES_TABLE[2].cells[2], ZH) == "仅泛化后（年、季、月、区间）"
    assert translate(token.class_label, ZH) == "标识符"
    assert translate(token.form_label, ZH) == "令牌"


def test_a_field_rule_tightens_every_form_its_class_takes() -> None:
    rules = field_rule("identifier", {"in_rows": "no"}, field="name")
    assert set(rules) == {"token", "masked"}
    assert rules["masked"] == ColumnRule(False, "count", "no", "no")
    assert rules["token"] == default_rule("identifier", "token")
    assert field_rule("sensitive", None) == {"value": default_rule("sensitive", "value")}


def test_a_field_rule_looser_for_one_of_its_forms_is_refused_naming_field_and_form() -> None:
    # count(DISTINCT) is what a token already allows, but looser than a masked form's count.
    with pytest.raises(RuleLoosened) as refused:
        field_rule("identifier", {"in_aggregates": "count_distinct"}, field="id_number")
    assert refused.value.code == "rule_loosened"
    assert translate(refused.value.message_key, ZH, **refused.value.params) == (
        "数据项“id_number”（脱敏形式）的列规则“in_aggregates”当前为“count”，"
        "不能放宽为“count_distinct”：提供部门只能收紧规则。"
    )
    assert "Field id_number (Masked form)" in refused.value.detail(EN)


def test_a_field_rule_that_is_not_a_table_of_cells_is_invalid() -> None:
    with pytest.raises(RuleInvalid) as refused:
        field_rule("public", "no rows", field="amount")
    assert "amount" in refused.value.detail(ZH)
    with pytest.raises(RuleInvalid):
        field_rule("public", {"in_joins": "no"}, field="amount")
