"""The bureau's data-quality management rules (数据质量管理规则, R4.3, R9.1) as a versioned
document. Keyword-only, no HTTP, no commit.

* The bureau publishes a version: a title, the full text and the day it takes effect
  (today or later, and not before the effective day of the version published last, so
  versions take effect in the order they were published). It gets the next number and
  never changes afterwards; a correction is a new version.
* The version in force on a day is the newest whose effective day has come. Earlier
  versions stay readable: they are what applied before.
* Whoever reads data quality (the providers bound by the rules, the bureau) reads every
  version; the scoreboard cites the one in force.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from sluice.audit import service as audit
from sluice.core.clock import Clock, local
from sluice.core.errors import InvalidInput, NotFound
from sluice.core.i18n import add_messages
from sluice.core.permissions import Permission
from sluice.core.principal import Principal
from sluice.quality import repository
from sluice.quality.models import QualityRulesVersion
from sluice.quality.schemas import RulesCreate

PUBLISHED = "quality.rules_published"

audit.declare_actions({PUBLISHED: ("发布数据质量管理规则", "Quality rules published")})
audit.declare_target_types({"quality_rules": ("数据质量管理规则", "Quality rules")})
audit.declare_detail_labels({"effective_on": ("施行日期", "Effective from")})
add_messages(
    {
        "quality.rules_not_found": (
            "没有这一版数据质量管理规则。",
            "There is no such version of the data-quality management rules.",
        ),
        "quality.rules_effective_past": (
            "施行日期不能早于今天（{today}）：已经过去的日子适用的是当时施行的版本。",
            "The effective date cannot be before today ({today}): past days stay under the "
            "version in force then.",
        ),
        "quality.rules_effective_before_latest": (
            "施行日期不能早于上一版（第 {number} 版）的施行日期 {effective}。",
            "The effective date cannot be before that of the previous version (version "
            "{number}), {effective}.",
        ),
    }
)


def publish(
    session: Session, *, actor: Principal, clock: Clock, data: RulesCreate
) -> QualityRulesVersion:
    """Publish the next version of the rules."""
    actor.require(Permission.QUALITY_RULES_PUBLISH)
    now = clock.now()
    today = local(now).date()
    latest = repository.latest_rules(session)
    if data.effective_on < today:
        raise _invalid("quality.rules_effective_past", today=today.isoformat())
    if latest is not None and data.effective_on < latest.effective_on:
        raise _invalid(
            "quality.rules_effective_before_latest",
            number=latest.number,
            effective=latest.effective_on.isoformat(),
        )
    version = QualityRulesVersion(
        number=(latest.number if latest else 0) + 1,
        title=data.title,
        body=data.body,
        effective_on=data.effective_on,
        published_at=now,
        published_by_user=actor.user_id,
        published_by_username=actor.username,
        published_by_name=actor.display_name or actor.username,
    )
    repository.add_rules(session, version)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=PUBLISHED,
        target_type="quality_rules",
        target_id=str(version.number),
        at=now,
        detail={
            "number": version.number,
            "title": version.title,
            "effective_on": version.effective_on.isoformat(),
        },
    )
    return version


def _invalid(key: str, **params: object) -> InvalidInput:
    kind = key.rsplit(".", 1)[-1]
    return InvalidInput(key, errors=[{"field": "effective_on", "type": kind}], **params)


def in_force(session: Session, *, actor: Principal, today: date) -> QualityRulesVersion | None:
    """The version in force on ``today``, if any has taken effect."""
    actor.require(Permission.QUALITY_READ)
    return repository.rules_in_force(session, today)


def versions(session: Session, *, actor: Principal) -> list[QualityRulesVersion]:
    """Every version, the newest first."""
    actor.require(Permission.QUALITY_READ)
    return repository.rules_versions(session)


def version(session: Session, *, actor: Principal, number: int) -> QualityRulesVersion:
    actor.require(Permission.QUALITY_READ)
    found = repository.rules_version(session, number)
    if found is None:
        raise NotFound("quality.rules_not_found")
    return found
