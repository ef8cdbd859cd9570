"""REST routes of quality scores."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from sluice.core.clock import FixedClock
from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.quality import service
from sluice.web.deps import AppClock, DbSession, Requires

router = APIRouter(prefix="/api/v1/quality", tags=["quality"])
QualityReader = Annotated[Principal, Depends(Requires(P.QUALITY_READ))]
Assessor = Annotated[Principal, Depends(Requires(P.QUALITY_ASSESS))]


@router.get("/scores")
def scores(actor: QualityReader, session: DbSession) -> dict[str, Any]:
    """Every provider's newest score, its parts, overdue tickets and its trend."""
    return service.scoreboard(session, actor=actor)


@router.post("/assessments", status_code=201)
def assess(actor: Assessor, session: DbSession, clock: AppClock) -> dict[str, Any]:
    """Run an assessment now (the scheduled job is `sluice quality assess`)."""
    at = clock.now()
    done = service.assess(session, actor=actor, clock=FixedClock(at))
    return {
        "providers": len(done),
        "datasets": sum(len(a.detail.get("resources", [])) for a in done),
        "assessed_at": at.isoformat(),
    }
