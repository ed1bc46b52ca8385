"""Initializers: empirical variances against 1/fan_avg (Xavier) and 2/fan_in (He), constants, determinism."""
import numpy as np
import pytest

from nnlab import init

SHAPE = (400, 600)            # fan_in 400, fan_out 600, fan_avg 500; 240,000 weights
FAN_IN, FAN_AVG = 400, 500


@pytest.mark.parametrize("name, variance", [
    ("standard_uniform", 1 / (3 * FAN_IN)), ("xavier_uniform", 1 / FAN_AVG), ("xavier_normal", 1 / FAN_AVG),
    ("he_uniform", 2 / FAN_IN), ("he_normal", 2 / FAN_IN),
])
def test_empirical_variance(rng, name, variance):
    W = init.INITIALIZERS[name](SHAPE, rng)
    assert W.shape == SHAPE
    # the sample variance of 240,000 draws is within ~0.6 % (3 standard errors) of the truth
    assert W.var() == pytest.approx(variance, rel=0.02)
    assert abs(W.mean()) < 4 * np.sqrt(variance / W.size)


@pytest.mark.parametrize("name, r", [("standard_uniform", 1 / np.sqrt(FAN_IN)), ("xavier_uniform", np.sqrt(3 / FAN_AVG)), ("he_uniform", np.sqrt(6 / FAN_IN))])
def test_uniform_bounds(rng, name, r):
    W = init.INITIALIZERS[name](SHAPE, rng)
    assert W.max() <= r and W.min() >= -r
    assert W.max() > 0.99 * r and W.min() < -0.99 * r


def test_plain_uniform_and_normal(rng):
    U = init.uniform((300, 300), rng, r=0.5)
    assert np.abs(U).max() <= 0.5 and U.var() == pytest.approx(0.5 ** 2 / 3, rel=0.03)
    N = init.normal((300, 300), rng, sigma=0.2)
    assert N.std() == pytest.approx(0.2, rel=0.02)


def test_zeros_and_constant():
    np.testing.assert_array_equal(init.zeros((3, 4)), np.zeros((3, 4)))
    np.testing.assert_array_equal(init.constant((2, 2), value=0.7), np.full((2, 2), 0.7))
    np.testing.assert_array_equal(init.constant(5), np.full(5, 0.1))
    assert init.zeros(3).shape == (3,)


@pytest.mark.parametrize("name", ["uniform", "normal", "standard_uniform", "xavier_uniform", "xavier_normal", "he_uniform", "he_normal"])
def test_determinism(name):
    f = init.INITIALIZERS[name]
    a = f((20, 30), np.random.default_rng(3))
    b = f((20, 30), np.random.default_rng(3))
    c = f((20, 30), np.random.default_rng(4))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_fans():
    assert init.fans((3, 7)) == (3, 7)
    assert init.fans((5,)) == (5, 5)
    with pytest.raises(ValueError, match="shape"):
        init.fans((2, 3, 4))
    with pytest.raises(ValueError, match="shape"):
        init.zeros((0, 3))


def test_get_initializer():
    assert init.get_initializer("he_normal") is init.he_normal
    assert init.get_initializer(init.zeros) is init.zeros
    with pytest.raises(ValueError, match="init must be one of"):
        init.get_initializer("glorot")


def test_fans_follow_the_dense_layout(rng):
    """Dense W has shape (fan_in, fan_out) = (n^[l-1], n^[l]): He's variance uses the first axis,
    Xavier's both, and a unit's pre-activation sums fan_in terms with Var(z) = fan_in Var(W) E[x^2]."""
    W_tall, W_wide = init.he_normal((800, 50), rng), init.he_normal((50, 800), rng)
    assert W_tall.var() == pytest.approx(2 / 800, rel=0.03) and W_wide.var() == pytest.approx(2 / 50, rel=0.03)
    X = rng.normal(size=(4000, 300))                                  # E[x^2] = 1
    for W in (init.xavier_normal((300, 300), rng), init.standard_uniform((300, 300), rng)):
        assert (X @ W).var() == pytest.approx(300 * W.var(), rel=0.05)
