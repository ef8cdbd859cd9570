from __future__ import annotations

import uuid
from datetime import datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from sluice.identity.permissions import OrgKind, Role

T = TypeVar("T")


class TokenRequest(BaseModel):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=200)


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int


class OrganizationCreate(BaseModel):
    code: str = Field(min_length=2, max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    kind: OrgKind
    name: str = Field(min_length=2, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    credit_code: str | None = Field(default=None, min_length=18, max_length=18)


class OrganizationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    kind: OrgKind
    name: str
    name_en: str | None
    credit_code: str | None
    active: bool
    created_at: datetime


class UserCreate(BaseModel):
    username: str = Field(min_length=3, max_length=150, pattern=r"^[A-Za-z0-9_.@-]+$")
    display_name: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=10, max_length=200)
    organization_id: uuid.UUID | None = None
    roles: list[Role] = Field(min_length=1)


class UserRead(BaseModel):
    id: uuid.UUID
    username: str
    display_name: str
    organization_id: uuid.UUID | None
    roles: list[Role]
    active: bool
    locked: bool
    created_at: datetime


class MeRead(BaseModel):
    username: str
    via: str
    organization_id: uuid.UUID | None
    organization_kind: OrgKind | None
    roles: list[Role]
    permissions: list[str]


class ApiKeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="The full key. It is shown only this once.")


class Page(BaseModel, Generic[T]):
    total: int
    items: list[T]
