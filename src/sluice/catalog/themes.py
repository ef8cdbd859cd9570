"""The city's domains, resource classifications and resource formats as SKOS concept schemes.

DCAT-AP wants a dataset's ``dcat:theme`` to be a ``skos:Concept`` in a scheme the catalog
names (``dcat:themeTaxonomy``), and a harvester wants to look each one up. The platform
publishes its own schemes at ``/catalog/themes``: every scheme and concept has an address
that answers in HTML or RDF, with its zh-CN and English labels. The values are the
catalog's vocabularies (``vocabulary.py``); the resource formats are the national catalog's
categories (资源格式分类), of which the catalog's resources, declared tables on the
platform, are all 数据库.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from urllib.parse import quote

from sluice.catalog.dcat_rdf import Graph
from sluice.catalog.vocabulary import CLASSIFICATIONS, DOMAINS
from sluice.core.i18n import add_messages

#: 资源格式: the categories of the national government information resource catalog.
RESOURCE_FORMATS: Final[dict[str, tuple[str, str]]] = {
    "document": ("电子文件", "Electronic documents"),
    "spreadsheet": ("电子表格", "Spreadsheets"),
    "database": ("数据库", "Database"),
    "image": ("图形图像", "Graphics and images"),
    "streaming": ("流媒体", "Streaming media"),
    "self_describing": ("自描述格式", "Self-describing formats"),
    "service": ("服务接口", "Service interfaces"),
}
#: Every catalog resource is a table of declared fields held on the platform.
RESOURCE_FORMAT: Final = "database"


@dataclass(frozen=True)
class Scheme:
    code: str
    title: tuple[str, str]
    description: tuple[str, str]
    concepts: dict[str, tuple[str, str]]
    #: Further classes each concept is an instance of (the range a property wants).
    also: tuple[str, ...] = ()


SCHEMES: Final[dict[str, Scheme]] = {
    scheme.code: scheme
    for scheme in (
        Scheme(
            "domain",
            ("数据领域", "Domains"),
            (
                "授权运营的数据领域：公共治理、公益事业和各产业领域。",
                "The domains of authorized operation: public governance, public welfare and "
                "the industries.",
            ),
            dict(DOMAINS),
        ),
        Scheme(
            "classification",
            ("资源分类", "Resource classifications"),
            (
                "公共数据资源按内容的分类（人口、法人、信用、电子证照、空间地理等）。",
                "What a public data resource is about: population, legal entities, credit, "
                "licences, geography and so on.",
            ),
            dict(CLASSIFICATIONS),
        ),
        Scheme(
            "format",
            ("资源格式", "Resource formats"),
            (
                "政务信息资源目录的资源格式分类。",
                "The resource format categories of the government information resource catalog.",
            ),
            dict(RESOURCE_FORMATS),
            also=("dct:MediaTypeOrExtent",),
        ),
    )
}

add_messages({f"vocab.resource_format.{code}": labels for code, labels in RESOURCE_FORMATS.items()})


def scheme_iri(base: str, scheme: str) -> str:
    return f"{base}/catalog/themes/{scheme}"


def concept_iri(base: str, scheme: str, code: str) -> str:
    return f"{scheme_iri(base, scheme)}/{quote(code, safe=':')}"


def add_scheme(graph: Graph, base: str, scheme: Scheme) -> None:
    """The scheme itself: its titles and its concepts, each only by address."""
    node = graph.node(scheme_iri(base, scheme.code)).type("skos:ConceptScheme")
    node.text("dct:title", scheme.title[0], "zh-CN").text("dct:title", scheme.title[1], "en")
    node.text("dct:description", scheme.description[0], "zh-CN")
    node.text("dct:description", scheme.description[1], "en")
    node.link("skos:hasTopConcept", *(concept_iri(base, scheme.code, c) for c in scheme.concepts))


def add_concept(graph: Graph, base: str, scheme: Scheme, code: str) -> str:
    """One concept with its labels in both languages; returns its address."""
    iri = concept_iri(base, scheme.code, code)
    zh, en = scheme.concepts.get(code, (code, code))
    node = graph.node(iri).type("skos:Concept", *scheme.also)
    node.text("skos:prefLabel", zh, "zh-CN").text("skos:prefLabel", en, "en")
    node.value("skos:notation", code)
    node.link("skos:inScheme", scheme_iri(base, scheme.code))
    if code in scheme.concepts:
        node.link("skos:topConceptOf", scheme_iri(base, scheme.code))
    return iri


def themes_graph(base: str, scheme: str | None = None, concept: str | None = None) -> Graph:
    """Every scheme with all its concepts, one scheme, or one concept (with its scheme)."""
    graph = Graph()
    for found in SCHEMES.values():
        if scheme is not None and found.code != scheme:
            continue
        if concept is None:
            add_scheme(graph, base, found)
            for code in found.concepts:
                add_concept(graph, base, found, code)
        else:
            add_concept(graph, base, found, concept)
            add_scheme(graph, base, found)
    return graph


def known(scheme: str | None, concept: str | None) -> bool:
    """Whether the scheme (and concept) named in an address exist; no scheme is all."""
    if scheme is None:
        return True
    found = SCHEMES.get(scheme)
    return found is not None and (concept is None or concept in found.concepts)


@dataclass(frozen=True)
class ConceptView:
    code: str
    zh: str
    en: str
    iri: str


@dataclass(frozen=True)
class SchemeView:
    code: str
    title: str
    description: str
    iri: str
    concepts: list[ConceptView]


def views(
    base: str, locale: str, scheme: str | None = None, concept: str | None = None
) -> list[SchemeView]:
    """What the themes page shows: every scheme, one, or one concept in its scheme."""
    index = 1 if locale == "en" else 0
    return [
        SchemeView(
            s.code,
            s.title[index],
            s.description[index],
            scheme_iri(base, s.code),
            [
                ConceptView(code, zh, en, concept_iri(base, s.code, code))
                for code, (zh, en) in s.concepts.items()
                if concept in (None, code)
            ],
        )
        for s in SCHEMES.values()
        if scheme in (None, s.code)
    ]


def roots(base: str, scheme: str | None = None, concept: str | None = None) -> list[str]:
    """Where a JSON-LD reader of ``themes_graph`` starts."""
    if scheme is not None and concept is not None:
        return [concept_iri(base, scheme, concept)]
    return [scheme_iri(base, s) for s in SCHEMES if scheme in (None, s)]
