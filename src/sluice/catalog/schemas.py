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

from sluice.catalog.vocabulary import FIELD_CLASSES, FIELD_TYPES, VOCABULARIES


def _one_of(value: str, allowed: dict[str, Any], what: str) -> str:
    if value not in allowed:
        raise ValueError(f"{what} must be one of: {', '.join(allowed)}")
    return value


class FieldSpecIn(BaseModel):
    """A field as the schema file and the API describe it (extra keys are kept as rules)."""

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

    @model_validator(mode="after")
    def _enum_has_values(self) -> FieldSpecIn:
        if self.type == "enum" and not self.values:
            raise ValueError(f"enum field {self.name!r} needs its list of values")
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
    title: str
    description: str
    provider: ProviderRef
    domain: str
    update_frequency: str
    open_level: str
    classification: str
    grade: str
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
    actor: str
    snapshot: dict[str, Any]
