from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sluice.core.permissions import OrgKind, Role

T = TypeVar("T")

#: Text typed by a person: surrounding spaces go before the length and uniqueness checks.
Trimmed = Annotated[str, StringConstraints(strip_whitespace=True)]
#: Passwords are taken exactly as typed (a space is a character like any other).
PASSWORD_MAX = 200
#: No deployment allows fewer characters (``password_min_length`` is at least 8); the
#: configured minimum and the rest of the policy are checked by the service.
PASSWORD_FLOOR = 8


class TokenRequest(BaseModel):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=PASSWORD_MAX)


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int


class OrganizationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=2, max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    kind: OrgKind
    name: Trimmed = Field(min_length=2, max_length=200)
    name_en: Trimmed | None = Field(default=None, max_length=200)
    credit_code: Trimmed | None = Field(default=None, min_length=18, max_length=18)
    #: A provider authorized by law to manage public affairs (R4.1), with the law and
    #: article that authorize it in ``legal_basis``.
    authorized_by_law: bool = False
    legal_basis: Trimmed | None = Field(default=None, min_length=2, max_length=1000)


class OrganizationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    kind: OrgKind
    name: str
    name_en: str | None
    credit_code: str | None
    authorized_by_law: bool
    legal_basis: str | None
    active: bool
    created_at: datetime


class UserCreate(BaseModel):
    """A new console user. The password's strength (``password_min_length`` and the rest of
    the policy in ``identity/password_policy.py``) is checked by the service."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=3, max_length=150, pattern=r"^[A-Za-z0-9_.@-]+$")
    display_name: Trimmed = Field(min_length=1, max_length=200)
    password: str = Field(min_length=PASSWORD_FLOOR, max_length=PASSWORD_MAX)
    organization_id: uuid.UUID | None = None
    roles: list[Role] = Field(min_length=1)


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(min_length=1, max_length=PASSWORD_MAX)
    new_password: str = Field(min_length=PASSWORD_FLOOR, max_length=PASSWORD_MAX)


class LogoutRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    everywhere: bool = Field(
        default=False,
        description="Also end every other console session and revoke every other access "
        "token of this user.",
    )


class UserRead(BaseModel):
    id: uuid.UUID
    username: str
    display_name: str
    organization_id: uuid.UUID | None
    roles: list[Role]
    active: bool
    locked: bool = Field(
        description="Locked now, from at least one client address, after failed logins."
    )
    created_at: datetime


class MeRead(BaseModel):
    username: str
    via: str
    organization_id: uuid.UUID | None
    organization_kind: OrgKind | None
    roles: list[Role]
    permissions: list[str]


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Trimmed = Field(min_length=1, max_length=100)


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None = Field(
        description="When the key was last used, to the minute (written at most once a minute)."
    )
    suspended_at: datetime | None = Field(
        description="When the bureau suspended the key; calls are refused until it resumes it."
    )
    suspended_reason: str | None


class ApiKeyReason(BaseModel):
    """Why the bureau suspends or resumes a key (kept in the audit log, shown to the buyer)."""

    model_config = ConfigDict(extra="forbid")

    reason: Trimmed = Field(min_length=2, max_length=500)


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="The full key. It is shown only this once.")


class Page(BaseModel, Generic[T]):
    total: int
    items: list[T]
