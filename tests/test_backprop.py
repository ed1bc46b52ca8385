"""backprop: the slides' two-layer sigmoid backprop against hand values, numerical gradients and Sequential."""
import numpy as np
import pytest

from nnlab.topics import backprop
from nnlab.activations import Sigmoid
from nnlab.gradcheck import numerical_gradient, rel_error
from nnlab.layers import Dense, Sequential
from nnlab.losses import SquaredError


def random_problem(rng, n, d, h, k):
    params = backprop.init_params(d, h, k, rng=rng, scale=1.0)
    return params, rng.normal(size=(n, d)), rng.random(size=(n, k))


def test_hand_computed_deltas_on_a_2_2_1_network():
    # W1 = 0, b1 = 0 -> y = (0.5, 0.5); W2 = (1, 1), b2 = -1 -> net = 0 -> z = 0.5; t = 1
    params = {"W1": np.zeros((2, 2)), "b1": np.zeros(2), "W2": np.ones((2, 1)), "b2": np.array([-1.0])}
    x, t = np.array([[1.0, 2.0]]), np.array([[1.0]])
    Y, Z, d_hid, d_out = backprop.deltas(params, x, t)
    np.testing.assert_allclose(Y, [[0.5, 0.5]])
    np.testing.assert_allclose(Z, [[0.5]])
    np.testing.assert_allclose(d_out, [[0.125]])               # 0.5 * 0.5 * (1 - 0.5)
    np.testing.assert_allclose(d_hid, [[0.03125, 0.03125]])    # 0.5 * 0.5 * 1 * 0.125
    change = backprop.batch_update(params, x, t, lr=2.0)
    np.testing.assert_allclose(change["W2"], [[0.125], [0.125]])   # 2 * 0.125 * 0.5
    np.testing.assert_allclose(change["b2"], [0.25])
    np.testing.assert_allclose(change["W1"], [[0.0625, 0.0625], [0.125, 0.125]])  # 2 * delta_h * x_i
    np.testing.assert_allclose(change["b1"], [0.0625, 0.0625])
    assert backprop.error(params, x, t) == pytest.approx(0.125)


@pytest.mark.parametrize("n,d,h,k", [(1, 2, 2, 1), (5, 3, 4, 2), (7, 1, 6, 3), (4, 5, 1, 1)])
def test_gradients_match_numerical_gradients(rng, n, d, h, k):
    params, X, T = random_problem(rng, n, d, h, k)
    grads = backprop.gradients(params, X, T)
    for name in backprop.NAMES:
        num = numerical_gradient(lambda: backprop.error(params, X, T), params[name])
        assert rel_error(grads[name], num) < 1e-7, name


@pytest.mark.parametrize("n,d,h,k", [(6, 2, 3, 1), (9, 4, 5, 3)])
def test_gradients_equal_sequential_backward(rng, n, d, h, k):
    params, X, T = random_problem(rng, n, d, h, k)
    model = Sequential(Dense(d, h, rng=rng), Sigmoid(), Dense(h, k, rng=rng), Sigmoid())
    for layer, w, b in ((model.layers[0], "W1", "b1"), (model.layers[2], "W2", "b2")):
        layer.params["W"][...] = params[w]
        layer.params["b"][...] = params[b]
    value, dz = SquaredError(reduction="sum")(model.forward(X), T)
    model.backward(dz)
    grads = backprop.gradients(params, X, T)
    assert value == pytest.approx(backprop.error(params, X, T), rel=1e-12)
    np.testing.assert_allclose(model.layers[0].grads["W"], grads["W1"], rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(model.layers[0].grads["b"], grads["b1"], rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(model.layers[2].grads["W"], grads["W2"], rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(model.layers[2].grads["b"], grads["b2"], rtol=1e-10, atol=1e-15)


def test_per_example_loop_accumulated_equals_matrix_form(rng):
    params, X, T = random_problem(rng, 8, 3, 4, 2)
    looped = backprop.stochastic_epoch(params, X, T, 0.7, online=False)
    batch = backprop.batch_step(params, X, T, 0.7)
    for name in backprop.NAMES:
        np.testing.assert_allclose(looped[name], batch[name], rtol=1e-12, atol=1e-15)


def test_online_equals_batch_on_one_example_and_differs_by_order_lr_squared(rng):
    params, X, T = random_problem(rng, 6, 2, 3, 1)
    one = backprop.stochastic_epoch(params, X[:1], T[:1], 0.5)
    batch = backprop.batch_step(params, X[:1], T[:1], 0.5)
    for name in backprop.NAMES:
        np.testing.assert_allclose(one[name], batch[name], rtol=1e-12)
    gaps = []
    for lr in (1e-2, 5e-3):
        online = backprop.stochastic_epoch(params, X, T, lr)
        batch = backprop.batch_step(params, X, T, lr)
        gaps.append(max(np.max(np.abs(online[k] - batch[k])) for k in backprop.NAMES))
    assert gaps[0] > 0
    assert gaps[0] / gaps[1] == pytest.approx(4.0, rel=0.05)     # halving lr quarters the gap


def test_stochastic_epoch_leaves_params_untouched_and_lowers_error(rng):
    params, X, T = random_problem(rng, 10, 2, 3, 1)
    before = {k: v.copy() for k, v in params.items()}
    new = params
    for _ in range(50):
        new = backprop.stochastic_epoch(new, X, T, 0.5)
    for k in backprop.NAMES:
        np.testing.assert_array_equal(params[k], before[k])
    assert backprop.error(new, X, T) < backprop.error(params, X, T)


def test_train_many_equals_one_start_at_a_time():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    T = np.array([[0.0], [1.0], [1.0], [0.0]])
    S, H, lr, epochs = 5, 3, 2.0, 40
    errors, final = backprop.train_many(X, T, n_hidden=H, n_starts=S, lr=lr, epochs=epochs,
                                        rng=np.random.default_rng(7))
    rng = np.random.default_rng(7)                                  # the same draws, in the same order
    W1, b1 = rng.uniform(-1, 1, (2, H, S)), rng.uniform(-1, 1, (H, S))
    W2, b2 = rng.uniform(-1, 1, (H, 1, S)), rng.uniform(-1, 1, (1, S))
    assert errors.shape == (epochs + 1, S)
    for s in range(S):
        p = {"W1": W1[:, :, s], "b1": b1[:, s], "W2": W2[:, :, s], "b2": b2[:, s]}
        assert errors[0, s] == pytest.approx(backprop.error(p, X, T), rel=1e-12)
        for _ in range(epochs):
            p = backprop.batch_step(p, X, T, lr)
        assert errors[-1, s] == pytest.approx(backprop.error(p, X, T), rel=1e-10)
        for k in backprop.NAMES:
            np.testing.assert_allclose(final[k][s], p[k], rtol=1e-10, atol=1e-14)


def test_bad_inputs_raise_clear_errors(rng):
    params, X, T = random_problem(rng, 4, 2, 3, 1)
    with pytest.raises(TypeError, match="params must be a dict with keys"):
        backprop.forward({"W1": params["W1"]}, X)
    bad = dict(params, b1=np.zeros(5))
    with pytest.raises(ValueError, match="params must have shapes"):
        backprop.forward(bad, X)
    with pytest.raises(ValueError, match="X must have 2 features"):
        backprop.forward(params, np.zeros((4, 3)))
    with pytest.raises(ValueError, match="T must have shape"):
        backprop.deltas(params, X, np.zeros(5))
    with pytest.raises(ValueError, match="lr"):
        backprop.batch_step(params, X, T, 0.0)
    with pytest.raises(TypeError, match="rng"):
        backprop.init_params(2, 2, 1, rng=None)
    with pytest.raises(ValueError, match="n_hidden"):
        backprop.train_many(X, T, n_hidden=0, n_starts=3, lr=1.0, epochs=2, rng=rng)


def test_sigmoid_is_stable_and_correct():
    a = np.array([-800.0, -1.0, 0.0, 2.0, 800.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):   # underflow to 0 is fine
        s = backprop.sigmoid(a)
    np.testing.assert_allclose(s, [0.0, 1 / (1 + np.e), 0.5, 1 / (1 + np.exp(-2.0)), 1.0])


def test_dag_backprop_equals_layered_backprop_on_a_2_2_1_network(rng):
    params, X, T = random_problem(rng, 5, 2, 2, 1)
    # units: inputs 0, 1; hidden 2, 3; output 4
    weights = {(i, 2 + h): params["W1"][i, h] for i in range(2) for h in range(2)}
    weights.update({(2 + h, 4): params["W2"][h, 0] for h in range(2)})
    biases = {2: params["b1"][0], 3: params["b1"][1], 4: params["b2"][0]}
    E, dw, db = backprop.dag_backprop(weights, biases, 2, [4], X, T)
    grads = backprop.gradients(params, X, T)
    assert E == pytest.approx(backprop.error(params, X, T), rel=1e-12)
    for (i, j), g in dw.items():
        expected = grads["W1"][i, j - 2] if j < 4 else grads["W2"][i - 2, 0]
        assert g == pytest.approx(expected, rel=1e-10)
    assert db[4] == pytest.approx(grads["b2"][0], rel=1e-10)


def test_dag_backprop_with_skip_connections_matches_numerical_gradients(rng):
    # inputs 0, 1; unit 2 <- (0, 1); unit 3 <- (0, 2); outputs 4 <- (1, 2, 3) and 5 <- (3,)
    edges = [(0, 2), (1, 2), (0, 3), (2, 3), (1, 4), (2, 4), (3, 4), (3, 5)]
    w = rng.normal(size=len(edges))
    b = rng.normal(size=4)
    X, T = rng.normal(size=(6, 2)), rng.random(size=(6, 2))

    def run():
        return backprop.dag_backprop(dict(zip(edges, w)), dict(zip(range(2, 6), b)), 2, [4, 5], X, T)

    _, dw, db = run()
    num_w = numerical_gradient(lambda: run()[0], w)
    num_b = numerical_gradient(lambda: run()[0], b)
    assert rel_error([dw[e] for e in edges], num_w) < 1e-7
    assert rel_error([db[j] for j in range(2, 6)], num_b) < 1e-7
    with pytest.raises(ValueError, match="edges"):
        backprop.dag_backprop({(3, 2): 1.0}, {2: 0.0, 3: 0.0}, 2, [3], X, T[:, :1])
