"""Gateway routes. Products arrive with a later issue; ``whoami`` lets a buyer test a key."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from sluice.core.permissions import Permission
from sluice.core.principal import Principal
from sluice.web.deps import RequiresApiKey

router = APIRouter(prefix="/gateway/v1", tags=["gateway"])
KeyHolder = Annotated[Principal, Depends(RequiresApiKey(Permission.GATEWAY_INVOKE))]


class WhoAmI(BaseModel):
    organization_id: uuid.UUID | None
    api_key_id: uuid.UUID | None


@router.get("/whoami")
def whoami(principal: KeyHolder) -> WhoAmI:
    return WhoAmI(organization_id=principal.organization_id, api_key_id=principal.api_key_id)
