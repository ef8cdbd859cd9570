"""A small city for the workbench tests: one person of each role, each with something to do.

Built through the real services; a held upload and a quality score are written as rows,
as the data plane and an assessment would leave them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sluice.authorizations import exits
from sluice.authorizations import service as authorizations
from sluice.authorizations.models import Authorization
from sluice.authorizations.schemas import RectificationIn
from sluice.catalog import repository as catalog_repository
from sluice.catalog import service as catalog
from sluice.catalog.schemas import BatchCreate
from sluice.core.clock import FixedClock, local
from sluice.core.database import Database
from sluice.core.permissions import Role
from sluice.core.settings import Settings
from sluice.core.workdays import add_working_days
from sluice.identity import repository as identity_repository
from sluice.identity import service as identity
from sluice.ingestion.models import IngestionRun
from sluice.operators.selection import service as selection
from sluice.quality.models import ProviderAssessment
from tests.approvals.factories import principal_of
from tests.authorizations import factories as agreements
from tests.catalog.factories import BUREAU, publish, resource_data
from tests.identity.factories import Account, make_account
from tests.operators import factories as operators
from tests.operators.selection import factories as rounds
from tests.quality.tickets.factories import file_ticket


def rename(database: Database, account: Account, name: str) -> None:
    with database.unit_of_work() as session:
        assert account.organization_id is not None
        org = identity_repository.organization(session, account.organization_id)
        assert org is not None
        org.name = name


def _published(
    database: Database, clock: FixedClock, provider: Account, code: str, name: str
) -> uuid.UUID:
    """A provider's resource, registered and published in a batch of its own."""
    assert provider.organization_id is not None
    (entry_id,) = publish(database, clock, provider.organization_id, [resource_data(code, name)])
    with database.unit_of_work() as session:
        (entry,) = catalog_repository.entries_by_ids(session, [entry_id])
        return entry.resource_id


@dataclass(frozen=True)
class City:
    bureau: Account
    colleague: Account
    operator: Account
    other_operator: Account
    applicant: Account
    provider_a: Account
    provider_b: Account
    registry: Account
    finance: Account
    subject: Account
    buyer: Account
    panelist: Account
    application_id: uuid.UUID
    agreement_id: uuid.UUID
    agreement_number: str
    overdue_ticket: uuid.UUID
    ticket_b: uuid.UUID
    held_run: uuid.UUID
    round_id: uuid.UUID
    resource_a: uuid.UUID
    deadline: str


def build(database: Database, clock: FixedClock, settings: Settings) -> City:
    """The city as of ``clock`` (the ``clock`` fixture: Thursday 2026-11-26 10:00, Beijing
    time; the browser tests build it as of now)."""
    today = local(clock.now()).date()
    world = agreements.make_world(database, clock, settings)
    rename(database, world.operator, "营口数据集团")
    rename(database, world.other_operator, "海港数智")
    bureau = world.bureau_principal()

    # An agreement in force for 营口数据集团, its term ending in 30 days, a rectification
    # order on it, and the bureau's request to terminate it waiting for a second person.
    agreement_id = agreements.active_authorization(database, clock, settings, world)
    deadline = add_working_days(today, settings.rectification_min_working_days + 2)
    with database.unit_of_work() as session:
        agreement = session.get(Authorization, agreement_id)
        assert agreement is not None and agreement.term_start is not None
        agreement.term_end = today + timedelta(days=30)
        number = agreement.number
        exits.issue_rectification(
            session,
            actor=bureau,
            at=clock.now(),
            settings=settings,
            authorization_id=agreement_id,
            data=RectificationIn(
                grounds="breach", description="未按约定报送季度运营报告", deadline=deadline
            ),
        )
        authorizations.terminate(
            session,
            actor=bureau,
            settings=settings,
            at=clock.now(),
            authorization_id=agreement_id,
            reason="严重违约",
        )
        # 海港数智's agreement for another scenario, submitted for the collective decision.
        draft = authorizations.create_authorization(
            session,
            actor=bureau,
            settings=settings,
            at=clock.now(),
            data=agreements.draft(
                world,
                operator_id=world.other_operator.organization_id,
                scenario="智慧交通",
                entry_ids=world.entries[2:],
            ),
        )
        authorizations.submit(session, actor=bureau, at=clock.now(), authorization_id=draft.id)
        catalog.create_batch(session, actor=BUREAU, clock=clock, data=BatchCreate(title="第9批"))

    # A company applying for qualification, submitted.
    applicant = make_account(database, clock, Role.OPERATOR)
    rename(database, applicant, "辽河数据服务有限公司")
    built = operators.built_for(database, clock, settings, applicant)
    operators.submit_for(database, clock, settings, applicant, built.application.id)

    # Two departments with a dataset each; 营口数据集团 filed a ticket on each: the one on
    # 市场监管局's data two weeks ago (now overdue), the one on 人社局's today.
    provider_a = make_account(database, clock, Role.PROVIDER)
    provider_b = make_account(database, clock, Role.PROVIDER)
    rename(database, provider_a, "市场监管局")
    rename(database, provider_b, "人社局")
    assert provider_a.organization_id and provider_b.organization_id
    resource_a = _published(database, clock, provider_a, "qy-dj", "企业登记信息")
    resource_b = _published(database, clock, provider_b, "sb-jf", "社保缴费记录")
    earlier = FixedClock(clock.now() - timedelta(days=16))
    overdue = file_ticket(
        database, earlier, world.operator, resource_a, description="企业地址与实际不符"
    )
    ticket_b = file_ticket(database, clock, world.operator, resource_b, description="缴费基数有误")
    with database.unit_of_work() as session:
        held = IngestionRun(
            resource_id=resource_a,
            provider_id=provider_a.organization_id,
            status="held",
            source_kind="csv",
            source_name="企业登记-11月.csv",
            content_hash="0" * 64,
            rows_total=12,
            rows_accepted=12,
            hold_reason="shrinks",
            compared_version=1,
            compared_rows=5000,
            actor=provider_a.username,
            started_at=clock.now(),
        )
        session.add(held)
        session.add(
            ProviderAssessment(
                provider_id=provider_a.organization_id,
                assessed_at=clock.now() - timedelta(days=1),
                score=72.5,
                completeness=90.0,
                accuracy=80.0,
                consistency=70.0,
                timeliness=50.0,
                overdue_tickets=1,
            )
        )
        session.flush()
        held_id = held.id

    # A consultation being scored; the panel member has given none of their scores.
    panelist = rounds.make_panelist(database, clock, "赵教授")
    with database.unit_of_work() as session:
        actor = rounds.bureau()
        round_id = rounds.new_round(session, clock, criteria=[("综合评价", 100)], scenario="文旅")
        selection.open_round(session, actor=actor, clock=clock, round_id=round_id)
        for organization_id in (
            world.operator.organization_id,
            world.other_operator.organization_id,
        ):
            assert organization_id is not None
            selection.add_candidate(
                session,
                actor=actor,
                clock=clock,
                round_id=round_id,
                organization_id=organization_id,
            )
        selection.name_panel_member(
            session, actor=actor, clock=clock, round_id=round_id, user_id=panelist.user_id
        )
        selection.start_scoring(
            session, actor=actor, clock=clock, settings=settings, round_id=round_id
        )

    buyer = make_account(database, clock, Role.BUYER)
    with database.unit_of_work() as session:
        identity.create_api_key(
            session, actor=principal_of(buyer), clock=clock, name="信贷审批系统"
        )
        long_ago = FixedClock(clock.now() - timedelta(days=100))
        identity.create_api_key(
            session, actor=principal_of(buyer), clock=long_ago, name="旧对账系统"
        )

    return City(
        bureau=world.bureau,
        colleague=world.colleague,
        operator=world.operator,
        other_operator=world.other_operator,
        applicant=applicant,
        provider_a=provider_a,
        provider_b=provider_b,
        registry=make_account(database, clock, Role.REGISTRY),
        finance=make_account(database, clock, Role.FINANCE),
        subject=make_account(database, clock, Role.SUBJECT),
        buyer=buyer,
        panelist=panelist.account,
        application_id=built.application.id,
        agreement_id=agreement_id,
        agreement_number=number,
        overdue_ticket=overdue.id,
        ticket_b=ticket_b.id,
        held_run=held_id,
        round_id=round_id,
        resource_a=resource_a,
        deadline=deadline.isoformat(),
    )
