"""Tests for nnlab.topics.graphs: depth = longest source-to-sink path (in edges) of a DAG."""
import pytest

from nnlab.topics import graphs


def test_chain_of_three_edges_has_depth_three():
    assert graphs.depth([("a", "b"), ("b", "c"), ("c", "d")]) == 3


def test_diamond_has_depth_two():
    diamond = [("s", "l"), ("s", "r"), ("l", "t"), ("r", "t")]
    assert graphs.depth(diamond) == 2
    assert graphs.levels(diamond) == {"s": 0, "l": 1, "r": 1, "t": 2}


def test_skip_connection_does_not_shorten_the_longest_path():
    # 0 -> 1 -> 2 -> 3 plus a skip 0 -> 3: the longest path still has 3 edges
    edges = [(0, 1), (1, 2), (2, 3), (0, 3)]
    assert graphs.depth(edges) == 3
    assert graphs.longest_path(edges) == [0, 1, 2, 3]
    # a lone skip edge on its own is a path of length 1
    assert graphs.depth([(0, 3)]) == 1


def test_edge_order_does_not_matter():
    edges = [(2, 3), (0, 3), (1, 2), (0, 1)]
    assert graphs.depth(edges) == 3
    assert graphs.longest_path(edges) == [0, 1, 2, 3]


def test_depth_takes_the_longest_of_several_branches():
    # two sources: x -> y (length 1) and p -> q -> r -> s -> y (length 4)
    edges = [("x", "y"), ("p", "q"), ("q", "r"), ("r", "s"), ("s", "y")]
    assert graphs.depth(edges) == 4
    assert graphs.longest_path(edges) == ["p", "q", "r", "s", "y"]


def test_mlp_depth_equals_number_of_weight_layers():
    assert graphs.depth(graphs.layered_edges([2, 3, 1])) == 2
    assert graphs.depth(graphs.layered_edges([4, 5, 5, 5, 2])) == 4
    assert graphs.depth(graphs.layered_edges([2, 3, 3, 1], skip=[(0, 3)])) == 3
    # 2*3 + 3*1 edges in a 2-3-1 network
    assert len(graphs.layered_edges([2, 3, 1])) == 9


def test_empty_graph_has_depth_zero():
    assert graphs.depth([]) == 0
    assert graphs.longest_path([]) == []


def test_topological_order_puts_every_edge_forward():
    edges = graphs.layered_edges([2, 2, 2], skip=[(0, 2)])
    order = graphs.topological_order(edges)
    where = {n: k for k, n in enumerate(order)}
    assert len(order) == 6
    assert all(where[u] < where[v] for u, v in edges)


@pytest.mark.parametrize("edges", [[(0, 1), (1, 2), (2, 0)], [("a", "a")], [(0, 1), (1, 2), (2, 1), (2, 3)]])
def test_cycle_raises_value_error(edges):
    with pytest.raises(ValueError, match="DAG"):
        graphs.depth(edges)


def test_bad_edges_raise_clear_errors():
    with pytest.raises(TypeError, match="edges"):
        graphs.depth(5)
    with pytest.raises(ValueError, match=r"edges\[1\]"):
        graphs.depth([(0, 1), (1, 2, 3)])
    with pytest.raises(TypeError, match="hashable"):
        graphs.depth([([0], 1)])
    with pytest.raises(ValueError, match="layer_sizes"):
        graphs.layered_edges([2, 0, 1])
    with pytest.raises(ValueError, match="skip"):
        graphs.layered_edges([2, 2], skip=[(1, 0)])
