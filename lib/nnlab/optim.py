"""Optimizers: ``step(model)`` updates every parameter from its gradient."""
import numpy as np

from ._checks import number


class SGD:
    """Gradient descent: theta <- theta - lr g; with momentum mu: v <- mu v - lr g, theta <- theta + v.

    The velocities v are kept in the order of ``model.parameters()`` (one per parameter array); they
    start at zero and start again at zero if the optimizer is handed a model of other shapes.
    """

    def __init__(self, lr=0.1, momentum=0.0):
        self.lr = number("lr", lr, low=0, low_open=True)
        self.momentum = number("momentum", momentum, low=0, high=1, high_open=True)
        self.velocity = []

    def step(self, model):
        params = list(model.parameters())
        if not self.momentum:
            for _, _, param, grad in params:
                param -= self.lr * grad
            return
        if [v.shape for v in self.velocity] != [p.shape for _, _, p, _ in params]:
            self.velocity = [np.zeros_like(p) for _, _, p, _ in params]
        for v, (_, _, param, grad) in zip(self.velocity, params):
            v *= self.momentum
            v -= self.lr * grad
            param += v

    def __repr__(self):
        return f"SGD(lr={self.lr}, momentum={self.momentum})"
