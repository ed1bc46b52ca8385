"""Tests for nnlab.viz.network_diagram: the right units, edges and labels are drawn."""
import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch

from nnlab.topics import graphs
from nnlab.viz.network_diagram import draw_dag, draw_network, layout


def circles(ax, gid=None):
    return [p for p in ax.patches if isinstance(p, Circle) and (gid is None or p.get_gid() == gid)]


def arrows(ax):
    return [p for p in ax.patches if isinstance(p, FancyArrowPatch)]


def texts(ax):
    return [t.get_text() for t in ax.texts]


@pytest.mark.parametrize("sizes", [[2, 2, 1], [3, 4, 2], [1, 5, 5, 1], [4]])
def test_one_circle_per_unit_plus_one_always_one_unit_per_non_output_layer(sizes):
    ax = draw_network(sizes, Figure().add_subplot())
    assert len(circles(ax, "unit")) == sum(sizes)
    assert len(circles(ax, "bias")) == len(sizes) - 1
    assert len(circles(ax)) == sum(sizes) + len(sizes) - 1
    n_edges = sum(a * b for a, b in zip(sizes[:-1], sizes[1:])) + sum(sizes[1:])
    assert len(arrows(ax)) == n_edges
    assert texts(ax).count("1") == len(sizes) - 1      # the always-1 units are labelled 1


def test_without_bias_there_are_no_bias_units():
    ax = draw_network([3, 4, 2], bias=False)          # also works without an axes given
    assert len(circles(ax)) == 9
    assert len(circles(ax, "bias")) == 0
    assert len(arrows(ax)) == 3 * 4 + 4 * 2


def test_weights_and_biases_are_written_on_the_edges():
    W = [np.array([[1.0, -1.0], [1.0, -1.0]]), np.array([[1.0], [1.0]])]
    B = [np.array([-0.5, 1.5]), np.array([-1.5])]
    ax = draw_network([2, 2, 1], Figure().add_subplot(), weights=W, biases=B,
                      node_labels=["x", ["OR", "NAND"], ["AND"]])
    t = texts(ax)
    edge_texts = ["1", "-1", "1", "-1", "1", "1", "-0.5", "1.5", "-1.5"]   # W1, W2, b1, b2
    unit_texts = ["$x_{1}$", "$x_{2}$", "OR", "NAND", "AND", "1", "1"]      # units and the two always-1 units
    assert sorted(t) == sorted(edge_texts + unit_texts)


def test_symbolic_labels_and_layer_names():
    ax = draw_network([2, 3, 1], Figure().add_subplot(), node_labels=["X", "Y", "Z"],
                      edge_labels=lambda l, i, j: f"W{l}{i}{j}" if i == 0 else None,
                      bias_labels=lambda l, j: f"b{l}{j}", layer_names=["in", "hidden", "out"])
    t = texts(ax)
    assert {"W000", "W001", "W002", "W100"} <= set(t) and "W010" not in t
    assert {"b00", "b01", "b02", "b10"} <= set(t)
    assert {"in", "hidden", "out", "$Y_{3}$", "$Z_{1}$"} <= set(t)


def test_layout_centres_layers_and_puts_bias_below():
    pos = layout([2, 3, 1], dx=2.0, dy=1.0)
    assert pos[(0, 0)] == (0.0, 0.5) and pos[(0, 1)] == (0.0, -0.5)
    assert pos[(1, 0)] == (2.0, 1.0) and pos[(2, 0)] == (4.0, 0.0)
    assert pos[(0, "bias")] == (0.0, -2.0) and (2, "bias") not in pos


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="layer_sizes"):
        draw_network([2, 0, 1])
    with pytest.raises(ValueError, match=r"weights\[0\]"):
        draw_network([2, 2, 1], weights=[np.ones((2, 3)), np.ones((2, 1))])
    with pytest.raises(ValueError, match="weights"):
        draw_network([2, 2, 1], weights=[np.ones((2, 2))])
    with pytest.raises(ValueError, match=r"node_labels\[1\]"):
        draw_network([2, 2, 1], node_labels=["x", ["a"], "z"])
    with pytest.raises(TypeError, match="edge_labels"):
        draw_network([2, 1], edge_labels="W")
    with pytest.raises(ValueError, match="bias"):
        draw_network([2, 1], biases=[np.zeros(1)], bias=False)


def test_draw_dag_draws_every_node_and_edge_and_rejects_cycles():
    edges = graphs.layered_edges([2, 3, 1], skip=[(0, 2)])
    ax = draw_dag(edges, Figure().add_subplot())
    assert len(circles(ax)) == 6
    assert len(arrows(ax)) == len(edges)
    # the longest path (2 edges) is drawn in the highlight colour, thicker than the others
    widths = sorted(a.get_linewidth() for a in arrows(ax))
    assert widths[-2] > widths[0] and widths[-3] == widths[0]
    with pytest.raises(ValueError, match="DAG"):
        draw_dag([(0, 1), (1, 0)])
