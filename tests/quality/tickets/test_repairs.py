"""A correction ticket is closed only when the provider has answered and repaired (R9.3): a
"fixed" answer rests on a dataset version made after the ticket was filed; a rejection
records why no repair is needed, and closing it is the filer's (or the bureau's) acceptance.
Anything else is refused with ``ticket_not_repaired``, in both languages."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sluice.audit.models import AuditEvent
from sluice.core.clock import SHANGHAI, FixedClock
from sluice.core.database import Database
from sluice.core.errors import Conflict
from sluice.quality.tickets import service
from sluice.quality.tickets.models import CorrectionTicket
from tests.identity.factories import Account, console_login
from tests.quality.tickets.factories import (
    World,
    file_ticket,
    make_version,
    make_world,
    principal_of,
)


@pytest.fixture
def world(database: Database, clock: FixedClock) -> World:
    return make_world(database, clock)


def _acknowledged(database: Database, clock: FixedClock, world: World) -> uuid.UUID:
    ticket = file_ticket(database, clock, world.operator, world.resource_a)
    with database.unit_of_work() as session:
        service.acknowledge(
            session, actor=principal_of(world.provider_a), clock=clock, ticket_id=ticket.id
        )
    return ticket.id


def _fix(database: Database, clock: FixedClock, world: World, ticket_id: uuid.UUID) -> None:
    with database.unit_of_work() as session:
        service.fix(
            session,
            actor=principal_of(world.provider_a),
            clock=clock,
            ticket_id=ticket_id,
            resolution="已按登记台账更正地址",
        )


def _close(database: Database, clock: FixedClock, who: Account, ticket_id: uuid.UUID) -> None:
    with database.unit_of_work() as session:
        service.close(session, actor=principal_of(who), clock=clock, ticket_id=ticket_id)


def _ticket(database: Database, ticket_id: uuid.UUID) -> CorrectionTicket:
    with database.unit_of_work() as session:
        ticket = session.get(CorrectionTicket, ticket_id)
        assert ticket is not None
        session.expunge(ticket)
        return ticket


def test_fixed_needs_a_version_made_after_filing_and_closing_needs_the_answer(
    database: Database, clock: FixedClock, world: World
) -> None:
    # The data as it was when the operator found the error does not repair it.
    make_version(database, clock, world.resource_a)
    clock.advance(timedelta(minutes=1))
    ticket_id = _acknowledged(database, clock, world)
    with pytest.raises(Conflict) as closing:
        _close(database, clock, world.operator, ticket_id)
    assert closing.value.code == "ticket_not_repaired"
    assert closing.value.detail("zh-CN") == (
        "此工单尚未答复（已受理），不能关闭：提供部门须上传更正后的数据（新版本）并标记"
        "“已更正”，或写明无需更正的理由。"
    )
    assert closing.value.detail("en") == (
        "This ticket has not been answered yet (Acknowledged) and cannot be closed: the "
        "provider must upload the corrected data (a new version) and mark it fixed, or "
        "record why no correction is needed."
    )
    with pytest.raises(Conflict) as fixing:
        _fix(database, clock, world, ticket_id)
    assert fixing.value.status == 409
    assert fixing.value.code == "ticket_not_repaired"
    assert fixing.value.detail("zh-CN") == (
        "自本工单提交（2026-11-26 10:01）以来，该数据资源还没有新的数据版本，不能标记为“已更正”。"
        "请先上传更正后的数据；如数据无需更正，请选择“不予更正”并写明理由。"
    )
    assert fixing.value.detail("en").startswith(
        "The resource has no new data version since this ticket was filed (2026-11-26 10:01)"
    )
    assert _ticket(database, ticket_id).status == "acknowledged"

    # The provider uploads the corrected data, then answers: the version is kept.
    clock.advance(timedelta(hours=2))
    make_version(database, clock, world.resource_a)
    _fix(database, clock, world, ticket_id)
    assert (_ticket(database, ticket_id).status, _ticket(database, ticket_id).repair_version) == (
        "fixed",
        2,
    )
    _close(database, clock, world.operator, ticket_id)
    with database.unit_of_work() as session:
        closed = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "correction_ticket.close")
        ).one()
    assert closed.detail == {
        "from": "fixed",
        "to": "closed",
        "closed_on": "repair",
        "repair_version": 2,
    }


def test_a_ticket_marked_fixed_without_a_repair_cannot_be_closed_until_one_comes(
    database: Database, clock: FixedClock, world: World
) -> None:
    """Answers given before repairs were recorded (status fixed, no version number)."""
    ticket_id = _acknowledged(database, clock, world)
    with database.unit_of_work() as session:
        ticket = session.get(CorrectionTicket, ticket_id)
        assert ticket is not None
        ticket.status, ticket.outcome, ticket.resolution = "fixed", "fixed", "已更正"
    with pytest.raises(Conflict) as caught:
        _close(database, clock, world.bureau, ticket_id)
    assert caught.value.code == "ticket_not_repaired"
    assert caught.value.detail("zh-CN") == (
        "提供部门答复“已更正”，但自本工单提交（2026-11-26 10:00）以来该数据资源没有新的数据版本，"
        "不能关闭：须等提供部门上传更正后的数据。"
    )
    clock.advance(timedelta(days=1))
    make_version(database, clock, world.resource_a)
    _close(database, clock, world.bureau, ticket_id)
    assert _ticket(database, ticket_id).status == "closed"


def test_a_late_repair_is_recorded_late_and_the_ticket_stays_overdue_until_it(
    database: Database, clock: FixedClock, world: World
) -> None:
    ticket_id = _acknowledged(database, clock, world)  # due Thursday 3 December
    clock.advance(datetime(2026, 12, 7, 9, 0, tzinfo=SHANGHAI) - clock.now())
    with pytest.raises(Conflict):
        _fix(database, clock, world, ticket_id)
    assert service.is_overdue(_ticket(database, ticket_id), today=service.today(clock))
    make_version(database, clock, world.resource_a)
    clock.advance(timedelta(minutes=5))
    _fix(database, clock, world, ticket_id)
    repaired = _ticket(database, ticket_id)
    assert (repaired.status, repaired.answered_late, repaired.repair_version) == (
        "fixed",
        True,
        1,
    )
    assert not service.is_overdue(repaired, today=service.today(clock))


def test_the_provider_is_told_on_the_page_to_upload_first_and_the_filer_what_closing_accepts(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    ticket_id = _acknowledged(database, clock, world)
    url = f"/console/tickets/{ticket_id}"
    client.cookies.clear()
    csrf = console_login(client, world.provider_a)
    page = client.get(url).text
    assert (
        "自本工单提交以来，该数据资源还没有新的数据版本。请先在数据资源页上传更正后的数据" in page
    )
    assert f'href="/console/resources/{world.resource_a}">前往数据资源页上传' in page
    refused = client.post(f"{url}/fix", data={"csrf_token": csrf, "text": "已更正"})
    assert refused.status_code == 409
    assert "不能标记为“已更正”。请先上传更正后的数据" in refused.text
    english = client.post(
        f"{url}/fix", data={"csrf_token": csrf, "text": "已更正"}, headers={"Accept-Language": "en"}
    )
    assert "so it cannot be marked fixed. Upload the corrected data first" in english.text
    # Nothing to repair: the provider records why, and closing accepts that reason.
    client.post(f"{url}/reject", data={"csrf_token": csrf, "text": "经核实，登记地址无误"})
    client.cookies.clear()
    csrf = console_login(client, world.operator)
    page = client.get(url).text
    assert "关闭即表示认可提供部门不予更正的理由。" in page
    assert client.post(f"{url}/close", data={"csrf_token": csrf}).status_code == 200
    assert 'data-testid="ticket-status">已关闭' in client.get(url).text
