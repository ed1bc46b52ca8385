"""Weight penalties: values and gradients by hand (the numerical checks are in test_gradcheck.py)."""
import numpy as np
import pytest

from nnlab.layers import Dense, Sequential
from nnlab.regularizers import L1, L2, ElasticNet
from nnlab.train import penalty

W = np.array([[1.0, -2.0], [0.0, 3.0]])   # sum W^2 = 14, sum |W| = 6


def test_l2():
    reg = L2(lam=0.1)
    assert reg(W) == pytest.approx(1.4)
    np.testing.assert_allclose(reg.grad(W), 0.2 * W)


def test_l1():
    reg = L1(lam=0.1)
    assert reg(W) == pytest.approx(0.6)
    np.testing.assert_allclose(reg.grad(W), [[0.1, -0.1], [0.0, 0.1]])  # 0 at W = 0


def test_elastic_net():
    reg = ElasticNet(lam=0.1, beta=0.5)
    assert reg(W) == pytest.approx(0.1 * (0.5 * 14 + 6))
    np.testing.assert_allclose(reg.grad(W), 0.1 * (W + np.sign(W)))
    assert ElasticNet(0.1, beta=0.0)(W) == pytest.approx(L1(0.1)(W))


def test_zero_lambda_is_no_penalty():
    for reg in (L2(0), L1(0), ElasticNet(0)):
        assert reg(W) == 0 and not reg.grad(W).any()


def test_penalty_covers_weights_not_biases(rng):
    d1, d2 = Dense(2, 3, rng=rng), Dense(3, 1, rng=rng)
    d1.params["b"][...] = 100.0
    model = Sequential(d1, d2)
    expected = 0.5 * (np.sum(d1.params["W"] ** 2) + np.sum(d2.params["W"] ** 2))
    assert penalty(model, L2(0.5)) == pytest.approx(expected)
    assert penalty(model, None) == 0.0


def test_repr():
    assert repr(L2(0.5)) == "L2(lam=0.5)" and repr(L1(0.5)) == "L1(lam=0.5)"
    assert repr(ElasticNet(0.5, 2.0)) == "ElasticNet(lam=0.5, beta=2.0)"


# ---------------------------------------------------------------- proximal steps
def _objective(reg, V, W, step):
    """What the proximal step minimises, element by element: (V - W)^2 / (2 step) + lam R(V)."""
    return (V - W) ** 2 / (2 * step) + np.vectorize(lambda v: reg(np.array(v)))(V)


@pytest.mark.parametrize("reg", [L2(0.3), L1(0.3), ElasticNet(0.3, beta=0.7), L1(0.0)], ids=repr)
def test_prox_minimises_the_proximal_objective(reg, rng):
    W, step = rng.normal(size=(4, 5)), 0.8
    P = reg.prox(W, step)
    assert P.shape == W.shape
    best = _objective(reg, P, W, step)
    for delta in (1e-3, -1e-3, 0.1, -0.1):      # no nearby value does better, element by element
        assert np.all(best <= _objective(reg, P + delta, W, step) + 1e-12)
    grid = np.linspace(-4, 4, 8001)               # and the minimiser on a fine grid agrees to the grid step
    for w, p in zip(W.ravel(), P.ravel()):
        assert abs(grid[np.argmin(_objective(reg, grid, w, step))] - p) <= 1e-3


def test_l1_prox_is_soft_thresholding():
    W = np.array([[0.5, -0.05], [0.1, -2.0]])
    np.testing.assert_allclose(L1(0.25).prox(W, step=0.4), [[0.4, 0.0], [0.0, -1.9]])   # threshold 0.1
    assert np.sum(L1(0.25).prox(W, step=0.4) == 0) == 2        # exact zeros, not merely small
    np.testing.assert_allclose(L2(0.25).prox(W, step=0.4), W / 1.2)
    np.testing.assert_allclose(ElasticNet(0.25, beta=1.0).prox(W, 0.4), [[0.4 / 1.2, 0.0], [0.0, -1.9 / 1.2]])


def test_prox_with_step_zero_changes_nothing_and_bad_steps_are_refused():
    for reg in (L2(0.5), L1(0.5), ElasticNet(0.5)):
        np.testing.assert_array_equal(reg.prox(W, 0.0), W)
        with pytest.raises(ValueError, match="step"):
            reg.prox(W, -0.1)
        with pytest.raises(TypeError, match="step"):
            reg.prox(W, "big")


def test_small_steps_of_prox_follow_the_gradient_away_from_zero():
    """For a tiny step, prox(W) = W - step * grad(W) + O(step^2) wherever W is not 0."""
    Wn = np.array([[1.0, -2.0], [0.5, 3.0]])
    for reg in (L2(0.4), L1(0.4), ElasticNet(0.4, beta=2.0)):
        step = 1e-6
        np.testing.assert_allclose(reg.prox(Wn, step), Wn - step * reg.grad(Wn), atol=1e-10)
