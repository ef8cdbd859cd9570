"""The gateway tests' world, built once per module and database through the real services.

On the sandbox's small city (``tests/sandbox/world.py``: 12 enterprises in three districts,
9 rated), with the bureau's cap for finance scores:

* agreement **main**, naming four products, all listed:
  - ``verify``: does an enterprise of this credit code sit in this district? consent
    needed, industry:finance, ¥3.00 a call;
  - ``score``: a credit score about an enterprise, consent needed, industry:finance,
    ¥12.00 a call, purposes 贷前审查 and 贷后管理;
  - ``stats``: firms per district, public governance (free), no subject, no consent;
  - ``dataset``: an approved export of the agreement's workspace (the 12 enterprises),
    downloaded fingerprinted;
* agreement **ending**, naming ``ending``, a free statistics product, for a test to suspend
  and end;
* a data subject: the enterprise ``USCC[0]`` (rated A), with a login;
* the bureau's principal for suspending keys and reading everything.

Buyers are made per test (``buyer``): an organization, a user, an API key, and the
subscriptions the test asks for, so no test's counters or keys meet another's.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sluice.consent import service as consent
from sluice.consent.schemas import ConsentGrant, SubjectCreate
from sluice.core.clock import FixedClock, local
from sluice.core.permissions import Role
from sluice.core.principal import Principal
from sluice.gateway import service as gateway
from sluice.guard.product_exports import ApprovedExport, register_export_source
from sluice.identity import service as identity
from sluice.identity.models import User
from sluice.products import pricing
from sluice.products.models import Product
from sluice.sandbox import export_repository, exports, queries
from tests.authorizations.factories import CLAUSES
from tests.identity.factories import PASSWORD, Account, make_account
from tests.products.world import STATISTICS_SPEC, VERIFICATION_SPEC, ProductWorld, score_spec
from tests.sandbox.world import START, USCC, SandboxWorld

LOAN = "贷前审查"
PLANNING = "区域规划"
SCORE_PRICE = 1200
VERIFY_PRICE = 300
EXPORTED = (
    "SELECT e.name, year(e.established_on) AS founded, count(*) AS firms, "
    "sum(e.registered_capital_fen) AS capital_fen "
    "FROM scjgj_enterprises AS e GROUP BY e.name, year(e.established_on)"
)
_n = itertools.count(1)


@dataclass(frozen=True)
class Buyer:
    account: Account
    key: str
    key_id: uuid.UUID

    @property
    def organization_id(self) -> uuid.UUID:
        assert self.account.organization_id is not None
        return self.account.organization_id

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.key}


@dataclass
class GatewayWorld:
    products: ProductWorld
    main: uuid.UUID
    ending: uuid.UUID
    verify: Product
    score: Product
    stats: Product
    dataset: Product
    ending_product: Product
    #: The enterprise subject's login, principal and token.
    subject_account: Account
    subject: Principal
    subject_token: str

    @property
    def city(self) -> SandboxWorld:
        return self.products.city

    @property
    def database(self) -> Any:
        return self.city.database

    @property
    def settings(self) -> Any:
        return self.city.settings

    def clock(self) -> FixedClock:
        return FixedClock(START)

    def bureau(self) -> Principal:
        return self.city.world.bureau_principal()

    def buyer(self, *codes: str, **limits: Any) -> Buyer:
        """A new buyer with a user, an API key and subscriptions to ``codes``."""
        clock = self.clock()
        account = make_account(self.database, clock, Role.BUYER)
        with self.database.unit_of_work() as session:
            user = session.get(User, account.user_id)
            assert user is not None
            principal = identity.principal_for(session, user, via="token")
            api_key, key = identity.create_api_key(session, actor=principal, clock=clock, name="k")
            for code in codes:
                gateway.subscribe(
                    session,
                    actor=principal,
                    settings=self.settings,
                    at=clock.now(),
                    product_code=code,
                    **limits,
                )
            return Buyer(account, key, api_key.id)

    def principal(self, buyer: Buyer) -> Principal:
        with self.database.unit_of_work() as session:
            user = session.get(User, buyer.account.user_id)
            assert user is not None
            return identity.principal_for(session, user, via="token")

    def consent(
        self,
        buyer: Buyer,
        product: Product,
        *,
        purpose: str = LOAN,
        starts: int = 0,
        days: int = 30,
    ) -> uuid.UUID:
        """The enterprise subject consents to ``buyer`` using ``product`` for ``purpose``,
        from ``starts`` days after today for ``days`` days."""
        first = local(self.clock().now()).date() + timedelta(days=starts)
        with self.database.unit_of_work() as session:
            return consent.grant(
                session,
                actor=self.subject,
                settings=self.settings,
                at=self.clock().now(),
                data=ConsentGrant(
                    buyer_id=buyer.organization_id,
                    product_id=product.id,
                    purpose=purpose,
                    valid_from=first,
                    valid_until=first + timedelta(days=days - 1),
                ),
            ).id

    def revoke(self, consent_id: uuid.UUID) -> None:
        with self.database.unit_of_work() as session:
            consent.revoke(
                session, actor=self.subject, at=self.clock().now(), consent_id=consent_id
            )


def export_source(session: Any, export_id: uuid.UUID) -> ApprovedExport | None:
    """The sandbox's exports as the guard reads them (the sandbox does not register itself
    with the guard yet)."""
    found = export_repository.export(session, Principal.system("sandbox"), export_id)
    if found is None:
        return None
    export = found.export
    return ApprovedExport(
        id=export.id,
        status=export.status,
        owner_id=export.owner_id,
        file_name=export.file_name,
        file_sm3=export.file_sm3,
        rows=export.rows,
        resource_ids=tuple(uuid.UUID(v["resource_id"]) for v in export.versions),
        columns=tuple((c["name"], c["type"]) for c in export.columns),
    )


@contextmanager
def exports_registered() -> Iterator[None]:
    unregister = register_export_source(export_source)
    try:
        yield
    finally:
        unregister()


def _agreement(products: ProductWorld, names: list[str]) -> uuid.UUID:
    city = products.city
    clause = CLAUSES.products[0]
    return city.agreement(
        entry_ids=city.entries([city.enterprises, city.ratings]),
        clauses=CLAUSES.model_copy(
            update={"products": [clause.model_copy(update={"name": n}) for n in names]}
        ),
    )


def _approved_export(products: ProductWorld, agreement: uuid.UUID) -> uuid.UUID:
    city = products.city
    one = city.settings.model_copy(update={"sandbox_export_min_subjects": 1})
    workspace = products.workspace(agreement)
    at = city.clock().now()
    with city.database.unit_of_work() as session:
        query = queries.run(
            session,
            actor=city.operator(),
            settings=one,
            at=at,
            workspace_id=workspace,
            sql=EXPORTED,
        ).query.id
    with city.database.unit_of_work() as session:
        export = exports.request(
            session,
            actor=city.operator(),
            settings=one,
            at=at,
            workspace_id=workspace,
            query_id=query,
            purpose="企业名录数据集",
        )
    with city.database.unit_of_work() as session:
        exports.approve(
            session, actor=city.world.bureau_principal(), settings=one, at=at, export_id=export.id
        )
    return export.id


def _stats(
    name: str, code: str, products: ProductWorld, agreement: uuid.UUID, *, distinct: bool = True
) -> Product:
    counted = "count(DISTINCT uscc_token)" if distinct else "count(*)"
    return products.listed(
        agreement,
        name,
        code=code,
        type="statistics",
        spec={
            **STATISTICS_SPEC,
            "sql": f"SELECT district, {counted} AS firms "  # noqa: S608 (a product's own SQL)
            "FROM scjgj_enterprises GROUP BY district",
        },
        consent_required=False,
        purposes=[PLANNING],
        domain="governance",
        billing_unit="call",
        price_fen=0,
    )


def build(city: SandboxWorld) -> GatewayWorld:
    """The world above (the export source must be registered while it is built)."""
    operator = city.world.operator
    products = ProductWorld(city, operator, city.finance)
    with city.database.unit_of_work() as session:
        for product_type, cap in (("score", 1500), ("verification", 500)):
            pricing.set_cap(
                session,
                actor=city.world.bureau_principal(),
                at=city.clock().now(),
                product_type=product_type,
                domain="industry:finance",
                cap_fen=cap,
                reason="依据 2026 年政府指导价方案",
            )
    n = next(_n)
    main = _agreement(products, ["企业登记核验", "企业信用评分", "区县企业统计", "企业名录"])
    ending = _agreement(products, ["可终止统计"])
    verify = products.listed(
        main,
        "企业登记核验",
        code=f"verify-{n}",
        type="verification",
        spec=VERIFICATION_SPEC,
        purposes=[LOAN],
        price_fen=VERIFY_PRICE,
    )
    score = products.listed(
        main,
        "企业信用评分",
        code=f"score-{n}",
        spec=score_spec(2000),
        purposes=[LOAN, "贷后管理"],
        price_fen=SCORE_PRICE,
    )
    stats = _stats("区县企业统计", f"stats-{n}", products, main)
    export_id = _approved_export(products, main)
    dataset = products.listed(
        main,
        "企业名录",
        code=f"dataset-{n}",
        type="dataset",
        spec={"kind": "dataset", "export_id": str(export_id)},
        consent_required=False,
        purposes=["市场分析"],
        domain="industry:finance",
        billing_unit="item",
        price_fen=0,
    )
    ending_product = _stats("可终止统计", f"ending-{n}", products, ending, distinct=False)
    with city.database.unit_of_work() as session:
        subject, _ = consent.create_subject(
            session,
            actor=Principal.system("test"),
            clock=city.clock(),
            settings=city.settings,
            data=SubjectCreate(
                username=f"enterprise{n}",
                display_name="营口测试企业01有限公司",
                password=PASSWORD,
                kind="enterprise",
                identifier=USCC[0],
            ),
        )
        user = session.get(User, subject.user_id)
        assert user is not None
        principal = identity.principal_for(session, user, via="token")
        token = subject.token
    account = Account(user.username, PASSWORD, user.id, None, Role.SUBJECT)
    return GatewayWorld(
        products,
        main,
        ending,
        verify,
        score,
        stats,
        dataset,
        ending_product,
        account,
        principal,
        token,
    )


def today() -> date:
    return local(START).date()
