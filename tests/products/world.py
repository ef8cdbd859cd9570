"""The products tests' city: the sandbox's small city (``tests/sandbox/world.py``: two
departments' data, the bureau with a second person, two operators with agreements in
force), a third operator affiliated with the first one (N2) with an agreement of its own,
and the bureau's cap for credit scores in finance: ¥15.00 per call.

Each test takes agreements of its own (``agreement``), so the product names it uses are
named by its agreement and nothing another test delivered is in its way.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from typing import Any

from sluice.authorizations import service as authorizations
from sluice.core.clock import FixedClock
from sluice.core.permissions import Role
from sluice.core.principal import Principal
from sluice.operators import qualified
from sluice.products import pricing
from sluice.products import service as products
from sluice.products.models import Product
from sluice.products.schemas import ProductIn
from sluice.sandbox import workspaces
from tests.approvals.factories import principal_of
from tests.authorizations.factories import CLAUSES, decision, draft, qualify_operator
from tests.identity.factories import Account, make_account
from tests.sandbox.world import START, SandboxWorld

#: The cap for score × industry:finance, in fen per unit.
CAP_FEN = 1500

_n = itertools.count(1)


def score_spec(since: int = 2000) -> dict[str, Any]:
    """A credit score over the tax ratings since the year ``since`` (each test its own year,
    so two tests' products do not do the same thing: N2 compares content)."""
    return {
        "kind": "score",
        "subject": {"name": "uscc", "type": "uscc", "title": "统一社会信用代码"},
        "sql": (
            "SELECT CASE WHEN count(*) = 0 THEN 40 ELSE 80 END AS score, "
            "CASE WHEN count(*) = 0 THEN 'unrated' ELSE 'rated' END AS reasons "
            "FROM swj_tax_ratings WHERE uscc_token = :subject AND rating_year >= SINCE"
        ).replace("SINCE", str(since)),
        "reasons": {
            "rated": ["有纳税信用评价", "Rated for tax credit"],
            "unrated": ["无评价", "Not rated"],
        },
        "score_range": [0, 100],
    }


VERIFICATION_SPEC: dict[str, Any] = {
    "kind": "verification",
    "view": "scjgj_enterprises",
    "inputs": [
        {"name": "uscc", "type": "uscc", "title": "统一社会信用代码"},
        {"name": "district", "type": "text", "title": "所在区县"},
    ],
    "subject": "uscc",
    "match": {"uscc": "uscc_token", "district": "district"},
}
STATISTICS_SPEC: dict[str, Any] = {
    "kind": "statistics",
    "sql": "SELECT district, count(DISTINCT uscc_token) AS firms FROM scjgj_enterprises "
    "GROUP BY district",
    "parameters": [],
    "dimensions": ["district"],
}


@dataclass
class ProductWorld:
    city: SandboxWorld
    #: The operator affiliated with ``city.operator()`` (N2) and its agreement in force.
    affiliate: Account
    affiliate_agreement: uuid.UUID
    workspaces_by_agreement: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)

    @property
    def database(self) -> Any:
        return self.city.database

    def clock(self) -> FixedClock:
        return FixedClock(START)

    def bureau(self) -> Principal:
        return self.city.world.bureau_principal()

    def colleague(self) -> Principal:
        return self.city.world.colleague_principal()

    def operator(self) -> Principal:
        return self.city.operator()

    def other_operator(self) -> Principal:
        return self.city.other_operator()

    def affiliate_principal(self) -> Principal:
        return principal_of(self.affiliate, "关联运营")

    def agreement(self, product: str | None = None, **overrides: Any) -> tuple[uuid.UUID, str]:
        """A new agreement in force for the operator over both resources, naming one
        product; its id and the product's name."""
        name = product or f"测试产品{next(_n)}"
        clauses = CLAUSES.model_copy(
            update={"products": [CLAUSES.products[0].model_copy(update={"name": name})]}
        )
        values: dict[str, Any] = {
            "entry_ids": self.city.entries([self.city.enterprises, self.city.ratings]),
            "clauses": clauses,
            **overrides,
        }
        return self.city.agreement(**values), name

    def workspace(self, agreement_id: uuid.UUID, actor: Principal | None = None) -> uuid.UUID:
        """The agreement's workspace (opened now if nobody opened it yet)."""
        if agreement_id not in self.workspaces_by_agreement:
            with self.database.unit_of_work() as session:
                rows = workspaces.workspace_rows(
                    session, actor=actor or self.operator(), at=self.clock().now()
                )
                for row in rows:
                    self.workspaces_by_agreement[row.workspace.owner_id] = row.workspace.id
        return self.workspaces_by_agreement[agreement_id]

    def data(self, agreement_id: uuid.UUID, name: str, **overrides: Any) -> ProductIn:
        actor = overrides.pop("actor", None)
        values: dict[str, Any] = {
            "workspace_id": overrides.get("workspace_id") or self.workspace(agreement_id, actor),
            "code": f"p-{next(_n)}-{uuid.uuid4().hex[:6]}",
            "name": name,
            "description": "按企业统一社会信用代码给出纳税信用评分与原因。",
            "type": "score",
            "spec": score_spec(1000 + next(_n)),
            "consent_required": True,
            "purposes": ["贷前审查", "贷后管理"],
            "domain": "industry:finance",
            "billing_unit": "call",
            "price_fen": 1200,
            **overrides,
        }
        return ProductIn.model_validate(values)

    def declare(
        self,
        agreement_id: uuid.UUID,
        name: str,
        *,
        actor: Principal | None = None,
        **overrides: Any,
    ) -> Product:
        actor = actor or self.operator()
        data = self.data(agreement_id, name, actor=actor, **overrides)
        with self.database.unit_of_work() as session:
            return products.declare(
                session, actor=actor, settings=self.city.settings, at=self.clock().now(), data=data
            )

    def listed(self, agreement_id: uuid.UUID, name: str, **overrides: Any) -> Product:
        """Declared, submitted, approved and listed."""
        actor = overrides.pop("actor", None) or self.operator()
        product = self.declare(agreement_id, name, actor=actor, **overrides)
        at = self.clock().now()
        with self.database.unit_of_work() as session:
            products.submit(session, actor=actor, at=at, product_id=product.id)
            products.review(
                session,
                actor=self.bureau(),
                at=at,
                product_id=product.id,
                decision="approve",
                reason="安全合规审查通过",
            )
            return products.list_product(
                session, actor=actor, settings=self.city.settings, at=at, product_id=product.id
            )


def _affiliate(city: SandboxWorld) -> tuple[Account, uuid.UUID]:
    """A third operator whose ownership graph names the first (an affiliate, N2), with an
    agreement in force over the enterprises for a scenario of its own."""
    clock = city.clock()
    affiliate = make_account(city.database, clock, Role.OPERATOR)
    operator_org = city.world.operator.organization_id
    assert affiliate.organization_id and operator_org
    with city.database.unit_of_work() as session:
        first = qualified.qualified_application(session, operator_org)
        assert first is not None
        qualify_operator(
            session,
            affiliate.organization_id,
            clock=clock,
            settings=city.settings,
            affiliate_code=first.credit_code,
        )
    bureau, at = city.world.bureau_principal(), clock.now()
    with city.database.unit_of_work() as session:
        created = authorizations.create_authorization(
            session,
            actor=bureau,
            settings=city.settings,
            at=at,
            data=draft(
                city.world,
                scenario="关联企业服务",
                operator_id=affiliate.organization_id,
                entry_ids=city.entries([city.enterprises, city.ratings]),
                clauses=CLAUSES.model_copy(
                    update={
                        "products": [CLAUSES.products[0].model_copy(update={"name": "关联评分"})]
                    }
                ),
            ),
        )
        authorizations.submit(session, actor=bureau, at=at, authorization_id=created.id)
        authorizations.decide(
            session, actor=bureau, at=at, authorization_id=created.id, data=decision()
        )
        for signer in (bureau, principal_of(affiliate, "关联运营")):
            authorizations.sign(
                session, actor=signer, settings=city.settings, at=at, authorization_id=created.id
            )
        return affiliate, created.id


def build(city: SandboxWorld) -> ProductWorld:
    affiliate, agreement = _affiliate(city)
    with city.database.unit_of_work() as session:
        pricing.set_cap(
            session,
            actor=city.world.bureau_principal(),
            at=city.clock().now(),
            product_type="score",
            domain="industry:finance",
            cap_fen=CAP_FEN,
            reason="依据 2026 年政府指导价方案",
        )
    return ProductWorld(city, affiliate, agreement)
