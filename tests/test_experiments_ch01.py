"""Chapter 1 experiments: compute functions against hand-computed values; factories and static frames."""
import numpy as np
import pytest
from matplotlib.figure import Figure

from nnlab.activations import ACTIVATIONS, LeakyReLU, Sigmoid, Tanh
from nnlab.experiments import ch01_neurons as ch


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


# ---------------------------------------------------------------- activation explorer
def test_explorer_matches_sigmoid_at_known_points():
    x = np.array([-2.0, 0.0, 1.0, 3.0])
    d = ch.activation_explorer_compute("sigmoid", gain=2.0, shift=-1.0, x=x)
    u = 2 * x - 1
    np.testing.assert_allclose(d["u"], [-5.0, -1.0, 1.0, 5.0])
    np.testing.assert_allclose(d["y"], sigmoid(u), rtol=1e-12)
    np.testing.assert_allclose(d["df_u"], sigmoid(u) * (1 - sigmoid(u)), rtol=1e-12)
    np.testing.assert_allclose(d["slope"], 2 * sigmoid(u) * (1 - sigmoid(u)), rtol=1e-12)
    # sigma'(+-5) = 0.00665 < 0.02 is saturated, sigma'(+-1) = 0.197 is not
    np.testing.assert_array_equal(d["saturated"], [True, False, False, True])


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_explorer_equals_activation_f_and_df(name):
    act = LeakyReLU(ch.LEAKY_ALPHA) if name == "leaky_relu" else ACTIVATIONS[name]()
    x = np.array([-3.0, -0.5, 0.5, 2.0])
    d = ch.activation_explorer_compute(name, gain=1.5, shift=0.5, x=x)
    np.testing.assert_allclose(d["y"], act.f(1.5 * x + 0.5))
    np.testing.assert_allclose(d["slope"], 1.5 * act.df(1.5 * x + 0.5))


def test_explorer_slope_is_numerical_derivative():
    x = np.linspace(-4, 4, 81)
    h = 1e-6
    d = ch.activation_explorer_compute("tanh", gain=0.75, shift=0.5, x=x)
    up = ch.activation_explorer_compute("tanh", gain=0.75, shift=0.5, x=x + h)["y"]
    down = ch.activation_explorer_compute("tanh", gain=0.75, shift=0.5, x=x - h)["y"]
    np.testing.assert_allclose(d["slope"], (up - down) / (2 * h), atol=1e-8)


def test_explorer_saturated_regions_by_activation():
    x = np.array([-5.0, -1.0, 1.0, 5.0])
    relu = ch.activation_explorer_compute("relu", x=x)["saturated"]
    np.testing.assert_array_equal(relu, [True, True, False, False])          # f' = 0 for z < 0
    assert not ch.activation_explorer_compute("leaky_relu", x=x)["saturated"].any()  # f' >= 0.1
    assert not ch.activation_explorer_compute("linear", x=x)["saturated"].any()
    assert ch.activation_explorer_compute("step", x=x)["saturated"].all()   # f' = 0 everywhere
    tanh = ch.activation_explorer_compute("tanh", x=x)["saturated"]          # tanh'(5) = 1.8e-4
    np.testing.assert_array_equal(tanh, [True, False, False, True])


def test_explorer_rejects_bad_input():
    with pytest.raises(ValueError, match="activation"):
        ch.activation_explorer_compute("softplus")
    with pytest.raises(TypeError, match="gain"):
        ch.activation_explorer_compute("sigmoid", gain="2")
    with pytest.raises(ValueError, match="x must be 1-D"):
        ch.activation_explorer_compute("sigmoid", x=np.zeros((2, 2)))


# ---------------------------------------------------------------- single neuron
def test_neuron_output_at_known_point_is_f_of_w_dot_x_plus_b():
    pts = np.array([[1.0, 2.0], [-1.0, 0.5], [0.0, 0.0]])
    d = ch.single_neuron_compute(w1=2.0, w2=-1.0, b=0.5, activation="sigmoid", points=pts)
    z = np.array([2 * 1 - 2 + 0.5, -2 - 0.5 + 0.5, 0.5])
    np.testing.assert_allclose(d["z_points"], z)
    np.testing.assert_allclose(d["y_points"], sigmoid(z), rtol=1e-12)
    # grid: lim 3 and 121 steps put x = (1, 2) at columns/rows 80 and 100 (step 0.05)
    i1, i2 = 80, 100
    assert d["grid"][i1] == pytest.approx(1.0) and d["grid"][i2] == pytest.approx(2.0)
    assert d["Y"][i2, i1] == pytest.approx(sigmoid(0.5))   # rows index x2, columns x1


def test_neuron_relu_and_step_values():
    d = ch.single_neuron_compute(w1=1.0, w2=1.0, b=-1.0, activation="relu", points=[[2.0, 1.0], [0.0, 0.0]])
    np.testing.assert_allclose(d["y_points"], [2.0, 0.0])
    d = ch.single_neuron_compute(w1=1.0, w2=1.0, b=-1.0, activation="step", points=[[2.0, 1.0], [0.0, 0.0]])
    np.testing.assert_allclose(d["y_points"], [1.0, 0.0])
    assert (d["vmin"], d["vmax"]) == (0.0, 1.0)


def test_decision_line_points_satisfy_w_dot_x_plus_b_zero():
    for w, b in [((1.0, 1.0), 0.0), ((2.0, -1.0), 0.5), ((0.0, 1.0), -1.0), ((1.0, 0.0), 2.0), ((-2.0, 1.0), 2.0)]:
        seg = ch.decision_line(w, b, 3.0)
        assert seg.shape == (2, 2)
        np.testing.assert_allclose(seg @ np.array(w) + b, 0.0, atol=1e-12)
        assert np.all(np.abs(seg) <= 3.0 + 1e-9)
    # the diagonal x1 + x2 = 0 crosses the square at its corners
    seg = ch.decision_line((1.0, 1.0), 0.0, 3.0)
    np.testing.assert_allclose(sorted(map(tuple, seg)), [(-3.0, 3.0), (3.0, -3.0)])
    # the horizontal line x2 = 1
    np.testing.assert_allclose(sorted(map(tuple, ch.decision_line((0.0, 2.0), -2.0, 3.0))), [(-3, 1), (3, 1)])


def test_decision_line_outside_or_undefined_is_none():
    assert ch.decision_line((1.0, 1.0), 10.0, 3.0) is None      # x1 + x2 = -10 misses the square
    assert ch.decision_line((0.0, 0.0), 1.0, 3.0) is None       # w = 0: no line at all
    with pytest.raises(ValueError, match="w must have shape"):
        ch.decision_line((1.0, 2.0, 3.0), 0.0, 3.0)


def test_neuron_compute_line_matches_grid_sign_change():
    d = ch.single_neuron_compute(w1=1.5, w2=-0.5, b=0.25, activation="tanh")
    (a1, a2), (c1, c2) = d["line"]
    assert 1.5 * a1 - 0.5 * a2 + 0.25 == pytest.approx(0.0)
    # tanh output is 0 on the line, positive on the side w points to
    assert np.sign(d["Y"]).min() == -1 and np.sign(d["Y"]).max() == 1
    np.testing.assert_allclose(d["Y"], np.tanh(d["Z"]))


def test_neuron_rejects_bad_points():
    with pytest.raises(ValueError, match="points must have 2 features"):
        ch.single_neuron_compute(points=np.zeros((3, 3)))


# ---------------------------------------------------------------- derivative chain
def test_chain_products_are_cumulative_products_of_derivatives():
    d = ch.derivative_chain_compute("sigmoid", spread=1.0, depth=6, n_chains=50, seed=3)
    z = 1.0 * np.random.default_rng(3).standard_normal((50, 6))
    s = Sigmoid().df(z)
    np.testing.assert_allclose(d["products"][:, 0], s[:, 0])
    np.testing.assert_allclose(d["products"][:, -1], s.prod(axis=1))
    assert d["peak"] == pytest.approx(0.25)
    np.testing.assert_allclose(d["bound"], 0.25 ** np.arange(1, 7))
    assert np.all(d["products"] <= d["bound"] + 1e-15)          # sigma' <= 1/4, so the product <= 4^-k
    assert np.all(np.diff(d["products"], axis=1) < 0)           # each factor is < 1: strictly shrinking


def test_chain_relu_products_are_zero_or_one():
    d = ch.derivative_chain_compute("relu", spread=1.0, depth=8, n_chains=2000, seed=0)
    assert set(np.unique(d["products"])) <= {0.0, 1.0}
    # a chain survives k factors with probability 2^-k (each z_j > 0 with probability 1/2)
    np.testing.assert_allclose(1 - d["zero_fraction"], 0.5 ** np.arange(1, 9), atol=0.03)


def test_chain_tanh_bound_is_one_and_spread_zero_is_best_case():
    d = ch.derivative_chain_compute("tanh", spread=0.0, depth=5, n_chains=3)
    np.testing.assert_allclose(d["products"], 1.0)   # tanh'(0) = 1
    assert d["peak"] == pytest.approx(1.0)
    d = ch.derivative_chain_compute("tanh", spread=2.0, depth=5, n_chains=400)
    assert np.all(d["median"] < 1) and np.all(np.diff(d["median"]) < 0)
    np.testing.assert_allclose(d["products"][:, 0], np.abs(Tanh().df(2.0 * np.random.default_rng(0)
                                                                        .standard_normal((400, 5))[:, 0])))


def test_chain_is_deterministic_in_seed():
    a = ch.derivative_chain_compute("sigmoid", seed=7)["products"]
    b = ch.derivative_chain_compute("sigmoid", seed=7)["products"]
    np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------- factories, drawing, static frames
EXPECTED_FRAMES = {"activation_explorer": 42, "single_neuron": 60, "derivative_chain": 16}


@pytest.mark.parametrize("name", list(ch.EXPERIMENTS))
def test_factory_builds_experiment_with_expected_frame_count(name):
    exp = ch.EXPERIMENTS[name]()
    frames = list(exp.frames())
    assert len(frames) == EXPECTED_FRAMES[name] <= 64
    defaults = exp.defaults()
    assert any(values == defaults for _, values in frames)      # the page opens on the default picture
    fig = exp.figure()
    assert isinstance(fig, Figure)
    for ax in fig.axes:
        if ax.get_label() != "<colorbar>":
            assert ax.get_xlabel() and ax.get_ylabel()


def test_static_view_of_reduced_experiment():
    exp = ch.activation_explorer()
    for c in exp.controls:   # keep only the default of each control: one frame
        c.static = (c.value,)
    view = exp.static()
    assert len(view.frames) == 1
    html = view._repr_html_()
    assert "nnlab-experiment" in html and "stay fixed" in html




# ---------------------------------------------------------------- the neuron is the engine's Dense + activation
@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_neuron_is_f_of_w_dot_x_plus_b_and_its_backward_is_w_times_f_prime(name):
    act = LeakyReLU(ch.LEAKY_ALPHA) if name == "leaky_relu" else ACTIVATIONS[name]()
    rng = np.random.default_rng(4)
    X, w, b = rng.normal(size=(30, 2)), np.array([1.5, -0.75]), 0.25
    net = ch.neuron(w, b, name)
    np.testing.assert_allclose(net.forward(X)[:, 0], act.f(X @ w + b), rtol=1e-12, atol=1e-15)
    dX = net.backward(np.ones((30, 1)))
    np.testing.assert_allclose(dX, act.df(X @ w + b)[:, None] * w, rtol=1e-12, atol=1e-15)
    d = ch.single_neuron_compute(w1=w[0], w2=w[1], b=b, activation=name, points=X)
    np.testing.assert_allclose(d["y_points"], act.f(X @ w + b), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(d["Z"], w[0] * d["grid"][None, :] + w[1] * d["grid"][:, None] + b, atol=1e-12)


def test_neuron_rejects_bad_input():
    with pytest.raises(TypeError, match="b must be a number"):
        ch.neuron([1.0, 2.0], "0", "sigmoid")
    with pytest.raises(ValueError, match="activation"):
        ch.neuron([1.0, 2.0], 0.0, "softplus")
