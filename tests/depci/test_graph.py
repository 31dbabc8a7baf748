from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from velocity.depci.graph import Graph
from velocity.depci.model import Edge

NODES = [f"n{i}" for i in range(7)]
EDGES = st.lists(
    st.tuples(st.sampled_from(NODES), st.sampled_from(NODES), st.booleans()), max_size=20
)


def build(edges: list[tuple[str, str, bool]]) -> Graph:
    graph = Graph()
    for node in NODES:
        graph.add_node(node)
    for src, dst, deep in edges:
        graph.add_edge(src, Edge(dst, deep, 1, dst))
    return graph


def reaches(graph: Graph, start: str, target: str) -> bool:
    # Brute force: a path whose every hop is deep, except that the last may be shallow.
    seen, stack = {start}, [start]
    while stack:
        node = stack.pop()
        for nxt, edge in graph.forward[node].items():
            if nxt == target:
                return True
            if edge.deep and nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return False


@given(EDGES, st.sets(st.sampled_from(NODES), min_size=1, max_size=3))
def test_affected_matches_the_path_definition(edges, changed) -> None:
    graph = build(edges)
    expected = set(changed) | {n for n in NODES for c in changed if reaches(graph, n, c)}
    assert graph.affected(changed) == expected


@given(EDGES, st.sampled_from(NODES), st.sampled_from(NODES))
def test_why_agrees_with_affected(edges, start, changed) -> None:
    graph = build(edges)
    chain = graph.why(start, changed)
    assert (chain is not None) == (start in graph.affected([changed]))
    if chain:
        assert chain[0][0] == start
        assert chain[-1][1].target == changed
        assert all(edge.deep for _, edge in chain[:-1])
        for (_, edge), (nxt, _) in itertools.pairwise(chain):
            assert edge.target == nxt


def test_deep_edge_wins_over_shallow_and_self_edges_are_dropped() -> None:
    graph = Graph()
    graph.add_edge("a", Edge("b", False, 1, "b"))
    graph.add_edge("a", Edge("b", True, 2, "b"))
    graph.add_edge("a", Edge("b", False, 3, "b"))
    graph.add_edge("a", Edge("a", True, 4, "a"))
    assert graph.forward["a"] == {"b": Edge("b", True, 2, "b")}
    assert graph.reverse["b"] == {"a": Edge("b", True, 2, "b")}
