"""backprop: the slides' two-layer sigmoid backprop against hand values, numerical gradients and the engine
(the model's backward, nnlab.train.train_step and nnlab.fit)."""
import copy

import numpy as np
import pytest

import nnlab
from nnlab import params as P
from nnlab.topics import backprop
from nnlab.activations import Sigmoid
from nnlab.gradcheck import numerical_gradient, rel_error
from nnlab.losses import SquaredError
from nnlab.optim import SGD
from nnlab.train import train_step

SUM = SquaredError(reduction="sum")      # E = sum_n 1/2 ||t_n - z_n||^2, as on the slides


def random_problem(rng, n, d, h, k):
    model = backprop.network(d, h, k, rng=rng, scale=1.0)
    return model, rng.normal(size=(n, d)), rng.random(size=(n, k))


def engine_grads(model, X, T):
    """dE/dparam by the engine: the model's forward and backward with the summed squared error."""
    value, dz = SUM(model.forward(X), T)
    model.backward(dz)
    return value, P.as_dict(model, grads=True)


def assert_same(a, b, rtol=1e-12, atol=1e-15):
    assert set(a) == set(b)
    for k in a:
        np.testing.assert_allclose(a[k], b[k], rtol=rtol, atol=atol, err_msg=k)


def test_names_are_nnlab_params_names():
    model = backprop.network(3, 4, 2, rng=np.random.default_rng(0))
    assert P.names(model) == list(backprop.NAMES)
    assert [type(l) for l in model.layers] == [nnlab.Dense, Sigmoid, nnlab.Dense, Sigmoid]


def test_network_draws_uniform_weights_and_biases_in_order():
    w = P.as_dict(backprop.network(2, 3, 1, rng=np.random.default_rng(5), scale=0.7))
    rng = np.random.default_rng(5)
    for k, shape in (("W1", (2, 3)), ("b1", (3,)), ("W2", (3, 1)), ("b2", (1,))):
        np.testing.assert_array_equal(w[k], rng.uniform(-0.7, 0.7, shape))


def test_hand_computed_deltas_on_a_2_2_1_network():
    # W1 = 0, b1 = 0 -> y = (0.5, 0.5); W2 = (1, 1), b2 = -1 -> net = 0 -> z = 0.5; t = 1
    model = backprop.network(2, 2, 1, rng=np.random.default_rng(0))
    P.load_dict(model, {"W1": np.zeros((2, 2)), "b1": np.zeros(2), "W2": np.ones((2, 1)), "b2": [-1.0]})
    x, t = np.array([[1.0, 2.0]]), np.array([[1.0]])
    Y, Z, d_hid, d_out = backprop.deltas(model, x, t)
    np.testing.assert_allclose(Y, [[0.5, 0.5]])
    np.testing.assert_allclose(Z, [[0.5]])
    np.testing.assert_allclose(d_out, [[0.125]])               # 0.5 * 0.5 * (1 - 0.5)
    np.testing.assert_allclose(d_hid, [[0.03125, 0.03125]])    # 0.5 * 0.5 * 1 * 0.125
    change = backprop.batch_update(model, x, t, lr=2.0)
    np.testing.assert_allclose(change["W2"], [[0.125], [0.125]])   # 2 * 0.125 * 0.5
    np.testing.assert_allclose(change["b2"], [0.25])
    np.testing.assert_allclose(change["W1"], [[0.0625, 0.0625], [0.125, 0.125]])  # 2 * delta_h * x_i
    np.testing.assert_allclose(change["b1"], [0.0625, 0.0625])
    assert SUM(model(x), t)[0] == pytest.approx(0.125)


@pytest.mark.parametrize("n,d,h,k", [(1, 2, 2, 1), (6, 2, 3, 1), (9, 4, 5, 3), (4, 5, 1, 1)])
def test_deltas_are_minus_the_engines_backward(rng, n, d, h, k):
    # delta = -dE/d(net input): the gradient that reached each Dense layer's output, with the sign flipped
    model, X, T = random_problem(rng, n, d, h, k)
    Y, Z, d_hid, d_out = backprop.deltas(model, X, T)
    engine_grads(model, X, T)
    np.testing.assert_array_equal(Y, model.layers[1].out)
    np.testing.assert_array_equal(Z, model.out)
    np.testing.assert_allclose(d_out, -model.layers[2].dout, rtol=1e-12, atol=1e-16)
    np.testing.assert_allclose(d_hid, -model.layers[0].dout, rtol=1e-12, atol=1e-16)


@pytest.mark.parametrize("n,d,h,k", [(1, 2, 2, 1), (5, 3, 4, 2), (7, 1, 6, 3), (4, 5, 1, 1)])
def test_batch_update_is_minus_lr_times_the_engines_gradient(rng, n, d, h, k):
    model, X, T = random_problem(rng, n, d, h, k)
    change = backprop.batch_update(model, X, T, 0.3)
    _, grads = engine_grads(model, X, T)
    assert_same({k: -v / 0.3 for k, v in change.items()}, grads, rtol=1e-12, atol=1e-16)


@pytest.mark.parametrize("n,d,h,k", [(1, 2, 2, 1), (5, 3, 4, 2)])
def test_batch_update_matches_numerical_gradients(rng, n, d, h, k):
    model, X, T = random_problem(rng, n, d, h, k)
    change = backprop.batch_update(model, X, T, 1.0)
    for layer, key, name in ((model.layers[0], "W", "W1"), (model.layers[0], "b", "b1"),
                             (model.layers[2], "W", "W2"), (model.layers[2], "b", "b2")):
        num = numerical_gradient(lambda: SUM(model(X), T)[0], layer.params[key])
        assert rel_error(-change[name], num) < 1e-7, name


def test_per_example_loop_accumulated_equals_one_engine_batch_step(rng):
    model, X, T = random_problem(rng, 8, 3, 4, 2)
    engine = copy.deepcopy(model)
    backprop.stochastic_epoch(model, X, T, 0.7, online=False)
    train_step(engine, SUM, SGD(0.7), X, T)
    assert_same(P.as_dict(model), P.as_dict(engine))


def test_online_equals_the_engines_stochastic_epoch(rng):
    # the slides' loop, online: the same updates as fit with batch_size=1, in order (no shuffling)
    model, X, T = random_problem(rng, 6, 2, 3, 1)
    engine = copy.deepcopy(model)
    backprop.stochastic_epoch(model, X, T, 0.5)
    nnlab.fit(engine, X, T, loss=SUM, lr=0.5, epochs=1, batch_size=1, shuffle=False, rng=np.random.default_rng(0))
    assert_same(P.as_dict(model), P.as_dict(engine))


def test_online_differs_from_batch_by_order_lr_squared(rng):
    model, X, T = random_problem(rng, 6, 2, 3, 1)
    start = P.as_dict(model)
    gaps = []
    for lr in (1e-2, 5e-3):
        online = P.as_dict(backprop.stochastic_epoch(P.load_dict(model, start), X, T, lr))
        P.load_dict(model, start)
        train_step(model, SUM, SGD(lr), X, T)
        gaps.append(max(np.max(np.abs(online[k] - P.as_dict(model)[k])) for k in backprop.NAMES))
    assert gaps[0] > 0
    assert gaps[0] / gaps[1] == pytest.approx(4.0, rel=0.05)     # halving lr quarters the gap


def test_stochastic_epoch_changes_the_model_in_place_and_lowers_error(rng):
    model, X, T = random_problem(rng, 10, 2, 3, 1)
    before = SUM(model(X), T)[0]
    for _ in range(50):
        assert backprop.stochastic_epoch(model, X, T, 0.5) is model
    assert SUM(model(X), T)[0] < before


def test_random_starts_are_independent_networks():
    starts = backprop.random_starts(2, 3, 1, 5, rng=np.random.default_rng(7), scale=0.8)
    assert {k: v.shape for k, v in starts.items()} == {"W1": (5, 2, 3), "b1": (5, 3), "W2": (5, 3, 1), "b2": (5, 1)}
    assert all(np.all(np.abs(v) <= 0.8) for v in starts.values())
    assert not np.allclose(starts["W1"][0], starts["W1"][1])


def test_train_many_follows_the_engines_train_step_on_every_start():
    X, T = nnlab.data.xor_table()
    S, H, lr, epochs = 5, 3, 2.0, 40
    starts = backprop.random_starts(2, H, 1, S, rng=np.random.default_rng(7))
    errors, final, Z = backprop.train_many(X, T, starts, lr=lr, epochs=epochs)
    assert errors.shape == (epochs + 1, S) and Z.shape == (S, 4, 1)
    for s in range(S):
        model = P.load_dict(backprop.network(2, H, 1, rng=np.random.default_rng(0)), {k: v[s] for k, v in starts.items()})
        optimizer = SGD(lr)
        for e in range(epochs):
            value, _ = train_step(model, SUM, optimizer, X, T[:, None])   # E before update e
            assert errors[e, s] == pytest.approx(value, rel=1e-12)
        assert errors[-1, s] == pytest.approx(SUM(model(X), T[:, None])[0], rel=1e-12)
        np.testing.assert_allclose(Z[s], model.out, rtol=1e-12)
        assert_same({k: v[s] for k, v in final.items()}, P.as_dict(model), rtol=1e-12, atol=1e-14)


def test_train_many_equals_full_batch_fit():
    X, T = nnlab.data.xor_table()
    starts = backprop.random_starts(2, 2, 1, 3, rng=np.random.default_rng(1))
    errors, final, _ = backprop.train_many(X, T, starts, lr=4.0, epochs=25)
    for s in range(3):
        model = P.load_dict(backprop.network(2, 2, 1, rng=np.random.default_rng(0)), {k: v[s] for k, v in starts.items()})
        history = nnlab.fit(model, X, T, loss=SUM, lr=4.0, epochs=25, shuffle=False, rng=np.random.default_rng(0))
        np.testing.assert_allclose(errors[:-1, s], history.loss, rtol=1e-12)
        assert errors[-1, s] == pytest.approx(history.train_loss[-1], rel=1e-12)
        assert_same({k: v[s] for k, v in final.items()}, P.as_dict(model), rtol=1e-12, atol=1e-14)


def test_bad_inputs_raise_clear_errors(rng):
    model, X, T = random_problem(rng, 4, 2, 3, 1)
    with pytest.raises(TypeError, match="model must be a two-layer sigmoid network"):
        backprop.deltas(nnlab.mlp([2, 3, 1], rng=rng), X, T)           # tanh hidden layer
    with pytest.raises(TypeError, match="model must be a two-layer sigmoid network"):
        backprop.deltas({"W1": np.zeros((2, 3))}, X, T)
    with pytest.raises(ValueError, match="X must have 2 features"):
        backprop.deltas(model, np.zeros((4, 3)), T)
    with pytest.raises(ValueError, match="T must have shape"):
        backprop.deltas(model, X, np.zeros(5))
    before = P.as_dict(model)
    with pytest.raises(ValueError, match="lr"):
        backprop.stochastic_epoch(model, X, T, 0.0)
    with pytest.raises(ValueError, match="T must have 1 column"):
        backprop.stochastic_epoch(model, X, np.zeros((4, 2)), 0.5)
    assert_same(P.as_dict(model), before, rtol=0, atol=0)               # nothing changed
    with pytest.raises(TypeError, match="rng"):
        backprop.network(2, 2, 1, rng=None)
    with pytest.raises(ValueError, match="n_hidden"):
        backprop.random_starts(2, 0, 1, 3, rng=rng)
    starts = backprop.random_starts(2, 3, 1, 4, rng=rng)
    with pytest.raises(TypeError, match="starts must be a dict"):
        backprop.train_many(X, T, [1, 2], lr=1.0, epochs=2)
    with pytest.raises(ValueError, match="starts must have shapes"):
        backprop.train_many(X, np.zeros((4, 2)), starts, lr=1.0, epochs=2)
    with pytest.raises(ValueError, match="epochs"):
        backprop.train_many(X, T, starts, lr=1.0, epochs=-1)


def test_sigmoid_is_the_engines():
    a = np.array([-800.0, -1.0, 0.0, 2.0, 800.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):   # underflow to 0 is fine
        s = backprop.sigmoid(a)
    np.testing.assert_array_equal(s, Sigmoid()(a))
    np.testing.assert_allclose(s, [0.0, 1 / (1 + np.e), 0.5, 1 / (1 + np.exp(-2.0)), 1.0])


def test_dag_backprop_equals_the_engine_on_a_2_2_1_network(rng):
    model, X, T = random_problem(rng, 5, 2, 2, 1)
    w = P.as_dict(model)
    # units: inputs 0, 1; hidden 2, 3; output 4
    weights = {(i, 2 + h): w["W1"][i, h] for i in range(2) for h in range(2)}
    weights.update({(2 + h, 4): w["W2"][h, 0] for h in range(2)})
    biases = {2: w["b1"][0], 3: w["b1"][1], 4: w["b2"][0]}
    E, dw, db = backprop.dag_backprop(weights, biases, 2, [4], X, T)
    value, grads = engine_grads(model, X, T)
    assert E == pytest.approx(value, rel=1e-12)
    for (i, j), g in dw.items():
        expected = grads["W1"][i, j - 2] if j < 4 else grads["W2"][i - 2, 0]
        assert g == pytest.approx(expected, rel=1e-10)
    assert [db[2], db[3]] == pytest.approx(list(grads["b1"]), rel=1e-10)
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
    with pytest.raises(TypeError, match="weights must be a dict"):
        backprop.dag_backprop([((0, 2), 1.0)], {2: 0.0}, 2, [2], X, T[:, :1])
    with pytest.raises(ValueError, match=r"edges \(i, j\) as keys"):
        backprop.dag_backprop({0: 1.0}, {2: 0.0}, 2, [2], X, T[:, :1])
    with pytest.raises(TypeError, match="outputs must be a list"):
        backprop.dag_backprop({(0, 2): 1.0}, {2: 0.0}, 2, 2, X, T[:, :1])
