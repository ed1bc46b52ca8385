"""Activation functions: hand-computed values of f and f', ranges, stability, the layer interface."""
import warnings

import numpy as np
import pytest

from nnlab import activations as A

LN3, LN2 = np.log(3.0), np.log(2.0)

# (activation, z, f(z), f'(z)), all worked out by hand
CASES = [
    (A.Step(), [-2.0, -1e-9, 0.0, 3.0], [0, 0, 1, 1], [0, 0, 0, 0]),
    (A.Sign(), [-2.0, -1e-9, 0.0, 3.0], [-1, -1, 1, 1], [0, 0, 0, 0]),
    (A.Linear(), [-2.0, 0.0, 3.5], [-2.0, 0.0, 3.5], [1, 1, 1]),
    # sigmoid(ln 3) = 1 / (1 + 1/3) = 3/4, f' = 3/4 * 1/4 = 3/16
    (A.Sigmoid(), [-LN3, 0.0, LN3], [0.25, 0.5, 0.75], [3 / 16, 0.25, 3 / 16]),
    # tanh(ln 2) = (2 - 1/2) / (2 + 1/2) = 0.6, f' = 1 - 0.36
    (A.Tanh(), [-LN2, 0.0, LN2], [-0.6, 0.0, 0.6], [0.64, 1.0, 0.64]),
    (A.ReLU(), [-2.0, 0.0, 3.0], [0, 0, 3], [0, 0, 1]),
    (A.LeakyReLU(0.1), [-2.0, 0.0, 3.0], [-0.2, 0.0, 3.0], [0.1, 0.1, 1.0]),
]


@pytest.mark.parametrize("act, z, f, df", CASES, ids=lambda c: repr(c) if isinstance(c, A.Activation) else "")
def test_values_and_derivatives(act, z, f, df):
    z = np.array(z)
    np.testing.assert_allclose(act.f(z), f, atol=1e-12)
    np.testing.assert_allclose(act.df(z), df, atol=1e-12)
    np.testing.assert_allclose(act(list(z)), f, atol=1e-12)  # __call__ accepts lists


@pytest.mark.parametrize("name", sorted(A.ACTIVATIONS))
def test_outputs_stay_in_range(name):
    act = A.get_activation(name)
    out = act.f(np.linspace(-50, 50, 2001))
    lo, hi = act.range
    assert out.min() >= lo and out.max() <= hi
    assert out.shape == (2001,)


def test_bounded_ranges_are_reached():
    z = np.array([-30.0, 30.0])
    np.testing.assert_allclose(A.Sigmoid().f(z), [0, 1], atol=1e-12)
    np.testing.assert_allclose(A.Tanh().f(z), [-1, 1], atol=1e-12)
    assert A.Sigmoid.range == (0, 1) and A.Tanh.range == (-1, 1) and A.ReLU.range == (0, np.inf)


def test_saturating_flags_follow_both_definitions():
    # bounded range (the slides' source): sigmoid, tanh, step and sign saturate; ReLU does not
    assert A.Sigmoid.saturating and A.Tanh.saturating and A.Step.saturating and A.Sign.saturating
    assert not A.ReLU.saturating and not A.LeakyReLU.saturating and not A.Linear.saturating
    # the derivative going to zero (Gulcehre et al. 2016), checked numerically far out on each side
    far = np.array([-50.0, 50.0])
    for name, cls in A.ACTIVATIONS.items():
        left, right = np.abs(cls().df(far)) < 1e-12
        expected = {(True, True): "both", (True, False): "left", (False, False): "none"}[(left, right)]
        assert cls.saturates_where == expected, name


def test_sigmoid_is_stable_at_large_inputs():
    z = np.array([-1000.0, -40.0, 40.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise"):  # underflow to 0 is exact enough
            s, ds = A.Sigmoid().f(z), A.Sigmoid().df(z)
    assert s[0] == 0.0 and s[-1] == 1.0
    assert np.all(np.isfinite(s)) and np.all(np.isfinite(ds))
    np.testing.assert_allclose(ds[[0, -1]], 0.0)
    # symmetry sigma(-z) = 1 - sigma(z) holds across the range
    zz = np.linspace(-20, 20, 81)
    np.testing.assert_allclose(A.Sigmoid().f(-zz), 1 - A.Sigmoid().f(zz), atol=1e-15)


def test_tanh_is_a_rescaled_sigmoid():
    z = np.linspace(-4, 4, 17)
    np.testing.assert_allclose(A.Tanh().f(z), 2 * A.Sigmoid().f(2 * z) - 1, atol=1e-14)


def test_layer_interface_forward_backward():
    act = A.Tanh()
    X = np.array([[0.0, LN2], [-LN2, 1.0]])
    out = act.forward(X, train=True)
    np.testing.assert_allclose(out, np.tanh(X))
    dout = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(act.backward(dout), dout * (1 - np.tanh(X) ** 2))
    assert act.params == {} and act.grads == {}


@pytest.mark.parametrize("name, cls", sorted(A.ACTIVATIONS.items()))
def test_get_activation_by_name(name, cls):
    assert type(A.get_activation(name)) is cls
    assert type(A.get_activation(name.upper())) is cls


def test_get_activation_passes_instances_through():
    leaky = A.LeakyReLU(0.2)
    assert A.get_activation(leaky) is leaky
    assert repr(leaky) == "LeakyReLU(alpha=0.2)"
