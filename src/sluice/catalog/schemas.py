from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from sluice.catalog.vocabulary import FIELD_CLASSES, FIELD_TYPES, PERSONAL_TYPES, VOCABULARIES

#: The pydantic error type of a code outside its vocabulary; its words are registered as
#: ``form.not_in_vocabulary`` (``vocabulary.py``), so the refusal reads in the reader's language.
NOT_IN_VOCABULARY = "not_in_vocabulary"


def _one_of(value: str, allowed: dict[str, Any], what: str) -> str:
    if value not in allowed:
        raise PydanticCustomError(
            NOT_IN_VOCABULARY,
            "{field} must be one of: {allowed}",
            {"field": what, "allowed": ", ".join(allowed)},
        )
    return value


#: The pydantic error type of a personal field given a weaker class than ``identifier``.
IDENTIFIER_CLASS_REQUIRED = "identifier_class_required"


class FieldSpecIn(BaseModel):
    """A field as the schema file and the API describe it (extra keys are kept as rules).

    The class follows from the type (DESIGN §4): a personal type (``PERSONAL_TYPES``: ID
    number, name, mobile, USCC, plate, address) is an ``identifier`` when no class is given,
    and a weaker class for it is refused, naming the field; other types default to
    ``public``.
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    name: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    title: str = Field(default="", max_length=120)
    type: str
    field_class: str = Field(alias="class", default="public")
    required: bool = False
    unique: bool = False
    values: list[str] | None = None
    min: float | str | None = None
    max: float | str | None = None
    pattern: str | None = None
    masking: str | None = None

    @field_validator("type")
    @classmethod
    def _type(cls, value: str) -> str:
        return _one_of(value, FIELD_TYPES, "type")

    @field_validator("field_class")
    @classmethod
    def _class(cls, value: str) -> str:
        return _one_of(value, FIELD_CLASSES, "class")

    @model_validator(mode="before")
    @classmethod
    def _class_from_type(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        given = data.get("class", data.get("field_class"))
        if given is None or given == "":
            personal = data.get("type") in PERSONAL_TYPES
            data = {k: v for k, v in data.items() if k != "field_class"}
            data["class"] = "identifier" if personal else "public"
        return data

    @model_validator(mode="after")
    def _enum_has_values(self) -> FieldSpecIn:
        if self.type == "enum" and not self.values:
            raise ValueError(f"enum field {self.name!r} needs its list of values")
        if self.type in PERSONAL_TYPES and self.field_class != "identifier":
            raise PydanticCustomError(
                IDENTIFIER_CLASS_REQUIRED,
                "field '{field}' has the personal type {type}: its class must be "
                "'identifier', not '{klass}'",
                {"field": self.name, "type": self.type, "klass": self.field_class},
            )
        return self

    def rules(self) -> dict[str, Any]:
        data = self.model_dump(exclude={"name", "title", "type", "field_class"}, exclude_none=True)
        return {k: v for k, v in data.items() if v not in (False, None)}


class ResourceCreate(BaseModel):
    code: str = Field(min_length=2, max_length=80, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str = Field(min_length=2, max_length=200)
    description: str = Field(default="", max_length=4000)
    domain: str
    update_frequency: str
    open_level: str
    classification: str
    grade: str
    origin: Literal["own", "shared"] = "own"
    shared_from: str | None = Field(default=None, max_length=200)
    fields: list[FieldSpecIn] = Field(default_factory=list)

    @field_validator("domain", "update_frequency", "open_level", "classification", "grade")
    @classmethod
    def _in_vocabulary(cls, value: str, info: ValidationInfo) -> str:
        name = str(info.field_name)
        return _one_of(value, VOCABULARIES[name], name)

    @model_validator(mode="after")
    def _shared_needs_source(self) -> ResourceCreate:
        if self.origin == "shared" and not self.shared_from:
            raise ValueError("a shared resource names the unit it was obtained from")
        names = [f.name for f in self.fields]
        if len(names) != len(set(names)):
            raise ValueError("field names must be unique")
        return self


class ResourceUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=2, max_length=200)
    description: str | None = Field(default=None, max_length=4000)
    update_frequency: str | None = None
    open_level: str | None = None

    @field_validator("update_frequency", "open_level")
    @classmethod
    def _in_vocabulary(cls, value: str | None, info: ValidationInfo) -> str | None:
        name = str(info.field_name)
        return None if value is None else _one_of(value, VOCABULARIES[name], name)


class SharingConsent(BaseModel):
    evidence: str = Field(min_length=4, max_length=4000)


class FieldRead(BaseModel):
    name: str
    title: str
    type: str
    field_class: str = Field(serialization_alias="class")
    rules: dict[str, Any]


class ProviderRef(BaseModel):
    id: uuid.UUID
    code: str
    name: str


class ResourceRead(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    description: str
    provider: ProviderRef
    domain: str
    update_frequency: str
    open_level: str
    classification: str
    grade: str
    origin: str
    shared_from: str | None
    sharing_consent_at: datetime | None
    has_data: bool
    version: int
    created_at: datetime
    updated_at: datetime
    fields: list[FieldRead]


class BatchCreate(BaseModel):
    title: str | None = Field(default=None, max_length=200)


class BatchEntries(BaseModel):
    resource_ids: list[uuid.UUID] = Field(min_length=1, max_length=10000)


class BatchWithdraw(BaseModel):
    """A request to withdraw a whole published batch: carried out when another bureau user
    approves it, or at once on an approved collective decision someone else recorded."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=2, max_length=2000)
    decision_id: uuid.UUID | None = None


class BatchRead(BaseModel):
    id: uuid.UUID
    number: int
    title: str
    status: str
    entries: int
    created_at: datetime
    published_at: datetime | None
    withdrawn_at: datetime | None


class BatchRef(BaseModel):
    number: int
    title: str


class EntryRead(BaseModel):
    id: uuid.UUID
    #: The resource's code: with the provider, what tells two entries of one title apart.
    code: str
    title: str
    description: str
    provider: ProviderRef
    domain: str
    domain_label: str
    update_frequency: str
    open_level: str
    open_level_label: str
    classification: str
    grade: str
    grade_label: str
    batch: BatchRef
    version: int
    published_at: datetime | None
    has_data: bool
    fields: list[FieldRead] | None = None


class FacetCount(BaseModel):
    value: str
    label: str
    count: int


class CatalogPage(BaseModel):
    total: int
    page: int
    page_size: int
    items: list[EntryRead]
    facets: dict[str, list[FacetCount]]


class EntryVersionRead(BaseModel):
    version: int
    change: str
    at: datetime
    #: The organization that made the change (the provider for its own resource, the
    #: bureau for the catalog), never the person: the public sees who, not which staff.
    organization: str | None
    snapshot: dict[str, Any]
