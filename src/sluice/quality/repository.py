"""Every query of the provider quality scores (assessments kept for their trend)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sluice.quality.models import ProviderAssessment


def add(session: Session, assessment: ProviderAssessment) -> None:
    session.add(assessment)


def assessments(session: Session) -> list[ProviderAssessment]:
    """Every assessment of every provider, oldest first. The scoreboard is one board for
    all departments (it is how they compare); what each may see of another's resources is
    the service's to cut."""
    return list(
        session.scalars(select(ProviderAssessment).order_by(ProviderAssessment.assessed_at))
    )


def assessments_at(session: Session, at: datetime) -> list[ProviderAssessment]:
    """The assessments one run wrote (every provider's carries the run's moment)."""
    return list(
        session.scalars(select(ProviderAssessment).where(ProviderAssessment.assessed_at == at))
    )
