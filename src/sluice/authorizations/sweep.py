"""The daily sweep: terms that are ending or over, reminders, missed deadlines, exits due,
deletion attestations the operator has not filed in time, and requests for irreversible
acts nobody approved in time (they lapse, changing nothing).

Run by ``sluice authorizations sweep`` (cron or a systemd timer, once a day is enough; it
is idempotent, so running it more often is harmless). Each step is a transition fired by
the platform itself and audited like any other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from sluice.approvals import service as approvals
from sluice.audit import service as audit
from sluice.authorizations import attestations, destruction, endings, repository
from sluice.authorizations import states as st
from sluice.authorizations.models import AuthorizationReminder
from sluice.core.clock import local
from sluice.core.principal import Principal
from sluice.core.settings import Settings

REMINDED = "authorization.reminded"

audit.declare_actions({REMINDED: ("授权到期提醒", "Expiry reminder sent")})

SWEEPER = Principal.system("sweep")


@dataclass
class SweepReport:
    expiring: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    reminders: list[str] = field(default_factory=list)
    overdue_rectifications: list[str] = field(default_factory=list)
    exits_executed: list[str] = field(default_factory=list)
    certificates: list[str] = field(default_factory=list)
    #: Certified destructions whose deletion had not happened (finished now).
    destructions_finished: list[str] = field(default_factory=list)
    #: Requests for irreversible acts nobody approved in time (ids); nothing was done.
    approvals_lapsed: list[str] = field(default_factory=list)
    #: Agreements whose operator missed the day for its deletion attestation (numbers).
    attestations_overdue: list[str] = field(default_factory=list)


def sweep(session: Session, *, settings: Settings, at: datetime) -> SweepReport:
    report = SweepReport()
    today = local(at).date()
    report.approvals_lapsed = [str(r.id) for r in approvals.lapse_due(session, at=at)]
    days = sorted(set(settings.authorization_reminder_days), reverse=True)
    window = days[0] if days else 0

    for order in repository.rectifications_with_status(session, st.RECT_OPEN):
        if order.deadline < today:
            endings.mark_overdue(session, actor=SWEEPER, settings=settings, at=at, order=order)
            report.overdue_rectifications.append(str(order.id))

    for request in repository.exits_with_status(session, [st.EXIT_APPROVED]):
        if request.exit_date <= today:
            endings.execute_exit(
                session, actor=SWEEPER, settings=settings, at=at, exit_id=request.id
            )
            report.exits_executed.append(str(request.id))

    for authorization in repository.with_status(session, [st.ACTIVE, st.SUSPENDED, st.EXPIRING]):
        term_end = authorization.term_end
        if term_end is None:
            continue
        if today > term_end:
            endings.expire(
                session,
                actor=SWEEPER,
                settings=settings,
                at=at,
                authorization=authorization,
                reason="term ended",
            )
            report.expired.append(authorization.number)
            continue
        if authorization.status == st.ACTIVE and today >= term_end - timedelta(days=window):
            st.AUTHORIZATION.fire(
                authorization, "mark_expiring", session=session, actor=SWEEPER, at=at
            )
            report.expiring.append(authorization.number)
        # The most urgent reminder whose day has come, once per term (no burst of three
        # when an agreement is created close to its end).
        due = [d for d in days if today >= term_end - timedelta(days=d)]
        if due and not repository.reminder_sent(session, authorization.id, term_end, min(due)):
            session.add(
                AuthorizationReminder(
                    authorization_id=authorization.id,
                    term_end=term_end,
                    days_before=min(due),
                    sent_at=at,
                )
            )
            audit.record(
                session,
                actor=SWEEPER,
                action=REMINDED,
                target_type="authorization",
                target_id=authorization.id,
                at=at,
                detail={"days_before": min(due), "term_end": term_end.isoformat()},
            )
            report.reminders.append(f"{authorization.number}:{min(due)}")

    # A renewed agreement stays in force to the end of its own term. If its successor has
    # not taken over by then (never signed), the chain ends here and its data goes.
    for authorization in repository.with_status(session, [st.RENEWED]):
        if authorization.term_end is None or today <= authorization.term_end:
            continue
        taken_over = any(
            s.status in (st.ACTIVE, st.SUSPENDED, st.EXPIRING, st.RENEWED)
            for s in repository.successors(session, authorization.id)
        )
        if not taken_over:
            endings.expire(
                session,
                actor=SWEEPER,
                settings=settings,
                at=at,
                authorization=authorization,
                reason="term ended; the renewal did not take effect",
            )
            report.expired.append(authorization.number)

    for authorization in repository.with_status(session, st.ENDED):
        if repository.certificate(session, authorization.id) is None:
            certificate = destruction.destroy(
                session, authorization=authorization, settings=settings, at=at
            )
            if certificate is not None:
                report.certificates.append(certificate.number)
    report.destructions_finished = destruction.finish_pending(session, settings=settings)
    report.attestations_overdue = attestations.mark_overdue(session, actor=SWEEPER, at=at)
    session.flush()
    return report
