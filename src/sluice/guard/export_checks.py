"""The export gate's automatic checks (出域, R8.6): what of a query's answer may leave.

``check_export`` is the only way a sandbox result becomes a candidate for export. It sits in
the guard because it decides a use of authorized data and re-runs SQL on the engine; the
sandbox keeps the request, the ε budget and the review (``sandbox.exports``). In order:

1. the agreement is the caller's own, in force today and grants ``processing``, as for any
   query (``authorization_inactive``, ``out_of_scope``);
2. **versions**: each view the query read still reads the dataset version it read then, so
   the re-run gives exactly the answer the operator saw (``export_versions_changed``, 409:
   run the query again and export that);
3. **policy**: the SQL the policy normalised when the query ran is checked again (a rule
   tightened since refuses it now, with the query's own codes) and its resources must
   still be in scope;
4. **columns** (``export_columns``): no identifier token, masked identifier, row-level
   value of a sensitive or identifier field, or one record's value picked by ``min``,
   ``max`` and their kin (``export_column_not_allowed``); a count of a token passes;
5. **noise planned** when ε is asked for (``export_noise``): only counts and sums of
   bounded columns can carry it (``export_noise_unsupported``), decided before any run;
6. the **re-run** on the workspace's locked engine; a cut result is not the query's answer
   (``export_truncated``);
7. **k subjects**: ``subject_count_query`` counts the distinct subjects (person or
   enterprise tokens) behind every output group; a group of fewer than k
   (``sandbox_export_min_subjects``) is **suppressed**: left out of the candidate and
   counted, never silently dropped. A query over subject data whose subjects cannot be
   counted is refused (``export_subjects_uncountable``); one over no subject data at all
   passes this check as such; a candidate with nothing left is refused
   (``export_nothing_left``);
8. **noise drawn** on the rows that remain (OpenDP's Laplace mechanisms).

Each call leaves exactly one audit row (``guard.sandbox_export``), allowed or refused: the
code, the part a refusal named, the agreement, the resources and versions, the SQL's SM3,
k, the groups and how many were suppressed, ε. A refusal carries its row
(``SluiceError.keep``), so it survives the rollback.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from sqlalchemy.orm import Session

from sluice.audit import details as audit_details
from sluice.audit import service as audit
from sluice.authorizations.models import Authorization
from sluice.catalog import service as catalog
from sluice.core.errors import SluiceError
from sluice.core.i18n import add_messages
from sluice.core.ids import sm3_hex
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.dataplane.sandbox_engine import QueryResult, ViewSource, WorkspaceEngine, engine_for
from sluice.guard import export_columns, export_noise
from sluice.guard import service as guard
from sluice.guard.query_policy import QueryRefused, check_query, subject_count_query
from sluice.guard.query_types import CheckedQuery, ViewSpec
from sluice.guard.subject_counts import SUBJECTS
from sluice.guard.workspace_queries import PURPOSE
from sluice.guard.workspace_views import WorkspaceView, workspace_views

EXPORT: Final = "guard.sandbox_export"
USE: Final = "sandbox_export"

audit.declare_actions({EXPORT: ("出域检查", "Export check")})
audit_details.declare_detail_labels(
    {
        "export": ("出域申请", "Export request"),
        "min_subjects": ("最少主体数 k", "Minimum subjects k"),
        "groups": ("结果分组数", "Groups in the result"),
        "suppressed_groups": ("被抑制的分组数", "Groups suppressed"),
        "epsilon": ("隐私预算 ε", "Privacy budget ε"),
    }
)


class ExportRefused(SluiceError):
    """A query result the gate does not let leave; ``part`` names what it refused."""

    status = 422
    code = "export_refused"

    def __init__(self, message_key: str, /, *, part: str = "", **params: Any) -> None:
        super().__init__(message_key, part=part, **params)
        self.part = part


class VersionsChanged(ExportRefused):
    status = 409
    code = "export_versions_changed"


class ExportColumnNotAllowed(ExportRefused):
    code = "export_column_not_allowed"


class NoiseUnsupported(ExportRefused):
    code = "export_noise_unsupported"


class ResultTruncated(ExportRefused):
    code = "export_truncated"


class SubjectsUncountable(ExportRefused):
    code = "export_subjects_uncountable"


class NothingLeft(ExportRefused):
    code = "export_nothing_left"


add_messages(
    {
        "problem.export_versions_changed": ("数据版本已更新", "The data has a new version"),
        "problem.export_column_not_allowed": ("该列不能出域", "Column may not leave"),
        "problem.export_noise_unsupported": (
            "无法为该列添加差分隐私噪声",
            "Noise cannot be calibrated",
        ),
        "problem.export_truncated": ("结果不完整", "Result incomplete"),
        "problem.export_subjects_uncountable": (
            "无法统计主体数",
            "Subjects cannot be counted",
        ),
        "problem.export_nothing_left": ("没有可出域的结果", "Nothing left to export"),
        "export.refused.versions_changed": (
            "视图 {part} 已从第 {was} 版更新为第 {now} 版：出域只能导出原查询读到的同一版本。"
            "请重新运行该查询，再申请导出新的结果。",
            "View {part} moved from version {was} to version {now}; an export re-runs the "
            "query over the versions it read. Run the query again and export that result.",
        ),
        "export.refused.view_gone": (
            "视图 {part} 已不在本工作区：请重新运行查询后再申请导出。",
            "View {part} is no longer in this workspace; run the query again before exporting.",
        ),
        "export.column.token": (
            "列 {part} 是标识符令牌，不能出域：只能导出对它的计数（count）。",
            "Column {part} is an identifier token and cannot leave the platform; only a "
            "count of it can.",
        ),
        "export.column.masked": (
            "列 {part} 是脱敏后的标识符，不能出域：只能导出对它的计数（count）。",
            "Column {part} is a masked identifier and cannot leave the platform; only a "
            "count of it can.",
        ),
        "export.column.row_value": (
            "列 {part} 是敏感或标识字段的逐条取值，不能出域：请先聚合，"
            "或泛化为年、月、区间后导出。",
            "Column {part} carries the row values of a sensitive or identifying field and "
            "cannot leave the platform; aggregate it, or generalise it (year, month, band).",
        ),
        "export.column.picked_value": (
            "{part} 返回的是某一条记录的敏感取值，不能出域：请改用 count、sum、avg 等统计量。",
            "{part} returns one record's sensitive value and cannot leave the platform; use "
            "a statistic such as count, sum or avg.",
        ),
        "export.column.picked_group": (
            "{part} 从查询内部的多个分组中挑出一个分组的统计值，"
            "而主体数检查只能担保这些分组的合集，不能出域："
            "请直接导出各分组（每个分组都按 k 检查）。",
            "{part} picks one group's statistic among groups computed inside the query, and the "
            "subject count vouches only for those groups together; export the groups "
            "themselves (each is checked against k).",
        ),
        "export.noise.nothing": (
            "该查询没有可添加噪声的聚合列：不使用差分隐私（不填 ε）即可申请导出。",
            "The query has no aggregate column to add noise to; request the export without ε.",
        ),
        "export.noise.set_operation": (
            "列 {part} 来自集合运算（UNION 等），无法校准噪声：请拆分查询，或不使用差分隐私。",
            "Column {part} comes from a set operation (UNION …), for which noise cannot be "
            "calibrated; split the query, or export without ε.",
        ),
        "export.noise.aggregate": (
            "差分隐私只能为 count 和 sum 列添加噪声，列 {part} 两者都不是：请改写为 sum 与 count，"
            "或去掉该列，或不使用差分隐私。",
            "Differential privacy adds noise to count and sum columns only, and {part} is "
            "neither: rewrite it as a sum and a count, drop it, or export without ε.",
        ),
        "export.noise.sum_expression": (
            "列 {part} 是对表达式求和：只有直接对视图中的列求和才能确定敏感度。",
            "Column {part} sums an expression; the sensitivity is known only for a sum of a "
            "view's column itself.",
        ),
        "export.noise.unbounded": (
            "列 {part} 所求和的字段在目录中没有声明取值范围（min、max），无法确定敏感度。",
            "Column {part} sums a field that declares no range (min, max) in the catalog, so "
            "its sensitivity is unknown.",
        ),
        "export.refused.truncated": (
            "结果超过 {limit} 行被截断，不是该查询的完整结果，不能出域：请进一步聚合。",
            "The result was cut at {limit} rows, so it is not the query's whole answer and "
            "cannot leave; aggregate further.",
        ),
        "export.refused.uncountable": (
            "无法统计该查询各分组背后的主体数（主体标识经过嵌套的集合运算或 LATERAL）："
            "请简化查询后再申请导出。",
            "The subjects behind each group of this query cannot be counted (their "
            "identifiers pass through a nested set operation or LATERAL); simplify the "
            "query and try again.",
        ),
        "export.refused.all_suppressed": (
            "全部 {groups} 个分组的主体数都少于 {k} 个，均被抑制，没有可出域的结果：请合并分组"
            "（更粗的区域、年份或区间）后重试。",
            "All {groups} groups cover fewer than {k} subjects and were suppressed, so "
            "nothing is left to export; merge groups (coarser areas, years or bands).",
        ),
        "export.refused.empty": (
            "该查询没有返回任何行，没有可出域的结果。",
            "The query returns no rows; there is nothing to export.",
        ),
    }
)


@dataclass(frozen=True)
class ExportSubmitted:
    """A query of the history as the sandbox hands it to the gate."""

    export_id: uuid.UUID
    query_id: uuid.UUID
    #: The workspace's key for its engine (its id).
    workspace_key: str
    authorization_id: uuid.UUID
    #: The SQL the policy normalised when the query ran.
    sql: str
    #: The versions it read: [{"view", "resource_id", "version", "dataset_version_id"}].
    versions: Sequence[Mapping[str, Any]]
    min_subjects: int
    epsilon: Decimal | None = None


@dataclass(frozen=True)
class ExportCandidate:
    """What may leave: the result after suppression and noise, and how it was judged."""

    columns: tuple[tuple[str, str], ...]
    rows: list[list[object]]
    #: Output groups in the result, and how many of them covered fewer than k subjects.
    groups: int
    suppressed_groups: int
    #: Each check passed, as the manifest lists it.
    checks: list[dict[str, Any]]
    #: The noised columns (empty without ε).
    noise: list[dict[str, Any]]
    read: tuple[WorkspaceView, ...]
    #: The SQL that ran (the checked SQL, sums clamped when noised).
    sql: str
    authorization: Authorization
    read_versions: list[dict[str, Any]] = field(default_factory=list)


def check_export(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    at: datetime,
    submitted: ExportSubmitted,
) -> ExportCandidate:
    """Run every check on a query of the history (see the module docstring); a refusal
    carries its audit row."""
    authorization = guard.own_authorization(
        session, actor=actor, authorization_id=submitted.authorization_id
    )
    audited = _Audit(session, actor, at, submitted, authorization)
    refused = guard.refusal(session, authorization, at=at, purpose=PURPOSE)
    if refused is not None:
        raise audited.refuse(refused.error)
    views = workspace_views(session, authorization)
    by_name = {v.name: v for v in views}
    _same_versions(submitted.versions, by_name, audited)
    specs = {v.name: v.spec() for v in views}
    try:
        checked = check_query(submitted.sql, specs, row_cap=settings.sandbox_row_cap)
    except QueryRefused as error:
        raise audited.refuse(error) from None
    read = tuple(v for v in views if v.name in checked.views)
    audited.read = read
    refused = guard.refusal(session, authorization, at=at, resources=[v.resource_id for v in read])
    if refused is not None:
        raise audited.refuse(refused.error)
    checks: list[dict[str, Any]] = [
        {"check": "agreement", "passed": True, "purpose": PURPOSE},
        {"check": "versions", "passed": True},
        {"check": "policy", "passed": True},
    ]
    column = export_columns.refusal(checked, specs)
    if column is not None:
        raise audited.refuse(
            ExportColumnNotAllowed(f"export.column.{column.reason}", part=column.column)
        )
    checks.append({"check": "columns", "passed": True})
    noise: export_noise.NoisePlan | None = None
    if submitted.epsilon is not None:
        try:
            noise = export_noise.plan(checked, _bounds(session, views))
        except export_noise.Unsupported as why:
            raise audited.refuse(NoiseUnsupported(why.why, part=why.column)) from None
    engine = engine_for(
        settings, submitted.workspace_key, [ViewSource(v.name, v.directory) for v in views]
    )
    cap = settings.sandbox_row_cap if checked.row_level else settings.sandbox_max_result_rows
    sql = noise.sql if noise is not None else checked.sql
    try:
        result = engine.run(sql, max_rows=cap)
        counts = _subject_counts(engine, checked, specs, read, settings)
    except SluiceError as error:
        raise audited.refuse(error) from None
    if result.truncated:
        raise audited.refuse(ResultTruncated("export.refused.truncated", part="", limit=cap))
    suppressed_result = suppress_small_groups(result, counts, submitted.min_subjects)
    if suppressed_result is None:
        raise audited.refuse(SubjectsUncountable("export.refused.uncountable"))
    kept, groups, suppressed = suppressed_result
    audited.groups, audited.suppressed = groups, suppressed
    if not result.rows:
        raise audited.refuse(NothingLeft("export.refused.empty"))
    if not kept:
        raise audited.refuse(
            NothingLeft("export.refused.all_suppressed", groups=groups, k=submitted.min_subjects)
        )
    subjects: dict[str, Any] = {
        "check": "subjects",
        "passed": True,
        "k": submitted.min_subjects,
        "groups": groups,
        "suppressed_groups": suppressed,
    }
    if counts is None:
        subjects["subject_columns"] = False
    checks.append(subjects)
    described: list[dict[str, Any]] = []
    if noise is not None and submitted.epsilon is not None:
        kept, described = export_noise.apply(noise, submitted.epsilon, kept)
        checks.append(
            {
                "check": "privacy",
                "passed": True,
                "epsilon": str(submitted.epsilon),
                "columns": [c["column"] for c in described],
            }
        )
    audited.allowed()
    return ExportCandidate(
        columns=result.columns,
        rows=kept,
        groups=groups,
        suppressed_groups=suppressed,
        checks=checks,
        noise=described,
        read=read,
        sql=sql,
        authorization=authorization,
        read_versions=[dict(v) for v in submitted.versions],
    )


def _same_versions(
    recorded: Sequence[Mapping[str, Any]], views: Mapping[str, WorkspaceView], audited: _Audit
) -> None:
    for was in recorded:
        now = views.get(str(was["view"]))
        if now is None:
            raise audited.refuse(VersionsChanged("export.refused.view_gone", part=str(was["view"])))
        if str(now.dataset_version_id) != str(was["dataset_version_id"]):
            raise audited.refuse(
                VersionsChanged(
                    "export.refused.versions_changed",
                    part=now.name,
                    was=was["version"],
                    now=now.version,
                )
            )


def _bounds(session: Session, views: Sequence[WorkspaceView]) -> export_noise.Bounds:
    by_name = {v.name.lower(): v for v in views}

    def bounds(view: str, column: str) -> tuple[Decimal, Decimal] | None:
        found = by_name.get(view.lower())
        if found is None:
            return None
        source = next((c for c in found.columns if c.name.lower() == column.lower()), None)
        if source is None or source.form != "value":
            return None
        fields = {f.name: f for f in catalog.fields_of(session, resource_id=found.resource_id)}
        declared = fields.get(source.source_field)
        rules = declared.rules if declared is not None else {}
        try:
            low, high = Decimal(str(rules["min"])), Decimal(str(rules["max"]))
        except (KeyError, InvalidOperation):
            return None
        return (low, high) if low.is_finite() and high.is_finite() and low <= high else None

    return bounds


def _subject_counts(
    engine: WorkspaceEngine,
    checked: CheckedQuery,
    specs: Mapping[str, ViewSpec],
    read: Sequence[WorkspaceView],
    settings: Settings,
) -> QueryResult | None:
    """The subjects behind each output group, or ``None`` when no view read has subjects;
    ``SubjectsUncountable`` when they have but cannot be counted."""
    sql = subject_count_query(checked, specs)
    if sql is None:
        if any(c.subject for v in read for c in v.columns):
            raise SubjectsUncountable("export.refused.uncountable")
        return None
    return engine.run(sql, max_rows=settings.sandbox_max_result_rows)


def _key(values: Sequence[object]) -> str:
    return json.dumps(list(values), ensure_ascii=False, sort_keys=True, default=str)


def suppress_small_groups(
    result: QueryResult, counts: QueryResult | None, k: int
) -> tuple[list[list[object]], int, int] | None:
    """The rows whose group covers at least k subjects, the number of groups, and how many
    groups were suppressed. A group the count did not reach (a cut count) is suppressed;
    ``None`` if the counts cannot be matched to the result's groups at all."""
    if counts is None:
        everyone = {_key(row) for row in result.rows}
        return [list(r) for r in result.rows], len(everyone), 0
    names = [name for name, _ in result.columns]
    key_names = [name for name, _ in counts.columns if name != SUBJECTS]
    positions: list[int] = []
    for name in key_names:
        index = next((i for i, n in enumerate(names) if n == name and i not in positions), None)
        if index is None:  # pragma: no cover - the rewrite names its keys as the output does
            return None
        positions.append(index)
    subjects_at = [name for name, _ in counts.columns].index(SUBJECTS)
    covered = {_key(row[: len(key_names)]): _count(row[subjects_at]) for row in counts.rows}
    kept: list[list[object]] = []
    groups: set[str] = set()
    small: set[str] = set()
    for row in result.rows:
        key = _key([row[i] for i in positions])
        groups.add(key)
        if covered.get(key, 0) >= k:
            kept.append(list(row))
        else:
            small.add(key)
    return kept, len(groups), len(small)


def _count(value: object) -> int:
    return value if isinstance(value, int) else int(str(value or 0))


class _Audit:
    """The one audit row of a check, written on success or carried by the refusal."""

    def __init__(
        self,
        session: Session,
        actor: Principal,
        at: datetime,
        submitted: ExportSubmitted,
        authorization: Authorization,
    ) -> None:
        self.session, self.actor, self.at = session, actor, at
        self.submitted, self.authorization = submitted, authorization
        self.read: tuple[WorkspaceView, ...] = ()
        self.groups: int | None = None
        self.suppressed: int | None = None

    def detail(self, code: str, part: str | None = None) -> dict[str, Any]:
        submitted, authorization = self.submitted, self.authorization
        detail: dict[str, Any] = {
            "decision": "allowed" if code == "ok" else "refused",
            "use": USE,
            "purpose": PURPOSE,
            "code": code,
            "authorization": authorization.number,
            "status": authorization.status,
            "workspace": submitted.workspace_key,
            "query": str(submitted.query_id),
            "export": str(submitted.export_id),
            "resources": [str(v.resource_id) for v in self.read],
            "versions": {str(v["view"]): v["version"] for v in submitted.versions},
            "sql_sm3": sm3_hex(submitted.sql),
            "min_subjects": submitted.min_subjects,
        }
        if self.groups is not None:
            detail.update(groups=self.groups, suppressed_groups=self.suppressed)
        if submitted.epsilon is not None:
            detail["epsilon"] = str(submitted.epsilon)
        if part:
            detail["part"] = part[:200]
        return detail

    def refuse(self, error: SluiceError) -> SluiceError:
        detail = self.detail(error.code, getattr(error, "part", None) or None)
        actor, at, target = self.actor, self.at, self.authorization.id
        resources = [v.resource_id for v in self.read]

        def write(session: Session) -> None:
            audit.record(
                session,
                actor=actor,
                action=EXPORT,
                target_type="authorization",
                target_id=target,
                at=at,
                outcome="refused",
                detail=detail,
                reason=error.code,
                authorization_id=target,
                purpose=PURPOSE,
                resources=resources,
            )

        return error.keep(write)

    def allowed(self) -> None:
        audit.record(
            self.session,
            actor=self.actor,
            action=EXPORT,
            target_type="authorization",
            target_id=self.authorization.id,
            at=self.at,
            detail=self.detail("ok"),
            authorization_id=self.authorization.id,
            purpose=PURPOSE,
            resources=[v.resource_id for v in self.read],
        )


__all__ = [
    "ExportCandidate",
    "ExportColumnNotAllowed",
    "ExportRefused",
    "ExportSubmitted",
    "NoiseUnsupported",
    "NothingLeft",
    "ResultTruncated",
    "SubjectsUncountable",
    "VersionsChanged",
    "check_export",
]
