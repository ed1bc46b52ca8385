"""nnlab.topics.vanishing: the backward pass as a product of Jacobians, checked against the engine's
backward and against numerical derivatives."""
import numpy as np
import pytest

from nnlab.activations import ReLU, Sigmoid
from nnlab.gradcheck import numerical_gradient, rel_error
from nnlab.layers import Dense, Sequential
from nnlab.losses import SquaredError
from nnlab.topics import vanishing


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_product_of_jacobians_is_the_engines_backward(rng, activation):
    model = vanishing.deep_mlp(4, rng=rng, width=5, activation=activation, gain=1.3, n_in=3, n_out=2)
    X, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    _, g_top = SquaredError()(model.forward(X), y)
    J = vanishing.jacobians(model)
    assert [j.shape for j in J] == [(6, 5, 3)] + [(6, 5, 5)] * 3 + [(6, 2, 5)]
    g0, grads = vanishing.backprop_by_jacobians(J, g_top)
    dX = model.backward(g_top)
    assert rel_error(g0, dX) < 1e-12
    assert len(grads) == 6 and grads[0] is g0 and np.array_equal(grads[-1], g_top)
    for (dense, act), g in zip(zip(model.layers[::2], model.layers[1::2]), grads[1:]):
        assert rel_error(act.dout, g) < 1e-12        # dL/dh_l of every layer, as backward saw it


def test_jacobian_matches_finite_differences(rng):
    model = vanishing.deep_mlp(2, rng=rng, width=4, activation="tanh", gain=2.0, n_in=3)
    x = rng.normal(size=(1, 3))
    model.forward(x)
    J = vanishing.jacobians(model)
    total = J[2][0] @ J[1][0] @ J[0][0]                 # dh_3/dh_0 for this sample: (1 output, 3 inputs)
    num = numerical_gradient(lambda: float(model.forward(x)[0, 0]), x)
    assert rel_error(total[0], num[0]) < 1e-7


def test_a_layer_never_grows_a_gradient_by_more_than_its_bound(rng):
    for activation in ("sigmoid", "tanh", "relu"):
        model = vanishing.deep_mlp(5, rng=rng, width=8, activation=activation, gain=3.0)
        model.forward(rng.normal(size=(50, 2)))
        J = vanishing.jacobians(model)
        bounds = vanishing.factor_bounds(model)
        for J_l, bound in zip(J, bounds):
            g = rng.normal(size=(50, J_l.shape[1]))
            grown = np.linalg.norm(np.einsum("nij,ni->nj", J_l, g), axis=1) / np.linalg.norm(g, axis=1)
            assert np.all(grown <= bound * (1 + 1e-12))


def test_max_slopes():
    assert vanishing.max_slope("sigmoid") == 0.25
    assert vanishing.max_slope("tanh") == 1.0 and vanishing.max_slope("relu") == 1.0


def test_gain_normal_has_the_promised_variance(rng):
    W = vanishing.gain_normal(2.0)((400, 300), rng)
    assert W.shape == (400, 300)
    assert np.var(W) == pytest.approx(4.0 / 400, rel=0.02)
    a = vanishing.gain_normal(1.0)((3, 2), np.random.default_rng(0))
    b = vanishing.gain_normal(1.0)((3, 2), np.random.default_rng(0))
    np.testing.assert_array_equal(a, b)


def test_deep_mlp_layers(rng):
    model = vanishing.deep_mlp(3, rng=rng, width=7, activation="relu")
    kinds = [type(layer) for layer in model.layers]
    assert kinds == [Dense, ReLU, Dense, ReLU, Dense, ReLU, Dense, type(model.layers[-1])]
    assert type(model.layers[-1]).__name__ == "Linear"
    assert [d.params["W"].shape for d in model.layers[::2]] == [(2, 7), (7, 7), (7, 7), (7, 1)]
    assert all(np.all(d.params["b"] == 0) for d in model.layers[::2])


def test_bad_input(rng):
    with pytest.raises(ValueError, match="gain"):
        vanishing.gain_normal(0.0)
    with pytest.raises(TypeError, match="gain"):
        vanishing.gain_normal("big")
    with pytest.raises(ValueError, match="depth"):
        vanishing.deep_mlp(0, rng=rng)
    with pytest.raises(TypeError, match="rng"):
        vanishing.deep_mlp(2, rng=3)
    with pytest.raises(TypeError, match="model must be a Sequential of Dense, activation"):
        vanishing.jacobians(Sequential(Dense(2, 2, rng=rng), Dense(2, 1, rng=rng)))
    with pytest.raises(RuntimeError, match="forward"):
        vanishing.jacobians(Sequential(Dense(2, 2, rng=rng), Sigmoid()))
