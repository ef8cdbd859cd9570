"""The consent tests' world: the bureau, two buyers, three data subjects (two persons, one
enterprise) opened through the service, and three listed products that need consent.

Products stand in for ``products.service`` (``FakeProducts``, installed as
``consent.offers.products_service``): the ledger reads of a product only what the products
module's contract gives (its code, title, subject kind, purposes), so a world of agreements,
workspaces and reviews behind real products would cost the suite seconds and prove nothing
more here (``test_offers.py`` reads the real module).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sluice.consent import service
from sluice.consent.schemas import SubjectCreate
from sluice.core.clock import SHANGHAI, FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.identity import service as identity
from sluice.identity.models import User
from sluice.products import service as products_service
from tests.identity.factories import PASSWORD, Account, make_account

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI)
#: Valid resident ID numbers and a credit code (GB 11643 / GB 32100 check characters).
ID_ZHANG = "210802198506123414"
ID_LI = "210804199003010028"
USCC_FACTORY = "91210800MA0Y12345R"
LOAN = "信贷审批"
AFTER_LOAN = "贷后管理"
HIRING = "招聘背景核验"
SUPPLIER = "供应商准入"


@dataclass(frozen=True)
class FakeProduct:
    id: uuid.UUID
    code: str
    name: str
    subject_kind: str | None
    purposes: tuple[str, ...]
    consent_required: bool = True


@dataclass
class FakeProducts:
    """``products.service`` as the consent ledger calls it."""

    listed: list[FakeProduct] = field(default_factory=list)
    ProductUnavailable = products_service.ProductUnavailable

    def listed_products(self, session: Any) -> list[FakeProduct]:
        return list(self.listed)

    def callable_product(self, session: Any, *, code: str, at: datetime) -> FakeProduct:
        return next(p for p in self.listed if p.code == code)

    def product_title(self, session: Any, product_id: uuid.UUID) -> str:
        return next((p.name for p in self.listed if p.id == product_id), "—")


INCOME = FakeProduct(uuid.uuid4(), "income-check", "个人收入核验", "person", (LOAN, AFTER_LOAN))
EMPLOYMENT = FakeProduct(uuid.uuid4(), "employment-check", "就业状态核验", "person", (HIRING,))
CREDIT = FakeProduct(uuid.uuid4(), "sme-credit", "小微企业信用评分", "enterprise", (SUPPLIER,))
FREE = FakeProduct(uuid.uuid4(), "population", "人口统计", None, ("规划",), False)
PRODUCTS = FakeProducts([INCOME, EMPLOYMENT, CREDIT, FREE])


@dataclass(frozen=True)
class Subject:
    username: str
    user_id: uuid.UUID
    subject_id: uuid.UUID
    token: str
    masked: str

    def principal(self) -> Principal:
        return Principal(
            username=self.username,
            via="session",
            user_id=self.user_id,
            roles=frozenset({Role.SUBJECT}),
        )

    def account(self) -> Account:
        return Account(self.username, PASSWORD, self.user_id, None, Role.SUBJECT)


@dataclass
class World:
    database: Database
    settings: Settings
    bureau: Account
    buyer: Account
    other_buyer: Account
    zhang: Subject
    li: Subject
    factory: Subject

    def clock(self) -> FixedClock:
        return FixedClock(NOW)

    def principal(self, account: Account) -> Principal:
        with self.database.unit_of_work() as session:
            user = session.get(User, account.user_id)
            assert user is not None
            return identity.principal_for(session, user, via="token")


def open_subject(
    database: Database,
    settings: Settings,
    *,
    username: str,
    kind: str,
    identifier: str,
) -> Subject:
    with database.unit_of_work() as session:
        subject, _ = service.create_subject(
            session,
            actor=Principal.system("test"),
            clock=FixedClock(NOW),
            settings=settings,
            data=SubjectCreate(
                username=username,
                display_name=username,
                password=PASSWORD,
                kind=kind,  # type: ignore[arg-type]
                identifier=identifier,
            ),
        )
        return Subject(username, subject.user_id, subject.id, subject.token, subject.masked)


def build(database: Database, home: Path) -> World:
    settings = Settings(home=home, database_url=database.url)
    clock = FixedClock(NOW)
    return World(
        database=database,
        settings=settings,
        bureau=make_account(database, clock, Role.BUREAU),
        buyer=make_account(database, clock, Role.BUYER),
        other_buyer=make_account(database, clock, Role.BUYER),
        zhang=open_subject(
            database, settings, username="zhang.wei", kind="person", identifier=ID_ZHANG
        ),
        li=open_subject(database, settings, username="li.na", kind="person", identifier=ID_LI),
        factory=open_subject(
            database, settings, username="yingkou.valve", kind="enterprise", identifier=USCC_FACTORY
        ),
    )
