"""Tests for chapter 4: linear collapse, hand-set XOR, the best single line, and the two experiments."""
import numpy as np
import pytest
from matplotlib.figure import Figure

import nnlab
from nnlab import data
from nnlab.activations import Step, Tanh
from nnlab.gradcheck import numerical_gradient, rel_error
from nnlab.layers import Dense, Sequential
from nnlab.losses import SquaredError
from nnlab.experiments import ch04_mlp_xor as ch04


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


# ------------------------------------------------------------------ linear layers collapse
def test_two_dense_layers_equal_one(rng):
    first, second = Dense(3, 5, rng=rng), Dense(5, 2, rng=rng)
    first.params["b"] = rng.normal(size=5)
    second.params["b"] = rng.normal(size=2)
    X = rng.normal(size=(7, 3))
    W, b = ch04.collapse_linear(first.params["W"], first.params["b"], second.params["W"], second.params["b"])
    assert W.shape == (3, 2) and b.shape == (2,)
    np.testing.assert_allclose(Sequential(first, second)(X), X @ W + b, rtol=1e-12, atol=1e-12)


def test_collapse_linear_by_hand():
    W1, b1 = np.array([[1.0, 2.0]]), np.array([0.5, -1.0])      # 1 -> 2
    W2, b2 = np.array([[3.0], [-1.0]]), np.array([0.25])         # 2 -> 1
    W, b = ch04.collapse_linear(W1, b1, W2, b2)
    # z = 3 (x + 0.5) - (2x - 1) + 0.25 = x + 2.75
    np.testing.assert_allclose(W, [[1.0]])
    np.testing.assert_allclose(b, [2.75])
    with pytest.raises(ValueError, match="W1"):
        ch04.collapse_linear(W1, b1, np.ones((3, 1)), b2)
    with pytest.raises(ValueError, match="b1"):
        ch04.collapse_linear(W1, np.zeros(3), W2, b2)


# ------------------------------------------------------------------ XOR by hand
def test_hand_set_weights_give_exactly_the_xor_table():
    X, y = data.xor_table()
    H, Z = ch04.two_layer(X, ch04.hand_xor_params(), Step(), Step())
    np.testing.assert_array_equal(H, [[0, 1], [1, 1], [1, 1], [1, 0]])   # columns: OR, NAND
    np.testing.assert_array_equal(Z[:, 0], y)
    np.testing.assert_array_equal(Z[:, 0], [0, 1, 1, 0])


def test_best_single_line_gets_three_of_four_on_xor_and_four_on_and_or():
    X, y = data.xor_table()
    w, b, n = ch04.best_line(X, y)
    assert n == 3
    assert np.sum((X @ w + b >= 0) == (y == 1)) == 3
    for labels in ([0, 0, 0, 1], [0, 1, 1, 1]):           # AND, OR are linearly separable
        w, b, n = ch04.best_line(X, labels)
        assert n == 4 and ch04.separates(w, b, X, labels)
    with pytest.raises(ValueError, match="y"):
        ch04.best_line(X, [0, 1, 2, 0])


def test_best_line_prefers_the_widest_margin():
    X = np.array([[-1.0, 0.0], [1.0, 0.0]])
    w, b, n = ch04.best_line(X, [0, 1], n_angles=8)
    assert n == 2
    np.testing.assert_allclose(w, [1.0, 0.0], atol=1e-12)   # the perpendicular bisector x1 = 0
    assert abs(b) < 1e-12


# ------------------------------------------------------------------ experiment 1: hidden view
def test_hand_set_hidden_codes_are_linearly_separable():
    d = ch04.xor_hidden_view_compute("hand-set", steepness=20.0)
    w, b, n = d["separator"]
    assert n == 4
    assert ch04.separates(w, b, d["Hc"], d["cy"])
    assert d["corner_acc"] == 1.0 and d["acc"] == 1.0
    # at steepness 20 the hidden codes are within 1e-4 of the step codes (OR, NAND)
    np.testing.assert_allclose(d["Hc"], [[0, 1], [1, 1], [1, 1], [1, 0]], atol=1e-4)


def test_soft_hand_set_units_stay_separable_but_the_and_unit_fails():
    d = ch04.xor_hidden_view_compute("hand-set", steepness=1.0)
    s = sigmoid
    # hand values: (0,0) -> (s(-0.5), s(1.5)); (0,1), (1,0) -> (s(0.5), s(0.5)); (1,1) -> (s(1.5), s(-0.5))
    expected = [[s(-0.5), s(1.5)], [s(0.5), s(0.5)], [s(0.5), s(0.5)], [s(1.5), s(-0.5)]]
    np.testing.assert_allclose(d["Hc"], expected, rtol=1e-12)
    w, b, n = d["separator"]
    assert n == 4 and ch04.separates(w, b, d["Hc"], d["cy"])
    # the AND unit h1 + h2 - 1.5 = 2 s(0.5) - 1.5 = -0.255 < 0 misses both positive corners
    np.testing.assert_allclose(d["Zc"][1], s(2 * s(0.5) - 1.5))
    assert d["corner_acc"] == 0.5


def test_learned_network_solves_xor_and_a_bad_seed_does_not():
    good = ch04.xor_hidden_view_compute("learned", epochs=300, seed=0)
    assert good["acc"] == 1.0 and good["corner_acc"] == 1.0
    w, b, n = good["separator"]
    assert n == 4 and ch04.separates(w, b, good["Hc"], good["cy"])
    assert good["losses"].shape == (300,) and good["losses"][-1] < 0.05 < good["losses"][0]
    bad = ch04.xor_hidden_view_compute("learned", epochs=300, seed=6)   # stuck in a local minimum
    assert bad["separator"][2] == 3 and bad["corner_acc"] < 1.0 and bad["losses"][-1] > 0.3


def test_learned_params_start_from_the_mlp_initialisation():
    params, losses = ch04.learned_xor_params(seed=3, epochs=0)
    model = nnlab.mlp([2, 2, 1], rng=np.random.default_rng(3), activation="sigmoid", output_activation="sigmoid")
    np.testing.assert_array_equal(params["W1"], model.layers[0].params["W"])
    np.testing.assert_array_equal(params["W2"], model.layers[2].params["W"])
    assert losses.shape == (0,)
    params["W1"][0, 0] = 99.0                            # a copy: the cache is not changed
    assert ch04.learned_xor_params(seed=3, epochs=0)[0]["W1"][0, 0] != 99.0
    with pytest.raises(ValueError, match="epochs"):
        ch04.learned_xor_params(seed=0, epochs=15)
    with pytest.raises(ValueError, match="weights"):
        ch04.xor_hidden_view_compute("random")


# ------------------------------------------------------------------ experiment 2: hidden units
def test_train_tanh_1d_matches_nnlab_layers_step_by_step(rng):
    X, y = rng.uniform(-1, 1, size=(9, 1)), rng.normal(size=(9, 1))
    p0 = ch04.init_tanh_1d(4, rng=rng)
    p0["b2"] = np.array([0.3])
    mine, losses = ch04.train_tanh_1d(X, y, p0, epochs=3, lr=0.1, momentum=0.9)
    model = Sequential(Dense(1, 4, rng=rng), Tanh(), Dense(4, 1, rng=rng))
    model.layers[0].params.update(W=p0["W1"].copy(), b=p0["b1"].copy())
    model.layers[2].params.update(W=p0["W2"].copy(), b=p0["b2"].copy())
    opt, loss = nnlab.SGD(0.1, momentum=0.9), SquaredError()
    ref_losses = []
    for _ in range(3):
        value, d = loss(model.forward(X, train=True), y)
        ref_losses.append(value)
        model.backward(d)
        opt.step(model)
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-12)
    np.testing.assert_allclose(mine["W1"], model.layers[0].params["W"], rtol=1e-12)
    np.testing.assert_allclose(mine["b2"], model.layers[2].params["b"], rtol=1e-12)


def test_train_tanh_1d_first_step_is_minus_lr_times_the_numerical_gradient(rng):
    X, y = rng.uniform(-1, 1, size=(6, 1)), rng.normal(size=(6, 1))
    p0 = ch04.init_tanh_1d(3, rng=rng)
    lr = 1e-3
    p1, _ = ch04.train_tanh_1d(X, y, p0, epochs=1, lr=lr, momentum=0.0)
    work = {k: v.copy() for k, v in p0.items()}

    def loss():
        Z = np.tanh(X @ work["W1"] + work["b1"]) @ work["W2"] + work["b2"]
        return 0.5 * np.mean((Z - y) ** 2)

    for k in work:
        assert rel_error((p0[k] - p1[k]) / lr, numerical_gradient(loss, work[k])) < 1e-6


def test_more_hidden_units_fit_the_sine_better():
    one, eight = ch04.hidden_units_fit_compute(1, "sine"), ch04.hidden_units_fit_compute(8, "sine")
    # one tanh cannot bend twice; eight fit to about the noise level
    assert one["mse"] > 0.05 and eight["mse"] < 0.001
    np.testing.assert_allclose(eight["parts"].sum(axis=1) + eight["b2"], eight["fit"], rtol=1e-12)
    assert eight["parts"].shape == (201, 8)
    assert eight["train_mse"] < 2 * ch04.FIT_NOISE ** 2


def test_error_by_hidden_units_shape_and_bump_needs_two_units():
    err = ch04.error_by_hidden_units(("bump",), (1, 2))
    assert err.shape == (1, 2, 1)
    assert err[0, 0, 0] > 0.05 and err[0, 1, 0] < 0.005   # a bump is a difference of two tanh steps
    with pytest.raises(ValueError, match="target"):
        ch04.hidden_units_fit_compute(2, "square")


# ------------------------------------------------------------------ the registry
@pytest.mark.parametrize("name", sorted(ch04.EXPERIMENTS))
def test_experiments_draw_at_defaults_and_fit_the_static_budget(name):
    exp = ch04.EXPERIMENTS[name]()
    fig = exp.figure()
    assert isinstance(fig, Figure) and len(fig.axes) >= 2
    assert all(ax.get_xlabel() for ax in fig.axes)
    n_frames = int(np.prod([len(c.static) for c in exp.controls]))
    assert n_frames <= 64


# ------------------------------------------------------------------ what the hidden-view frames mark
def test_seed_6_marks_the_two_corners_that_share_a_code():
    bad = ch04.xor_hidden_view_compute("learned", epochs=300, seed=6)
    assert len(bad["shared"]) >= 1
    for i, j in bad["shared"]:
        assert bad["cy"][i] != bad["cy"][j]
        assert np.linalg.norm(bad["Hc"][i] - bad["Hc"][j]) < 0.05
    assert ch04.xor_hidden_view_compute("hand-set", steepness=20.0)["shared"] == []


def test_margin_of_the_separating_line_at_steepness_1():
    d = ch04.xor_hidden_view_compute("hand-set", steepness=1.0)
    s = sigmoid
    # the codes lie on h1 + h2 = 2 s(0.5) (positive) and s(-0.5) + s(1.5) (negative); the widest
    # line runs halfway between them, at a distance of half their gap divided by sqrt(2)
    gap = 2 * s(0.5) - (s(-0.5) + s(1.5))
    np.testing.assert_allclose(d["margin"], gap / 2 / np.sqrt(2), rtol=1e-9)
    assert d["margin"] < 0.03 < ch04.xor_hidden_view_compute("hand-set", steepness=2.0)["margin"]


def test_static_frames_include_the_steepness_values_the_text_cites():
    steep = {c.name: c for c in ch04.xor_hidden_view().controls}["steepness"]
    assert {1.0, 2.0, 3.0, 20.0} <= set(steep.static)
    assert ch04.xor_hidden_view_compute("hand-set", steepness=3.0)["corner_acc"] == 1.0
    assert ch04.xor_hidden_view_compute("hand-set", steepness=2.0)["corner_acc"] == 0.5
