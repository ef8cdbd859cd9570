"""Why a product call or a product's declaration is refused: one class per code, each
message naming the input, view, column or parameter at fault, in zh-CN and English."""

from __future__ import annotations

from typing import Any

from sluice.core.errors import SluiceError
from sluice.core.i18n import MessageRef, add_messages


class InputInvalid(SluiceError):
    """A buyer's input that is missing, unknown or malformed; ``input`` names it."""

    status = 422
    code = "input_invalid"

    def __init__(self, message_key: str, /, *, input: str, **params: Any) -> None:
        super().__init__(message_key, input=input, **params)
        self.input = input

    def problem(self, locale: str, instance: str | None = None) -> dict[str, Any]:
        return {**super().problem(locale, instance), "input": self.input}


class InvalidSpec(SluiceError):
    """A product declaration the guard cannot run as declared; ``part`` names what."""

    status = 422
    code = "spec_invalid"

    def __init__(self, message_key: str, /, *, part: str, **params: Any) -> None:
        super().__init__(message_key, part=part, **params)
        self.part = part

    def problem(self, locale: str, instance: str | None = None) -> dict[str, Any]:
        return {**super().problem(locale, instance), "part": self.part}


class PurposeNotAllowed(SluiceError):
    status = 403
    code = "purpose_not_allowed"


class ProductFailed(SluiceError):
    """The product's query no longer runs as declared (its views changed under it) or
    answered outside its declaration (several rows for a score): nothing of it is
    returned; the operator must fix the product. A conflict of the product's state, not
    the buyer's request, and never a 500."""

    status = 409
    code = "product_failed"


class ExportUnavailable(SluiceError):
    """A dataset product's export is not (or no longer) approved, or its file is gone."""

    status = 404
    code = "product_unavailable"


class RefusalDetail(MessageRef):
    """Another refusal's message as a parameter of ours, in the reader's language."""

    def __init__(self, error: SluiceError) -> None:
        super().__init__(error.message_key)
        self.error = error

    def render(self, locale: str) -> str:
        return self.error.detail(locale)


add_messages(
    {
        "problem.input_invalid": ("输入不符合要求", "Invalid input"),
        "problem.spec_invalid": ("产品定义无法执行", "Product definition invalid"),
        "problem.purpose_not_allowed": ("用途不在产品许可范围内", "Purpose not allowed"),
        "problem.product_failed": ("产品未能给出答案", "Product failed"),
        "product.input.missing": (
            "缺少输入 {input}（{title}）。",
            "Input {input} ({title}) is missing.",
        ),
        "product.input.unknown": (
            "该产品没有名为 {input} 的输入；可用的输入为：{known}。",
            "This product has no input named {input}; its inputs are: {known}.",
        ),
        "product.input.not_text": (
            "输入 {input}（{title}）应为文本或数字，不能是列表或对象。",
            "Input {input} ({title}) must be a text or a number, not a list or an object.",
        ),
        "product.input.too_long": (
            "输入 {input}（{title}）超过 {limit} 个字符。",
            "Input {input} ({title}) is longer than {limit} characters.",
        ),
        "product.input.malformed": (
            "输入 {input}（{title}）不是有效的{type}。",
            "Input {input} ({title}) is not a valid {type}.",
        ),
        "product.input.not_allowed": (
            "输入 {input}（{title}）只能是：{values}。",
            "Input {input} ({title}) must be one of: {values}.",
        ),
        "product.purpose_not_allowed": (
            "产品 {product} 不能用于“{purpose}”；允许的用途为：{allowed}。",
            "Product {product} may not be used for “{purpose}”; its purposes are: {allowed}.",
        ),
        "product.no_product_right": (
            "授权 {number} 已不再授予数据产品经营权，其产品不能被调用。",
            "Authorization {number} no longer grants the right to operate data products; its "
            "products cannot be called.",
        ),
        "product.failed.rows": (
            "产品 {product} 的评分查询对同一主体返回了多行，未予回答：请联系产品运营方修正。",
            "The score query of product {product} returned several rows for one subject and was "
            "not answered; the product's operator must correct it.",
        ),
        "product.failed.spec": (
            "产品 {product} 已不能按其定义运行（数据视图或规则已变化）：{reason}",
            "Product {product} can no longer run as declared (its views or rules changed): "
            "{reason}",
        ),
        "product.failed.truncated": (
            "产品 {product} 的统计结果超过结果行数上限，未予回答：请联系产品运营方减少分组。",
            "The statistics of product {product} have more rows than a result may hold and "
            "were not answered; the product's operator must reduce its groups.",
        ),
        "product.failed.uncountable": (
            "产品 {product} 无法统计各分组背后的主体数，未予回答。",
            "Product {product} cannot count the subjects behind its groups and was not answered.",
        ),
        "product.failed.score": (
            "产品 {product} 的评分查询返回的 score 不是整数，未予回答：请联系产品运营方修正。",
            "The score query of product {product} returned a score that is not an integer and "
            "was not answered; the product's operator must correct it.",
        ),
        "product.export.unavailable": (
            "产品 {product} 的数据集（出域申请 {export}）未获批准或已销毁，不能下载。",
            "The dataset of product {product} (export {export}) is not approved or was "
            "destroyed; it cannot be downloaded.",
        ),
        "product.spec.view": (
            "视图 {part} 不在该授权的工作区中；可用的视图为：{views}。",
            "View {part} is not in the agreement's workspace; its views are: {views}.",
        ),
        "product.spec.column": (
            "视图 {view} 没有列 {part}。",
            "View {view} has no column {part}.",
        ),
        "product.spec.input_type": (
            "输入 {part} 的类型 {type} 不是目录字段类型。",
            "Input {part} has type {type}, which is not a catalog field type.",
        ),
        "product.spec.enum_values": (
            "枚举输入 {part} 须列出允许的取值（values）。",
            "Enum input {part} must list its allowed values.",
        ),
        "product.spec.duplicate_input": (
            "输入 {part} 重复声明。",
            "Input {part} is declared twice.",
        ),
        "product.spec.subject_missing": (
            "主体输入 {part} 不在输入列表中，或未与视图的列比对。",
            "The subject input {part} is not among the inputs, or is not matched to a column.",
        ),
        "product.spec.subject_type": (
            "主体输入 {part} 的类型须为身份证号（id_number）或统一社会信用代码（uscc），"
            "而不是 {type}。",
            "The subject input {part} must be an ID number (id_number) or a credit code "
            "(uscc), not {type}.",
        ),
        "product.spec.match_input": (
            "比对项 {part} 不是已声明的输入。",
            "Match entry {part} is not a declared input.",
        ),
        "product.spec.unmatched_input": (
            "输入 {part} 未与任何列比对：核验只比对输入，不能有未使用的输入。",
            "Input {part} is matched to no column; a verification only compares its inputs, "
            "so every input must be matched.",
        ),
        "product.spec.match_token": (
            "输入 {part} 是个人或企业标识（{type}），只能与同一类型字段的令牌列（{type}_token "
            "一类）比对，列 {column} 不是。",
            "Input {part} is a personal identifier ({type}); it can only be compared with the "
            "token column of a field of the same type, and {column} is not one.",
        ),
        "product.spec.match_value": (
            "输入 {part}（{type}）不能与列 {column}（{column_type}）比对：类型不符，"
            "或该列不是明文值。",
            "Input {part} ({type}) cannot be compared with column {column} ({column_type}): "
            "the types differ or the column does not hold plain values.",
        ),
        "product.spec.answer_values": (
            "答案列 {part} 须列出允许的答案取值（answer_values），且只有声明了答案列才能列出取值。",
            "Answer column {part} needs its allowed answer values (answer_values), and answer "
            "values need an answer column.",
        ),
        "product.spec.policy": (
            "产品的查询不能通过沙箱查询规则（{code}）：{reason}",
            "The product's query does not pass the sandbox query policy ({code}): {reason}",
        ),
        "product.spec.parameter_undeclared": (
            "查询中的参数 :{part} 未声明：可用的参数为 {declared}。",
            "Parameter :{part} in the query is not declared; the declared parameters are "
            "{declared}.",
        ),
        "product.spec.parameter_unnamed": (
            "查询中有未命名的参数（{part}）：请用 :name 形式命名每个参数。",
            "The query has an unnamed parameter ({part}); name each parameter as :name.",
        ),
        "product.spec.parameter_unused": (
            "参数 {part} 已声明，但查询中没有使用 :{part}。",
            "Parameter {part} is declared but the query does not use :{part}.",
        ),
        "product.spec.parameter_place": (
            "参数 :{part} 只能出现在 WHERE 条件中。",
            "Parameter :{part} may only appear in a WHERE condition.",
        ),
        "product.spec.parameter_reserved": (
            "查询中含有平台保留的文本 {part}。",
            "The query contains text the platform reserves ({part}).",
        ),
        "product.spec.row_level": (
            "统计产品的查询须为聚合查询（GROUP BY 或聚合函数），不能返回逐条记录。",
            "A statistics product's query must aggregate (GROUP BY or aggregate functions); "
            "it cannot return individual records.",
        ),
        "product.spec.dimension": (
            "维度 {part} 不是查询输出中的分组列；分组列为：{keys}。",
            "Dimension {part} is not a group-key column of the query's output; its group keys "
            "are: {keys}.",
        ),
        "product.spec.export_column": (
            "统计结果会离开平台，输出列不能通过出域检查：{reason}",
            "A statistics answer leaves the platform, and an output column fails the export "
            "check: {reason}",
        ),
        "product.spec.uncountable": (
            "无法统计查询各分组背后的主体数，小于 k 的分组无法抑制：请简化查询。",
            "The subjects behind each group of the query cannot be counted, so groups under "
            "k could not be suppressed; simplify the query.",
        ),
        "product.spec.score_columns": (
            "评分查询须恰好输出 score 和 reasons 两列，而它输出：{part}。",
            "A score query must output exactly the columns score and reasons; it outputs: {part}.",
        ),
        "product.spec.score_range": (
            "评分范围 {part} 无效：下限不能高于上限。",
            "Score range {part} is invalid: its lower end is above its upper end.",
        ),
        "product.spec.reason": (
            "原因代码 {part} 须为小写字母、数字和下划线，并有中英文标签。",
            "Reason code {part} must be lower-case letters, digits and underscores, with a "
            "Chinese and an English label.",
        ),
        "product.spec.export": (
            "出域申请 {part} 不存在、未获批准，或不属于该授权。",
            "Export {part} does not exist, is not approved, or does not belong to this agreement.",
        ),
    }
)
