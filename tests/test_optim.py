"""SGD: one step by hand, momentum by hand, and convergence on a quadratic."""
import numpy as np
import pytest

from nnlab.layers import Dense, Sequential
from nnlab.optim import SGD


def one_layer(rng):
    layer = Dense(2, 1, rng=rng)
    layer.params["W"][...] = [[1.0], [-2.0]]
    layer.params["b"][...] = [0.5]
    layer.grads["W"] = np.array([[0.5], [1.0]])
    layer.grads["b"] = np.array([-1.0])
    return Sequential(layer), layer


def test_sgd_step(rng):
    model, layer = one_layer(rng)
    W = layer.params["W"]
    SGD(lr=0.1).step(model)
    np.testing.assert_allclose(layer.params["W"], [[0.95], [-2.1]])   # theta - lr g
    np.testing.assert_allclose(layer.params["b"], [0.6])
    assert layer.params["W"] is W                                      # updated in place


def test_sgd_momentum_two_steps(rng):
    model, layer = one_layer(rng)
    opt = SGD(lr=0.1, momentum=0.9)
    opt.step(model)       # v1 = -0.1 g;  theta1 = theta0 - 0.1 g
    opt.step(model)       # v2 = 0.9 v1 - 0.1 g = -0.19 g; theta2 = theta0 - 0.29 g
    np.testing.assert_allclose(layer.params["W"], np.array([[1.0], [-2.0]]) - 0.29 * np.array([[0.5], [1.0]]))
    np.testing.assert_allclose(layer.params["b"], [0.5 + 0.29])


class Quadratic:
    """A 'model' with one parameter and loss 1/2 a theta^2, so the gradient is a theta."""

    def __init__(self, theta, a):
        self.params, self.a = {"theta": np.array([theta])}, a
        self.grads = {"theta": None}

    def parameters(self):
        self.grads["theta"] = self.a * self.params["theta"]
        yield self, "theta", self.params["theta"], self.grads["theta"]


@pytest.mark.parametrize("lr, converges", [(0.1, True), (1.9, True), (2.1, False)])
def test_gradient_descent_on_a_quadratic(lr, converges):
    # theta <- (1 - lr a) theta converges exactly when |1 - lr a| < 1, i.e. lr < 2 / a
    model, opt = Quadratic(1.0, a=1.0), SGD(lr=lr)
    for _ in range(200):
        opt.step(model)
    theta = abs(model.params["theta"][0])
    assert (theta < 1e-3) == converges
    assert theta == pytest.approx(abs(1 - lr) ** 200)


def test_repr():
    assert repr(SGD(0.5, momentum=0.5)) == "SGD(lr=0.5, momentum=0.5)"
