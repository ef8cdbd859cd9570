"""The public portal: the disclosures card leads somewhere, DCAT publisher IRIs resolve, the
icon exists. What the public may read, and what it may not."""

from __future__ import annotations

from fastapi.testclient import TestClient

from sluice.authorizations import service
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.settings import Settings
from sluice.identity.models import Organization
from tests.authorizations.factories import CLAUSES, active_authorization, draft, make_world


def _org_code(database: Database, organization_id: object) -> str:
    with database.unit_of_work() as session:
        org = session.get(Organization, organization_id)
        assert org is not None
        return org.code


def test_every_publisher_iri_in_the_dcat_catalog_is_a_page(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings
) -> None:
    make_world(database, clock, settings)
    document = client.get("/catalog.jsonld").json()
    publishers = {d["dct:publisher"]["@id"] for d in document["dcat:dataset"]}
    assert len(publishers) == 1
    for iri in publishers:
        path = iri.removeprefix(settings.base_url.rstrip("/"))
        page = client.get(path)
        assert page.status_code == 200, path
        assert 'data-testid="publisher-entries">4<' in page.text  # the world publishes four
        linked = client.get(path, headers={"Accept": "application/ld+json"}).json()
        assert linked["@id"] == iri and linked["@type"] == "foaf:Organization"


def test_organizations_that_publish_nothing_have_no_public_page(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings
) -> None:
    world = make_world(database, clock, settings)
    operator_code = _org_code(database, world.operator.organization_id)
    assert client.get(f"/organizations/{operator_code}").status_code == 404
    assert client.get("/organizations/no-such-code").status_code == 404


def test_disclosures_list_agreements_in_force_and_not_drafts(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings
) -> None:
    world = make_world(database, clock, settings)
    active_authorization(database, clock, settings, world)
    with database.unit_of_work() as session:
        service.create_authorization(
            session,
            actor=world.bureau_principal(),
            settings=settings,
            at=clock.now(),
            data=draft(
                world,
                scenario="智慧停车",
                entry_ids=world.entries[2:3],
                clauses=CLAUSES.model_copy(
                    update={
                        "products": [CLAUSES.products[0].model_copy(update={"name": "停车指数"})]
                    }
                ),
            ),
        )
    home = client.get("/")
    assert 'href="/portal/disclosures"' in home.text
    page = client.get("/portal/disclosures")
    assert page.status_code == 200
    table = page.text.split('data-testid="disclosed-agreements"')[1].split("</table>")[0]
    assert "普惠金融" in table and "生效" in table
    assert "智慧停车" not in table  # a draft is not disclosed
    # N7: party, content, scope and term; the scope lists the two entries in the agreement.
    assert "为银行提供小微企业信用评估服务" in table
    assert "2 项目录条目" in table and "企业登记信息1" in table and "企业登记信息2" in table
    assert "企业登记信息3" not in table
    assert "小微企业信用画像" not in page.text  # products under review stay inside


def test_pages_name_an_icon_that_exists(client: TestClient) -> None:
    assert 'rel="icon" href="/static/favicon.svg"' in client.get("/").text
    for path in ("/static/favicon.svg", "/favicon.ico"):
        icon = client.get(path)
        assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg")
