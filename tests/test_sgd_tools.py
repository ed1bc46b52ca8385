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
