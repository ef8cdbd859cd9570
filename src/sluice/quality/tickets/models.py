from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sluice.core.database import Base, UUIDPrimaryKey


class CorrectionTicket(UUIDPrimaryKey, Base):
    """A correction ticket (纠错工单) on a provider's dataset, one of its fields or a row.

    ``status`` only changes through ``states.TICKET.fire``. The provider is copied
    from the resource when the ticket is filed, so a ticket stays with the department that
    was responsible for the data at that moment.
    """

    __tablename__ = "correction_tickets"
    __table_args__ = (Index("ix_correction_tickets_status_due_date", "status", "due_date"),)

    resource_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_resources.id"), index=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    #: None only when the platform itself filed it (CLI, demo).
    filed_by_org: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id"), index=True
    )
    filed_by_user: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    filed_by_username: Mapped[str] = mapped_column(String(150))
    #: "dataset", "field" or "row".
    target_level: Mapped[str] = mapped_column(String(10))
    field_name: Mapped[str | None] = mapped_column(String(80))
    #: How the filer points at the row: a record key, a row number, a filter.
    row_ref: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    filed_at: Mapped[datetime]
    #: The working days the provider was given (the setting may change later).
    working_days: Mapped[int]
    #: The last day (Asia/Shanghai) on which the provider may answer.
    due_date: Mapped[date]
    acknowledged_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    #: "fixed" or "rejected" once answered; kept after the ticket is closed.
    outcome: Mapped[str | None] = mapped_column(String(20))
    resolution: Mapped[str | None] = mapped_column(Text)
    #: Set when answered: whether the answer came after ``due_date``.
    answered_late: Mapped[bool | None]
    #: The dataset version that repaired the data (made after the ticket was filed), set
    #: when the provider marks it fixed; None for a ticket answered with a reason instead.
    repair_version: Mapped[int | None]


class TicketUrging(UUIDPrimaryKey, Base):
    """督办: the bureau chasing the provider on a ticket left unanswered past its due date.

    Each urging is kept (a ticket may be chased again on a later day); the ticket's page and
    the list show them to the provider and the filer, and each is in the audit log.
    """

    __tablename__ = "ticket_urgings"

    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("correction_tickets.id"), index=True)
    urged_at: Mapped[datetime]
    urged_by_user: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    urged_by_org: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organizations.id"))
    urged_by_username: Mapped[str] = mapped_column(String(150))
    #: The person's name as shown at the time (the username for the platform itself).
    urged_by_name: Mapped[str] = mapped_column(String(200))
    #: Working days past the due date on the day of the urging.
    working_days_overdue: Mapped[int]
    note: Mapped[str | None] = mapped_column(Text)
