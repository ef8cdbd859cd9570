"""The ownership graph of an applicant and the walks R2.4 and R2.9 need. No database.

A ``Link`` always points from the party with the stake or the power to the company it bears
on: a shareholder to the company it holds shares in, an actual controller to the company it
controls, a manager to the entity it manages (托管). Affiliates (关联方) have no direction.

* Upwards (R2.4, 穿透核查): from a company to its shareholders, its actual controller and
  whoever manages it, and to its affiliates; then on from each of those, level after level.
  Any node reached whose jurisdiction (nationality, for a person) is not domestic is a
  foreign element, and the verdict carries the path that reached it.
* Downwards (R2.9): from the applicant to the entities it controls (a holding above 50 %,
  actual control, or management), and on from those. Subsidiaries and managed entities are
  never walked upwards, so they never make their parent foreign; but the parent is on every
  upward path of its subsidiary.

Walks are breadth-first with a visited set, so cycles end and chains of any depth need no
recursion; each node is reached by a shortest path, ties broken by the order of the links.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

#: More than half of the shares controls a company (公司法: 控股股东).
CONTROL_THRESHOLD_BP: Final = 5000
FULL_BP: Final = 10000


class Relation(StrEnum):
    SHAREHOLDER = "shareholder"  # holder owns share_bp of held
    CONTROLLER = "controller"  # holder is the actual controller (实际控制人) of held
    MANAGES = "manages"  # holder manages held (托管/受托管理)
    AFFILIATE = "affiliate"  # related parties (关联方), no direction


class NodeKind(StrEnum):
    COMPANY = "company"  # has shareholders of its own, which must be declared
    GOVERNMENT = "government"  # a state body (e.g. 国资委): the top of a state-owned chain
    PERSON = "person"  # a natural person; jurisdiction is the nationality
    OTHER = "other"  # a fund, partnership, public institution …


@dataclass(frozen=True)
class Node:
    key: str
    name: str
    kind: NodeKind
    #: ISO 3166-1 alpha-2: CN is the mainland; HK, MO and TW are their own codes.
    jurisdiction: str


@dataclass(frozen=True)
class Link:
    holder: str
    held: str
    relation: Relation
    share_bp: int | None = None

    @property
    def controls(self) -> bool:
        """Whether the holder controls the held entity through this link (R2.9)."""
        if self.relation is Relation.SHAREHOLDER:
            return (self.share_bp or 0) > CONTROL_THRESHOLD_BP
        return self.relation in (Relation.CONTROLLER, Relation.MANAGES)


@dataclass(frozen=True)
class Step:
    """One node of a path and the link by which it was reached (None for the start)."""

    node: Node
    link: Link | None = None


@dataclass(frozen=True)
class ChainPath:
    steps: tuple[Step, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(step.node.name for step in self.steps)

    @property
    def end(self) -> Node:
        return self.steps[-1].node

    @property
    def depth(self) -> int:
        return len(self.steps) - 1


@dataclass(frozen=True)
class Shortfall:
    """A company reached upwards whose declared shareholdings do not add up to 100 %."""

    node: Node
    declared_bp: int


@dataclass(frozen=True)
class CapitalVerdict:
    subject: Node
    #: Every foreign element reached upwards, each with its (shortest) path from the subject.
    foreign_paths: tuple[ChainPath, ...]
    #: Domestic companies reached upwards whose shareholders are not fully declared: unknown
    #: holders could be foreign, so a person must look.
    shortfalls: tuple[Shortfall, ...]
    reached: int

    @property
    def domestic(self) -> bool:
        return not self.foreign_paths


@dataclass(frozen=True)
class Graph:
    nodes: tuple[Node, ...]
    links: tuple[Link, ...]
    _index: dict[str, Node] = field(init=False, repr=False, compare=False)
    _up: dict[str, list[tuple[Link, str]]] = field(init=False, repr=False, compare=False)
    _down: dict[str, list[tuple[Link, str]]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {node.key: node for node in self.nodes}
        if len(index) != len(self.nodes):
            raise ValueError("node keys must be unique")
        up: dict[str, list[tuple[Link, str]]] = {key: [] for key in index}
        down: dict[str, list[tuple[Link, str]]] = {key: [] for key in index}
        for link in self.links:
            if link.holder not in index or link.held not in index:
                raise ValueError(f"link {link} names an unknown node")
            up[link.held].append((link, link.holder))
            if link.relation is Relation.AFFILIATE:
                up[link.holder].append((link, link.held))
            if link.controls:
                down[link.holder].append((link, link.held))
        object.__setattr__(self, "_index", index)
        object.__setattr__(self, "_up", up)
        object.__setattr__(self, "_down", down)

    def node(self, key: str) -> Node:
        return self._index[key]

    def upwards(self, key: str) -> list[tuple[Link, str]]:
        """The links that give someone a stake in, or power over, ``key`` (or relate to it
        as an affiliate), each with that someone."""
        return self._up[key]

    def controlled_by(self, key: str) -> list[tuple[Link, str]]:
        return self._down[key]


def is_foreign(node: Node, domestic: Collection[str]) -> bool:
    return node.jurisdiction.upper() not in {code.upper() for code in domestic}


@dataclass(frozen=True)
class Reach:
    """What a walk reached: each node with the node and link it was reached from."""

    graph: Graph
    start: str
    #: In the order reached (breadth-first); None for the start.
    parents: dict[str, tuple[str, Link] | None]

    def __contains__(self, key: object) -> bool:
        return key in self.parents

    def path_to(self, key: str) -> ChainPath:
        steps: list[Step] = []
        current: str | None = key
        while current is not None:
            parent = self.parents[current]
            steps.append(Step(self.graph.node(current), parent[1] if parent else None))
            current = parent[0] if parent else None
        return ChainPath(tuple(reversed(steps)))


def _breadth_first(graph: Graph, start: str, *, upwards: bool) -> Reach:
    parents: dict[str, tuple[str, Link] | None] = {start: None}
    queue = deque([start])
    while queue:
        current = queue.popleft()
        edges = graph.upwards(current) if upwards else graph.controlled_by(current)
        for link, other in edges:
            if other not in parents:
                parents[other] = (current, link)
                queue.append(other)
    return Reach(graph, start, parents)


def upward_reach(graph: Graph, subject: str) -> Reach:
    return _breadth_first(graph, subject, upwards=True)


def declared_shares_bp(graph: Graph, key: str) -> int:
    return sum(
        link.share_bp or 0
        for link, _ in graph.upwards(key)
        if link.held == key and link.relation is Relation.SHAREHOLDER
    )


def capital_verdict(graph: Graph, subject: str, domestic: Collection[str]) -> CapitalVerdict:
    """R2.4: every foreign element above ``subject``, with the path to it."""
    reach = upward_reach(graph, subject)
    nodes = [graph.node(key) for key in reach.parents]
    foreign = tuple(reach.path_to(node.key) for node in nodes if is_foreign(node, domestic))
    # Beyond a foreign company the verdict is already made; its own holders do not matter.
    shortfalls = tuple(
        Shortfall(node, declared)
        for node in nodes
        # Funds and partnerships ("other") are the usual vehicle for foreign money: their
        # holders must be declared as fully as a company's.
        if node.kind in (NodeKind.COMPANY, NodeKind.OTHER)
        and not is_foreign(node, domestic)
        and (declared := declared_shares_bp(graph, node.key)) != FULL_BP
    )
    return CapitalVerdict(graph.node(subject), foreign, shortfalls, len(nodes))


def controlled_entities(graph: Graph, subject: str) -> tuple[ChainPath, ...]:
    """R2.9: the entities ``subject`` controls, directly or through controlled entities,
    nearest first; the subject itself is not among them."""
    reach = _breadth_first(graph, subject, upwards=False)
    return tuple(reach.path_to(key) for key in reach.parents if key != subject)
