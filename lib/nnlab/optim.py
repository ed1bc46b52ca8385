"""Optimizers: ``step(model)`` updates every parameter from its gradient."""
import numpy as np

from ._checks import number


class SGD:
    """theta <- theta - lr * g (with optional momentum: v <- mu v - lr g; theta <- theta + v)."""

    def __init__(self, lr=0.1, momentum=0.0):
        self.lr = number("lr", lr, low=0, low_open=True)
        self.momentum = number("momentum", momentum, low=0, high=1, high_open=True)
        self.velocity = {}

    def step(self, model):
        for layer, name, param, grad in model.parameters():
            if self.momentum:
                key = (id(layer), name)
                v = self.velocity.get(key, np.zeros_like(param))
                v = self.momentum * v - self.lr * grad
                self.velocity[key] = v
                param += v
            else:
                param -= self.lr * grad

    def __repr__(self):
        return f"SGD(lr={self.lr}, momentum={self.momentum})"
