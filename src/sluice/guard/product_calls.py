"""Data products run inside the platform: the buyer-side entry of the guard (R8.10, R8.6).

A product runs over the views of **its agreement's** workspace (``workspace_views``: one
view per resource in the agreement's current scope, over its newest version), never over
files of its own and never over an operator's interactive state. Its SQL passes the
sandbox's query policy and column rules exactly as a sandbox query would
(``product_sql``, which adds bound parameters), and runs on the same locked DuckDB
(``dataplane.product_engine``). The functions, in the gateway's order:

- ``authorize_call``: the product's agreement is in force at ``at`` (status and term, as
  ``guard.service.refusal`` decides for every use: ``authorization_inactive``), still
  grants the right to operate data products (``authorization_inactive`` too: the
  agreement no longer covers products), its resources are still in scope and
  authorizable (``out_of_scope``), and the buyer's purpose is one of the product's
  (``purpose_not_allowed``). One audit row (``guard.decision``, use ``product_call``)
  per decision: the buyer's organization, the product, the agreement, the resources, the
  purpose, allowed or refused with its reason; a refusal keeps its row
  (``SluiceError.keep``).
- ``subject_token``: the subject's input cleaned and tokenized as ingestion does
  (``product_inputs``), for the consent check; ``input_invalid`` naming the input.
- ``run``: one answer, and nothing else (see below); ``input_invalid`` for bad inputs.
- ``download`` and ``identify``: a dataset product's approved export with a fingerprint
  per download, and which download a leaked copy came from (``dataplane.fingerprints``).
- ``validate_spec``: a declaration checked against the agreement's views before a
  product is listed (``spec_invalid`` naming the problem).

What a buyer sees (``ProductAnswer.result``), per type:

- **verification** (核验): ``{"result": "match"}`` or ``{"result": "no_match"}``; with an
  answer column, the one value the matching rows hold (one of ``answer_values``), and
  ``no_match`` when no row matches, the rows disagree, or the value is not declared.
  Inputs are bound parameters; nothing else about the data is in the answer.
- **statistics**: ``{"columns": [{"name", "type"}], "rows": [[…]], "suppressed": n}``:
  the query's groups covering at least k distinct subjects
  (``sandbox_export_min_subjects``, the export gate's k and its subject-count rewrite);
  smaller groups are left out and counted in ``suppressed``. k holds per answer only:
  parameters let a buyer ask overlapping questions (two ``since`` dates a day apart)
  whose difference may single out fewer than k subjects; declare coarse parameters
  (enums, years), as docs/sandbox.md says of differencing in the sandbox.
- **score**: ``{"score": n, "reasons": [{"code", "label"}]}``: the query's one row for
  the subject (``:subject`` bound to the subject's token), its score rounded to an
  integer and clamped to ``score_range``, its reason codes (a list, or comma-separated
  text) kept only where the product declares them, labelled in the caller's language.
  A subject without data answers ``{"score": null, "reasons": []}`` (and counts as no
  item): "no data" is an answer, not an error, and says no more than a no-match does.
  A score is about its subject only: every view its query reads must be restricted by a
  top-level ``AND`` conjunct ``<a token column of the subject's type> = :subject``
  (``uscc_token``, ``employer_uscc_token`` … by the catalog field's type; ``product_sql``:
  no ``OR`` around it, in every CTE, subquery and branch), so no
  other subject's row can reach it; its output passes the export gate as a statistic's
  does (``export_columns``: no ``max(registered_capital_fen)``, no sensitive row
  value); and ``score_range`` lies within 0..1000 (a score, not a value).

What leaves the platform is checked at declaration (``spec_invalid``) and again at every
call, against the views as they are then (cached with the prepared query): a product
whose query no longer runs as declared (its view left the scope, a rule or a column's
class was tightened so that an output column may no longer leave or a statistic became
row-level, a score query no longer restricted to its subject or answering several rows)
answers ``product_failed`` (409) and nothing of the data.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Final

from sqlalchemy.orm import Session

from sluice.audit import service as audit
from sluice.authorizations import destruction
from sluice.authorizations import service as authorizations
from sluice.authorizations.models import Authorization
from sluice.catalog import service as catalog
from sluice.core.change_stamps import Memo, Stamps, detached
from sluice.core.clock import local
from sluice.core.errors import SluiceError
from sluice.core.i18n import ZH, add_messages
from sluice.core.ids import sm3_hex
from sluice.core.keystore import KeyStoreError
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.dataplane import derived, fingerprints
from sluice.dataplane.product_engine import DuckDBWorkspace, ViewSource, product_engine
from sluice.dataplane.sandbox_shared import QueryResult, close_workspace
from sluice.dataplane.schema import FIELD_TYPES, IDENTIFIER_TYPES
from sluice.guard import service as guard
from sluice.guard.export_checks import suppress_small_groups
from sluice.guard.product_errors import (
    ExportUnavailable,
    InputInvalid,
    InvalidSpec,
    ProductFailed,
    PurposeNotAllowed,
    RefusalDetail,
)
from sluice.guard.product_exports import approved_export
from sluice.guard.product_inputs import Bound, clean_inputs
from sluice.guard.product_specs import (
    CallableProduct,
    DatasetSpec,
    InputField,
    ScoreSpec,
    StatisticsSpec,
    VerificationSpec,
)
from sluice.guard.product_sql import Prepared, prepare, verification_sql
from sluice.guard.query_policy import QueryRefused
from sluice.guard.query_types import ViewSpec
from sluice.guard.workspace_queries import versions_of
from sluice.guard.workspace_views import SUBJECT_TYPES, WorkspaceView, workspace_views

__all__ = [
    "CallInputs",
    "ExportUnavailable",
    "FingerprintedFile",
    "InputInvalid",
    "InvalidSpec",
    "ProductAnswer",
    "ProductFailed",
    "PurposeNotAllowed",
    "authorize_call",
    "clean_call_inputs",
    "download",
    "identify",
    "release",
    "run",
    "validate_spec",
]

#: The right an agreement must grant for its products to be called (R3.4).
PRODUCT_RIGHT: Final = "product_operation"
#: The audit row's ``use``, as ``authorize_use`` names the others.
USE: Final = "product_call"
#: Whom the guard reads an agreement as when no operator asks (a buyer's call).
PLATFORM: Final = Principal.system("guard")
#: The parameter a score's SQL names its subject's token by.
SUBJECT_PARAMETER: Final = "subject"
#: The widest range a score may be declared with: a score, never a value of the data.
SCORE_LIMITS: Final = (0, 1000)
CSV_MEDIA_TYPE: Final = "text/csv; charset=utf-8"
_REASON_CODE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_INTEGER_TYPES: Final = frozenset(
    {
        "TINYINT",
        "SMALLINT",
        "INTEGER",
        "BIGINT",
        "HUGEINT",
        "UTINYINT",
        "USMALLINT",
        "UINTEGER",
        "UBIGINT",
    }
)
#: The SQL types a view column may have to be compared with an input of each type.
_COMPARABLE: Final[Mapping[str, frozenset[str]]] = {
    "int": _INTEGER_TYPES,
    "decimal": _INTEGER_TYPES | {"DECIMAL", "DOUBLE", "FLOAT"},
    "date": frozenset({"DATE"}),
    "datetime": frozenset({"TIMESTAMP", "TIMESTAMP WITH TIME ZONE"}),
    "bool": frozenset({"BOOLEAN"}),
    "text": frozenset({"VARCHAR"}),
    "enum": frozenset({"VARCHAR"}),
}


@dataclass(frozen=True)
class ProductAnswer:
    #: The whole answer a buyer sees.
    result: dict[str, Any]
    #: What a per-item price counts: subjects answered (verification, score) or rows.
    items: int
    #: The dataset versions the answer read (``workspace_queries.versions_of``).
    versions: list[dict[str, Any]]


@dataclass(frozen=True)
class FingerprintedFile:
    file_name: str
    media_type: str
    content: bytes
    sm3_hex: str
    rows: int
    #: The download's seed: what ``identify`` needs to name it again. The gateway keeps
    #: it with the download; it is never shown to the buyer.
    seed_hex: str


# -- the buyer's call --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Allowed:
    """An allowed decision as kept between calls (``change_stamps``): the agreement as
    read then, and what the call's audit entry says of it."""

    authorization: Authorization
    resources: list[uuid.UUID]
    detail: dict[str, Any]


#: Allowed decisions by product, agreement, purpose and day (the term is a matter of days).
_allowed: Memo[tuple[uuid.UUID, uuid.UUID, str, date], _Allowed] = Memo("product_calls.allowed")


def authorize_call(
    session: Session,
    *,
    actor: Principal,
    product: CallableProduct,
    at: datetime,
    purpose: str,
    consent_id: uuid.UUID | None = None,
    stamps: Stamps | None = None,
    deferred: list[Callable[[Session], None]] | None = None,
) -> Authorization:
    """Allow or refuse one call of a product (see the module docstring); the decision is
    audited either way, a refusal's row kept through the rollback. ``consent_id`` is the
    consent the buyer named, if any (checked after this decision), for the audit entry.
    Returns the agreement it allowed the call under, for ``run``. With ``stamps``
    (``change_stamps.read``), an allowed decision is decided once while nothing it read
    changed; a refusal is decided afresh each time. With ``deferred``, the allowed
    decision's audit entry is appended there, to be written with the rest of the call
    (``gateway.settlement``), instead of into ``session``."""
    key = (product.id, product.authorization_id, purpose, local(at).date())
    allowed = _allowed.get(
        stamps, key, lambda: _decide(session, actor, product, at, purpose, consent_id)
    )

    buyer = str(actor.organization_id) if actor.organization_id else None
    record = _decision_entry(
        actor,
        allowed.authorization.id,
        at=at,
        detail={**allowed.detail, "buyer": buyer},
        purpose=purpose,
        consent_id=consent_id,
        resources=allowed.resources,
    )
    if deferred is None:
        record(session)
    else:
        deferred.append(record)
    return allowed.authorization


def _decide(
    session: Session,
    actor: Principal,
    product: CallableProduct,
    at: datetime,
    purpose: str,
    consent_id: uuid.UUID | None,
) -> _Allowed:
    """The decision; a refusal is raised with its audit row kept through the rollback."""
    authorization = authorizations.seen(session, PLATFORM, product.authorization_id)
    resources = sorted(set(product.resource_ids), key=str)
    refused = _call_refusal(session, authorization, product, at=at, purpose=purpose)
    detail = _decision_detail(actor, product, authorization, resources, purpose)
    if refused is not None:
        error, reason = refused
        write = _decision_entry(
            actor,
            authorization.id,
            at=at,
            detail={**detail, "decision": "refused", "reason": reason, "code": error.code},
            purpose=purpose,
            consent_id=consent_id,
            resources=resources,
            reason=reason,
        )
        raise error.keep(write)
    allowed = {**detail, "decision": "allowed", "code": "ok"}
    return _Allowed(detached(authorization), resources, allowed)


def _decision_entry(
    actor: Principal,
    authorization_id: uuid.UUID,
    *,
    at: datetime,
    detail: dict[str, Any],
    purpose: str,
    consent_id: uuid.UUID | None,
    resources: list[uuid.UUID],
    reason: str | None = None,
) -> Callable[[Session], None]:
    """The write of a call's audited decision (refused when it has a ``reason``)."""

    def write(session: Session) -> None:
        audit.record(
            session,
            actor=actor,
            action=guard.DECISION,
            target_type="authorization",
            target_id=authorization_id,
            at=at,
            outcome="refused" if reason is not None else "ok",
            detail=detail,
            reason=reason,
            authorization_id=authorization_id,
            purpose=purpose,
            consent_id=consent_id,
            resources=resources,
        )

    return write


def _call_refusal(
    session: Session,
    authorization: Authorization,
    product: CallableProduct,
    *,
    at: datetime,
    purpose: str,
) -> tuple[SluiceError, str] | None:
    refused = guard.refusal(
        session, authorization, at=at, resources=product.resource_ids, purpose=PRODUCT_RIGHT
    )
    if refused is not None:
        if refused.reason == "purpose_not_granted":
            inactive = guard.AuthorizationInactive(
                "product.no_product_right", number=authorization.number
            )
            return inactive, "right_not_granted"
        return refused.error, refused.reason
    if purpose not in product.purposes:
        return (
            PurposeNotAllowed(
                "product.purpose_not_allowed",
                product=product.code,
                purpose=purpose[:80],
                allowed="、".join(product.purposes) or "—",
            ),
            "purpose_not_allowed",
        )
    return None


def _decision_detail(
    actor: Principal,
    product: CallableProduct,
    authorization: Authorization,
    resources: Sequence[uuid.UUID],
    purpose: str,
) -> dict[str, Any]:
    return {
        "use": USE,
        "buyer": str(actor.organization_id) if actor.organization_id else None,
        "product": product.code,
        "product_id": str(product.id),
        "authorization": authorization.number,
        "status": authorization.status,
        "resources": [str(r) for r in resources],
        "purpose": purpose[:200],
    }


@dataclass(frozen=True)
class CallInputs:
    """A call's inputs, each cleaned and typed, personal ones tokenized, as ingestion
    does (``product_inputs.clean_inputs``); ``subject_token`` is the token of the subject
    the call is about, ``None`` for a product not about a subject."""

    values: Mapping[str, Bound | None]
    subject_token: str | None


def clean_call_inputs(
    settings: Settings, product: CallableProduct, inputs: Mapping[str, object]
) -> CallInputs:
    """Clean a call's inputs once, before it is decided on (``input_invalid``), so the
    consent check and the query read the same values and nothing is tokenized twice."""
    fields = _inputs_of(product)
    values = clean_inputs(settings, fields, inputs)
    if product.subject_input is None:
        return CallInputs(values, None)
    field = next((f for f in fields if f.name == product.subject_input), None)
    if field is None or field.type not in IDENTIFIER_TYPES:
        raise ValueError(f"product {product.code}: {product.subject_input} is no personal input")
    token = values.get(field.name)
    if token is None:
        raise _missing(field)
    return CallInputs(values, str(token))


def run(
    session: Session,
    *,
    settings: Settings,
    product: CallableProduct,
    inputs: Mapping[str, object] | CallInputs,
    at: datetime,
    locale: str = ZH,
    authorization: Authorization | None = None,
    stamps: Stamps | None = None,
) -> ProductAnswer:
    """Answer one call (see the module docstring). The caller decided it first
    (``authorize_call``, which returns the ``authorization`` to pass here) and may have
    cleaned the inputs already (``clean_call_inputs``); ``locale`` is the language of a
    score's reason labels. With ``stamps`` (``change_stamps.read``) the views and the
    prepared query are kept while nothing they were read from changed."""
    if authorization is None:
        authorization = authorizations.seen(session, PLATFORM, product.authorization_id)
    # ``authorize_call`` decided (and audited) the call; this only makes sure that no path
    # runs a product of an agreement not in force (status and term: no query).
    inactive = guard.refusal(session, authorization, at=at)
    if inactive is not None:
        raise inactive.error
    cleaned = (
        inputs if isinstance(inputs, CallInputs) else clean_call_inputs(settings, product, inputs)
    )
    if isinstance(product.spec, DatasetSpec):
        raise ValueError(f"product {product.code} is a dataset: it is downloaded, not run")
    plan = _plans.get(
        stamps,
        (product.id, authorization.id, settings.sandbox_row_cap),
        lambda: _plan(session, settings, product, authorization),
    )
    spec = product.spec
    if isinstance(spec, VerificationSpec):
        return _verify(settings, product, spec, plan, cleaned.values)
    if isinstance(spec, StatisticsSpec):
        return _statistics(settings, product, plan, cleaned.values)
    assert cleaned.subject_token is not None  # a score is about its subject
    return _score(settings, product, spec, plan, cleaned.subject_token, locale)


@dataclass(frozen=True)
class _Plan:
    """How a product runs under its agreement now: the product's query prepared over the
    workspace's views, and the engine over the views."""

    prepared: Prepared
    versions: list[dict[str, Any]]
    authorization_id: uuid.UUID
    sources: tuple[ViewSource, ...]

    def engine(self, settings: Settings) -> DuckDBWorkspace:
        # Asked for each call, not kept: the engine retires when its views change.
        return product_engine(settings, _engine_key(self.authorization_id), self.sources)


#: Plans by product, agreement and row cap, kept while nothing they were read from changed.
_plans: Memo[tuple[uuid.UUID, uuid.UUID, int], _Plan] = Memo("product_calls.plans")


def _plan(
    session: Session, settings: Settings, product: CallableProduct, authorization: Authorization
) -> _Plan:
    """Read the views and prepare the query (``product_failed`` when it no longer passes)."""
    views = {v.name: v for v in workspace_views(session, authorization)}
    spec = product.spec
    if isinstance(spec, VerificationSpec):
        optional = frozenset(f.name for f in spec.inputs if not f.required)
        prepared = _runnable(
            product, verification_sql(spec, optional), list(spec.match), views, settings
        )
    elif isinstance(spec, StatisticsSpec):
        prepared = _runnable(
            product, spec.sql, [p.name for p in spec.parameters], views, settings, counts=True
        )
        if prepared.checked.row_level:
            raise _failed(product, InvalidSpec("product.spec.row_level", part="SELECT"))
        _still_leaves(product, prepared)
        if _uncountable(prepared, views):
            raise ProductFailed("product.failed.uncountable", product=product.code)
    else:
        assert isinstance(spec, ScoreSpec)
        prepared = _runnable(
            product,
            spec.sql,
            [SUBJECT_PARAMETER],
            views,
            settings,
            subject=_subject_columns(session, views, spec.subject.type),
        )
        if prepared.unrestricted is not None:
            raise _failed(
                product,
                InvalidSpec("product.spec.subject_unrestricted", part=prepared.unrestricted),
            )
        _still_leaves(product, prepared)
    sources = tuple(ViewSource(v.name, v.directory) for v in views.values())
    return _Plan(prepared, _versions(prepared, views), authorization.id, sources)


def _verify(
    settings: Settings,
    product: CallableProduct,
    spec: VerificationSpec,
    plan: _Plan,
    values: Mapping[str, Bound | None],
) -> ProductAnswer:
    prepared = plan.prepared
    result = plan.engine(settings).run(
        prepared.sql, parameters=_bound(values, prepared.parameters), max_rows=2
    )
    answer = "no_match"
    if result.rows and spec.answer_column is None:
        answer = "match"
    elif len(result.rows) == 1:  # distinct values: two rows are rows that disagree
        value = result.rows[0][0]
        if value is not None and str(value) in (spec.answer_values or ()):
            answer = str(value)
    return ProductAnswer({"result": answer}, 1, plan.versions)


def _statistics(
    settings: Settings,
    product: CallableProduct,
    plan: _Plan,
    values: Mapping[str, Bound | None],
) -> ProductAnswer:
    prepared, engine = plan.prepared, plan.engine(settings)
    result = engine.run(
        prepared.sql,
        parameters=_bound(values, prepared.parameters),
        max_rows=settings.sandbox_max_result_rows,
    )
    if result.truncated:
        raise ProductFailed("product.failed.truncated", product=product.code)
    counts: QueryResult | None = None
    if prepared.counts_sql is not None:
        counts = engine.run(
            prepared.counts_sql,
            parameters=_bound(values, prepared.counts_parameters),
            max_rows=settings.sandbox_max_result_rows,
        )
    suppressed = suppress_small_groups(result, counts, settings.sandbox_export_min_subjects)
    if suppressed is None:  # pragma: no cover - the rewrite names its keys as the output does
        raise ProductFailed("product.failed.uncountable", product=product.code)
    kept, _groups, small = suppressed
    answer = {
        "columns": [{"name": name, "type": kind} for name, kind in result.columns],
        "rows": kept,
        "suppressed": small,
    }
    return ProductAnswer(answer, len(kept), plan.versions)


def _score(
    settings: Settings,
    product: CallableProduct,
    spec: ScoreSpec,
    plan: _Plan,
    token: str,
    locale: str,
) -> ProductAnswer:
    result = plan.engine(settings).run(
        plan.prepared.sql, parameters={SUBJECT_PARAMETER: token}, max_rows=1
    )
    if result.truncated:
        raise ProductFailed("product.failed.rows", product=product.code)
    versions = plan.versions
    row = (
        {
            name.lower(): value
            for (name, _), value in zip(result.columns, result.rows[0], strict=True)
        }
        if result.rows
        else {}
    )
    score = _integer(row.get("score"), product)
    if score is None:
        return ProductAnswer({"score": None, "reasons": []}, 0, versions)
    low, high = spec.score_range
    codes = _codes(row.get("reasons"))
    reasons = [
        {"code": code, "label": spec.reasons[code][0 if locale.lower().startswith("zh") else 1]}
        for code in codes
        if code in spec.reasons
    ]
    return ProductAnswer({"score": min(max(score, low), high), "reasons": reasons}, 1, versions)


def _integer(value: object, product: CallableProduct) -> int | None:
    """A score as an integer (rounded half up), ``None`` for no score."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ProductFailed("product.failed.score", product=product.code)
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ProductFailed("product.failed.score", product=product.code) from None
    if not number.is_finite():
        raise ProductFailed("product.failed.score", product=product.code)
    return int(number.to_integral_value(rounding=ROUND_HALF_UP))


def _codes(value: object) -> list[str]:
    """Reason codes from a list or comma-separated text, each once, in order."""
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    seen: dict[str, None] = {}
    for item in items:
        code = str(item).strip() if item is not None else ""
        if code:
            seen.setdefault(code, None)
    return list(seen)


# -- shared steps ------------------------------------------------------------------------------


def _inputs_of(product: CallableProduct) -> list[InputField]:
    spec = product.spec
    if isinstance(spec, VerificationSpec):
        return list(spec.inputs)
    if isinstance(spec, StatisticsSpec):
        return list(spec.parameters)
    if isinstance(spec, ScoreSpec):
        return [spec.subject]
    return []


def _missing(field: InputField) -> InputInvalid:
    return InputInvalid("product.input.missing", input=field.name, title=field.title)


def _bound(values: Mapping[str, object], names: frozenset[str]) -> dict[str, object]:
    return {name: values.get(name) for name in names}


def _specs(views: Mapping[str, WorkspaceView]) -> dict[str, ViewSpec]:
    return {name: view.spec() for name, view in views.items()}


def _subject_columns(
    session: Session, views: Mapping[str, WorkspaceView], kind: str
) -> dict[str, frozenset[str]]:
    """Each view's token columns of a field of the subject's type (``uscc``: the tax
    ratings' ``uscc_token``, the provident fund's ``employer_uscc_token``), by the catalog
    field's type as a verification's match is judged. A score must restrict every view it
    reads by one of them (``product_sql``)."""
    found: dict[str, frozenset[str]] = {}
    for name, view in views.items():
        types = {f.name: f.type for f in catalog.fields_of(session, resource_id=view.resource_id)}
        found[name] = frozenset(
            c.name for c in view.columns if c.form == "token" and types.get(c.source_field) == kind
        )
    return found


def _runnable(
    product: CallableProduct,
    sql: str,
    parameters: Sequence[str],
    views: Mapping[str, WorkspaceView],
    settings: Settings,
    *,
    counts: bool = False,
    subject: Mapping[str, frozenset[str]] | None = None,
) -> Prepared:
    """The product's query as declared, or ``product_failed`` when it no longer passes
    (the views changed under it since it was declared)."""
    try:
        return prepare(
            sql,
            parameters,
            _specs(views),
            row_cap=settings.sandbox_row_cap,
            counts=counts,
            subject=SUBJECT_PARAMETER if subject is not None else None,
            subject_columns=subject,
        )
    except (QueryRefused, InvalidSpec) as error:
        raise _failed(product, error) from None


def _failed(product: CallableProduct, error: SluiceError) -> ProductFailed:
    return ProductFailed("product.failed.spec", product=product.code, reason=RefusalDetail(error))


def _leaving(prepared: Prepared) -> InvalidSpec | None:
    """Why an output column of the query may not leave the platform (the export gate's
    rule, ``export_columns``), or ``None``."""
    if prepared.leaving is None:
        return None
    return InvalidSpec(f"export.column.{prepared.leaving.reason}", part=prepared.leaving.column)


def _still_leaves(product: CallableProduct, prepared: Prepared) -> None:
    """``product_failed`` when an output column may no longer leave (a column's class or
    rule was tightened since the product was declared)."""
    leaving = _leaving(prepared)
    if leaving is not None:
        raise _failed(product, leaving)


def _engine_key(authorization_id: uuid.UUID) -> str:
    return f"product-{authorization_id}"


def release(authorization_id: uuid.UUID) -> None:
    """The agreement ended: its products' engine interrupts what runs and lets go of its
    views (for the products' ending hook; without it the engine is only never used again,
    since no call of an agreement not in force reaches it)."""
    close_workspace(_engine_key(authorization_id))


def _versions(prepared: Prepared, views: Mapping[str, WorkspaceView]) -> list[dict[str, Any]]:
    return versions_of([views[name] for name in sorted(prepared.checked.views)])


# -- declaring a product -----------------------------------------------------------------------


def validate_spec(
    session: Session,
    *,
    settings: Settings,
    product_spec: VerificationSpec | StatisticsSpec | ScoreSpec | DatasetSpec,
    authorization_id: uuid.UUID,
    at: datetime,
) -> list[uuid.UUID]:
    """Check a product's declaration against its agreement's workspace views (see the
    module docstring) and return the resources it reads; ``spec_invalid`` naming the
    problem, ``authorization_inactive`` for an agreement not in force at ``at``."""
    authorization = authorizations.seen(session, PLATFORM, authorization_id)
    refused = guard.refusal(session, authorization, at=at)
    if refused is not None:
        raise refused.error
    if isinstance(product_spec, DatasetSpec):
        return _validate_dataset(session, product_spec, authorization)
    views = {v.name: v for v in workspace_views(session, authorization)}
    if isinstance(product_spec, VerificationSpec):
        read = _validate_verification(session, settings, product_spec, views)
    elif isinstance(product_spec, StatisticsSpec):
        read = _validate_statistics(settings, product_spec, views)
    else:
        read = _validate_score(session, settings, product_spec, views)
    return [views[name].resource_id for name in sorted(read)]


def _checked(
    sql: str,
    parameters: Sequence[str],
    views: Mapping[str, WorkspaceView],
    settings: Settings,
    *,
    counts: bool = False,
    subject: Mapping[str, frozenset[str]] | None = None,
) -> Prepared:
    try:
        return prepare(
            sql,
            parameters,
            _specs(views),
            row_cap=settings.sandbox_row_cap,
            counts=counts,
            subject=SUBJECT_PARAMETER if subject is not None else None,
            subject_columns=subject,
        )
    except QueryRefused as error:
        raise InvalidSpec(
            "product.spec.policy", part=error.part, code=error.code, reason=RefusalDetail(error)
        ) from None


def _check_inputs(fields: Sequence[InputField]) -> None:
    names: set[str] = set()
    for field in fields:
        if field.name in names:
            raise InvalidSpec("product.spec.duplicate_input", part=field.name)
        names.add(field.name)
        if field.type not in FIELD_TYPES:
            raise InvalidSpec("product.spec.input_type", part=field.name, type=field.type)
        if field.type == "enum" and not field.values:
            raise InvalidSpec("product.spec.enum_values", part=field.name)


def _check_subject(field: InputField) -> None:
    if field.type not in SUBJECT_TYPES:
        raise InvalidSpec("product.spec.subject_type", part=field.name, type=field.type)


def _view(views: Mapping[str, WorkspaceView], name: str) -> WorkspaceView:
    view = views.get(name) or next(
        (v for v in views.values() if v.name.lower() == name.lower()), None
    )
    if view is None:
        raise InvalidSpec("product.spec.view", part=name, views="、".join(sorted(views)) or "—")
    return view


def _column(view: WorkspaceView, name: str) -> Any:
    column = next((c for c in view.columns if c.name.lower() == name.lower()), None)
    if column is None:
        raise InvalidSpec("product.spec.column", part=name, view=view.name)
    return column


def _validate_verification(
    session: Session,
    settings: Settings,
    spec: VerificationSpec,
    views: Mapping[str, WorkspaceView],
) -> frozenset[str]:
    _check_inputs(spec.inputs)
    view = _view(views, spec.view)
    fields = {f.name: f for f in spec.inputs}
    subject = fields.get(spec.subject)
    if subject is None or spec.subject not in spec.match:
        raise InvalidSpec("product.spec.subject_missing", part=spec.subject)
    _check_subject(subject)
    for name in spec.match:
        if name not in fields:
            raise InvalidSpec("product.spec.match_input", part=name)
    for name in fields:
        if name not in spec.match:
            raise InvalidSpec("product.spec.unmatched_input", part=name)
    types = {f.name: f.type for f in catalog.fields_of(session, resource_id=view.resource_id)}
    for name, column_name in spec.match.items():
        column = _column(view, column_name)
        kind = fields[name].type
        if kind in IDENTIFIER_TYPES:
            if column.form != "token" or types.get(column.source_field) != kind:
                raise InvalidSpec(
                    "product.spec.match_token", part=name, type=kind, column=column.name
                )
        elif column.form != "value" or column.sql_type.split("(")[0] not in _COMPARABLE[kind]:
            raise InvalidSpec(
                "product.spec.match_value",
                part=name,
                type=kind,
                column=column.name,
                column_type=column.sql_type,
            )
    if (spec.answer_column is None) != (not spec.answer_values):
        raise InvalidSpec("product.spec.answer_values", part=spec.answer_column or "—")
    if spec.answer_column is not None:
        _column(view, spec.answer_column)
    optional = frozenset(f.name for f in spec.inputs if not f.required)
    prepared = _checked(verification_sql(spec, optional), list(spec.match), views, settings)
    return prepared.checked.views


def _validate_statistics(
    settings: Settings, spec: StatisticsSpec, views: Mapping[str, WorkspaceView]
) -> frozenset[str]:
    _check_inputs(spec.parameters)
    prepared = _checked(spec.sql, [p.name for p in spec.parameters], views, settings, counts=True)
    checked = prepared.checked
    if checked.row_level:
        raise InvalidSpec("product.spec.row_level", part="SELECT")
    keys = [c.name for c in checked.output if c.kind == "group_key"]
    for dimension in spec.dimensions:
        if dimension not in keys:
            raise InvalidSpec("product.spec.dimension", part=dimension, keys="、".join(keys) or "—")
    leaving = _leaving(prepared)
    if leaving is not None:
        raise InvalidSpec(
            "product.spec.export_column", part=leaving.part, reason=RefusalDetail(leaving)
        )
    if _uncountable(prepared, views):
        raise InvalidSpec("product.spec.uncountable", part="subjects")
    return checked.views


def _uncountable(prepared: Prepared, views: Mapping[str, WorkspaceView]) -> bool:
    """A statistic over subjects' data whose subjects per group cannot be counted, so its
    small groups could not be suppressed."""
    return prepared.counts_sql is None and any(
        c.subject for name in prepared.checked.views for c in views[name].columns
    )


def _validate_score(
    session: Session, settings: Settings, spec: ScoreSpec, views: Mapping[str, WorkspaceView]
) -> frozenset[str]:
    _check_inputs([spec.subject])
    _check_subject(spec.subject)
    low, high = spec.score_range
    if low > high:
        raise InvalidSpec("product.spec.score_range", part=f"{low}–{high}")
    if low < SCORE_LIMITS[0] or high > SCORE_LIMITS[1]:
        raise InvalidSpec(
            "product.spec.score_range_wide",
            part=f"{low}–{high}",
            low=SCORE_LIMITS[0],
            high=SCORE_LIMITS[1],
        )
    for code, (zh, en) in spec.reasons.items():
        if not _REASON_CODE.match(code) or not zh.strip() or not en.strip():
            raise InvalidSpec("product.spec.reason", part=code)
    prepared = _checked(
        spec.sql,
        [SUBJECT_PARAMETER],
        views,
        settings,
        subject=_subject_columns(session, views, spec.subject.type),
    )
    names = sorted(c.name.lower() for c in prepared.checked.output)
    if names != ["reasons", "score"]:
        raise InvalidSpec("product.spec.score_columns", part="、".join(names) or "—")
    if prepared.unrestricted is not None:
        raise InvalidSpec("product.spec.subject_unrestricted", part=prepared.unrestricted)
    leaving = _leaving(prepared)
    if leaving is not None:
        raise InvalidSpec(
            "product.spec.score_export_column", part=leaving.part, reason=RefusalDetail(leaving)
        )
    return prepared.checked.views


def _validate_dataset(
    session: Session, spec: DatasetSpec, authorization: Authorization
) -> list[uuid.UUID]:
    export = approved_export(session, spec.export_id)
    if export is None or export.owner_id != destruction.data_owner(session, authorization):
        raise InvalidSpec("product.spec.export", part=str(spec.export_id))
    return sorted(set(export.resource_ids), key=str)


# -- datasets ----------------------------------------------------------------------------------


def download(
    session: Session,
    *,
    settings: Settings,
    product: CallableProduct,
    buyer_id: uuid.UUID,
    download_id: uuid.UUID,
    at: datetime,
) -> FingerprintedFile:
    """The dataset product's approved export, fingerprinted for this download (a fresh
    random seed; ``dataplane.fingerprints`` explains the marks and their limits). The
    agreement must be in force and grant the product right (``authorization_inactive``);
    an export not approved, or destroyed with its agreement's data, is
    ``product_unavailable``. ``buyer_id`` and ``download_id`` are the gateway's record of
    the download, which keeps the seed; the file itself carries only the marks."""
    spec = product.spec
    if not isinstance(spec, DatasetSpec):
        raise ValueError(f"product {product.code} is not a dataset")
    authorization = authorizations.seen(session, PLATFORM, product.authorization_id)
    refused = guard.refusal(session, authorization, at=at, purpose=PRODUCT_RIGHT)
    if refused is not None:
        raise refused.error
    unavailable = ExportUnavailable(
        "product.export.unavailable", product=product.code, export=str(spec.export_id)
    )
    export = approved_export(session, spec.export_id)
    if export is None or export.owner_id != destruction.data_owner(session, authorization):
        raise unavailable
    try:
        data = derived.read(settings, export.owner_id, export.file_name)
    except (KeyStoreError, FileNotFoundError):
        raise unavailable from None
    if sm3_hex(data) != export.file_sm3:
        raise unavailable
    seed = secrets.token_bytes(fingerprints.SEED_BYTES)
    numeric = (
        {name for name, kind in export.columns if fingerprints.numeric_type(kind)}
        if export.columns
        else None
    )
    marked = fingerprints.mark(data, seed, numeric_columns=numeric)
    content = marked.content
    return FingerprintedFile(
        file_name=f"{_file_stem(product.code)}.csv",
        media_type=CSV_MEDIA_TYPE,
        content=content,
        sm3_hex=sm3_hex(content),
        rows=marked.rows,
        seed_hex=seed.hex(),
    )


def identify(content: bytes, candidates: Sequence[tuple[uuid.UUID, str]]) -> uuid.UUID | None:
    """The download a leaked copy came from, among ``(download id, seed hex)``, or
    ``None`` when no candidate's fingerprint is clearly in it."""
    seeds: list[tuple[uuid.UUID, bytes]] = []
    for download_id, seed_hex in candidates:
        try:
            seeds.append((download_id, bytes.fromhex(seed_hex)))
        except ValueError:
            continue
    return fingerprints.identify(content, seeds)


def _file_stem(code: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", code).strip("._") or "dataset"


add_messages(
    {
        "product.spec.subject_unrestricted": (
            "评分只能读取其主体的数据：查询读取视图 {part} 时，WHERE 须以 AND 条件包含"
            "“该视图的主体令牌列 = :subject”（不能放在 OR 之中）。",
            "A score may read its subject's data only: where the query reads view {part}, "
            "its WHERE must include, as a top-level AND condition (not inside an OR), "
            "“the view's subject token column = :subject”.",
        ),
        "product.spec.score_export_column": (
            "评分结果会离开平台，输出列不能通过出域检查：{reason}",
            "A score answer leaves the platform, and an output column fails the export "
            "check: {reason}",
        ),
        "product.spec.score_range_wide": (
            "评分范围 {part} 无效：须在 {low} 至 {high} 之间（评分不是数据的取值）。",
            "Score range {part} is invalid: it must lie within {low} to {high} (a score, "
            "not a value of the data).",
        ),
    }
)
