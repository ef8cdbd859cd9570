"""The published catalog as DCAT-AP 3, page by page, for harvesters and other portals.

A page is the catalog node (title, description, publisher, contact point, language, rights,
theme schemes, data service), up to ``PAGE_SIZE`` datasets in a fixed order, and a Hydra
``PartialCollectionView`` with first, previous, next and last, as ckanext-dcat and udata
follow. An entry's own address gives the same description of one dataset.

Every node a dataset links to is declared an instance of the class DCAT-AP expects there
(a publisher is a ``foaf:Agent``, a frequency a ``dct:Frequency`` ...), so the official
SHACL shapes hold without loading any ontology. Data is never a download: each dataset's
one distribution says it is used on the platform under an authorization agreement, through
the authorized-data service once the data is there.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from urllib.parse import quote

from sqlalchemy.orm import Session

from sluice.catalog import repository
from sluice.catalog.dcat_national import resource_code
from sluice.catalog.dcat_rdf import Graph, Node
from sluice.catalog.models import CatalogEntry, DataResource, ResourceField
from sluice.catalog.search import SYNONYMS
from sluice.catalog.themes import RESOURCE_FORMAT, SCHEMES, add_concept, add_scheme, scheme_iri
from sluice.catalog.vocabulary import OPEN_LEVELS, UPDATE_FREQUENCIES, vocabulary_label
from sluice.core.errors import NotFound, SluiceError
from sluice.core.i18n import add_messages, translate
from sluice.identity.models import Organization

#: Entries per page: a page of 100 is about 4,000 triples, written in a few tens of ms.
PAGE_SIZE: Final = 100

# EU authority tables, the vocabularies DCAT-AP uses for these properties.
_FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"
FREQUENCIES: Final = {
    "realtime": "UPDATE_CONT",
    "daily": "DAILY",
    "weekly": "WEEKLY",
    "monthly": "MONTHLY",
    "quarterly": "QUARTERLY",
    "yearly": "ANNUAL",
    "irregular": "IRREG",
}
_ACCESS = "http://publications.europa.eu/resource/authority/access-right/"
ACCESS_RIGHTS: Final = {"open": "PUBLIC", "conditional": "RESTRICTED", "closed": "NON_PUBLIC"}
CHINESE: Final = "http://publications.europa.eu/resource/authority/language/ZHO"

add_messages(
    {
        "dcat.catalog_title": (
            "{city}可授权公共数据资源目录",
            "{city} authorizable public data catalog",
        ),
        "dcat.catalog_description": (
            "{city}公共数据资源中可经授权运营使用的部分，由市数据局会同数据提供单位编制、分批发布。"
            "目录所列数据不提供下载，经授权运营协议在平台内使用。",
            "The part of {city}'s public data that may be used under authorized operation, "
            "compiled by the city data bureau with the departments that provide it and "
            "published in batches. Nothing listed is a download: data is used on the "
            "platform under an authorization agreement.",
        ),
        "dcat.catalog_rights": (
            "目录元数据公开，可自由引用；目录所列数据须经数据局授权、在授权运营协议范围内使用。",
            "The catalog's metadata is public and may be reused freely; the data it lists "
            "may only be used under an authorization agreement with the data bureau.",
        ),
        "dcat.use_rights": (
            "经授权运营协议在平台内使用，不提供下载；原始数据不出平台。",
            "Used on the platform under an authorization agreement; no download, and raw "
            "data never leaves the platform.",
        ),
        "dcat.distribution": ("经授权使用", "Use under an authorization"),
        "dcat.distribution_data": (
            "数据已汇聚至平台。运营机构取得授权后，通过授权数据服务在协议范围内使用。",
            "The data is on the platform. An operator authorized for it uses it through the "
            "authorized-data service, within its agreement.",
        ),
        "dcat.distribution_metadata": (
            "目前仅有目录信息，数据尚未汇聚至平台；汇聚后同样仅经授权使用。",
            "Catalog metadata only for now: the data is not yet on the platform, and once "
            "it is, it is used under an authorization too.",
        ),
        "dcat.service": ("授权数据服务", "Authorized data service"),
        "dcat.service_description": (
            "运营机构在授权期限和范围内使用授权数据的接口，每一次使用均先经访问控制判定并留痕。",
            "Where an operator uses the data its authorization covers, within its term and "
            "scope; every use is decided by the access guard first and recorded.",
        ),
        "dcat.bureau": ("{city}数据局", "{city} Data Bureau"),
        "catalog.entry_withdrawn": (
            "该目录条目已撤回，不在已发布的目录中。",
            "This catalog entry has been withdrawn and is no longer in the published catalog.",
        ),
        "problem.entry_withdrawn": ("目录条目已撤回", "Catalog entry withdrawn"),
    }
)


class EntryWithdrawn(SluiceError):
    """A withdrawn entry keeps its page for people; to a harvester it is gone."""

    status = 410
    code = "entry_withdrawn"

    def __init__(self) -> None:
        super().__init__("catalog.entry_withdrawn")


@dataclass(frozen=True)
class Document:
    """A graph to write, where a JSON-LD reader starts, and when it last changed."""

    graph: Graph
    roots: list[str]
    modified: datetime | None


@dataclass(frozen=True)
class _Entry:
    entry: CatalogEntry
    resource: DataResource
    provider: Organization
    batch: int
    fields: list[ResourceField]


def catalog_iri(base: str) -> str:
    return f"{base}/catalog"


def entry_iri(base: str, entry_id: uuid.UUID) -> str:
    return f"{base}/catalog/{entry_id}"


def _organization_iri(base: str, code: str) -> str:
    return f"{base}/organizations/{quote(code, safe='')}"


def _both(node: Node, predicate: str, key: str, **params: object) -> None:
    node.text(predicate, translate(key, "zh-CN", **params), "zh-CN")
    node.text(predicate, translate(key, "en", **params), "en")


@dataclass(frozen=True)
class _Agent:
    iri: str
    contact: str


def _agent(graph: Graph, base: str, org: Organization) -> _Agent:
    """The organization as ``foaf:Agent`` (its public page is this address) and its vCard."""
    iri = _organization_iri(base, org.code)
    names = [(org.name, "zh-CN")] + ([(org.name_en, "en")] if org.name_en else [])
    return _describe_agent(graph, _Agent(iri, f"{iri}#contact"), names, page=iri)


def _bureau(graph: Graph, base: str, session: Session) -> _Agent:
    """The bureau, who publishes the catalog. Before its organization exists (a new
    installation) the catalog still names it, by the name the catalog gives it."""
    bureau = repository.bureau(session)
    if bureau is not None:
        return _agent(graph, base, bureau)
    iri = f"{catalog_iri(base)}#publisher"
    names = [
        (translate("dcat.bureau", locale, city=translate("app.city", locale)), locale)
        for locale in ("zh-CN", "en")
    ]
    return _describe_agent(graph, _Agent(iri, f"{iri}-contact"), names, page=catalog_iri(base))


def _describe_agent(
    graph: Graph, agent: _Agent, names: list[tuple[str, str]], *, page: str
) -> _Agent:
    node = graph.node(agent.iri).type("foaf:Agent", "foaf:Organization")
    card = graph.node(agent.contact).type("vcard:Kind", "vcard:Organization")
    for name, locale in names:
        node.text("foaf:name", name, locale)
        card.text("vcard:fn", name, locale)
    card.link("vcard:hasURL", page)
    return agent


def _eu_nodes(graph: Graph, entry: _Entry) -> tuple[str, str]:
    """The frequency and access right, typed as DCAT-AP wants, labelled as the catalog
    names them (每年 is ANNUAL, 有条件开放 is RESTRICTED)."""
    frequency = _FREQUENCY + FREQUENCIES[entry.resource.update_frequency]
    node = graph.node(frequency).type("dct:Frequency")
    for index, locale in enumerate(("zh-CN", "en")):
        node.text("rdfs:label", UPDATE_FREQUENCIES[entry.resource.update_frequency][index], locale)
    access = _ACCESS + ACCESS_RIGHTS[entry.entry.open_level]
    node = graph.node(access).type("dct:RightsStatement")
    for index, locale in enumerate(("zh-CN", "en")):
        node.text("rdfs:label", OPEN_LEVELS[entry.entry.open_level][index], locale)
    return frequency, access


def keywords(title: str, field_titles: Iterable[str], labels: Iterable[str]) -> list[str]:
    """What a portal lists the dataset under: its classification and domain, the phrases
    people use for what the title holds (社保 for 社会保险), and its fields' names."""
    found: list[str] = list(labels)
    for group in SYNONYMS:
        if any(phrase in title for phrase in group):
            found.extend(group)
    found.extend(field_titles)
    return list(dict.fromkeys(k.strip() for k in found if k.strip()))


def _service_iri(base: str) -> str:
    return f"{catalog_iri(base)}#authorized-data-service"


def _service(graph: Graph, base: str, publisher: _Agent) -> Node:
    node = graph.node(_service_iri(base)).type("dcat:DataService")
    _both(node, "dct:title", "dcat.service")
    _both(node, "dct:description", "dcat.service_description")
    endpoint = f"{base}/api/v1/authorized-data"
    node.link("dcat:endpointURL", endpoint)
    graph.node(endpoint).type("rdfs:Resource")
    description = f"{base}/openapi.json"
    node.link("dcat:endpointDescription", description)
    graph.node(description).type("rdfs:Resource")
    node.link("dct:accessRights", _ACCESS + "RESTRICTED")
    graph.node(_ACCESS + "RESTRICTED").type("dct:RightsStatement")
    node.link("dct:publisher", publisher.iri).link("dcat:contactPoint", publisher.contact)
    return node


def _add_dataset(graph: Graph, base: str, item: _Entry, service: Node | None) -> str:
    entry, resource = item.entry, item.resource
    iri = entry_iri(base, entry.id)
    dataset = graph.node(iri).type("dcat:Dataset")
    dataset.text("dct:title", entry.title, "zh-CN")
    dataset.text("dct:description", resource.description or entry.title, "zh-CN")
    dataset.value("dct:identifier", resource_code(item.provider.code, resource.code))
    publisher = _agent(graph, base, item.provider)
    dataset.link("dct:publisher", publisher.iri).link("dcat:contactPoint", publisher.contact)
    domain = add_concept(graph, base, SCHEMES["domain"], entry.domain)
    kind = add_concept(graph, base, SCHEMES["classification"], resource.classification)
    dataset.link("dcat:theme", kind, domain)
    frequency, access = _eu_nodes(graph, item)
    dataset.link("dct:accrualPeriodicity", frequency).link("dct:accessRights", access)
    graph.node(CHINESE).type("dct:LinguisticSystem")
    dataset.link("dct:language", CHINESE)
    labels = (
        vocabulary_label("classification", resource.classification, "zh-CN"),
        vocabulary_label("domain", entry.domain, "zh-CN"),
    )
    for word in keywords(entry.title, (f.title for f in item.fields), labels):
        dataset.text("dcat:keyword", word, "zh-CN")
    if entry.published_at is not None:
        dataset.value("dct:issued", entry.published_at.isoformat(), "xsd:dateTime")
    dataset.value("dct:modified", resource.updated_at.isoformat(), "xsd:dateTime")
    dataset.value("dcat:version", str(entry.version))
    dataset.value("sluice:batch", str(item.batch), "xsd:integer")
    dataset.value("sluice:grade", resource.grade)
    dataset.link("dcat:distribution", _distribution(graph, base, item, service))
    return iri


def _distribution(graph: Graph, base: str, item: _Entry, service: Node | None) -> str:
    """How the data is reached: on the platform, under an authorization; never a download."""
    page = entry_iri(base, item.entry.id)
    iri = f"{page}#distribution"
    node = graph.node(iri).type("dcat:Distribution")
    _both(node, "dct:title", "dcat.distribution")
    # The service serves only what is on the platform; before that the entry is metadata.
    service = service if item.resource.has_data else None
    described = "dcat.distribution_metadata" if service is None else "dcat.distribution_data"
    _both(node, "dct:description", described)
    node.link("dcat:accessURL", f"{page}#access")
    graph.node(f"{page}#access").type("rdfs:Resource")
    rights = f"{catalog_iri(base)}#authorized-use"
    _both(graph.node(rights).type("dct:RightsStatement"), "rdfs:label", "dcat.use_rights")
    node.link("dct:rights", rights)
    node.link("dct:format", add_concept(graph, base, SCHEMES["format"], RESOURCE_FORMAT))
    if service is not None:
        node.link("dcat:accessService", service.iri)
        service.link("dcat:servesDataset", page)
    return iri


def _entries(session: Session, entries: list[CatalogEntry]) -> list[_Entry]:
    resources = repository.resources_by_ids(session, [e.resource_id for e in entries])
    providers = repository.organizations(session, {e.provider_id for e in entries})
    numbers = repository.batch_numbers(session, {e.batch_id for e in entries})
    fields = repository.fields_of(session, resources)
    return [
        _Entry(
            e,
            resources[e.resource_id],
            providers[e.provider_id],
            numbers[e.batch_id],
            fields.get(e.resource_id, []),
        )
        for e in entries
    ]


def page_count(total: int) -> int:
    return max(1, math.ceil(total / PAGE_SIZE))


def _describe_catalog(
    graph: Graph, base: str, session: Session, modified: datetime | None
) -> tuple[Node, _Agent]:
    """The catalog node every page repeats: what it is, who publishes it and how to reach
    them, its language, rights, homepage and theme schemes."""
    catalog = graph.node(catalog_iri(base)).type("dcat:Catalog", "hydra:Collection")
    for locale in ("zh-CN", "en"):
        city = translate("app.city", locale)
        catalog.text("dct:title", translate("dcat.catalog_title", locale, city=city), locale)
        description = translate("dcat.catalog_description", locale, city=city)
        catalog.text("dct:description", description, locale)
    publisher = _bureau(graph, base, session)
    catalog.link("dct:publisher", publisher.iri).link("dcat:contactPoint", publisher.contact)
    graph.node(CHINESE).type("dct:LinguisticSystem")
    catalog.link("dct:language", CHINESE)
    rights = f"{catalog_iri(base)}#rights"
    _both(graph.node(rights).type("dct:RightsStatement"), "rdfs:label", "dcat.catalog_rights")
    catalog.link("dct:rights", rights)
    home = f"{base}/"
    graph.node(home).type("foaf:Document")
    catalog.link("foaf:homepage", home)
    for code in ("domain", "classification"):
        add_scheme(graph, base, SCHEMES[code])
        catalog.link("dcat:themeTaxonomy", scheme_iri(base, code))
    if modified is not None:
        catalog.value("dct:modified", modified.isoformat(), "xsd:dateTime")
    return catalog, publisher


def catalog_page(session: Session, *, base_url: str, page: int, view_path: str) -> Document:
    """One page of the catalog. ``view_path`` is where its Hydra links point: the address
    it was asked at (``/catalog.ttl`` keeps a harvester that sends no ``Accept`` in Turtle,
    ``/catalog`` keeps a negotiating reader negotiating). Past the last page: 404."""
    base = base_url.rstrip("/")
    total = repository.published_count(session)
    last = page_count(total)
    if not 1 <= page <= last:
        raise NotFound()
    entries = repository.published_slice(session, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    modified = repository.catalog_changed_at(session)
    graph = Graph()
    catalog, publisher = _describe_catalog(graph, base, session, modified)
    service = _service(graph, base, publisher)
    catalog.link("dcat:service", service.iri)
    for item in _entries(session, entries):
        catalog.link("dcat:dataset", _add_dataset(graph, base, item, service))
    view = f"{base}{view_path}?page={page}"
    catalog.value("hydra:totalItems", str(total), "xsd:integer").link("hydra:view", view)
    pager = graph.node(view).type("hydra:PartialCollectionView")
    pager.link("hydra:first", f"{base}{view_path}?page=1")
    pager.link("hydra:last", f"{base}{view_path}?page={last}")
    if page > 1:
        pager.link("hydra:previous", f"{base}{view_path}?page={page - 1}")
    if page < last:
        pager.link("hydra:next", f"{base}{view_path}?page={page + 1}")
    pager.value("hydra:totalItems", str(total), "xsd:integer")
    pager.value("hydra:itemsPerPage", str(PAGE_SIZE), "xsd:integer")
    return Document(graph, [catalog.iri], modified)


def entry_document(session: Session, *, base_url: str, entry_id: uuid.UUID) -> Document:
    """One published entry as a dataset with everything it links to. A withdrawn entry is
    410 (its page stays for people); a draft or an unknown id is 404."""
    entry = repository.public_entry(session, entry_id)
    if entry is None:
        raise NotFound("catalog.entry_unknown")
    if entry.status != "published":
        raise EntryWithdrawn()
    base = base_url.rstrip("/")
    graph = Graph()
    item = _entries(session, [entry])[0]
    service = (
        _service(graph, base, _bureau(graph, base, session)) if item.resource.has_data else None
    )
    iri = _add_dataset(graph, base, item, service)
    return Document(graph, [iri], repository.entry_changed_at(session, entry.id))
