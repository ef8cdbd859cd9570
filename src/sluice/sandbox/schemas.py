"""What the sandbox's API takes and answers."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sluice.sandbox.queries import MAX_SQL


class QueryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sql: str = Field(min_length=1, max_length=MAX_SQL)


class ColumnRead(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    name: str
    #: The SQL type the query sees.
    type: str
    #: The catalog's field class: public, internal, sensitive or identifier.
    class_: str = Field(alias="class")
    #: value, token or masked.
    form: str
    #: The catalog field the column comes from.
    source_field: str


class ViewRead(BaseModel):
    name: str
    resource_id: uuid.UUID
    version: int
    rows: int
    columns: list[ColumnRead]


class WorkspaceRead(BaseModel):
    id: uuid.UUID
    authorization_id: uuid.UUID
    scenario: str
    status: str
    views: list[ViewRead]


class ResultColumn(BaseModel):
    name: str
    type: str


class VersionRead(BaseModel):
    view: str
    resource_id: uuid.UUID
    version: int


class QueryResultRead(BaseModel):
    query_id: uuid.UUID
    columns: list[ResultColumn]
    rows: list[list[Any]]
    row_count: int
    truncated: bool
    versions: list[VersionRead]
    elapsed_ms: int
