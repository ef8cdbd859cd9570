"""The catalog as DCAT-AP 3 (R4.2, N7): what the official shapes say of it, what a harvester
walking its pages gets, the three formats, and the national catalog's core fields.

Most tests read one real catalog: the demo city's departments and about 250 of its
entries, built once for the module on SQLite (the full 6,900 take 20 s; paging is the same
at any size, and docs/dcat.md records a full harvest of `sluice demo`). Some entries have
data, some were withdrawn, a batch is still a draft. The tests that change the catalog
(conditional requests) run on both databases with a small catalog of their own.
"""

from __future__ import annotations

import shutil
import statistics
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pyshacl import validate
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, FOAF, RDF, RDFS, SH, SKOS
from sqlalchemy import select, update

from sluice.catalog import service
from sluice.catalog.dcat import PAGE_SIZE
from sluice.catalog.models import CatalogEntry, DataResource
from sluice.catalog.schemas import BatchCreate
from sluice.catalog.vocabulary import CLASSIFICATIONS, UPDATE_FREQUENCIES
from sluice.core.clock import SHANGHAI, FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from sluice.core.settings import Settings
from sluice.demo import catalog as demo_catalog
from sluice.demo import city
from sluice.identity.models import Organization
from sluice.web.app import create_app
from tests.catalog.factories import BUREAU, provider_principal, publish, resource_data
from tests.identity.factories import bearer, make_account

SHAPES = Path(__file__).parent / "fixtures" / "dcat-ap-3.0.0-SHACL.ttl"
# Open namespaces: pytest's look at module globals makes rdflib's closed ones warn.
DCAT = Namespace("http://www.w3.org/ns/dcat#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
CLOCK = FixedClock(datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI))
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
MEDIA = {"json-ld": "application/ld+json", "turtle": "text/turtle", "xml": "application/rdf+xml"}
#: Entries in the module's catalog before some are withdrawn.
LISTED = 250
WITHDRAWN = 3
WITH_DATA = 20


@dataclass(frozen=True)
class City:
    database: Database
    client: TestClient
    base: str
    published: set[str]
    withdrawn: list[str]
    drafts: list[str]
    with_data: list[str]


def _ids(database: Database, status: str) -> list[str]:
    with database.unit_of_work() as session:
        query = select(CatalogEntry.id).where(CatalogEntry.status == status)
        return sorted(str(i) for i in session.scalars(query.order_by(CatalogEntry.id)))


@pytest.fixture(scope="module")
def catalog_city(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[City]:
    home = tmp_path_factory.mktemp("dcat")
    shutil.copy(sqlite_template, home / "sluice.db")
    database = Database(f"sqlite:///{home / 'sluice.db'}")
    with database.unit_of_work() as session:
        city.seed_identity(session, clock=CLOCK)
        demo_catalog.seed_catalog(session, clock=CLOCK, datasets=[], seed=1, target=LISTED)
    published = _ids(database, "published")
    with database.unit_of_work() as session:
        # What ingestion records once a department's data is on the platform.
        resources = select(CatalogEntry.resource_id).where(
            CatalogEntry.id.in_([uuid.UUID(i) for i in published[:WITH_DATA]])
        )
        session.execute(
            update(DataResource).where(DataResource.id.in_(resources)).values(has_data=True)
        )
        for entry_id in published[-WITHDRAWN:]:
            service.change_entry(
                session,
                actor=BUREAU,
                clock=CLOCK,
                entry_id=uuid.UUID(entry_id),
                transition="withdraw",
            )
        gaj = session.scalar(select(Organization).where(Organization.code == "gaj"))
        assert gaj is not None
        draft = [
            service.register_resource(
                session,
                actor=provider_principal(gaj.id),
                clock=CLOCK,
                data=resource_data(code, name),
            ).id
            for code, name in (("draft1", "待发布的户籍迁移信息"), ("draft2", "待发布的居住证信息"))
        ]
        batch = service.create_batch(session, actor=BUREAU, clock=CLOCK, data=BatchCreate())
        service.add_to_batch(
            session, actor=BUREAU, clock=CLOCK, batch_id=batch.id, resource_ids=draft
        )
    settings = Settings(home=home / "var", database_url=database.url)
    app = create_app(settings, database=database, clock=CLOCK)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield City(
            database,
            client,
            settings.base_url.rstrip("/"),
            set(_ids(database, "published")),
            published[-WITHDRAWN:],
            _ids(database, "draft"),
            published[:WITH_DATA],
        )
    database.dispose()


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(SHAPES, format="turtle")


def _rdf(client: TestClient, path: str, form: str = "turtle", **headers: str) -> Graph:
    response = client.get(path, headers={"Accept": MEDIA[form], **headers})
    assert response.status_code == 200, (path, response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith(MEDIA[form])
    return Graph().parse(data=response.content, format=form)


def _path(catalog_city: City, iri: object) -> str:
    return str(iri).removeprefix(catalog_city.base)


def _violations(data: Graph, shapes: Graph) -> list[tuple[str, str, str]]:
    """What pySHACL reports, as (focus node, path, message); no inference, nothing else
    loaded."""
    conforms, report, _ = validate(data, shacl_graph=shapes, inference="none", advanced=False)
    found = [
        (
            str(report.value(r, SH.focusNode)),
            str(report.value(r, SH.resultPath)),
            str(report.value(r, SH.resultMessage)),
        )
        for r in report.subjects(RDF.type, SH.ValidationResult)
    ]
    assert conforms == (found == [])
    return found


# --- conformance ------------------------------------------------------------------------------


def test_a_page_an_entry_and_the_themes_satisfy_the_official_dcat_ap_3_shapes(
    catalog_city: City, shapes: Graph
) -> None:
    page = _rdf(catalog_city.client, "/catalog.ttl")
    assert len(set(page.subjects(RDF.type, DCAT.Dataset))) == PAGE_SIZE
    entry = _rdf(catalog_city.client, f"/catalog/{catalog_city.with_data[0]}")
    themes = _rdf(catalog_city.client, "/catalog/themes")
    assert _violations(page + entry + themes, shapes) == []


def test_the_shapes_would_catch_the_four_range_rules_and_a_missing_description(
    catalog_city: City, shapes: Graph
) -> None:
    """The conformance test is not vacuous: undo what the catalog declares and the official
    shapes report exactly what the issue found from outside."""
    page = _rdf(catalog_city.client, "/catalog.ttl")
    for klass in (FOAF.Agent, SKOS.Concept, DCTERMS.Frequency, DCTERMS.RightsStatement):
        page.remove((None, RDF.type, klass))
    catalog = URIRef(f"{catalog_city.base}/catalog")
    page.remove((catalog, DCTERMS.description, None))
    paths = {path for _, path, _ in _violations(page, shapes)}
    assert {
        str(DCTERMS.publisher),
        str(DCAT.theme),
        str(DCTERMS.accrualPeriodicity),
        str(DCTERMS.accessRights),
        str(DCTERMS.description),
    } <= paths


def test_the_catalog_and_each_dataset_say_who_what_and_how_the_data_is_reached(
    catalog_city: City,
) -> None:
    page = _rdf(catalog_city.client, "/catalog.ttl")
    catalog = URIRef(f"{catalog_city.base}/catalog")
    assert {o.language for o in page.objects(catalog, DCTERMS.description)} == {"zh-CN", "en"}
    publisher = page.value(catalog, DCTERMS.publisher)
    assert page.value(publisher, FOAF.name, any=True) is not None
    assert str(page.value(catalog, DCTERMS.language)).endswith("/language/ZHO")
    assert page.value(page.value(catalog, DCTERMS.rights), RDFS.label) is not None
    contact = page.value(catalog, DCAT.contactPoint)
    assert (contact, RDF.type, VCARD.Kind) in page
    assert str(page.value(contact, VCARD.fn, any=True)) == "营口市数据局"
    services = 0
    for dataset in page.subjects(RDF.type, DCAT.Dataset):
        assert set(page.objects(dataset, DCAT.keyword)), dataset
        assert (page.value(dataset, DCAT.contactPoint), RDF.type, VCARD.Kind) in page
        distribution = page.value(dataset, DCAT.distribution)
        assert page.value(distribution, DCAT.downloadURL) is None  # never a download
        assert page.value(distribution, DCAT.accessURL) == URIRef(f"{dataset}#access")
        rights = page.value(page.value(distribution, DCTERMS.rights), RDFS.label)
        assert "授权" in str(rights)
        service_node = page.value(distribution, DCAT.accessService)
        if service_node is not None:
            services += 1
            assert (service_node, DCAT.servesDataset, dataset) in page
            assert str(page.value(service_node, DCAT.endpointURL)).endswith(
                "/api/v1/authorized-data"
            )
    assert services == WITH_DATA  # the entries with data, all on the first page (id order)


# --- harvesting -------------------------------------------------------------------------------


def test_a_harvester_walking_every_page_gets_exactly_the_published_entries(
    catalog_city: City,
) -> None:
    """As ckanext-dcat does: read a page, take its datasets, follow ``hydra:next``."""
    found: list[str] = []
    path: str | None = "/catalog.ttl"
    pages = 0
    while path is not None:
        graph = _rdf(catalog_city.client, path)
        pages += 1
        found += [str(d).rsplit("/", 1)[1] for d in graph.subjects(RDF.type, DCAT.Dataset)]
        (view,) = graph.subjects(RDF.type, HYDRA.PartialCollectionView)
        assert graph.value(view, HYDRA.totalItems) == Literal(len(catalog_city.published))
        assert graph.value(view, HYDRA.first) == URIRef(f"{catalog_city.base}/catalog.ttl?page=1")
        assert (URIRef(f"{catalog_city.base}/catalog"), HYDRA.view, view) in graph
        following = graph.value(view, HYDRA.next)
        path = _path(catalog_city, following) if following is not None else None
    assert len(found) == len(set(found)) == len(catalog_city.published) == LISTED - WITHDRAWN
    assert set(found) == catalog_city.published
    assert not set(found) & set(catalog_city.withdrawn) and not set(found) & set(
        catalog_city.drafts
    )
    last = -(-len(catalog_city.published) // PAGE_SIZE)
    assert pages == last == 3
    assert str(graph.value(view, HYDRA.last)).endswith(f"/catalog.ttl?page={last}")
    beyond = catalog_city.client.get(f"/catalog.ttl?page={last + 1}")
    assert beyond.status_code == 404
    assert beyond.headers["content-type"] == "application/problem+json"
    assert catalog_city.client.get("/catalog.jsonld?page=0").status_code == 422


def test_jsonld_turtle_and_rdfxml_are_one_graph(catalog_city: City) -> None:
    for path in (
        "/catalog?page=2",
        f"/catalog/{catalog_city.with_data[1]}",
        "/catalog/themes/domain",
    ):
        json_ld, turtle, xml = (_rdf(catalog_city.client, path, form) for form in MEDIA)
        assert len(turtle) > 20
        assert isomorphic(json_ld, turtle), path
        assert isomorphic(json_ld, xml), path


def test_people_get_the_page_and_harvesters_the_format_they_ask_for(catalog_city: City) -> None:
    client = catalog_city.client
    for accept in (BROWSER, "*/*", ""):
        page = client.get("/catalog", headers={"Accept": accept})
        assert page.headers["content-type"].startswith("text/html"), accept
        assert page.headers["vary"] == "Accept"
    preferred = client.get(
        "/catalog", headers={"Accept": "text/html;q=0.5, application/ld+json;q=0.9"}
    )
    assert preferred.headers["content-type"].startswith("application/ld+json")
    assert preferred.headers["vary"] == "Accept"
    assert preferred.json()["@type"] == ["dcat:Catalog", "hydra:Collection"]
    # The format-named address answers in its format whatever is asked.
    assert client.get("/catalog.rdf", headers={"Accept": BROWSER}).text.startswith("<?xml")
    entry = catalog_city.with_data[0]
    assert client.get(f"/catalog/{entry}").headers["content-type"].startswith("text/html")
    dataset = _rdf(client, f"/catalog/{entry}")
    assert (URIRef(f"{catalog_city.base}/catalog/{entry}"), RDF.type, DCAT.Dataset) in dataset
    # A withdrawn entry keeps its page for people and is gone for harvesters.
    withdrawn = catalog_city.withdrawn[0]
    assert client.get(f"/catalog/{withdrawn}").status_code == 200
    gone = client.get(f"/catalog/{withdrawn}", headers={"Accept": "text/turtle"})
    assert gone.status_code == 410
    assert "已撤回" in gone.text
    draft = client.get(f"/catalog/{catalog_city.drafts[0]}", headers={"Accept": "text/turtle"})
    assert draft.status_code == 404


def test_a_page_is_served_well_under_a_second(catalog_city: City) -> None:
    catalog_city.client.get("/catalog.jsonld")  # the first request of a process warms it up
    for extension in ("jsonld", "ttl", "rdf"):
        took = []
        for _ in range(3):
            started = time.perf_counter()
            assert catalog_city.client.get(f"/catalog.{extension}").status_code == 200
            took.append(time.perf_counter() - started)
        assert statistics.median(took) < 0.5, (extension, took)


# --- the national catalog's core fields -------------------------------------------------------


NATIONAL_ZH = (
    "资源名称",
    "资源代码",
    "资源提供方",
    "资源分类",
    "共享/开放属性",
    "更新周期",
    "发布日期",
    "资源格式",
)
NATIONAL_EN = (
    "Resource name",
    "Resource code",
    "Provider",
    "Resource classification",
    "Sharing and open attribute",
    "Update cycle",
    "Release date",
    "Resource format",
)


def test_the_entry_page_and_its_rdf_carry_the_national_catalog_fields(catalog_city: City) -> None:
    entry_id = catalog_city.with_data[2]
    with catalog_city.database.unit_of_work() as session:
        entry = session.get(CatalogEntry, uuid.UUID(entry_id))
        assert entry is not None
        resource = session.get(DataResource, entry.resource_id)
        provider = session.get(Organization, entry.provider_id)
        assert resource is not None and provider is not None and entry.published_at
        code, title, name = f"{provider.code}/{resource.code}", entry.title, provider.name
        frequency, level = resource.update_frequency, entry.open_level
        classification = CLASSIFICATIONS[resource.classification][0]
    page = catalog_city.client.get(f"/catalog/{entry_id}").text
    expected = {
        "name": ("资源名称", title),
        "code": ("资源代码", code),
        "provider": ("资源提供方", name),
        "published": ("发布日期", "2026-11-26"),
        "classification": ("资源分类", classification),
        "update_frequency": ("更新周期", UPDATE_FREQUENCIES[frequency][0]),
        "format": ("资源格式", "数据库（"),
        "open_level": ("共享/开放属性", {"open": "无条件开放", "conditional": "有条件开放"}[level]),
    }
    for key, (label, value) in expected.items():
        row = page.split(f'data-testid="national-{key}"', 1)[1].split("</tr>", 1)[0]
        assert label in row and value in row, (key, row)
    english = catalog_city.client.get(
        f"/catalog/{entry_id}", headers={"Accept-Language": "en"}
    ).text
    assert all(label in english for label in NATIONAL_EN)
    assert all(label in page for label in NATIONAL_ZH)

    graph = _rdf(catalog_city.client, f"/catalog/{entry_id}")
    dataset = URIRef(f"{catalog_city.base}/catalog/{entry_id}")
    assert graph.value(dataset, DCTERMS.title) == Literal(title, lang="zh-CN")
    assert graph.value(dataset, DCTERMS.identifier) == Literal(code)
    publisher = graph.value(dataset, DCTERMS.publisher)
    assert graph.value(publisher, FOAF.name) == Literal(name, lang="zh-CN")
    (kind,) = (t for t in graph.objects(dataset, DCAT.theme) if "/classification/" in str(t))
    assert Literal(classification, lang="zh-CN") in set(graph.objects(kind, SKOS.prefLabel))
    access = graph.value(dataset, DCTERMS.accessRights)
    assert Literal(expected["open_level"][1], lang="zh-CN") in set(
        graph.objects(access, RDFS.label)
    )
    periodicity = graph.value(dataset, DCTERMS.accrualPeriodicity)
    cycle = UPDATE_FREQUENCIES[frequency][0]
    assert Literal(cycle, lang="zh-CN") in set(graph.objects(periodicity, RDFS.label))
    issued = graph.value(dataset, DCTERMS.issued)
    assert issued is not None and issued.datatype == XSD.dateTime
    fmt = graph.value(graph.value(dataset, DCAT.distribution), DCTERMS.format)
    assert graph.value(fmt, SKOS.prefLabel) is not None
    assert Literal("数据库", lang="zh-CN") in set(graph.objects(fmt, SKOS.prefLabel))


def test_every_theme_a_page_uses_is_a_concept_with_both_labels_at_its_address(
    catalog_city: City,
) -> None:
    page = _rdf(catalog_city.client, "/catalog.ttl?page=2")
    used = set(page.objects(None, DCAT.theme)) | set(page.objects(None, DCTERMS.format))
    assert len(used) > 5
    for concept in used:
        graph = _rdf(catalog_city.client, _path(catalog_city, concept))
        assert (concept, RDF.type, SKOS.Concept) in graph
        languages = {label.language for label in graph.objects(concept, SKOS.prefLabel)}
        assert languages == {"zh-CN", "en"}, concept
        scheme = graph.value(concept, SKOS.inScheme)
        assert graph.value(scheme, DCTERMS.title) is not None
    html = catalog_city.client.get("/catalog/themes").text
    for text in ("数据领域", "资源分类", "资源格式", "公共治理", "Public governance", "人口信息"):
        assert text in html
    assert catalog_city.client.get("/catalog/themes/nothing").status_code == 404
    assert catalog_city.client.get("/catalog/themes/domain/nothing").status_code == 404
    assert catalog_city.client.get("/catalog/themes/domain/industry:finance").status_code == 200


# --- both databases: the small catalog of the API tests ---------------------------------------


@pytest.fixture
def published(database: Database, clock: FixedClock) -> dict[str, object]:
    provider = make_account(database, clock, Role.PROVIDER)
    assert provider.organization_id is not None
    entries = publish(
        database,
        clock,
        provider.organization_id,
        [
            resource_data(
                "enterprises",
                "企业登记信息",
                classification="legal_entity",
                domain="industry:finance",
                open_level="open",
            ),
            resource_data("insurance", "社会保险参保缴费信息"),
            resource_data("fund", "住房公积金缴存信息", domain="welfare"),
        ],
    )
    return {"provider": provider, "entries": entries}


def test_dcat_export_parses_and_names_title_publisher_identifier(
    client: TestClient, published: dict[str, object], database: Database
) -> None:
    response = client.get("/catalog.jsonld")
    assert response.headers["content-type"].startswith("application/ld+json")
    graph = Graph().parse(data=response.text, format="json-ld")
    datasets = list(graph.subjects(RDF.type, DCAT.Dataset))
    assert len(datasets) == 3
    with database.unit_of_work() as session:
        org = session.get(Organization, published["provider"].organization_id)  # type: ignore[attr-defined]
        assert org is not None
        provider_code = org.code
    identifiers = {str(graph.value(d, DCTERMS.identifier)) for d in datasets}
    assert identifiers == {f"{provider_code}/{c}" for c in ("enterprises", "insurance", "fund")}
    for dataset in datasets:
        publisher = graph.value(dataset, DCTERMS.publisher)
        assert isinstance(publisher, URIRef)
        assert str(publisher).endswith(f"/organizations/{provider_code}")
    titles = {str(graph.value(d, DCTERMS.title)) for d in datasets}
    assert titles == {"企业登记信息", "社会保险参保缴费信息", "住房公积金缴存信息"}
    insurance = next(d for d in datasets if str(graph.value(d, DCTERMS.title)).startswith("社会"))
    keywords = {str(k) for k in graph.objects(insurance, DCAT.keyword)}
    assert {"社保", "公民身份号码", "姓名", "人口信息", "公共治理"} <= keywords
    document = response.json()
    assert document["@type"] == ["dcat:Catalog", "hydra:Collection"]
    # A JSON reader finds every dataset of the page under the catalog, publisher named.
    assert all("@id" in d["dct:publisher"] for d in document["dcat:dataset"])


def test_a_harvester_revalidates_a_page_cheaply_and_sees_a_change(
    client: TestClient, database: Database, clock: FixedClock, published: dict[str, object]
) -> None:
    first = client.get("/catalog.ttl")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert modified == "Thu, 26 Nov 2026 02:00:00 GMT"
    assert client.get("/catalog.ttl", headers={"If-None-Match": etag}).status_code == 304
    same = client.get("/catalog.ttl", headers={"If-Modified-Since": modified})
    assert same.status_code == 304 and same.content == b""
    assert same.headers["etag"] == etag
    entry = published["entries"][0]  # type: ignore[index]
    one = client.get(f"/catalog/{entry}", headers={"Accept": "application/rdf+xml"})
    assert (
        client.get(
            f"/catalog/{entry}",
            headers={"Accept": "application/rdf+xml", "If-None-Match": one.headers["etag"]},
        ).status_code
        == 304
    )

    clock.advance(timedelta(hours=1))
    bureau = bearer(client, make_account(database, clock, Role.BUREAU))
    assert (
        client.post(f"/api/v1/catalog/entries/{entry}/withdraw", headers=bureau).status_code == 200
    )
    changed = client.get("/catalog.ttl", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert changed.headers["last-modified"] == "Thu, 26 Nov 2026 03:00:00 GMT"
    assert client.get("/catalog.ttl", headers={"If-Modified-Since": modified}).status_code == 200
    graph = Graph().parse(data=changed.content, format="turtle")
    assert len(set(graph.subjects(RDF.type, DCAT.Dataset))) == 2
