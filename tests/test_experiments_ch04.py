"""Tests for chapter 4: linear collapse, hand-set XOR, the best single line, and the two experiments."""
import numpy as np
import pytest
from matplotlib.figure import Figure

import nnlab
from nnlab import data
from nnlab.activations import Linear, Tanh
from nnlab.layers import Dense, Sequential
from nnlab.losses import SquaredError
from nnlab.params import as_dict
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
    net = ch04.xor_network(ch04.hand_xor_params(), "step")
    Z = net.forward(X)
    H = net.layers[1].out
    np.testing.assert_array_equal(H, [[0, 1], [1, 1], [1, 1], [1, 0]])   # columns: OR, NAND
    np.testing.assert_array_equal(Z[:, 0], y)
    np.testing.assert_array_equal(Z[:, 0], [0, 1, 1, 0])


def test_xor_network_holds_the_given_weights_and_checks_them():
    hand = ch04.hand_xor_params()
    net = ch04.xor_network(hand, "sigmoid")
    for name, value in as_dict(net).items():
        np.testing.assert_array_equal(value, hand[name])
    with pytest.raises(ValueError, match="W1"):
        ch04.xor_network({**hand, "W1": np.ones((3, 2))})
    with pytest.raises(ValueError, match="activation"):
        ch04.xor_network(hand, "square")
    with pytest.raises(TypeError, match="params"):
        ch04.xor_network([1.0, 2.0])


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
    with pytest.raises(ValueError, match="epochs"):
        ch04.learned_xor_params(seed=0, epochs=301)
    with pytest.raises(ValueError, match="weights"):
        ch04.xor_hidden_view_compute("random")


def test_xor_snapshots_are_the_weights_after_that_many_epochs_of_fit():
    snaps, losses = ch04.xor_training(0)
    assert len(snaps) == ch04.XOR_MAX_EPOCHS + 1 and losses.shape == (ch04.XOR_MAX_EPOCHS,)
    rng = np.random.default_rng(0)
    model = nnlab.mlp([2, 2, 1], rng=rng, activation="sigmoid", output_activation="sigmoid")
    X, y = ch04.xor_data()
    history = nnlab.fit(model, X, y, loss="bce", optimizer=nnlab.SGD(ch04.XOR_LR, momentum=ch04.XOR_MOMENTUM),
                        epochs=37, rng=rng)
    for name, value in as_dict(model).items():
        np.testing.assert_array_equal(snaps[37][name], value)
    np.testing.assert_array_equal(losses[:37], history.train_loss)


# ------------------------------------------------------------------ experiment 2: hidden units
def test_tanh_1d_network_starts_with_its_bends_inside_the_data():
    start = ch04.init_tanh_1d(5, rng=np.random.default_rng(4))
    model = ch04.tanh_1d_network(5, rng=np.random.default_rng(4))
    assert isinstance(model.layers[1], Tanh) and isinstance(model.layers[3], Linear)
    for name, value in as_dict(model).items():
        np.testing.assert_array_equal(value, start[name])
    kinks = -start["b1"] / start["W1"][0]                 # tanh(w x + b) switches at x = -b / w
    assert np.all(np.abs(kinks) <= 1) and np.all(np.abs(start["W1"]) >= 2)
    with pytest.raises(ValueError, match="hidden"):
        ch04.tanh_1d_network(0, rng=np.random.default_rng(0))


def test_hidden_units_fit_is_the_sum_of_the_units_the_text_writes_out():
    d = ch04.hidden_units_fit_compute(4, "abs", epochs=50)
    # rebuild the trained network: the same start, the same nnlab.fit
    rng = np.random.default_rng(ch04.FIT_INIT_SEED)
    model = ch04.tanh_1d_network(4, rng=rng)
    X, y = ch04.fit_data("abs")
    first_loss, _ = SquaredError()(model.forward(X), y)
    assert d["losses"].shape == (50,)
    np.testing.assert_allclose(d["losses"][0], first_loss, rtol=1e-12)    # losses are before each update
    nnlab.fit(model, X, y, loss=SquaredError(), optimizer=nnlab.SGD(ch04.FIT_LR, momentum=ch04.FIT_MOMENTUM),
              epochs=50, rng=rng, shuffle=False)
    p = as_dict(model)
    # y_hat(x) = sum_j W_j tanh(w_j x + b_j) + b, written out
    parts = np.tanh(d["xs"][:, None] * p["W1"][0] + p["b1"]) * p["W2"][:, 0]
    np.testing.assert_allclose(d["parts"], parts, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(parts.sum(axis=1) + p["b2"][0], d["fit"], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(d["fit"], model(d["xs"][:, None])[:, 0], rtol=1e-12, atol=1e-15)


def test_compute_is_pure_and_caching_is_declared_on_the_experiments():
    for name in dir(ch04):
        assert not hasattr(getattr(ch04, name), "cache_info"), f"{name} is cached at module level"
    assert all(factory().cache > 0 for factory in ch04.EXPERIMENTS.values())
    a = ch04.hidden_units_fit_compute(2, "bump", epochs=20)
    a["fit"][:] = 99.0
    b = ch04.hidden_units_fit_compute(2, "bump", epochs=20)
    assert np.all(b["fit"] != 99.0)
    np.testing.assert_array_equal(b["losses"], ch04.hidden_units_fit_compute(2, "bump", epochs=20)["losses"])
    first = ch04.xor_hidden_view_compute("learned", epochs=30, seed=1)
    first["params"]["W1"][0, 0] = 99.0
    assert ch04.xor_hidden_view_compute("learned", epochs=30, seed=1)["params"]["W1"][0, 0] != 99.0


def test_more_hidden_units_fit_the_sine_better():
    one, eight = ch04.hidden_units_fit_compute(1, "sine"), ch04.hidden_units_fit_compute(8, "sine")
    # one tanh cannot bend twice; eight fit to about the noise level
    assert one["mse"] > 0.05 and eight["mse"] < 0.001
    np.testing.assert_allclose(eight["parts"].sum(axis=1) + eight["b2"], eight["fit"], rtol=1e-12, atol=1e-12)
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


# ------------------------------------------------------------------ fast redraws
def test_controls_that_apply_follow_the_weights():
    exp = ch04.xor_hidden_view()
    assert exp.active({"weights": "hand-set"}) == {"weights", "steepness"}
    assert exp.active({"weights": "learned"}) == {"weights", "epochs", "seed"}
    assert all(factory().update is not None for factory in ch04.EXPERIMENTS.values())


def test_lines_and_half_planes_drawn_in_the_hidden_space():
    xs, ys = ch04.line_points([1.0, 1.0], -1.5, -0.05, 1.05)           # h1 + h2 = 1.5
    np.testing.assert_allclose(xs + ys, 1.5)
    xs, ys = ch04.line_points([2.0, 0.0], -1.0, 0.0, 1.0)              # a vertical line x1 = 0.5
    np.testing.assert_allclose(xs, 0.5)
    assert ch04.line_points([0.0, 0.0], 1.0, 0.0, 1.0)[0].size == 0
    corner = ch04.half_plane([1.0, 1.0], -1.5, 0.0, 1.0)               # the triangle above h1 + h2 = 1.5
    assert len(corner) == 3 and np.all(corner.sum(axis=1) >= 1.5 - 1e-12)
    assert len(ch04.half_plane([1.0, 1.0], 5.0, 0.0, 1.0)) == 4        # the whole square
    assert len(ch04.half_plane([1.0, 1.0], -5.0, 0.0, 1.0)) == 0       # nothing
    d = ch04.xor_hidden_view_compute("hand-set", steepness=20.0)
    region = d["out_region"]
    assert np.all(region @ d["params"]["W2"][:, 0] + d["params"]["b2"][0] >= -1e-9)
