"""Provider quality scores (R4.3, R9.3): periodic assessments, kept for their trend.

A provider's score is the mean of its resources' overall quality (completeness,
accuracy, consistency from each resource's newest ingestion report; timeliness against
the declared update frequency, as of the assessment), less a deduction for correction
tickets it let run past their deadline. Keyword-only, no HTTP, no commit.

The reports and version dates are the data plane's, the resources the catalog's, the
providers' names identity's and the overdue tickets the tickets': each is asked of its
owner; this module queries only its assessments (``repository``).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy.orm import Session

from sluice.audit import service as audit
from sluice.catalog import repository as catalog
from sluice.core.clock import Clock, local
from sluice.core.errors import NotFound
from sluice.core.i18n import add_messages
from sluice.core.permissions import OrgKind, Permission
from sluice.core.principal import Principal
from sluice.dataplane.quality import WEIGHTS, timeliness_score
from sluice.identity import repository as identity_repository
from sluice.ingestion import service as ingestion
from sluice.quality import repository
from sluice.quality.models import ProviderAssessment
from sluice.quality.tickets import service as tickets_service

#: Points off a provider's score per overdue correction ticket, and the most taken off.
OVERDUE_PENALTY: Final = 5.0
OVERDUE_PENALTY_CAP: Final = 30.0
#: More departments than a city has, so the scoreboard names every one.
_ALL_PROVIDERS: Final = 10_000

audit.declare_actions({"quality.assessed": ("数据质量评估", "Quality assessed")})
add_messages(
    {
        "quality.provider_unknown": (
            "没有这个数据提供部门。",
            "There is no such data provider.",
        ),
    }
)


def assess(session: Session, *, actor: Principal, clock: Clock) -> list[ProviderAssessment]:
    """Score every provider that holds data or has overdue tickets, as of now."""
    actor.require(Permission.QUALITY_ASSESS)
    now = clock.now()
    runs = ingestion.latest_reports(session)
    resources = catalog.resources_by_ids(session, [run.resource_id for run in runs])
    newest = ingestion.newest_version_times(session)
    per_provider: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for run in runs:
        resource = resources[run.resource_id]
        scores = dict(run.report.get("scores", {}))
        scores["timeliness"] = round(
            timeliness_score(resource.update_frequency, newest.get(resource.id), now), 2
        )
        per_provider[run.provider_id].append(
            {
                "resource_id": str(resource.id),
                "resource": resource.code,
                "name": resource.name,
                **scores,
            }
        )
    overdue = tickets_service.overdue_counts_by_provider(session, today=local(now).date())
    assessments = []
    for provider_id in sorted(set(per_provider) | set(overdue), key=str):
        assessment = provider_assessment(
            provider_id=provider_id,
            resources=per_provider.get(provider_id, []),
            overdue_tickets=overdue.get(provider_id, 0),
            at=now,
        )
        repository.add(session, assessment)
        assessments.append(assessment)
    audit.record(
        session,
        actor=actor,
        action="quality.assessed",
        target_type="quality_assessment",
        target_id=now.isoformat(),
        at=now,
        detail={
            "providers": len(assessments),
            "datasets": sum(len(items) for items in per_provider.values()),
        },
    )
    return assessments


def provider_assessment(
    *,
    provider_id: uuid.UUID,
    resources: list[dict[str, Any]],
    overdue_tickets: int,
    at: datetime,
) -> ProviderAssessment:
    """One provider's score at ``at`` from its resources' scores (completeness, accuracy,
    consistency, timeliness; each resource's overall is recomputed with the weights) and
    its overdue tickets. Pure: the caller adds it."""
    items = [
        {**item, "overall": round(sum(WEIGHTS[k] * float(item[k]) for k in WEIGHTS), 2)}
        for item in resources
    ]
    means = {k: _mean([i[k] for i in items]) for k in (*WEIGHTS, "overall")}
    deduction = min(OVERDUE_PENALTY_CAP, OVERDUE_PENALTY * overdue_tickets)
    base = means["overall"] if items else 100.0
    return ProviderAssessment(
        provider_id=provider_id,
        assessed_at=at,
        score=round(max(0.0, base - deduction), 2),
        completeness=means["completeness"],
        accuracy=means["accuracy"],
        consistency=means["consistency"],
        timeliness=means["timeliness"],
        overdue_tickets=overdue_tickets,
        detail={"resources": items, "deduction": deduction, "base": base},
    )


def _mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 2) if values else 100.0


@dataclass(frozen=True)
class AssessmentSummary:
    """What one run of the assessment did: how many providers and datasets it scored."""

    at: datetime
    providers: int
    datasets: int


def assessment_summary(session: Session, *, actor: Principal, at: datetime) -> AssessmentSummary:
    """The providers and datasets scored by the assessment run at ``at`` (the confirmation
    the console shows after 立即评估), counted from the assessments themselves."""
    actor.require(Permission.QUALITY_READ)
    rows = repository.assessments_at(session, at)
    return AssessmentSummary(
        at=at,
        providers=len(rows),
        datasets=sum(len(row.detail.get("resources", [])) for row in rows),
    )


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _trend(items: list[ProviderAssessment]) -> list[dict[str, Any]]:
    """One point a day (the day's last assessment), oldest first, dated in the city."""
    by_day: dict[str, float] = {}
    for item in items:
        by_day[local(item.assessed_at).strftime("%Y-%m-%d")] = item.score
    return [{"at": day, "score": score} for day, score in by_day.items()]


def scoreboard(session: Session, *, actor: Principal) -> dict[str, Any]:
    """The newest score of every provider, and each provider's history for the trend.

    A provider sees the whole board (it is how departments compare) but details only of
    its own resources.
    """
    actor.require(Permission.QUALITY_READ)
    rows = repository.assessments(session)
    _, providers = identity_repository.organizations(
        session, kind=OrgKind.PROVIDER, limit=_ALL_PROVIDERS
    )
    orgs = {o.id: o for o in providers}
    history: dict[uuid.UUID, list[ProviderAssessment]] = defaultdict(list)
    for row in rows:
        history[row.provider_id].append(row)
    own = actor.organization_id if actor.organization_kind is OrgKind.PROVIDER else None
    latest = []
    for provider_id, items in history.items():
        last = items[-1]
        org = orgs.get(provider_id)
        latest.append(
            {
                "provider_id": str(provider_id),
                "code": org.code if org else "",
                "provider": org.name if org else str(provider_id),
                "provider_en": org.name_en if org else None,
                "score": last.score,
                "completeness": last.completeness,
                "accuracy": last.accuracy,
                "consistency": last.consistency,
                "timeliness": last.timeliness,
                "overdue_tickets": last.overdue_tickets,
                "assessed_at": _aware(last.assessed_at).isoformat(),
                "resources": last.detail.get("resources", [])
                if own is None or own == provider_id
                else [],
                "trend": _trend(items),
            }
        )
    latest.sort(key=lambda item: (-float(item["score"]), item["code"]))
    return {"providers": latest}


def provider_scores(session: Session, *, actor: Principal, code: str) -> dict[str, Any]:
    """One provider's line of the board (its resources only for itself and the bureau's
    side), or ``{"provider": name, ...}`` without scores when it was never assessed. An
    organization that provides no data is not found."""
    actor.require(Permission.QUALITY_READ)
    org = identity_repository.organization_by_code(session, code)
    if org is None or org.kind != OrgKind.PROVIDER:
        raise NotFound("quality.provider_unknown")
    for line in scoreboard(session, actor=actor)["providers"]:
        if line["provider_id"] == str(org.id):
            return dict(line)
    return {
        "provider_id": str(org.id),
        "code": org.code,
        "provider": org.name,
        "provider_en": org.name_en,
        "trend": [],
        "resources": [],
    }
