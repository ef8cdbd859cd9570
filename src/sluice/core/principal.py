"""The one, immutable principal: who is acting, for which organization, with which roles."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Literal

from sluice.core.errors import PermissionDenied
from sluice.core.i18n import MessageRef
from sluice.core.permissions import PERMISSIONS, OrgKind, Permission, Role

Via = Literal["session", "token", "api_key", "system"]


@dataclass(frozen=True)
class Principal:
    username: str
    via: Via
    user_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    organization_kind: OrgKind | None = None
    roles: frozenset[Role] = field(default_factory=frozenset)
    api_key_id: uuid.UUID | None = None
    display_name: str = ""
    #: The console session or access token this principal came in through (None for API
    #: keys and the system): logging out ends it, a password change keeps only it.
    credential_id: uuid.UUID | None = None
    #: The request this principal acts in (``web.deps`` gives each request its own), and
    #: the client's network address as ``web.deps.client_address`` reads it (through the
    #: trusted proxies, if any): both go on every audit entry the request writes.
    request_id: uuid.UUID | None = None
    client_address: str | None = None

    @classmethod
    def system(cls, name: str = "system") -> Principal:
        """The platform itself acting from the CLI or a scheduled job."""
        return cls(username=name, via="system")

    @property
    def is_system(self) -> bool:
        return self.via == "system"

    def has(self, permission: Permission | str) -> bool:
        if self.is_system:
            return True
        spec = PERMISSIONS.get(Permission(permission))
        return spec is not None and not spec.roles.isdisjoint(self.roles)

    def require(self, permission: Permission | str) -> None:
        if not self.has(permission):
            raise PermissionDenied(permission=MessageRef(f"permission.{permission}"))
