"""Tests for nnlab.topics.sgd_tools: descent paths, per-sample gradients, and the counting training loop."""
import numpy as np
import pytest

from nnlab import data, gradcheck, layers, losses
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


# ---------------------------------------------------------------- train_counting
@pytest.mark.parametrize("batch_size, per_step", [(None, 30), (1, 1), (7, 7)])
def test_counts_are_exact(batch_size, per_step):
    model, X, y = small_problem()
    run = sgd_tools.train_counting(model, X, y, lr=0.1, batch_size=batch_size, budget=90,
                                   rng=np.random.default_rng(0))
    evals, its = run["evals"], run["iterations"]
    assert evals[0] == 0 and its[0] == 0
    if batch_size == 7:
        # 30 = 4 * 7 + 2: every epoch ends with a batch of 2
        assert set(np.diff(evals)) == {7, 2}
        assert evals[-1] == 90 and its[-1] == 15
    else:
        np.testing.assert_array_equal(np.diff(evals), per_step)
        np.testing.assert_array_equal(evals, its * per_step)
        assert evals[-1] == 90
    np.testing.assert_allclose(run["epochs"], evals / 30)


def test_full_batch_step_is_one_sgd_update_with_the_full_gradient():
    model, X, y = small_problem()
    before = [p.copy() for _, _, p, _ in model.parameters()]
    g = sgd_tools.full_gradient(model, X, y)
    sgd_tools.train_counting(model, X, y, lr=0.5, budget=30, rng=np.random.default_rng(0))
    after = np.concatenate([p.ravel() for _, _, p, _ in model.parameters()])
    np.testing.assert_allclose(after, np.concatenate([b.ravel() for b in before]) - 0.5 * g, atol=1e-14)


def test_record_at_and_loss_are_the_full_loss():
    model, X, y = small_problem()
    run = sgd_tools.train_counting(model, X, y, lr=0.1, batch_size=1, budget=60, record_at=[10, 25, 25.5, 40],
                                   rng=np.random.default_rng(0))
    np.testing.assert_array_equal(run["evals"], [0, 10, 25, 26, 40, 60])
    final = losses.BinaryCrossEntropy()(model(X), y)[0]
    assert run["loss"][-1] == pytest.approx(final)


def test_counting_is_deterministic_and_seed_dependent():
    def go(seed):
        model, X, y = small_problem()
        return sgd_tools.train_counting(model, X, y, lr=0.3, batch_size=1, budget=50,
                                        rng=np.random.default_rng(seed))["loss"]
    np.testing.assert_array_equal(go(1), go(1))
    assert not np.array_equal(go(1), go(2))


def test_counting_bad_input():
    model, X, y = small_problem()
    with pytest.raises(ValueError, match="batch_size"):
        sgd_tools.train_counting(model, X, y, batch_size=31, budget=10, rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match="rng"):
        sgd_tools.train_counting(model, X, y, budget=10, rng=0)
    with pytest.raises(ValueError, match="record_at"):
        sgd_tools.train_counting(model, X, y, budget=10, record_at=[5, 2], rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="y must have 30"):
        sgd_tools.train_counting(model, X, y[:5], budget=10, rng=np.random.default_rng(0))


def test_seconds_are_recorded_with_every_loss_and_only_grow():
    model, X, y = small_problem()
    run = sgd_tools.train_counting(model, X, y, lr=0.1, batch_size=7, budget=90, rng=np.random.default_rng(0))
    assert run["seconds"].shape == run["loss"].shape and run["seconds"][0] == 0.0
    assert np.all(np.diff(run["seconds"]) >= 0) and run["seconds"][-1] > 0
