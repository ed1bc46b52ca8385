"""Schematic diagrams: they draw on the given axes, label every part and hide the frame."""
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from nnlab.viz import diagrams


def joined(ax):
    return " ".join(diagrams.texts(ax)).lower()


def test_biological_neuron_labels_its_parts():
    ax = diagrams.biological_neuron()
    assert isinstance(ax, Axes) and not ax.axison
    text = joined(ax)
    for part in ("dendrites", "soma", "nucleus", "axon", "myelin", "synapses"):
        assert part in text, part
    assert len(ax.patches) >= 10   # soma, nucleus, myelin segments and terminals


def test_artificial_neuron_labels_inputs_weights_sum_and_activation():
    ax = diagrams.artificial_neuron(n_inputs=3)
    texts = diagrams.texts(ax)
    for label in ("$x_{1}$", "$x_{2}$", "$x_{3}$", "$w_{1}$", "$w_{3}$", "bias $b$", "$y = f(z)$", "activation $f$"):
        assert label in texts, label
    assert any(r"\mathbf{w}\cdot\mathbf{x} + b" in t for t in texts)


def test_artificial_neuron_with_many_inputs_uses_n():
    texts = diagrams.texts(diagrams.artificial_neuron(n_inputs=5, show_bias=False))
    assert "$x_n$" in texts and "$w_n$" in texts and "$x_{4}$" in texts
    assert "bias $b$" not in texts


def test_diagrams_draw_on_given_axes():
    fig = Figure()
    a, b = fig.subplots(1, 2)
    assert diagrams.biological_neuron(a) is a
    assert diagrams.artificial_neuron(b) is b


@pytest.mark.parametrize("bad, err", [(0, ValueError), (2.5, TypeError), (7, ValueError)])
def test_artificial_neuron_rejects_bad_n_inputs(bad, err):
    with pytest.raises(err, match="n_inputs"):
        diagrams.artificial_neuron(n_inputs=bad)
