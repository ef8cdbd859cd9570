"""Every query of data quality: the provider scores (assessments kept for their trend), the
rules document's versions, and which resources are late against their update frequency.

The late resources are one query over the catalog's resources and the data plane's version
dates (their owners keep no such aggregate), joined here read-only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, Subquery, and_, false, func, or_, select
from sqlalchemy.orm import Session

from sluice.catalog.models import DataResource
from sluice.identity.models import Organization
from sluice.ingestion.models import DatasetVersion
from sluice.quality.models import ProviderAssessment, QualityRulesVersion


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


# --- the data-quality management rules (数据质量管理规则) ----------------------------------------


def add_rules(session: Session, version: QualityRulesVersion) -> None:
    session.add(version)


def rules_versions(session: Session) -> list[QualityRulesVersion]:
    """Every published version, the newest first (the rules are the bureau's published
    document: whoever may read quality may read every version)."""
    return list(
        session.scalars(select(QualityRulesVersion).order_by(QualityRulesVersion.number.desc()))
    )


def rules_version(session: Session, number: int) -> QualityRulesVersion | None:
    return session.scalar(select(QualityRulesVersion).where(QualityRulesVersion.number == number))


def latest_rules(session: Session) -> QualityRulesVersion | None:
    """The version published last (in force or not yet)."""
    return session.scalar(
        select(QualityRulesVersion).order_by(QualityRulesVersion.number.desc()).limit(1)
    )


def rules_in_force(session: Session, today: date) -> QualityRulesVersion | None:
    """The newest version whose effective date has come."""
    return session.scalar(
        select(QualityRulesVersion)
        .where(QualityRulesVersion.effective_on <= today)
        .order_by(QualityRulesVersion.number.desc())
        .limit(1)
    )


# --- resources late against their update frequency (逾期未更新) --------------------------------


@dataclass(frozen=True)
class OverdueRow:
    resource_id: uuid.UUID
    code: str
    name: str
    provider_id: uuid.UUID
    frequency: str
    last_version_at: datetime


@dataclass(frozen=True)
class OverdueCount:
    provider_id: uuid.UUID
    code: str
    name: str
    name_en: str | None
    resources: int

    def label(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name


def _newest_versions() -> Subquery:
    """The moment of every resource's newest version (resources with data only)."""
    return (
        select(
            DatasetVersion.resource_id.label("resource_id"),
            func.max(DatasetVersion.created_at).label("at"),
        )
        .group_by(DatasetVersion.resource_id)
        .subquery()
    )


def _late(newest: Subquery, cutoffs: dict[str, datetime]) -> ColumnElement[bool]:
    """The newest version is older than its resource's frequency's cut-off
    (``freshness.cutoffs``; a frequency without one, irregular, is never late)."""
    return or_(
        false(),
        *(
            and_(DataResource.update_frequency == frequency, newest.c.at < moment)
            for frequency, moment in cutoffs.items()
        ),
    )


def overdue_resources(
    session: Session,
    *,
    cutoffs: dict[str, datetime],
    provider_id: uuid.UUID | None,
    limit: int,
) -> tuple[int, list[OverdueRow]]:
    """How many resources are late (of one provider, or all), and the first ``limit``, the
    oldest newest version first."""
    newest = _newest_versions()
    conditions = [_late(newest, cutoffs)]
    if provider_id is not None:
        conditions.append(DataResource.provider_id == provider_id)
    total = session.scalar(
        select(func.count(DataResource.id))
        .join(newest, newest.c.resource_id == DataResource.id)
        .where(*conditions)
    )
    rows = session.execute(
        select(
            DataResource.id,
            DataResource.code,
            DataResource.name,
            DataResource.provider_id,
            DataResource.update_frequency,
            newest.c.at,
        )
        .join(newest, newest.c.resource_id == DataResource.id)
        .where(*conditions)
        .order_by(newest.c.at, DataResource.code, DataResource.id)
        .limit(limit)
    )
    return int(total or 0), [OverdueRow(*row) for row in rows]


def overdue_counts(session: Session, *, cutoffs: dict[str, datetime]) -> list[OverdueCount]:
    """Late resources per provider, the most first, then by code."""
    newest = _newest_versions()
    count = func.count(DataResource.id)
    rows = session.execute(
        select(Organization.id, Organization.code, Organization.name, Organization.name_en, count)
        .select_from(DataResource)
        .join(newest, newest.c.resource_id == DataResource.id)
        .join(Organization, Organization.id == DataResource.provider_id)
        .where(_late(newest, cutoffs))
        .group_by(Organization.id, Organization.code, Organization.name, Organization.name_en)
        .order_by(count.desc(), Organization.code)
    )
    return [OverdueCount(*row[:4], resources=int(row[4])) for row in rows]
