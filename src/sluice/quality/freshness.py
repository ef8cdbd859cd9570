"""Resources that missed their declared update frequency (逾期未更新, R4.3, R9.3).

Timeliness is scored in the assessments; this tells the provider, on the day, which of its
resources are late, and the bureau how many each provider has. A resource is judged by the
day (Asia/Shanghai) of its newest dataset version and its declared frequency:

* ``daily`` data follows the working week: the next version is due on the first working
  day after the newest one's day (statutory calendar, ``core.workdays``), and lateness is
  counted in working days. A version on Friday is due on Monday; on Tuesday it is one
  working day overdue.
* The other frequencies count calendar days, the same windows the timeliness score uses
  (``dataplane.quality.FREQUENCY_WINDOWS``): weekly 7, monthly 31, quarterly 92, yearly
  366 days; a real-time feed, which runs every day, is due the next day.
* ``irregular`` data is never late, and a resource without any version has nothing to be
  late with (it never started supplying; the catalog shows it has no data).

Due by the end of the due day; overdue from the day after. Which resources are late is
decided in one query (``repository.overdue_resources``): the rule is turned into one cut-off
moment per frequency (a resource whose newest version is older is late), so no resource is
loaded to be judged. The same rule for one resource (``freshness``) is what its page shows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final

from sqlalchemy.orm import Session

from sluice.core.clock import display_zone, local
from sluice.core.i18n import add_messages
from sluice.core.permissions import OrgKind, Permission
from sluice.core.principal import Principal
from sluice.core.workdays import (
    add_working_days,
    working_days_before,
    working_days_between,
)
from sluice.ingestion import service as ingestion
from sluice.quality import repository
from sluice.quality.repository import OverdueCount, OverdueRow

add_messages(
    {
        "freshness.late_working": ("已逾期 {days} 个工作日", "{days} working days overdue"),
        "freshness.late_days": ("已逾期 {days} 天", "{days} days overdue"),
    }
)

#: Frequencies whose next version is due so many working days after the newest one's day.
WORKING_DAYS: Final[dict[str, int]] = {"daily": 1}
#: Frequencies whose next version is due so many calendar days after the newest one's day.
CALENDAR_DAYS: Final[dict[str, int]] = {
    "realtime": 1,
    "weekly": 7,
    "monthly": 31,
    "quarterly": 92,
    "yearly": 366,
}


@dataclass(frozen=True)
class Freshness:
    """Where one resource stands against its declared frequency on ``today``."""

    frequency: str
    #: When its newest version was made; None when it has no data yet.
    last_version_at: datetime | None
    #: The last day the next version is due on; None for irregular data or no data.
    due: date | None
    #: Days past ``due`` (working days when ``working_days``), 0 when not late.
    days_overdue: int
    working_days: bool

    @property
    def overdue(self) -> bool:
        return self.days_overdue > 0

    @property
    def late_by_key(self) -> str:
        """The message saying how late (``days``), in the days this frequency counts."""
        return "freshness.late_working" if self.working_days else "freshness.late_days"


@dataclass(frozen=True)
class OverdueResource:
    """A late resource as its provider's workbench lists it."""

    resource_id: uuid.UUID
    code: str
    name: str
    provider_id: uuid.UUID
    freshness: Freshness


def due_date(frequency: str, last: date) -> date | None:
    """The last day the version after one made on ``last`` is due on."""
    if frequency in WORKING_DAYS:
        return add_working_days(last, WORKING_DAYS[frequency])
    if frequency in CALENDAR_DAYS:
        return last + timedelta(days=CALENDAR_DAYS[frequency])
    return None


def days_overdue(frequency: str, due: date | None, today: date) -> int:
    """Days past ``due`` on ``today``: working days or calendar days as the frequency counts."""
    if due is None or today <= due:
        return 0
    if frequency in WORKING_DAYS:
        return working_days_between(due, today)
    return (today - due).days


def judge(frequency: str, last_version_at: datetime | None, today: date) -> Freshness:
    """The rule for one resource (pure)."""
    due = due_date(frequency, local(last_version_at).date()) if last_version_at else None
    return Freshness(
        frequency=frequency,
        last_version_at=last_version_at,
        due=due,
        days_overdue=days_overdue(frequency, due, today),
        working_days=frequency in WORKING_DAYS,
    )


def cutoffs(today: date) -> dict[str, datetime]:
    """Per frequency, the moment before which a newest version makes a resource late today.

    Late means ``due_date(last) < today``. For calendar days that is ``last < today - n``;
    for working days it is ``last`` before the ``n``-th working day before today (the next
    working day after any earlier day comes before today). The day starts at midnight in
    the city.
    """
    days = {f: today - timedelta(days=n) for f, n in CALENDAR_DAYS.items()}
    days |= {f: working_days_before(today, n) for f, n in WORKING_DAYS.items()}
    zone = display_zone()
    return {f: datetime.combine(day, time(), tzinfo=zone) for f, day in days.items()}


_NOBODY: Final = uuid.UUID(int=0)


def _scope(actor: Principal, provider_id: uuid.UUID | None) -> uuid.UUID | None:
    """A provider sees its own resources only (another's asked for: none); the bureau's
    side sees every provider's, or the one asked for."""
    if actor.organization_kind is OrgKind.PROVIDER:
        own = actor.organization_id or _NOBODY
        return own if provider_id in (None, own) else _NOBODY
    return provider_id


def overdue_resources(
    session: Session,
    *,
    actor: Principal,
    today: date,
    limit: int,
    provider_id: uuid.UUID | None = None,
) -> tuple[int, list[OverdueResource]]:
    """How many resources the actor may see (of ``provider_id`` if given) are late today,
    and the first ``limit`` of them, the oldest data first. A provider only ever gets its
    own."""
    actor.require(Permission.QUALITY_READ)
    total, rows = repository.overdue_resources(
        session, cutoffs=cutoffs(today), provider_id=_scope(actor, provider_id), limit=limit
    )
    return total, [_resource(row, today) for row in rows]


def _resource(row: OverdueRow, today: date) -> OverdueResource:
    return OverdueResource(
        resource_id=row.resource_id,
        code=row.code,
        name=row.name,
        provider_id=row.provider_id,
        freshness=judge(row.frequency, row.last_version_at, today),
    )


def overdue_counts(session: Session, *, actor: Principal, today: date) -> list[OverdueCount]:
    """Late resources per provider, the most first (providers with none left out). A count,
    not the resources: every reader of the scoreboard may see it."""
    actor.require(Permission.QUALITY_READ)
    return repository.overdue_counts(session, cutoffs=cutoffs(today))


def freshness(
    session: Session, *, actor: Principal, resource_id: uuid.UUID, frequency: str, today: date
) -> Freshness:
    """One resource against its frequency, for its page (the caller has shown the resource
    to the actor)."""
    actor.require(Permission.QUALITY_READ)
    current = ingestion.current_version(session, resource_id)
    return judge(frequency, current.created_at if current else None, today)
