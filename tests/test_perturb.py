"""perturb: flat parameters, the Objective against Sequential, forward-pass counting, both schemes."""
import numpy as np
import pytest

import nnlab
from nnlab.topics import perturb
from nnlab.gradcheck import numerical_gradient, rel_error
from nnlab.layers import Dense, Dropout, Sequential
from nnlab.losses import SquaredError


def small_problem(rng, sizes=(3, 4, 2), act="tanh", out="sigmoid", n=10):
    model = nnlab.mlp(list(sizes), rng=rng, activation=act, output_activation=out)
    X = rng.normal(size=(n, sizes[0]))
    y = rng.random(size=(n, sizes[-1]))
    return model, X, y


def test_get_set_flat_round_trip(rng):
    model, _, _ = small_problem(rng)
    theta = perturb.get_flat(model)
    assert theta.shape == (3 * 4 + 4 + 4 * 2 + 2,)
    np.testing.assert_array_equal(theta[:12], model.layers[0].params["W"].ravel())
    new = rng.normal(size=theta.shape)
    perturb.set_flat(model, new)
    np.testing.assert_array_equal(perturb.get_flat(model), new)
    np.testing.assert_array_equal(model.layers[2].params["b"], new[-2:])


def test_set_flat_rejects_wrong_length_and_non_models(rng):
    model, _, _ = small_problem(rng)
    with pytest.raises(ValueError, match=r"theta must have shape \(26,\)"):
        perturb.set_flat(model, np.zeros(25))
    with pytest.raises(TypeError, match="model"):
        perturb.get_flat("not a model")


@pytest.mark.parametrize("sizes,act,out", [((3, 4, 2), "tanh", "sigmoid"), ((2, 5, 3, 1), "sigmoid", "linear"),
                                          ((4, 1), "tanh", "tanh")])
def test_objective_loss_and_grad_match_sequential_and_numerical(rng, sizes, act, out):
    model, X, y = small_problem(rng, sizes, act, out)
    obj = perturb.Objective(model, X, y)
    theta = perturb.get_flat(model)
    value, dy = SquaredError()(model.forward(X), y)
    assert obj.loss(theta) == pytest.approx(value, rel=1e-12)
    model.backward(dy)
    loss, g = obj.grad(theta)
    assert loss == pytest.approx(value, rel=1e-12)
    np.testing.assert_allclose(g, perturb.get_flat_grad(model), rtol=1e-10, atol=1e-14)
    t = theta.copy()
    assert rel_error(g, numerical_gradient(lambda: obj.loss(t), t)) < 1e-7


def test_batched_losses_equal_single_losses(rng):
    model, X, y = small_problem(rng)
    obj = perturb.Objective(model, X, y)
    thetas = rng.normal(size=(5, obj.size))
    np.testing.assert_allclose(obj.losses(thetas), [obj.loss(t) for t in thetas], rtol=1e-12)


def test_objective_rejects_other_layers_and_bad_theta(rng):
    model = Sequential(Dense(2, 3, rng=rng), Dropout(0.5, rng=rng), Dense(3, 1, rng=rng))
    with pytest.raises(TypeError, match=r"model.layers\[1\] must be Dense or an activation, got Dropout"):
        perturb.Objective(model, np.zeros((4, 2)), np.zeros(4))
    model, X, y = small_problem(rng)
    obj = perturb.Objective(model, X, y)
    with pytest.raises(ValueError, match="theta must have shape"):
        obj.loss(np.zeros(3))
    with pytest.raises(ValueError, match="X must have 3 features"):
        perturb.Objective(model, np.zeros((4, 2)), np.zeros((4, 2)))


def test_forward_pass_counting_is_exact(rng):
    model, X, y = small_problem(rng)
    theta = perturb.get_flat(model)
    obj = perturb.Objective(model, X, y)
    obj.loss(theta)
    obj.losses(np.tile(theta, (7, 1)))
    obj.grad(theta)
    assert obj.forward_passes == 1 + 7 + perturb.GRAD_PASSES == 1 + 7 + 3   # backward pass counted as 2

    obj = perturb.Objective(model, X, y)
    _, losses, passes, _ = perturb.perturb_one(obj, theta, n_steps=25, scale=0.1, rng=rng)
    np.testing.assert_array_equal(passes, np.arange(1, 27))      # 1 for the start, then 1 per step
    assert obj.forward_passes == 26

    obj = perturb.Objective(model, X, y)
    _, losses, passes = perturb.perturb_all(obj, theta, n_steps=6, sigma=0.01, trials=4, lr=0.5, rng=rng)
    np.testing.assert_array_equal(passes, 1 + 5 * np.arange(7))  # trials + 1 per step
    assert obj.forward_passes == 1 + 6 * 5

    obj = perturb.Objective(model, X, y)
    _, losses, passes = perturb.gradient_descent(obj, theta, n_steps=10, lr=0.5)
    assert obj.forward_passes == 3 * 10 + 1                      # 3 per step, 1 for the last loss
    np.testing.assert_array_equal(passes, 1 + 3 * np.arange(11))  # each loss is known after its forward pass

    obj = perturb.Objective(model, X, y)
    dirs = perturb.random_directions(6, obj.size, rng=rng)
    perturb.improving_fraction(obj, theta, [0.1, 1.0, 2.0], dirs)
    assert obj.forward_passes == 3 * 6 + 1


def test_scheme_a_never_increases_the_loss(rng):
    model, X, y = small_problem(rng)
    obj = perturb.Objective(model, X, y)
    theta0 = perturb.get_flat(model)
    theta, losses, _, accepted = perturb.perturb_one(obj, theta0, n_steps=300, scale=0.5, rng=rng)
    assert np.all(np.diff(losses) <= 0)
    assert losses[-1] < losses[0]
    assert losses[-1] == pytest.approx(obj.loss(theta), rel=1e-12)
    assert np.count_nonzero(np.diff(losses)) == accepted > 0        # the loss moves only when a change is kept
    assert np.count_nonzero(theta != theta0) <= accepted            # each kept change touches one weight


def test_scheme_b_estimate_correlates_with_true_gradient(rng):
    model, X, y = small_problem(rng)
    obj = perturb.Objective(model, X, y)
    theta = perturb.get_flat(model)
    _, g = obj.grad(theta)
    cos = []
    for _ in range(20):
        est = perturb.estimate_gradient(obj, theta, trials=40, sigma=1e-3, rng=rng)
        cos.append(est @ g / np.linalg.norm(est) / np.linalg.norm(g))
    # linear theory: E cos ~ 1 / sqrt(1 + (P + 1) / K) = 1 / sqrt(1 + 27 / 40) = 0.77
    assert np.all(np.array(cos) > 0)
    assert np.mean(cos) == pytest.approx(1 / np.sqrt(1 + 27 / 40), abs=0.1)


def test_scheme_b_estimate_is_unbiased_for_a_quadratic_loss(rng):
    model = Sequential(Dense(3, 2, rng=rng), nnlab.Linear())         # a linear model: L is quadratic
    X, y = rng.normal(size=(20, 3)), rng.normal(size=(20, 2))
    obj = perturb.Objective(model, X, y)
    theta = perturb.get_flat(model)
    _, g = obj.grad(theta)
    est = perturb.estimate_gradient(obj, theta, trials=40000, sigma=1e-2, rng=rng)
    assert np.linalg.norm(est - g) / np.linalg.norm(g) < 0.05


def test_improving_fraction_half_for_tiny_steps_and_zero_at_a_minimum(rng):
    model = Sequential(Dense(2, 1, rng=rng), nnlab.Linear())
    X = rng.normal(size=(30, 2))
    y = X @ np.array([1.0, -2.0]) + 0.5 + 0.1 * rng.normal(size=30)
    obj = perturb.Objective(model, X, y)
    A = np.c_[X, np.ones(30)]
    best = np.linalg.lstsq(A, y, rcond=None)[0]                     # theta = (w1, w2, b) at the minimum
    dirs = perturb.random_directions(50, 3, rng=rng)
    np.testing.assert_array_equal(perturb.improving_fraction(obj, best, [1e-4, 1e-2, 1.0], dirs), [0, 0, 0])
    start = np.zeros(3)
    frac = perturb.improving_fraction(obj, start, [1e-6], np.vstack([dirs, -dirs]))
    np.testing.assert_array_equal(frac, [0.5])                      # u or -u goes downhill, never both


def test_random_directions_and_passes_to_reach(rng):
    d = perturb.random_directions(8, 5, rng=rng, kind="all")
    np.testing.assert_allclose(np.linalg.norm(d, axis=1), 1.0)
    one = perturb.random_directions(8, 5, rng=rng, kind="one")
    np.testing.assert_array_equal(np.count_nonzero(one, axis=1), 1)
    np.testing.assert_array_equal(np.abs(one).sum(axis=1), 1.0)
    with pytest.raises(ValueError, match="kind must be 'all' or 'one'"):
        perturb.random_directions(3, 5, rng=rng, kind="two")
    assert perturb.passes_to_reach([0.5, 0.3, 0.1, 0.05], [1, 3, 5, 7], 0.1) == 5
    assert perturb.passes_to_reach([0.5, 0.3], [1, 2], 0.01) == float("inf")
    with pytest.raises(ValueError, match="equal length"):
        perturb.passes_to_reach([0.5, 0.3], [1], 0.1)


def test_schemes_reject_bad_arguments(rng):
    model, X, y = small_problem(rng)
    obj = perturb.Objective(model, X, y)
    theta = perturb.get_flat(model)
    with pytest.raises(ValueError, match="scale"):
        perturb.perturb_one(obj, theta, n_steps=3, scale=0.0, rng=rng)
    with pytest.raises(TypeError, match="rng"):
        perturb.perturb_one(obj, theta, n_steps=3, scale=0.1, rng=0)
    with pytest.raises(ValueError, match="trials"):
        perturb.perturb_all(obj, theta, n_steps=3, sigma=0.1, trials=0, lr=0.1, rng=rng)
    with pytest.raises(ValueError, match="lr"):
        perturb.gradient_descent(obj, theta, n_steps=3, lr=-1.0)
