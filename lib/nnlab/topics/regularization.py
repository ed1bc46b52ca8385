"""Chapter 11: proximal steps inside ``fit``, the patience rule on any curve, and weight counts.

Training is ``nnlab.fit``. ``fit(regularizer=L1(lam))`` adds lam sign(W), a subgradient, to every
weight's gradient; ``proximal(reg, lr)`` is a ``fit`` callback that instead follows each plain
gradient step on the data loss by the penalty's proximal step (for L1: soft thresholding), which is
proximal gradient descent when the optimizer is plain SGD with learning rate lr.
"""
import numpy as np

from .._checks import number
from ..regularizers import L2
from ..train import penalty


def proximal(regularizer, lr):
    """A ``fit`` callback: after each update, W <- regularizer.prox(W, lr) for every weight matrix W.

    Train with ``fit(..., lr=lr, regularizer=None, callback=proximal(reg, lr))``. The callback returns
    the penalty after the step, lam R(W), which ``fit`` keeps in ``history.logs``.
    """
    if isinstance(regularizer, type) or not isinstance(regularizer, L2):
        raise TypeError(f"regularizer must be an instance of L1, L2 or ElasticNet, got {regularizer!r}")
    number("lr", lr, low=0, low_open=True)

    def step(model, _):
        for _, name, W, _ in model.parameters():
            if name == "W":
                W[...] = regularizer.prox(W, lr)
        return penalty(model, regularizer)
    return step


def patience_stop(values, patience, *, higher_is_better=False):
    """The early-stopping rule of ``fit`` applied to a recorded curve (one value per epoch, from 0).

    An epoch improves when its value is strictly better than the best so far; stop at the first epoch
    that is ``patience`` epochs after the best one (or after the start). -> (best_epoch, stopped_epoch),
    stopped_epoch None if the curve never stops. ``fit`` watches the validation loss (lower is better);
    with higher_is_better=True the same rule watches an accuracy.
    """
    number("patience", patience, low=1, integer=True)
    values = np.asarray(values, dtype=float)
    if values.ndim != 1:
        raise ValueError(f"values must be 1-D (one value per epoch), got shape {values.shape}")
    sign = -1.0 if higher_is_better else 1.0
    best, best_epoch, since_best = np.inf, None, 0
    for epoch, value in enumerate(sign * values):
        since_best += 1
        if value < best:
            best, best_epoch, since_best = value, epoch, 0
        elif since_best >= patience:
            return best_epoch, epoch
    return best_epoch, None


def weight_counts(model, near=1e-3):
    """How many weights (entries of the W's, biases left out) a model has, how many are exactly 0 and
    how many have |w| < near: {'weights', 'zero', 'near_zero'}."""
    number("near", near, low=0, low_open=True)
    W = np.concatenate([p.ravel() for _, name, p, _ in model.parameters() if name == "W"])
    return {"weights": int(W.size), "zero": int(np.sum(W == 0)), "near_zero": int(np.sum(np.abs(W) < near))}
