"""nnlab.topics.batchnorm: the slides' formulas against the layer, and PyTorch's running statistics."""
import numpy as np
import pytest

from nnlab.layers import BatchNorm
from nnlab.topics import batchnorm as T


def test_slides_train_step_is_the_layer(rng):
    X = rng.normal(size=(10, 3)) * [1.0, 3.0, 0.2] + [2.0, -1.0, 0.0]
    gamma, beta = np.array([1.5, 0.5, 2.0]), np.array([0.0, 1.0, -1.0])
    rm, rv = rng.normal(size=3), rng.uniform(0.5, 2.0, size=3)
    steps = T.slides_train_step(X, gamma, beta, rm, rv, m=0.8)
    bn = BatchNorm(3, momentum=0.8)
    bn.params["gamma"][...], bn.params["beta"][...] = gamma, beta
    bn.running_mean, bn.running_var = rm.copy(), rv.copy()
    np.testing.assert_allclose(bn.forward(X, train=True), steps["y"], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(bn.running_mean, steps["mu"], rtol=1e-12)
    np.testing.assert_allclose(bn.running_var, steps["var"], rtol=1e-12)
    np.testing.assert_allclose(steps["var_B"], X.var(axis=0), rtol=1e-12)     # 1/N, not 1/(N-1)
    test = T.slides_test_step(X, gamma, beta, steps["mu"], steps["var"])
    np.testing.assert_allclose(bn.forward(X, train=False), test, rtol=1e-12, atol=1e-12)


def test_pytorch_running_stats_differ_by_momentum_convention_and_bessel(rng):
    batches = [rng.normal(2.0, 3.0, size=(4, 2)) for _ in range(3)]
    mean, var = T.pytorch_running_stats(batches, momentum=0.1)
    bn = BatchNorm(2, momentum=0.9)              # the slides' m = 1 - PyTorch's momentum
    for B in batches:
        bn.forward(B, train=True)
    np.testing.assert_allclose(mean, bn.running_mean, rtol=1e-12)   # the means agree
    # the variances do not: PyTorch averages N/(N-1) times the biased batch variance
    expected = 1.0
    for B in batches:
        expected = 0.9 * expected + 0.1 * B.var(axis=0) * 4 / 3
    np.testing.assert_allclose(var, expected, rtol=1e-12)
    assert np.all(var > bn.running_var)


def test_bad_input():
    with pytest.raises(ValueError, match="m must be in"):
        T.slides_train_step(np.ones((2, 1)), 1.0, 0.0, 0.0, 1.0, m=2.0)
    with pytest.raises(ValueError, match=r"batches\[0\] must hold at least 2"):
        T.pytorch_running_stats([np.ones((1, 2))])
    with pytest.raises(ValueError, match="at least one batch"):
        T.pytorch_running_stats([])
