"""Gradient descent on explicit quadratics: the contraction factor, stopping, divergence, checks."""
import numpy as np
import pytest

from nnlab.topics import descent
from nnlab.gradcheck import numerical_gradient, rel_error


@pytest.mark.parametrize("a, lr", [(1.0, 0.1), (5.0, 0.05), (5.0, 0.15), (2.0, 0.3), (0.5, 2.5)])
def test_contraction_factor_matches_the_path(a, lr):
    _, grad = descent.quadratic_1d(a)
    path = descent.gradient_descent(grad, 1.3, lr=lr, steps=15, tol=0)
    q = descent.contraction_factor(a, lr)
    assert q == pytest.approx(1 - 2 * a * lr)
    np.testing.assert_allclose(path[1:] / path[:-1], q, rtol=1e-12)
    np.testing.assert_allclose(path, 1.3 * q ** np.arange(16), rtol=1e-10)


def test_regimes_of_the_learning_rate_for_5x2():
    # f = 5 x^2: monotone below lr = 1/(2a) = 0.1, oscillating up to 1/a = 0.2, diverging above
    names = [descent.regime(descent.contraction_factor(5.0, lr)) for lr in (0.005, 0.05, 0.15, 0.2, 0.21)]
    assert names == ["too small", "good", "oscillating", "bouncing", "diverging"]
    _, grad = descent.quadratic_1d(5.0)
    div = descent.gradient_descent(grad, 1.0, lr=0.21, steps=20, tol=0)
    assert np.all(np.abs(div[1:]) > np.abs(div[:-1])) and np.all(np.sign(div[1:]) == -np.sign(div[:-1]))
    bounce = descent.gradient_descent(grad, 1.0, lr=0.2, steps=4, tol=0)
    np.testing.assert_allclose(bounce, [1, -1, 1, -1, 1])


def test_regime_classifies_the_factor_as_printed_to_two_decimals():
    # factors a rounding error away from a boundary get the name of the rounded value
    assert descent.regime(0.9 - 1e-15) == descent.regime(0.9 + 1e-15) == "too small"
    assert descent.regime(-1 - 1e-15) == descent.regime(-1 + 1e-15) == "bouncing"
    assert descent.regime(1e-17) == descent.regime(-1e-17) == "good"
    assert descent.regime(0.8949) == "good" and descent.regime(-1.006) == "diverging"


def test_stops_when_the_gradient_is_almost_zero():
    _, grad = descent.quadratic_1d(5.0)
    path = descent.gradient_descent(grad, 1.0, lr=0.1, steps=50, tol=1e-8)   # factor 0: one step
    np.testing.assert_allclose(path, [1.0, 0.0])
    path = descent.gradient_descent(grad, 1.0, lr=0.05, steps=500, tol=1e-6)  # factor 1/2
    assert abs(grad(path[-1])) < 1e-6 <= abs(grad(path[-2]))
    assert len(path) == 25          # 10 * 2^-k < 1e-6 first at k = 24


def test_stops_when_the_path_leaves_the_numbers():
    _, grad = descent.quadratic_1d(1.0)
    path = descent.gradient_descent(grad, 1.0, lr=1e100, steps=1000, tol=0)
    assert len(path) < 1001 and not np.isfinite(path[-1])


def test_two_d_path_is_powers_of_i_minus_lr_a():
    A = descent.ill_conditioned(1.0, 10.0, 30.0)
    np.testing.assert_allclose(np.linalg.eigvalsh(A), [1.0, 10.0])
    f, grad = descent.quadratic_2d(A)
    x0, lr = np.array([-2.0, 1.5]), 0.15
    path = descent.gradient_descent(grad, x0, lr=lr, steps=10, tol=0)
    M = np.eye(2) - lr * A
    expected = np.array([np.linalg.matrix_power(M, k) @ x0 for k in range(11)])
    np.testing.assert_allclose(path, expected, rtol=1e-10, atol=1e-12)
    assert f(np.zeros(2)) == 0 and f(path).shape == (11,)
    # diverges iff lr > 2 / lambda_max = 0.2
    assert np.linalg.norm(descent.gradient_descent(grad, x0, lr=0.21, steps=200, tol=0)[-1]) > 1e3
    assert np.linalg.norm(descent.gradient_descent(grad, x0, lr=0.19, steps=200, tol=0)[-1]) < 1e-3


def test_gradients_match_numerical(rng):
    A = descent.ill_conditioned(0.5, 4.0, 10.0)
    f, grad = descent.quadratic_2d(A)
    x = rng.normal(size=2)
    assert rel_error(grad(x), numerical_gradient(lambda: f(x), x)) < 1e-7
    X, t = rng.normal(size=(20, 3)), rng.choice([-1.0, 1.0], size=20)
    f, grad, H = descent.least_squares(X, t)
    th = rng.normal(size=4)
    assert rel_error(grad(th), numerical_gradient(lambda: f(th), th)) < 1e-7
    e = rng.normal(size=4) * 1e-3                 # the loss is quadratic: its Hessian is exact
    assert f(th + e) == pytest.approx(f(th) + grad(th) @ e + 0.5 * e @ H @ e, rel=1e-9)


def test_least_squares_threshold_two_over_max_eigenvalue(rng):
    X, t = rng.normal(size=(30, 2)), rng.choice([-1.0, 1.0], size=30)
    f, grad, H = descent.least_squares(X, t)
    edge = 2 / np.linalg.eigvalsh(H).max()
    ok = descent.gradient_descent(grad, np.zeros(3), lr=0.95 * edge, steps=400, tol=0)
    bad = descent.gradient_descent(grad, np.zeros(3), lr=1.05 * edge, steps=400, tol=0)
    assert f(ok[-1]) < f(ok[0]) and f(bad[-1]) > 1e3 * f(bad[0])


@pytest.mark.parametrize("call, err, words", [
    (lambda g: descent.gradient_descent(g, 1.0, lr=-0.1), ValueError, "lr"),
    (lambda g: descent.gradient_descent(g, 1.0, lr=0), ValueError, "lr"),
    (lambda g: descent.gradient_descent(g, 1.0, lr=0.1, steps=-1), ValueError, "steps"),
    (lambda g: descent.gradient_descent(g, np.ones((2, 2)), lr=0.1), ValueError, "x0"),
    (lambda g: descent.gradient_descent(g, np.ones(3), lr=0.1), ValueError, "grad must return"),
    (lambda g: descent.gradient_descent("grad", 1.0, lr=0.1), TypeError, "grad must be a function"),
    (lambda g: descent.quadratic_1d(-1.0), ValueError, "a must be"),
    (lambda g: descent.quadratic_2d(np.eye(3)), ValueError, "shape (2, 2)"),
    (lambda g: descent.quadratic_2d(np.array([[1.0, 2.0], [2.0, 1.0]])), ValueError, "positive definite"),
    (lambda g: descent.least_squares(np.ones((4, 2)), np.ones(3)), ValueError, "t must have shape (4,)"),
])
def test_bad_inputs_raise_clear_errors(call, err, words):
    g = lambda x: np.array([2.0 * x[0], 1.0])
    with pytest.raises(err) as info:
        call(g)
    assert words in str(info.value)


# ---------------------------------------------------------------- the lesson against the engine
import nnlab
from nnlab import params


def _linear_unit(theta):
    """The engine's linear unit Dense(D, 1) + Linear holding theta = (w, b)."""
    net = nnlab.Sequential(nnlab.Dense(len(theta) - 1, 1, rng=np.random.default_rng(0)), nnlab.Linear())
    return params.assign(net, theta)


def test_least_squares_is_the_engines_linear_unit_with_squared_error(rng):
    X, t = rng.normal(size=(25, 3)), rng.choice([-1.0, 1.0], size=25)
    f, grad, H = descent.least_squares(X, t)
    for _ in range(3):
        th = rng.normal(size=4)
        net = _linear_unit(th)
        value, d_out = nnlab.SquaredError()(net.forward(X), t)
        net.backward(d_out)
        assert f(th) == pytest.approx(value, rel=1e-12)
        np.testing.assert_allclose(grad(th), params.flatten(net, grads=True), rtol=1e-12, atol=1e-14)
    e = rng.normal(size=4)                         # the Hessian: how the engine's gradient changes
    net = _linear_unit(e)
    net.backward(nnlab.SquaredError()(net.forward(X), t)[1])
    np.testing.assert_allclose(H @ e, params.flatten(net, grads=True) - grad(np.zeros(4)), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("lr", [0.05, 0.5, 1.2])
def test_gradient_descent_on_least_squares_is_full_batch_fit(rng, lr):
    X, t = rng.normal(size=(30, 2)), rng.choice([-1.0, 1.0], size=30)
    _, grad, _ = descent.least_squares(X, t)
    path = descent.gradient_descent(grad, np.zeros(3), lr=lr, steps=25, tol=0)
    net = _linear_unit(np.zeros(3))
    hist = nnlab.fit(net, X, t, loss=nnlab.SquaredError(), lr=lr, epochs=25, batch_size=None, shuffle=False,
                     rng=np.random.default_rng(0), callback=lambda m, step: params.flatten(m))
    scale = np.abs(path).max(axis=1, keepdims=True)[1:]
    np.testing.assert_allclose(np.array(hist.logs) / scale, path[1:] / scale, rtol=0, atol=1e-12)
