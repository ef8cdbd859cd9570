"""What a sandbox query may do with a column, by the column's class and form (R8.2).

A column of a workspace view has a catalog class (``public``, ``internal``, ``sensitive``,
``identifier``) and a form in the view (``value`` as published, ``token`` for an
identifier replaced by its keyed token, ``masked`` for an identifier's masked display
form). The pair decides four things, the cells of the table below (``default_rule``):

========================== ====== ======================= ================ ==============
column                     rows   inside aggregates       as group key     filters, joins
========================== ====== ======================= ================ ==============
public, internal           yes    yes                     yes              yes
sensitive (dates, amounts) no     yes                     only generalised yes
identifier token           no     count, count(DISTINCT)  no               equality only
identifier masked          yes    count only              no               no
========================== ====== ======================= ================ ==============

Any other pair takes the stricter of its class's row and its form's row (a sensitive
column in token form is a token; a plaintext identifier, which the data plane never
writes, may be used for nothing). A provider may tighten a field's rule when registering
the resource, never loosen it (``tighten``). The query policy (``query_policy``) applies
the rules to every column an expression derives from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal, cast, get_args

from sluice.core.errors import SluiceError
from sluice.core.i18n import MessageRef, add_messages
from sluice.dataplane.schema import FieldClass

__all__ = [
    "RULES_TABLE",
    "ColumnRule",
    "FieldClass",
    "Form",
    "RuleInvalid",
    "RuleLoosened",
    "RulesRow",
    "default_rule",
    "field_rule",
    "forms_of",
    "rule_cells",
    "tighten",
]

Form = Literal["value", "token", "masked"]
InRows = bool
InAggregates = Literal["any", "count", "count_distinct", "none"]
AsGroupKey = Literal["yes", "generalised", "no"]
InFilters = Literal["yes", "equality", "no"]

FORMS: Final[tuple[Form, ...]] = get_args(Form)

#: Each cell's values from the most permissive to the strictest: tightening moves right.
ORDER: Final[dict[str, tuple[str, ...]]] = {
    "in_rows": ("yes", "no"),
    "in_aggregates": ("any", "count_distinct", "count", "none"),
    "as_group_key": ("yes", "generalised", "no"),
    "in_filters": ("yes", "equality", "no"),
}
CELLS: Final = tuple(ORDER)


@dataclass(frozen=True)
class ColumnRule:
    #: May appear in row-level output.
    in_rows: InRows
    #: ``count_distinct`` allows ``count`` and ``count(DISTINCT …)``; ``count`` only ``count``.
    in_aggregates: InAggregates
    #: ``generalised``: through ``date_trunc``/``year``/``month``/``extract`` to a year,
    #: quarter or month, or a width band (``floor(x / n) * n``, CASE bands).
    as_group_key: AsGroupKey
    #: Filters and join conditions; ``equality``: ``=``, ``IN`` with literals, ``IS NULL``.
    in_filters: InFilters

    def cell(self, name: str) -> str:
        """A cell as its table code: ``in_rows`` reads ``yes``/``no`` like the others."""
        value = getattr(self, name)
        if isinstance(value, bool):
            return "yes" if value else "no"
        return cast(str, value)

    def allows_aggregate(self, use: Literal["count", "count_distinct", "any"]) -> bool:
        granted = ORDER["in_aggregates"].index(self.in_aggregates)
        return granted <= ORDER["in_aggregates"].index(use)


OPEN: Final = ColumnRule(in_rows=True, in_aggregates="any", as_group_key="yes", in_filters="yes")
SENSITIVE: Final = ColumnRule(
    in_rows=False, in_aggregates="any", as_group_key="generalised", in_filters="yes"
)
TOKEN: Final = ColumnRule(
    in_rows=False, in_aggregates="count_distinct", as_group_key="no", in_filters="equality"
)
MASKED: Final = ColumnRule(in_rows=True, in_aggregates="count", as_group_key="no", in_filters="no")
NOTHING: Final = ColumnRule(in_rows=False, in_aggregates="none", as_group_key="no", in_filters="no")

_BY_CLASS: Final[dict[str, ColumnRule]] = {
    "public": OPEN,
    "internal": OPEN,
    "sensitive": SENSITIVE,
    # An identifier is queryable only as a token or masked; in plaintext, not at all.
    "identifier": NOTHING,
}
_BY_FORM: Final[dict[str, ColumnRule]] = {"value": OPEN, "token": TOKEN, "masked": MASKED}


def _stricter(a: ColumnRule, b: ColumnRule) -> ColumnRule:
    cells = {}
    for name in CELLS:
        values = ORDER[name]
        cells[name] = max(a.cell(name), b.cell(name), key=values.index)
    return _from_cells(cells)


def _from_cells(cells: Mapping[str, str]) -> ColumnRule:
    return ColumnRule(
        in_rows=cells["in_rows"] == "yes",
        in_aggregates=cast(InAggregates, cells["in_aggregates"]),
        as_group_key=cast(AsGroupKey, cells["as_group_key"]),
        in_filters=cast(InFilters, cells["in_filters"]),
    )


def default_rule(field_class: FieldClass, form: Form) -> ColumnRule:
    """The issue's table; an identifier's own rows are its token and masked forms."""
    if field_class == "identifier" and form != "value":
        return _BY_FORM[form]
    return _stricter(_BY_CLASS[field_class], _BY_FORM[form])


class RuleLoosened(SluiceError):
    status = 422
    code = "rule_loosened"


class RuleInvalid(SluiceError):
    status = 422
    code = "rule_invalid"


def tighten(base: ColumnRule, override: Mapping[str, str]) -> ColumnRule:
    """``base`` with the provider's cells applied: each must be as strict or stricter.

    Keys are the cell names (``in_rows``, ``in_aggregates``, ``as_group_key``,
    ``in_filters``), values their codes (``in_rows`` takes ``yes``/``no``). A looser value
    raises ``RuleLoosened`` naming the key; an unknown key or value ``RuleInvalid``.
    """
    cells = {name: base.cell(name) for name in CELLS}
    for key, value in override.items():
        if key not in ORDER:
            raise RuleInvalid("guard.rule.unknown_key", key=key, allowed=", ".join(CELLS))
        values = ORDER[key]
        if value not in values:
            raise RuleInvalid(
                "guard.rule.unknown_value", key=key, value=value, allowed=", ".join(values)
            )
        if values.index(value) < values.index(cells[key]):
            raise RuleLoosened("guard.rule.loosened", key=key, value=value, current=cells[key])
        cells[key] = value
    return _from_cells(cells)


def forms_of(field_class: FieldClass) -> tuple[Form, ...]:
    """The forms a column of this class takes in a workspace view: an identifier is
    queryable only as its token and its masked display form, anything else as its value."""
    return ("token", "masked") if field_class == "identifier" else ("value",)


def field_rule(
    field_class: FieldClass, override: object, *, field: str = ""
) -> dict[Form, ColumnRule]:
    """A field's rule in each of its forms, the provider's ``column_rule`` applied.

    The override must be a mapping of cell names to codes and must tighten the rule of
    every form the field takes (``RuleInvalid``, ``RuleLoosened`` otherwise, naming
    ``field`` and the form): the catalog checks it when the resource is registered, the
    guard applies what was stored.
    """
    forms = forms_of(field_class)
    if override is None:
        return {form: default_rule(field_class, form) for form in forms}
    if not isinstance(override, Mapping):
        raise RuleInvalid("guard.rule.not_a_table", field=field, allowed=", ".join(CELLS))
    cells = {str(key): str(value) for key, value in override.items()}
    rules: dict[Form, ColumnRule] = {}
    for form in forms:
        try:
            rules[form] = tighten(default_rule(field_class, form), cells)
        except RuleLoosened as error:
            raise RuleLoosened(
                "guard.rule.field_loosened",
                field=field,
                form=MessageRef(f"vocab.column_form.{form}"),
                **error.params,
            ) from error
    return rules


def cell_key(name: str, value: str) -> str:
    """The message key of one cell's label, e.g. ``guard.rule.in_filters.equality``."""
    return f"guard.rule.{name}.{value}"


def rule_cells(rule: ColumnRule) -> tuple[str, str, str, str]:
    """The four cells of a rule as message keys, in the table's column order."""
    first, second, third, fourth = (cell_key(name, rule.cell(name)) for name in CELLS)
    return first, second, third, fourth


@dataclass(frozen=True)
class RulesRow:
    field_class: FieldClass
    form: Form
    rule: ColumnRule
    #: ``vocab.field_class.<class>`` and ``vocab.column_form.<form>``.
    class_label: str
    form_label: str
    #: The four cells as message keys (``rule_cells``).
    cells: tuple[str, str, str, str]


def _row(field_class: FieldClass, form: Form) -> RulesRow:
    rule = default_rule(field_class, form)
    return RulesRow(
        field_class=field_class,
        form=form,
        rule=rule,
        class_label=f"vocab.field_class.{field_class}",
        form_label=f"vocab.column_form.{form}",
        cells=rule_cells(rule),
    )


#: The table as the console and the catalog entry show it: the column headers
#: (message keys) and one row per class and form a view can have.
RULES_HEADERS: Final = tuple(f"guard.rule.{name}" for name in CELLS)
RULES_TABLE: Final[tuple[RulesRow, ...]] = (
    _row("public", "value"),
    _row("internal", "value"),
    _row("sensitive", "value"),
    _row("identifier", "token"),
    _row("identifier", "masked"),
)

add_messages(
    {
        "vocab.column_form.value": ("原值", "Value"),
        "vocab.column_form.token": ("令牌", "Token"),
        "vocab.column_form.masked": ("脱敏", "Masked"),
        "guard.rule.in_rows": ("逐行输出", "In row output"),
        "guard.rule.in_aggregates": ("聚合中", "Inside aggregates"),
        "guard.rule.as_group_key": ("作为分组键", "As group key"),
        "guard.rule.in_filters": ("筛选与连接", "In filters and joins"),
        "guard.rule.in_rows.yes": ("可以", "Yes"),
        "guard.rule.in_rows.no": ("不可以", "No"),
        "guard.rule.in_aggregates.any": ("可以", "Yes"),
        "guard.rule.in_aggregates.count_distinct": (
            "仅 count、count(DISTINCT …)",
            "count, count(DISTINCT …) only",
        ),
        "guard.rule.in_aggregates.count": ("仅 count", "count only"),
        "guard.rule.in_aggregates.none": ("不可以", "No"),
        "guard.rule.as_group_key.yes": ("可以", "Yes"),
        "guard.rule.as_group_key.generalised": (
            "仅泛化后（年、季、月、区间）",
            "Only generalised (year, quarter, month, bands)",
        ),
        "guard.rule.as_group_key.no": ("不可以", "No"),
        "guard.rule.in_filters.yes": ("可以", "Yes"),
        "guard.rule.in_filters.equality": (
            "仅等值连接与筛选（=、IN 常量、IS NULL）",
            "Equality joins and filters only (=, IN literals, IS NULL)",
        ),
        "guard.rule.in_filters.no": ("不可以", "No"),
        "problem.rule_loosened": ("只能收紧列规则", "Column rules may only be tightened"),
        "guard.rule.loosened": (
            "列规则“{key}”当前为“{current}”，不能放宽为“{value}”：提供部门只能收紧规则。",
            "The column rule {key} is {current}; it cannot be loosened to {value}. A provider "
            "may only tighten a rule.",
        ),
        "problem.rule_invalid": ("列规则无效", "Invalid column rule"),
        "guard.rule.not_a_table": (
            "数据项“{field}”的列规则应逐项写明要收紧的规则（{allowed}）及其取值。",
            "The column rule of field {field} names each rule it tightens ({allowed}) with "
            "its value.",
        ),
        "guard.rule.field_loosened": (
            "数据项“{field}”（{form}形式）的列规则“{key}”当前为“{current}”，不能放宽为“{value}”："
            "提供部门只能收紧规则。",
            "Field {field} ({form} form): the column rule {key} is {current}; it cannot be "
            "loosened to {value}. A provider may only tighten a rule.",
        ),
        "guard.rule.unknown_key": (
            "没有名为“{key}”的列规则，可用：{allowed}。",
            "There is no column rule {key}; the rules are {allowed}.",
        ),
        "guard.rule.unknown_value": (
            "列规则“{key}”不能取“{value}”，可取：{allowed}。",
            "The column rule {key} cannot be {value}; it takes {allowed}.",
        ),
    }
)
