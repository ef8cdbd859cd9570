"""What a product computes, by type: the contract between the product's declaration
(``products``), its execution (``guard.product_calls``, beside this module) and the gateway.

A product runs over the views of its agreement's workspace (``guard.workspace_views``),
never over files of its own. Buyers' inputs are named by ``InputField``; an input of a
personal type (``id_number``, ``uscc``, ``person_name``, ``mobile``, ``plate``,
``address``) is cleaned and tokenized exactly as ingestion does, then compared with the
view's ``<field>_token`` column.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

ProductType = Literal["verification", "statistics", "dataset", "score"]
PRODUCT_TYPES: Final[tuple[ProductType, ...]] = ("verification", "statistics", "dataset", "score")
#: N5: per call, per item (each subject or row answered), per period (a subscription
#: month), per volume (per thousand rows or per MB downloaded).
BillingUnit = Literal["call", "item", "period", "volume"]
BILLING_UNITS: Final[tuple[BillingUnit, ...]] = ("call", "item", "period", "volume")
#: Whose data a call is about, and so whose consent it needs.
SubjectKind = Literal["person", "enterprise"]

NAME = r"^[a-z][a-z0-9_]{0,62}$"


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InputField(_Spec):
    """One input a buyer sends: its key in ``input``, its catalog field type, its title."""

    name: str = Field(pattern=NAME)
    type: str
    title: str = Field(min_length=1, max_length=80)
    required: bool = True
    #: For ``enum`` inputs: the values a buyer may send.
    values: list[str] | None = None


class VerificationSpec(_Spec):
    """核验: does a row of ``view`` match every input? The answer is ``match``/``no_match``,
    or, with ``answer_column``, that row's value of an enum column (one of
    ``answer_values``; ``no_match`` when no row matches). Never any other data (R8.10)."""

    kind: Literal["verification"] = "verification"
    view: str = Field(pattern=NAME)
    inputs: list[InputField] = Field(min_length=1)
    #: The input naming the data subject (type ``id_number`` or ``uscc``).
    subject: str = Field(pattern=NAME)
    #: Input name → view column it must equal (``<field>_token`` for personal types).
    match: dict[str, str] = Field(min_length=1)
    answer_column: str | None = None
    answer_values: list[str] | None = None


class StatisticsSpec(_Spec):
    """Parameterised aggregates: a sandbox query (the workspace's query policy and column
    rules apply) with named parameters ``:name`` only in its WHERE clause, answered with
    k-suppression: a group with fewer than the export threshold of distinct subjects is
    left out and counted in ``suppressed``."""

    kind: Literal["statistics"] = "statistics"
    sql: str = Field(min_length=10, max_length=20_000)
    parameters: list[InputField] = Field(default_factory=list)
    #: Output columns that are group keys; every other output column is a measure.
    dimensions: list[str] = Field(default_factory=list)


class ScoreSpec(_Spec):
    """A score over one subject's data: ``sql`` is a sandbox query with the parameter
    ``:subject`` (the subject's token) returning one row with an integer ``score`` column
    and a ``reasons`` column (a list of codes or a comma-separated text). The answer is
    the score and the reason codes with their labels, nothing else."""

    kind: Literal["score"] = "score"
    subject: InputField
    sql: str = Field(min_length=10, max_length=20_000)
    #: Reason code → (zh-CN label, English label).
    reasons: dict[str, tuple[str, str]] = Field(min_length=1)
    score_range: tuple[int, int] = (0, 100)


class DatasetSpec(_Spec):
    """An approved export of the workspace (``sandbox.exports``), downloaded by each buyer
    with a fingerprint of its own so a leaked copy names its buyer."""

    kind: Literal["dataset"] = "dataset"
    export_id: uuid.UUID


ProductSpec = Annotated[
    VerificationSpec | StatisticsSpec | ScoreSpec | DatasetSpec, Field(discriminator="kind")
]


@dataclass(frozen=True)
class CallableProduct:
    """A listed product as the gateway calls it (``products.service.callable_product``)."""

    id: uuid.UUID
    code: str
    name: str
    type: ProductType
    operator_id: uuid.UUID
    #: The agreement in force it runs under (the newest of its renewal chain).
    authorization_id: uuid.UUID
    spec: VerificationSpec | StatisticsSpec | ScoreSpec | DatasetSpec
    resource_ids: tuple[uuid.UUID, ...]
    #: ``governance``, ``welfare`` or ``industry:<sector>`` (N5: the first two are free).
    domain: str
    consent_required: bool
    #: The input naming the subject whose consent a call needs (None: not about one).
    subject_input: str | None
    subject_kind: SubjectKind | None
    billing_unit: BillingUnit
    #: Integer fen per unit, at or under the bureau's cap for the product's class.
    price_fen: int
    #: The price rule in force (e.g. ``"cap:industry:finance@2026-12-01"``), kept with
    #: every metered event.
    pricing_rule: str
    #: The purposes a buyer may call it for (a consent names one of them).
    purposes: tuple[str, ...]
