"""perturb: the Objective is the network's own loss and gradient, forward-pass counting, and both
perturbation schemes (lesson loops) checked step by step against the engine."""
import inspect

import numpy as np
import pytest

import nnlab
from nnlab import params
from nnlab.book import show
from nnlab.gradcheck import numerical_gradient, rel_error
from nnlab.layers import Dense, Dropout, Sequential
from nnlab.losses import SquaredError
from nnlab.optim import SGD
from nnlab.topics import perturb
from nnlab.train import train_step


def small_problem(rng, sizes=(3, 4, 2), act="tanh", out="sigmoid", n=10):
    model = nnlab.mlp(list(sizes), rng=rng, activation=act, output_activation=out)
    X = rng.normal(size=(n, sizes[0]))
    y = rng.random(size=(n, sizes[-1]))
    return model, X, y


def engine_loss(model, theta, X, y):
    """The engine's own loss of model at theta: assign, forward, SquaredError."""
    params.assign(model, theta)
    return SquaredError()(model.forward(X), y)[0]


@pytest.mark.parametrize("sizes,act,out", [((3, 4, 2), "tanh", "sigmoid"), ((2, 5, 3, 1), "sigmoid", "linear"),
                                          ((4, 1), "tanh", "tanh")])
def test_objective_loss_and_grad_are_the_models(rng, sizes, act, out):
    model, X, y = small_problem(rng, sizes, act, out)
    obj = perturb.Objective(model, X, y)
    theta0 = params.flatten(model)
    theta = theta0 + 0.3 * rng.normal(size=theta0.size)
    value = engine_loss(model, theta, X, y)
    assert obj.loss(theta) == pytest.approx(value, rel=1e-12)
    model.backward(SquaredError()(model.out, y)[1])
    loss, g = obj.grad(theta)
    assert loss == pytest.approx(value, rel=1e-12)
    np.testing.assert_allclose(g, params.flatten(model, grads=True), rtol=1e-12, atol=1e-15)
    t = theta.copy()
    assert rel_error(g, numerical_gradient(lambda: obj.loss(t), t)) < 1e-7


def test_objective_works_on_its_own_copy_of_the_model(rng):
    model, X, y = small_problem(rng)
    before = params.as_dict(model)
    obj = perturb.Objective(model, X, y)
    obj.grad(rng.normal(size=obj.size))
    for name, value in params.as_dict(model).items():
        np.testing.assert_array_equal(value, before[name])


def test_objective_evaluates_other_layers_in_test_mode(rng):
    model = Sequential(Dense(2, 3, rng=rng), nnlab.Tanh(), Dropout(0.5, rng=rng), Dense(3, 1, rng=rng))
    X, y = rng.normal(size=(6, 2)), rng.normal(size=6)
    obj = perturb.Objective(model, X, y)
    theta = params.flatten(model)
    assert obj.loss(theta) == obj.loss(theta) == SquaredError()(model.forward(X, train=False), y)[0]


def test_batched_losses_equal_single_losses(rng):
    model, X, y = small_problem(rng)
    obj = perturb.Objective(model, X, y)
    thetas = rng.normal(size=(5, obj.size))
    np.testing.assert_array_equal(obj.losses(thetas), [obj.loss(t) for t in thetas])


def test_objective_rejects_bad_input_before_counting(rng):
    model, X, y = small_problem(rng)
    with pytest.raises(TypeError, match="model must be an nnlab Sequential"):
        perturb.Objective(model.layers[0], X, y)
    with pytest.raises(TypeError, match="got the class|model must be"):
        perturb.Objective(Sequential, X, y)
    with pytest.raises(ValueError, match="X must have 3 features"):
        perturb.Objective(model, np.zeros((4, 2)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"y must have 2 column"):
        perturb.Objective(model, X, np.zeros((10, 3)))
    with pytest.raises(ValueError, match="parameters"):
        perturb.Objective(Sequential(nnlab.Tanh()), X, y)
    obj = perturb.Objective(model, X, y)
    with pytest.raises(ValueError, match=r"theta must have shape \(26,\)"):
        obj.loss(np.zeros(3))
    with pytest.raises(ValueError, match=r"theta must have shape \(B, 26\)"):
        obj.losses(np.zeros(26))
    assert obj.forward_passes == 0


def test_forward_pass_counting_is_exact(rng):
    model, X, y = small_problem(rng)
    theta = params.flatten(model)
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
    _, losses, passes = perturb.gradient_descent(obj, theta, n_steps=0, lr=0.5)
    assert len(losses) == 1 and passes[0] == obj.forward_passes == 3 * 10 + 2

    obj = perturb.Objective(model, X, y)
    dirs = perturb.random_directions(6, obj.size, rng=rng)
    perturb.improving_fraction(obj, theta, [0.1, 1.0, 2.0], dirs)
    assert obj.forward_passes == 3 * 6 + 1


def test_perturb_one_equals_the_same_rule_on_the_model(rng):
    model, X, y = small_problem(rng)
    theta0 = params.flatten(model)
    obj = perturb.Objective(model, X, y)
    theta, losses, _, accepted = perturb.perturb_one(obj, theta0, n_steps=200, scale=0.5,
                                                     rng=np.random.default_rng(3))
    # the same rule, every loss from model.forward
    draw = np.random.default_rng(3)
    which, amount = draw.integers(theta0.size, size=200), 0.5 * draw.normal(size=200)
    t, best, ref, kept = theta0.copy(), engine_loss(model, theta0, X, y), [], 0
    ref.append(best)
    for i, eps in zip(which, amount):
        trial = t.copy()
        trial[i] += eps
        value = engine_loss(model, trial, X, y)
        if value < best:
            t, best, kept = trial, value, kept + 1
        ref.append(best)
    np.testing.assert_allclose(losses, ref, rtol=1e-12, atol=0)
    assert accepted == kept
    np.testing.assert_allclose(theta, t, rtol=1e-12, atol=1e-15)
    assert losses[-1] == pytest.approx(engine_loss(model, theta, X, y), rel=1e-12)


def test_perturb_all_equals_the_same_rule_on_the_model(rng):
    model, X, y = small_problem(rng)
    theta0 = params.flatten(model)
    obj = perturb.Objective(model, X, y)
    sigma, K, lr = 0.01, 5, 0.5
    theta, losses, _ = perturb.perturb_all(obj, theta0, n_steps=8, sigma=sigma, trials=K, lr=lr,
                                           rng=np.random.default_rng(4))
    draw, t, ref = np.random.default_rng(4), theta0.copy(), []
    for s in range(9):
        base = engine_loss(model, t, X, y)
        ref.append(base)
        if s < 8:
            d = sigma * draw.normal(size=(K, t.size))
            gain = np.array([engine_loss(model, t + dk, X, y) - base for dk in d])
            t = t - lr * (gain @ d) / (K * sigma ** 2)
    np.testing.assert_allclose(losses, ref, rtol=1e-12, atol=0)
    np.testing.assert_allclose(theta, t, rtol=1e-10, atol=1e-13)


def test_gradient_descent_equals_train_step(rng):
    model, X, y = small_problem(rng)
    theta0 = params.flatten(model)
    obj = perturb.Objective(model, X, y)
    theta, losses, _ = perturb.gradient_descent(obj, theta0, n_steps=12, lr=0.7)
    # one step: theta0 - lr * the Objective's gradient
    obj1 = perturb.Objective(model, X, y)
    theta1, _, _ = perturb.gradient_descent(obj1, theta0, n_steps=1, lr=0.7)
    np.testing.assert_allclose(theta1, theta0 - 0.7 * obj1.grad(theta0)[1], rtol=1e-12, atol=1e-15)
    # every step: the engine's train_step on the model itself
    optimizer, ref = SGD(0.7), []
    for _ in range(12):
        value, _ = train_step(model, SquaredError(), optimizer, X, y)
        ref.append(value)
    ref.append(SquaredError()(model.forward(X), y)[0])
    np.testing.assert_allclose(losses, ref, rtol=1e-12, atol=0)
    np.testing.assert_allclose(theta, params.flatten(model), rtol=1e-12, atol=1e-15)


def test_scheme_a_never_increases_the_loss(rng):
    model, X, y = small_problem(rng)
    obj = perturb.Objective(model, X, y)
    theta0 = params.flatten(model)
    theta, losses, _, accepted = perturb.perturb_one(obj, theta0, n_steps=300, scale=0.5, rng=rng)
    assert np.all(np.diff(losses) <= 0)
    assert losses[-1] < losses[0]
    assert losses[-1] == pytest.approx(obj.loss(theta), rel=1e-12)
    assert np.count_nonzero(np.diff(losses)) == accepted > 0        # the loss moves only when a change is kept
    assert np.count_nonzero(theta != theta0) <= accepted            # each kept change touches one weight


def test_scheme_b_estimate_correlates_with_true_gradient(rng):
    model, X, y = small_problem(rng)
    obj = perturb.Objective(model, X, y)
    theta = params.flatten(model)
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
    theta = params.flatten(model)
    _, g = obj.grad(theta)
    est = perturb.estimate_gradient(obj, theta, trials=40000, sigma=1e-2, rng=rng)
    assert np.linalg.norm(est - g) / np.linalg.norm(g) < 0.05


def test_improving_fraction_half_for_tiny_steps_and_zero_at_a_minimum(rng):
    model = Sequential(Dense(2, 1, rng=rng), nnlab.Linear())
    X = rng.normal(size=(30, 2))
    y = X @ np.array([1.0, -2.0]) + 0.5 + 0.1 * rng.normal(size=30)
    obj = perturb.Objective(model, X, y)
    assert params.names(model) == ["W1", "b1"]                      # theta = (w1, w2, b)
    A = np.c_[X, np.ones(30)]
    best = np.linalg.lstsq(A, y, rcond=None)[0]                     # the minimum
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
    with pytest.raises(ValueError, match=r"kind must be one of \['all', 'one'\], got 'two'"):
        perturb.random_directions(3, 5, rng=rng, kind="two")
    with pytest.raises(ValueError, match="size"):
        perturb.random_directions(3, 0, rng=rng)
    assert perturb.passes_to_reach([0.5, 0.3, 0.1, 0.05], [1, 3, 5, 7], 0.1) == 5
    assert perturb.passes_to_reach([0.5, 0.3], [1, 2], 0.01) == float("inf")
    with pytest.raises(ValueError, match="equal length"):
        perturb.passes_to_reach([0.5, 0.3], [1], 0.1)


def test_schemes_reject_bad_arguments_before_any_forward_pass(rng):
    model, X, y = small_problem(rng)
    obj = perturb.Objective(model, X, y)
    theta = params.flatten(model)
    with pytest.raises(ValueError, match="scale"):
        perturb.perturb_one(obj, theta, n_steps=3, scale=0.0, rng=rng)
    with pytest.raises(TypeError, match="rng"):
        perturb.perturb_one(obj, theta, n_steps=3, scale=0.1, rng=0)
    with pytest.raises(TypeError, match="objective must be"):
        perturb.perturb_one(model, theta, n_steps=3, scale=0.1, rng=rng)
    with pytest.raises(ValueError, match=r"theta must have shape \(26,\)"):
        perturb.perturb_one(obj, theta[:-1], n_steps=3, scale=0.1, rng=rng)
    with pytest.raises(ValueError, match="theta contains NaN"):
        perturb.perturb_one(obj, np.full(26, np.nan), n_steps=3, scale=0.1, rng=rng)
    with pytest.raises(ValueError, match="trials"):
        perturb.perturb_all(obj, theta, n_steps=3, sigma=0.1, trials=0, lr=0.1, rng=rng)
    with pytest.raises(TypeError, match="rng"):
        perturb.perturb_all(obj, theta, n_steps=3, sigma=0.1, trials=2, lr=0.1, rng=None)
    with pytest.raises(ValueError, match="lr"):
        perturb.gradient_descent(obj, theta, n_steps=3, lr=-1.0)
    with pytest.raises(ValueError, match="directions"):
        perturb.improving_fraction(obj, theta, [0.1], np.zeros((4, 3)))
    assert obj.forward_passes == 0


def test_the_shown_scheme_reads_as_the_math():
    text = show(perturb.perturb_one).text
    assert text == inspect.getsource(perturb.perturb_one)
    body = text.split('"""')[2]
    assert "_check_perturb_one" in body
    assert "number(" not in body and "generator(" not in body and "raise" not in body
