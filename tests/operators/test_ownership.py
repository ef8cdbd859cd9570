"""The ownership walk (R2.4) on hand-built graphs, and against a reference on random ones."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sluice.operators.ownership import (
    ChainPath,
    Graph,
    Link,
    Node,
    NodeKind,
    Relation,
    capital_verdict,
    controlled_entities,
)

CN = ("CN",)
S = Relation.SHAREHOLDER


def company(name: str, jurisdiction: str = "CN") -> Node:
    return Node(name, name, NodeKind.COMPANY, jurisdiction)


def chain(names: list[str], *, foreign_top: str | None = None) -> Graph:
    """names[0] is held 100 % by names[1], which is held by names[2] … ."""
    nodes = [company(n) for n in names]
    if foreign_top:
        nodes[-1] = company(names[-1], foreign_top)
    links = [Link(names[i + 1], names[i], S, 10000) for i in range(len(names) - 1)]
    return Graph(tuple(nodes), tuple(links))


def test_foreign_capital_seven_levels_up_is_found_with_its_path() -> None:
    names = ["申请人", "一级", "二级", "三级", "四级", "五级", "六级", "Pacific Holdings Inc."]
    graph = chain(names, foreign_top="US")
    verdict = capital_verdict(graph, "申请人", CN)
    assert not verdict.domestic
    [path] = verdict.foreign_paths
    assert path.names == tuple(names)
    assert path.depth == 7
    assert path.end.jurisdiction == "US"
    assert [s.link.share_bp for s in path.steps[1:] if s.link] == [10000] * 7


def test_a_cycle_ends_and_the_foreign_holder_beyond_it_is_still_found() -> None:
    nodes = (
        company("申请人"),
        company("甲公司"),
        company("乙公司"),
        company("Orient Capital Ltd.", "SG"),
    )
    links = (
        Link("甲公司", "申请人", S, 10000),
        Link("乙公司", "甲公司", S, 6000),
        Link("申请人", "乙公司", S, 10000),  # the applicant holds its own grandparent
        Link("Orient Capital Ltd.", "甲公司", S, 4000),
    )
    verdict = capital_verdict(Graph(nodes, links), "申请人", CN)
    assert [p.names for p in verdict.foreign_paths] == [("申请人", "甲公司", "Orient Capital Ltd.")]
    assert verdict.reached == 4


def test_a_pure_domestic_cycle_is_domestic() -> None:
    nodes = (company("申请人"), company("甲公司"), company("乙公司"))
    links = (
        Link("甲公司", "申请人", S, 10000),
        Link("乙公司", "甲公司", S, 10000),
        Link("申请人", "乙公司", S, 10000),
    )
    verdict = capital_verdict(Graph(nodes, links), "申请人", CN)
    assert verdict.domestic
    assert verdict.shortfalls == ()


def test_a_hong_kong_intermediary_is_foreign_even_over_mainland_money() -> None:
    nodes = (
        company("申请人"),
        company("港桥投资有限公司 Harbour Bridge Investment Ltd.", "HK"),
        company("深圳前海某控股有限公司"),
        Node("李某", "李某", NodeKind.PERSON, "CN"),
    )
    links = (
        Link(nodes[1].key, "申请人", S, 3000),
        Link(nodes[3].key, "申请人", S, 7000),
        Link(nodes[2].key, nodes[1].key, S, 10000),
        Link(nodes[3].key, nodes[2].key, S, 10000),
    )
    verdict = capital_verdict(Graph(nodes, links), "申请人", CN)
    [path] = verdict.foreign_paths
    assert path.names == ("申请人", "港桥投资有限公司 Harbour Bridge Investment Ltd.")
    assert path.steps[1].link == Link(nodes[1].key, "申请人", S, 3000)


def test_hong_kong_macao_and_taiwan_count_as_domestic_only_if_the_setting_says_so() -> None:
    for code in ("HK", "MO", "TW"):
        graph = chain(["申请人", "控股方"], foreign_top=code)
        assert not capital_verdict(graph, "申请人", CN).domestic
        assert capital_verdict(graph, "申请人", ("CN", code)).domestic


def test_a_clean_chain_twelve_levels_deep_to_the_state_assets_commission() -> None:
    names = ["申请人", *(f"第{i}级国有公司" for i in range(1, 12)), "营口市国资委"]
    graph = chain(names)
    state = Node("营口市国资委", "营口市国资委", NodeKind.GOVERNMENT, "CN")
    graph = Graph((*graph.nodes[:-1], state), graph.links)
    verdict = capital_verdict(graph, "申请人", CN)
    assert verdict.domestic
    assert verdict.foreign_paths == ()
    assert verdict.shortfalls == ()
    assert verdict.reached == 13


def test_a_very_deep_chain_needs_no_recursion() -> None:
    names = [f"c{i}" for i in range(20000)]
    verdict = capital_verdict(chain(names, foreign_top="US"), "c0", CN)
    [path] = verdict.foreign_paths
    assert path.depth == 19999
    assert path.names[:3] == ("c0", "c1", "c2")


def test_affiliates_are_walked_both_ways_and_controllers_and_managers_upwards() -> None:
    nodes = (
        company("申请人"),
        company("关联甲"),
        company("关联甲的股东", "KY"),
        Node("控制人", "Jane Doe", NodeKind.PERSON, "CA"),
        company("托管方", "JP"),
    )
    links = (
        Link("申请人", "关联甲", Relation.AFFILIATE),  # the applicant is the link's holder
        Link("关联甲的股东", "关联甲", S, 10000),
        Link("控制人", "申请人", Relation.CONTROLLER),
        Link("托管方", "申请人", Relation.MANAGES),
    )
    verdict = capital_verdict(Graph(nodes, links), "申请人", CN)
    assert sorted(p.names for p in verdict.foreign_paths) == [
        ("申请人", "Jane Doe"),
        ("申请人", "关联甲", "关联甲的股东"),
        ("申请人", "托管方"),
    ]


def test_subsidiaries_and_managed_entities_never_make_the_parent_foreign() -> None:
    nodes = (
        company("申请人"),
        company("国资委持股平台"),
        company("香港子公司", "HK"),
        company("受托管理的外资企业", "US"),
    )
    links = (
        Link("国资委持股平台", "申请人", S, 10000),
        Link("申请人", "香港子公司", S, 10000),
        Link("申请人", "受托管理的外资企业", Relation.MANAGES),
    )
    graph = Graph(nodes, links)
    assert capital_verdict(graph, "申请人", CN).domestic
    # ... but the parent is on the subsidiary's own way up.
    assert [p.names for p in capital_verdict(graph, "香港子公司", CN).foreign_paths] == [
        ("香港子公司",)
    ]


def test_undeclared_shareholders_are_a_shortfall_not_a_verdict() -> None:
    nodes = (company("申请人"), company("甲公司"))
    links = (Link("甲公司", "申请人", S, 6000),)
    verdict = capital_verdict(Graph(nodes, links), "申请人", CN)
    assert verdict.domestic
    assert [(s.node.name, s.declared_bp) for s in verdict.shortfalls] == [
        ("申请人", 6000),
        ("甲公司", 0),
    ]


def test_controlled_entities_follow_majority_holdings_control_and_management() -> None:
    nodes = tuple(company(n) for n in ("母公司", "全资子", "参股", "孙公司", "托管企业", "甲"))
    links = (
        Link("母公司", "全资子", S, 10000),
        Link("母公司", "参股", S, 5000),  # exactly half does not control
        Link("全资子", "孙公司", S, 5100),
        Link("母公司", "托管企业", Relation.MANAGES),
        Link("甲", "母公司", S, 10000),
    )
    found = controlled_entities(Graph(nodes, links), "母公司")
    assert [p.names for p in found] == [
        ("母公司", "全资子"),
        ("母公司", "托管企业"),
        ("母公司", "全资子", "孙公司"),
    ]


# --- random graphs against a reference ---------------------------------------------------


def reference_reach(graph: Graph, subject: str) -> set[str]:
    """Fixed point over the whole link list: deliberately nothing like the walker."""
    reached = {subject}
    changed = True
    while changed:
        changed = False
        for link in graph.links:
            new: set[str] = set()
            if link.held in reached:
                new.add(link.holder)
            if link.relation is Relation.AFFILIATE and link.holder in reached:
                new.add(link.held)
            if not new <= reached:
                reached |= new
                changed = True
    return reached


def _is_upward_step(link: Link, lower: str, upper: str) -> bool:
    if link.holder == upper and link.held == lower:
        return True
    return link.relation is Relation.AFFILIATE and link.holder == lower and link.held == upper


@st.composite
def graphs(draw: st.DrawFn) -> Graph:
    size = draw(st.integers(min_value=1, max_value=14))
    places = st.sampled_from(["CN", "CN", "CN", "HK", "US", "TW"])
    nodes = tuple(
        Node(f"n{i}", f"主体{i}", draw(st.sampled_from(list(NodeKind))), draw(places))
        for i in range(size)
    )
    pairs = st.tuples(st.integers(0, size - 1), st.integers(0, size - 1), st.sampled_from(Relation))
    raw = draw(st.lists(pairs, max_size=30))
    links = {}
    for holder, held, relation in raw:
        if holder != held:
            share = draw(st.integers(1, 10000)) if relation is S else None
            links[(holder, held, relation)] = Link(f"n{holder}", f"n{held}", relation, share)
    return Graph(nodes, tuple(links.values()))


@given(graphs())
@settings(max_examples=400, deadline=None)
def test_foreign_iff_a_foreign_node_is_reachable_upwards(graph: Graph) -> None:
    verdict = capital_verdict(graph, "n0", CN)
    reachable = reference_reach(graph, "n0")
    foreign = {k for k in reachable if graph.node(k).jurisdiction != "CN"}
    assert verdict.domestic == (not foreign)
    assert {p.end.key for p in verdict.foreign_paths} == foreign
    assert verdict.reached == len(reachable)
    for path in verdict.foreign_paths:
        _assert_valid_path(graph, path)


def _assert_valid_path(graph: Graph, path: ChainPath) -> None:
    keys = [s.node.key for s in path.steps]
    assert keys[0] == "n0"
    assert len(set(keys)) == len(keys)
    assert path.steps[0].link is None
    for lower, step in zip(path.steps, path.steps[1:], strict=False):
        assert step.link is not None
        assert step.link in graph.links
        assert _is_upward_step(step.link, lower.node.key, step.node.key)
