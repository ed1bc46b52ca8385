"""Weight penalties lambda * R(W). ``reg(W)`` gives the value, ``reg.grad(W)`` dR/dW times lambda.

They apply to weight matrices only (the parameters named ``W``), not to biases.
"""
import numpy as np

from ._checks import number


class L2:
    """lam * sum W^2 (weight decay); gradient 2 lam W."""

    def __init__(self, lam=1e-3):
        self.lam = number("lam", lam, low=0)

    def __call__(self, W):
        return self.lam * float(np.sum(W ** 2))

    def grad(self, W):
        return 2 * self.lam * W

    def __repr__(self):
        return f"{type(self).__name__}(lam={self.lam})"


class L1(L2):
    """lam * sum |W|; gradient lam sign(W) (a subgradient, 0 at W = 0). Drives weights to exactly 0."""

    def __call__(self, W):
        return self.lam * float(np.sum(np.abs(W)))

    def grad(self, W):
        return self.lam * np.sign(W)


class ElasticNet(L2):
    """lam * sum (beta W^2 + |W|): L2 and L1 together, beta weighs the L2 part."""

    def __init__(self, lam=1e-3, beta=1.0):
        super().__init__(lam)
        self.beta = number("beta", beta, low=0)

    def __call__(self, W):
        return self.lam * float(np.sum(self.beta * W ** 2 + np.abs(W)))

    def grad(self, W):
        return self.lam * (2 * self.beta * W + np.sign(W))

    def __repr__(self):
        return f"ElasticNet(lam={self.lam}, beta={self.beta})"
