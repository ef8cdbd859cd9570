"""R10.2 on the public disclosures page: every agreement the public may know of
(``authorizations.disclosures.DISCLOSED``) is a row naming its operator, its term and its
status, and it stays listed when it is suspended or has ended, so the public can follow
what happened to it."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from sluice.authorizations import service
from sluice.authorizations.clauses import AgreementClauses
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.settings import Settings
from sluice.identity.models import Organization
from tests.authorizations.factories import (
    CLAUSES,
    World,
    active_authorization,
    make_world,
    terminate_by_two,
)

_TAG = re.compile(r"<[^>]+>")


def _rows(page: str) -> list[list[str]]:
    """The disclosed agreements' rows as the public reads them: each cell's text."""
    table = page.split('data-testid="disclosed-agreements"')[1].split("</table>")[0]
    body = table.split("<tbody>")[1]
    return [
        [" ".join(_TAG.sub(" ", cell).split()) for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
        for row in body.split("</tr>")
        if "<td>" in row
    ]


def _name(database: Database, organization_id: object) -> str:
    with database.unit_of_work() as session:
        organization = session.get(Organization, organization_id)
        assert organization is not None
        return organization.name


def _product(name: str) -> AgreementClauses:
    """The clauses with a product of its own (N2: no operator delivers one product twice)."""
    return CLAUSES.model_copy(
        update={"products": [CLAUSES.products[0].model_copy(update={"name": name})]}
    )


def _three_agreements(database: Database, clock: FixedClock, settings: Settings) -> World:
    """One in force (3 years), one suspended (2 years, the other operator), one terminated
    (1 year)."""
    world = make_world(database, clock, settings)
    active_authorization(database, clock, settings, world)
    suspended = active_authorization(
        database,
        clock,
        settings,
        world,
        operator_id=world.other_operator.organization_id,
        scenario="智慧停车",
        entry_ids=world.entries[2:3],
        term_years=2,
        clauses=_product("停车指数"),
    )
    ended = active_authorization(
        database,
        clock,
        settings,
        world,
        scenario="就业服务",
        entry_ids=world.entries[3:4],
        term_years=1,
        clauses=_product("就业景气指数"),
    )
    with database.unit_of_work() as session:
        service.suspend(
            session,
            actor=world.bureau_principal(),
            at=clock.now(),
            authorization_id=suspended,
            reason="安全检查",
        )
        terminate_by_two(
            session,
            world,
            clock=clock,
            settings=settings,
            authorization_id=ended,
            reason="运营机构严重违约",
        )
    return world


def test_in_force_suspended_and_ended_agreements_are_listed_with_operator_term_and_status(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings
) -> None:
    world = _three_agreements(database, clock, settings)
    operator = _name(database, world.operator.organization_id)
    other = _name(database, world.other_operator.organization_id)

    rows = _rows(client.get("/portal/disclosures").text)
    # number, operator, scenario (mode · purpose), scope, term, status
    assert [[r[0], r[1], r[2].split()[0], r[4], r[5]] for r in rows] == [
        ["营数授〔2026〕1号", operator, "普惠金融", "2026-11-26 — 2029-11-25", "生效中"],
        ["营数授〔2026〕2号", other, "智慧停车", "2026-11-26 — 2028-11-25", "已暂停"],
        ["营数授〔2026〕3号", operator, "就业服务", "2026-11-26 — 2027-11-25", "已终止"],
    ]
    assert [r[3].split()[0] for r in rows] == ["2", "1", "1"]  # catalog entries in scope

    english = _rows(client.get("/portal/disclosures", headers={"Accept-Language": "en"}).text)
    assert [r[5] for r in english] == ["Active", "Suspended", "Terminated"]
