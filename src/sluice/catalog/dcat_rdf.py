"""A small RDF graph and the three ways the catalog writes it: JSON-LD, Turtle and RDF/XML.

The catalog's graphs are small (one page of entries, one entry, the theme schemes) and hold
IRIs and literals only: every node the catalog describes has an address, so there are no
blank nodes, and writing each format is a few dozen lines with no RDF library at run time
(rdflib is for the tests, which parse all three and check they are the same graph).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Final
from xml.sax.saxutils import escape, quoteattr

#: The vocabularies the catalog speaks, by the prefix every format writes them with.
NAMESPACES: Final[dict[str, str]] = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "hydra": "http://www.w3.org/ns/hydra/core#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "sluice": "urn:sluice:vocab:",
}
RDF_TYPE: Final = NAMESPACES["rdf"] + "type"

#: Predicates that keep a JSON list even with one value, so a JSON reader of
#: ``dcat:dataset`` or ``dcat:keyword`` always finds an array.
_ALWAYS_LISTS: Final = frozenset(
    {"dcat:dataset", "dcat:keyword", "dcat:theme", "dcat:themeTaxonomy", "skos:hasTopConcept"}
)
_LOCAL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
#: Characters an IRI may not hold unescaped in Turtle or RDF/XML: callers quote path parts.
_BAD_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')
#: Control characters XML 1.0 cannot carry, even escaped; dropped from every literal so the
#: three formats hold the same text.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def expand(name: str) -> str:
    """``dct:title`` → ``http://purl.org/dc/terms/title``; a full IRI stays as it is."""
    prefix, _, local = name.partition(":")
    namespace = NAMESPACES.get(prefix)
    return namespace + local if namespace is not None and not local.startswith("//") else name


def _split(iri: str) -> tuple[str, str] | None:
    """The prefix and local name of an IRI in a known namespace, if it has a clean one."""
    for prefix, namespace in NAMESPACES.items():
        if iri.startswith(namespace):
            local = iri[len(namespace) :]
            if _LOCAL_NAME.match(local):
                return prefix, local
    return None


def compact(iri: str) -> str:
    found = _split(iri)
    return f"{found[0]}:{found[1]}" if found else iri


@dataclass(frozen=True, slots=True)
class IRI:
    value: str

    def __post_init__(self) -> None:
        if _BAD_IRI.search(self.value):
            raise ValueError(f"not an IRI the catalog can write: {self.value!r}")


@dataclass(frozen=True, slots=True)
class Literal:
    value: str
    language: str | None = None
    #: A full IRI (``expand("xsd:dateTime")``); None with no language: a plain string.
    datatype: str | None = None


Term = IRI | Literal


def text(value: str, language: str) -> Literal:
    return Literal(_CONTROLS.sub("", value), language=language)


def typed(value: str, datatype: str) -> Literal:
    return Literal(value, datatype=expand(datatype))


class Graph:
    """Subjects in the order first described, each with its predicates and objects (no
    duplicate triples)."""

    def __init__(self) -> None:
        self._nodes: dict[str, dict[str, list[Term]]] = {}

    def add(self, subject: str, predicate: str, obj: Term) -> None:
        IRI(subject)  # checked like every other IRI
        objects = self._nodes.setdefault(subject, {}).setdefault(expand(predicate), [])
        if obj not in objects:
            objects.append(obj)

    def node(self, subject: str) -> Node:
        return Node(self, subject)

    def __contains__(self, subject: str) -> bool:
        return subject in self._nodes

    def __len__(self) -> int:
        return sum(len(objects) for props in self._nodes.values() for objects in props.values())

    def subjects(self) -> list[str]:
        return list(self._nodes)

    def properties(self, subject: str) -> dict[str, list[Term]]:
        return self._nodes.get(subject, {})

    def triples(self) -> Iterator[tuple[str, str, Term]]:
        for subject, props in self._nodes.items():
            for predicate, objects in props.items():
                for obj in objects:
                    yield subject, predicate, obj


@dataclass(frozen=True)
class Node:
    """Describing one subject: ``graph.node(iri).type("dcat:Dataset").text(...)``."""

    graph: Graph
    iri: str

    def type(self, *classes: str) -> Node:
        for name in classes:
            self.graph.add(self.iri, RDF_TYPE, IRI(expand(name)))
        return self

    def link(self, predicate: str, *targets: str) -> Node:
        for target in targets:
            self.graph.add(self.iri, predicate, IRI(target))
        return self

    def text(self, predicate: str, value: str, language: str) -> Node:
        self.graph.add(self.iri, predicate, text(value, language))
        return self

    def value(self, predicate: str, value: str, datatype: str | None = None) -> Node:
        clean = _CONTROLS.sub("", value)
        self.graph.add(self.iri, predicate, typed(clean, datatype) if datatype else Literal(clean))
        return self


# --- JSON-LD ---------------------------------------------------------------------------------


def _json_value(literal: Literal) -> Any:
    if literal.language:
        return {"@value": literal.value, "@language": literal.language}
    if literal.datatype:
        return {"@value": literal.value, "@type": compact(literal.datatype)}
    return literal.value


def _owners(graph: Graph, roots: list[str]) -> dict[str, tuple[str, str]]:
    """Where each subject is written out in full: at its first mention breadth-first from
    the roots, so a catalog's datasets sit in its ``dcat:dataset`` and not inside the first
    node that happens to mention them."""
    owners: dict[str, tuple[str, str]] = {}
    seen, queue = set(roots), list(roots)
    while queue:
        subject = queue.pop(0)
        for predicate, objects in graph.properties(subject).items():
            for obj in objects:
                if isinstance(obj, IRI) and obj.value in graph and obj.value not in seen:
                    seen.add(obj.value)
                    owners[obj.value] = (subject, predicate)
                    queue.append(obj.value)
    return owners


def to_jsonld(graph: Graph, roots: Iterable[str]) -> dict[str, Any]:
    """The graph as compact JSON-LD: each root a node object, and every other subject
    written in full where it is first reached breadth-first (later mentions are
    ``{"@id": ...}``). One root is the document itself; several are its ``@graph``. Every
    subject must be reachable from a root."""
    starts = list(dict.fromkeys(roots))
    owners = _owners(graph, starts)
    missed = [s for s in graph.subjects() if s not in owners and s not in starts]
    if missed:
        raise ValueError(f"not reachable from the document's roots: {missed[:3]}")

    def node_object(subject: str) -> dict[str, Any]:
        found: dict[str, Any] = {"@id": subject}
        for predicate, objects in graph.properties(subject).items():
            if predicate == RDF_TYPE:
                types = [compact(o.value) for o in objects if isinstance(o, IRI)]
                found["@type"] = types[0] if len(types) == 1 else types
                continue
            key = compact(predicate)
            values = [value(subject, predicate, o) for o in objects]
            found[key] = values if len(values) > 1 or key in _ALWAYS_LISTS else values[0]
        return found

    def value(subject: str, predicate: str, obj: Term) -> Any:
        if isinstance(obj, Literal):
            return _json_value(obj)
        if owners.get(obj.value) == (subject, predicate):
            return node_object(obj.value)
        return {"@id": obj.value}

    documents = [node_object(root) for root in starts]
    context = {"@context": dict(NAMESPACES)}
    if len(documents) == 1:
        return {**context, **documents[0]}
    return {**context, "@graph": documents}


def jsonld_bytes(graph: Graph, roots: Iterable[str]) -> bytes:
    return json.dumps(to_jsonld(graph, roots), ensure_ascii=False, separators=(",", ":")).encode()


# --- Turtle -----------------------------------------------------------------------------------


def _turtle_iri(iri: str) -> str:
    found = _split(iri)
    return f"{found[0]}:{found[1]}" if found else f"<{iri}>"


_TURTLE_ESCAPES: Final = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})


def _turtle_term(obj: Term) -> str:
    if isinstance(obj, IRI):
        return _turtle_iri(obj.value)
    quoted = '"' + obj.value.translate(_TURTLE_ESCAPES) + '"'
    if obj.language:
        return f"{quoted}@{obj.language}"
    if obj.datatype:
        return f"{quoted}^^{_turtle_iri(obj.datatype)}"
    return quoted


def to_turtle(graph: Graph) -> str:
    lines = [f"@prefix {p}: <{ns}> ." for p, ns in NAMESPACES.items()]
    for subject in graph.subjects():
        props = graph.properties(subject)
        parts = []
        for predicate, objects in props.items():
            verb = "a" if predicate == RDF_TYPE else _turtle_iri(predicate)
            parts.append(f"    {verb} " + ", ".join(_turtle_term(o) for o in objects))
        lines.append(f"\n<{subject}>\n" + " ;\n".join(parts) + " .")
    return "\n".join(lines) + "\n"


# --- RDF/XML ----------------------------------------------------------------------------------


def _xml_text(value: str) -> str:
    # A carriage return would reach an XML reader as a line feed unless written as a reference.
    return escape(value).replace("\r", "&#13;")


def _xml_property(predicate: str, obj: Term) -> str:
    found = _split(predicate)
    if found is None:
        raise ValueError(f"RDF/XML needs a known namespace for {predicate}")
    name = f"{found[0]}:{found[1]}"
    if isinstance(obj, IRI):
        return f"    <{name} rdf:resource={quoteattr(obj.value)}/>"
    attributes = ""
    if obj.language:
        attributes = f" xml:lang={quoteattr(obj.language)}"
    elif obj.datatype:
        attributes = f" rdf:datatype={quoteattr(obj.datatype)}"
    return f"    <{name}{attributes}>{_xml_text(obj.value)}</{name}>"


def to_rdfxml(graph: Graph) -> str:
    namespaces = "\n".join(f"  xmlns:{p}={quoteattr(ns)}" for p, ns in NAMESPACES.items())
    lines = ['<?xml version="1.0" encoding="utf-8"?>', f"<rdf:RDF\n{namespaces}>"]
    for subject in graph.subjects():
        lines.append(f"  <rdf:Description rdf:about={quoteattr(subject)}>")
        for predicate, objects in graph.properties(subject).items():
            lines.extend(_xml_property(predicate, obj) for obj in objects)
        lines.append("  </rdf:Description>")
    lines.append("</rdf:RDF>")
    return "\n".join(lines) + "\n"
