"""Weight penalties lambda * R(W). ``reg(W)`` gives the value, ``reg.grad(W)`` dR/dW times lambda.

They apply to weight matrices only (the parameters named ``W``), not to biases.
``reg.prox(W, step)`` is the proximal step: the W' that minimises |W' - W|^2 / (2 step) + lam R(W').
Gradient descent on the data loss followed by ``prox`` with step = the learning rate is proximal
gradient descent; for L1 its prox (soft thresholding) sets small weights to exactly 0.
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

    def prox(self, W, step):
        """W / (1 + 2 step lam): every weight shrunk by the same factor."""
        return W / (1 + 2 * _step(step) * self.lam)

    def __repr__(self):
        return f"{type(self).__name__}(lam={self.lam})"


class L1(L2):
    """lam * sum |W|; gradient lam sign(W) (a subgradient, 0 at W = 0). Drives weights to exactly 0."""

    def __call__(self, W):
        return self.lam * float(np.sum(np.abs(W)))

    def grad(self, W):
        return self.lam * np.sign(W)

    def prox(self, W, step):
        """Soft thresholding: move every weight step * lam towards 0, and stop at 0."""
        return soft_threshold(W, _step(step) * self.lam)


class ElasticNet(L2):
    """lam * sum (beta W^2 + |W|): L2 and L1 together, beta weighs the L2 part."""

    def __init__(self, lam=1e-3, beta=1.0):
        super().__init__(lam)
        self.beta = number("beta", beta, low=0)

    def __call__(self, W):
        return self.lam * float(np.sum(self.beta * W ** 2 + np.abs(W)))

    def grad(self, W):
        return self.lam * (2 * self.beta * W + np.sign(W))

    def prox(self, W, step):
        """Soft thresholding by step * lam, then the L2 part's shrinking by 1 + 2 step lam beta."""
        step = _step(step)
        return soft_threshold(W, step * self.lam) / (1 + 2 * step * self.lam * self.beta)

    def __repr__(self):
        return f"ElasticNet(lam={self.lam}, beta={self.beta})"


def soft_threshold(W, t):
    """sign(W) max(|W| - t, 0): weights within t of 0 become exactly 0, the others move t towards 0."""
    return np.sign(W) * np.maximum(np.abs(W) - t, 0.0)


def _step(step):
    return number("step", step, low=0)
