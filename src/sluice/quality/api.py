"""REST routes of quality scores and of the data-quality management rules."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from sluice.core.clock import FixedClock, local
from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.quality import rules, service
from sluice.quality.models import QualityRulesVersion
from sluice.quality.schemas import RulesCreate, RulesList, RulesRead
from sluice.web.deps import AppClock, DbSession, Requires

router = APIRouter(prefix="/api/v1/quality", tags=["quality"])
QualityReader = Annotated[Principal, Depends(Requires(P.QUALITY_READ))]
Assessor = Annotated[Principal, Depends(Requires(P.QUALITY_ASSESS))]
Publisher = Annotated[Principal, Depends(Requires(P.QUALITY_RULES_PUBLISH))]


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


def _read(version: QualityRulesVersion, in_force: QualityRulesVersion | None) -> RulesRead:
    return RulesRead(
        number=version.number,
        title=version.title,
        body=version.body,
        effective_on=version.effective_on,
        published_at=version.published_at,
        published_by=version.published_by_name,
        in_force=in_force is not None and in_force.number == version.number,
    )


@router.get("/rules")
def rules_list(actor: QualityReader, session: DbSession, clock: AppClock) -> RulesList:
    """Every version of the data-quality management rules and which is in force today."""
    current = rules.in_force(session, actor=actor, today=local(clock.now()).date())
    return RulesList(
        in_force=current.number if current else None,
        versions=[_read(v, current) for v in rules.versions(session, actor=actor)],
    )


@router.post("/rules", status_code=201)
def publish_rules(
    body: RulesCreate, actor: Publisher, session: DbSession, clock: AppClock
) -> RulesRead:
    """Publish the next version (422 for an effective date before today or before the
    previous version's)."""
    version = rules.publish(session, actor=actor, clock=clock, data=body)
    current = rules.in_force(session, actor=actor, today=local(clock.now()).date())
    return _read(version, current)
