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
