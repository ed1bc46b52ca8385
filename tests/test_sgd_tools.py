"""Tests for nnlab.topics.sgd_tools: the full gradient and per-sample gradients, checked against the engine."""
import numpy as np
import pytest

import nnlab
from nnlab import data, gradcheck, layers, losses, params
from nnlab.topics import sgd_tools


def small_problem(n=30, seed=0, sizes=(2, 5, 1)):
    rng = np.random.default_rng(seed)
    X, y = data.moons(n, noise=0.1, rng=rng)
    return layers.mlp(list(sizes), rng=rng), X, y


# ---------------------------------------------------------------- per-sample gradients
@pytest.mark.parametrize("loss", ["bce", "squared_error"])
def test_mean_of_per_sample_gradients_is_the_full_gradient(loss):
    model, X, y = small_problem()
    G = sgd_tools.per_sample_gradients(model, X, y, loss=loss)
    n_params = sum(p.size for _, _, p, _ in model.parameters())
    assert G.shape == (len(X), n_params)
    g = sgd_tools.full_gradient(model, X, y, loss=loss)
    np.testing.assert_allclose(G.mean(axis=0), g, rtol=1e-10, atol=1e-14)


def test_per_sample_row_equals_gradient_on_that_sample_alone():
    model, X, y = small_problem()
    G = sgd_tools.per_sample_gradients(model, X, y)
    for n in (0, 7, 29):
        np.testing.assert_allclose(G[n], sgd_tools.full_gradient(model, X[n:n + 1], y[n:n + 1]), atol=1e-14)


def test_per_sample_gradient_matches_numerical_gradient():
    model, X, y = small_problem(n=10, seed=3)
    n = 4
    G = sgd_tools.per_sample_gradients(model, X, y)
    loss = losses.BinaryCrossEntropy()
    numeric = []
    for _, _, p, _ in model.parameters():
        numeric.append(gradcheck.numerical_gradient(
            lambda: loss(model.forward(X[n:n + 1]), y[n:n + 1])[0], p).ravel())
    assert gradcheck.rel_error(G[n], np.concatenate(numeric)) < 1e-7


def test_softmax_cross_entropy_per_sample():
    rng = np.random.default_rng(5)
    X, y = data.spirals(24, rng=rng, classes=3)
    model = layers.mlp([2, 4, 3], rng=rng, output_activation="linear")
    G = sgd_tools.per_sample_gradients(model, X, y, loss="softmax_cross_entropy")
    g = sgd_tools.full_gradient(model, X, y, loss="softmax_cross_entropy")
    np.testing.assert_allclose(G.mean(axis=0), g, atol=1e-14)


def test_per_sample_rejects_coupled_layers():
    rng = np.random.default_rng(0)
    model = layers.Sequential(layers.Dense(2, 3, rng=rng), layers.BatchNorm(3), layers.Dense(3, 1, rng=rng))
    with pytest.raises(TypeError, match="layers\\[1\\]"):
        sgd_tools.per_sample_gradients(model, np.zeros((4, 2)), np.zeros(4))
    with pytest.raises(TypeError, match="model"):
        sgd_tools.per_sample_gradients("net", np.zeros((4, 2)), np.zeros(4))


def test_full_gradient_is_the_gradient_of_the_engine_step():
    """One full-batch fit step moves theta by exactly -lr * full_gradient."""
    model, X, y = small_problem()
    theta = params.flatten(model)
    g = sgd_tools.full_gradient(model, X, y)
    nnlab.fit(model, X, y, loss="bce", lr=0.5, epochs=1, batch_size=None, shuffle=False,
              rng=np.random.default_rng(0))
    np.testing.assert_allclose(params.flatten(model), theta - 0.5 * g, rtol=0, atol=1e-12)


def test_per_sample_gradient_equals_a_train_step_on_that_sample():
    model, X, y = small_problem()
    G = sgd_tools.per_sample_gradients(model, X, y)
    theta = params.flatten(model)
    for n in (0, 13):
        nnlab.train.train_step(model, losses.BinaryCrossEntropy(), nnlab.SGD(0.1), X[n:n + 1], y[n:n + 1, None])
        np.testing.assert_allclose(params.flatten(model), theta - 0.1 * G[n], rtol=0, atol=1e-12)
        params.assign(model, theta)


def test_columns_follow_the_parameter_names():
    model, X, y = small_problem(sizes=(2, 3, 4, 1))
    G = sgd_tools.per_sample_gradients(model, X, y)
    sizes = [v.size for v in params.as_dict(model).values()]
    assert G.shape == (len(X), params.size(model)) and sum(sizes) == G.shape[1]
    sgd_tools.full_gradient(model, X[:1], y[:1])
    np.testing.assert_allclose(G[0], np.concatenate([g.ravel() for g in params.as_dict(model, grads=True).values()]),
                               rtol=0, atol=1e-14)


def test_bad_input_is_rejected_before_the_model_runs():
    model, X, y = small_problem()
    with pytest.raises(ValueError, match="y must have 1 column"):
        sgd_tools.per_sample_gradients(model, X, np.zeros((30, 2)))
    with pytest.raises(ValueError, match="X must have 2"):
        sgd_tools.full_gradient(model, np.zeros((30, 3)), y)
    with pytest.raises(ValueError, match="y must hold targets in \\[0, 1\\]"):
        sgd_tools.full_gradient(model, X, y + 2)
    with pytest.raises(ValueError, match="loss"):
        sgd_tools.full_gradient(model, X, y, loss="hinge")
    with pytest.raises(TypeError, match="loss must be"):
        sgd_tools.full_gradient(model, X, y, loss=lambda y_hat, y: (0.0, y_hat))
    assert all(layer.out is None for layer in model.layers)          # the model never ran


# ---------------------------------------------------------------- chapter 14: the mini-batch estimate
def small_G(n=40, seed=0):
    model, X, y = small_problem(n=n, seed=seed)
    return sgd_tools.per_sample_gradients(model, X, y)


def test_predicted_error_is_the_exact_mean_over_every_possible_batch():
    """Enumerate all C(n, B) batches of a small data set: their mean squared error is the formula."""
    from itertools import combinations
    G = small_G(n=7)
    g = G.mean(axis=0)
    for B in (1, 2, 3, 7):
        errors = [np.sum((G[list(c)].mean(axis=0) - g) ** 2) for c in combinations(range(7), B)]
        assert sgd_tools.predicted_minibatch_error(G, B) == pytest.approx(np.mean(errors), rel=1e-12, abs=1e-28)


def test_predicted_error_ends_and_independent_draws():
    G = small_G()
    sigma2 = np.mean(np.sum((G - G.mean(axis=0)) ** 2, axis=1))
    assert sgd_tools.predicted_minibatch_error(G, 1) == pytest.approx(sigma2, rel=1e-12)
    assert sgd_tools.predicted_minibatch_error(G, len(G)) == 0
    # without replacement is below sigma^2 / B, by the factor (n - B) / (n - 1)
    assert sgd_tools.predicted_minibatch_error(G, 10) == pytest.approx(sigma2 / 10 * 30 / 39, rel=1e-12)


@pytest.mark.parametrize("B", [1, 3, 10, 30])
def test_measured_error_matches_the_formula(B):
    G = small_G()
    measured = sgd_tools.minibatch_error(G, B, np.random.default_rng(B), draws=4000)
    assert measured == pytest.approx(sgd_tools.predicted_minibatch_error(G, B), rel=0.08)


def test_measured_error_draws_distinct_samples_and_is_reproducible():
    G = small_G()
    assert sgd_tools.minibatch_error(G, len(G), np.random.default_rng(0), draws=50) < 1e-25   # every sample once
    a = sgd_tools.minibatch_error(G, 5, np.random.default_rng(3), draws=700)
    b = sgd_tools.minibatch_error(G, 5, np.random.default_rng(3), draws=700)
    assert a == b and a != sgd_tools.minibatch_error(G, 5, np.random.default_rng(4), draws=700)


def test_linear_loss_is_the_loss_fit_minimizes():
    from nnlab.topics import descent
    rng = np.random.default_rng(0)
    x, t = rng.uniform(0, 2, 20), rng.normal(size=20)
    f, _, _ = descent.least_squares(x[:, None], t)
    W, Bias = np.meshgrid(np.linspace(-1, 2, 4), np.linspace(-2, 1, 3))
    J = sgd_tools.linear_loss(x, t, W, Bias)
    assert J.shape == (3, 4)
    assert J[1, 2] == pytest.approx(f(np.array([W[1, 2], Bias[1, 2]])), rel=1e-12)
    model = layers.mlp([1, 1], rng=rng, output_activation="linear")
    params.assign(model, np.array([0.7, -0.2]))
    engine = nnlab.train.evaluate(model, losses.SquaredError(), x[:, None], t[:, None], scored=False)[0]
    assert sgd_tools.linear_loss(x, t, 0.7, -0.2) == pytest.approx(engine, rel=1e-12)


def test_modeled_seconds_charges_a_fixed_cost_and_a_cost_per_sample():
    seconds = sgd_tools.modeled_seconds([4, 8, 10], overhead=1.0, per_sample=0.5)   # batches 4, 4, 2
    np.testing.assert_allclose(seconds, [3.0, 6.0, 8.0])
    model, X, y = small_problem()                                                  # 30 samples: batches 8, 8, 8, 6
    history = nnlab.fit(model, X, y, loss="bce", epochs=2, batch_size=8, rng=np.random.default_rng(0))
    modeled = sgd_tools.modeled_seconds(history.samples, 50e-6, 0.2e-6)
    assert len(modeled) == history.iterations == 8
    assert modeled[-1] == pytest.approx(8 * 50e-6 + 60 * 0.2e-6)


def test_chapter_14_bad_input():
    G = small_G()
    with pytest.raises(ValueError, match="batch_size"):
        sgd_tools.minibatch_error(G, 41, np.random.default_rng(0))
    with pytest.raises(TypeError, match="rng"):
        sgd_tools.minibatch_error(G, 2, 0)
    with pytest.raises(ValueError, match="G must be 2-D"):
        sgd_tools.predicted_minibatch_error(G[0], 1)
    with pytest.raises(ValueError, match="t must have one target"):
        sgd_tools.linear_loss([1, 2], [1], 0.0, 0.0)
    with pytest.raises(ValueError, match="samples must increase"):
        sgd_tools.modeled_seconds([2, 2], 0.0, 1.0)
    with pytest.raises(ValueError, match="overhead"):
        sgd_tools.modeled_seconds([1, 2], -1.0, 1.0)
