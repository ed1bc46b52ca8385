"""Look inside a network: pure functions over the caches its layers keep.

After ``forward`` every layer holds its output in ``out``, after ``backward`` the gradient that
reached it in ``dout`` and, for layers with parameters, ``grads``. The functions here read those
caches and return one number (or array) per layer; ``probe`` runs one forward and backward pass
on a fixed batch, without an update, and returns them all.
"""
import copy
import math

import numpy as np

from .activations import Activation
from .layers import BatchNorm, Dense, Dropout


def layers(model):
    """[(index, layer)] of the model's layers, in order."""
    return list(enumerate(getattr(model, "layers", [model])))


def activation_layers(model):
    """[(index, layer)] of the activation layers: the hidden (and output) units."""
    return [(i, l) for i, l in layers(model) if isinstance(l, Activation)]


def dense_layers(model):
    """[(index, layer)] of the Dense layers."""
    return [(i, l) for i, l in layers(model) if isinstance(l, Dense)]


def _norm(a):
    """The Euclidean (Frobenius) norm of an array, as np.linalg.norm(a) computes it, with less overhead."""
    a = np.ravel(a, order="K")
    return math.sqrt(float(np.dot(a, a)))


def _need(layer, attr):
    value = getattr(layer, attr, None)
    if value is None:
        step = "forward" if attr in ("out", "z") else "backward"
        raise RuntimeError(f"{layer!r} has no {attr} yet: run model.{step}(...) first (or use probe)")
    return value


def means(model):
    """Mean of each activation layer's output over the batch and its units."""
    return np.array([float(np.mean(_need(l, "out"))) for _, l in activation_layers(model)])


def stds(model):
    """Standard deviation of each activation layer's output."""
    return np.array([float(np.std(_need(l, "out"))) for _, l in activation_layers(model)])


def saturated_fractions(model, tol=0.05):
    """Per activation layer, the fraction of entries whose slope f'(z) is below tol times the
    function's largest slope: sigmoid and tanh units pinned near their limits, and ReLU units at z <= 0
    (where f' = 0). A linear layer never saturates."""
    out = []
    for _, layer in activation_layers(model):
        slope = layer.df(_need(layer, "z"))
        top = float(np.max(layer.df(np.linspace(-1.0, 1.0, 201))))
        out.append(float(np.mean(slope < tol * top)) if top > 0 else 1.0)
    return np.array(out)


def mean_slopes(model):
    """Per activation layer, the mean of f'(z) over the batch and its units: the average factor by which
    the layer scales a gradient passing back through it (at most 1/4 for sigmoid, 1 for tanh and ReLU)."""
    return np.array([float(np.mean(layer.df(_need(layer, "z")))) for _, layer in activation_layers(model)])


def zero_fractions(model):
    """Per activation layer, the fraction of outputs that are exactly 0 (dead ReLU units, step units off)."""
    return np.array([float(np.mean(_need(l, "out") == 0)) for _, l in activation_layers(model)])


def weight_grad_norms(model):
    """Per Dense layer, ||dL/dW|| (Frobenius norm) from the last backward."""
    return np.array([_norm(l.grads["W"]) for _, l in dense_layers(model)])


def output_grad_norms(model):
    """Per Dense layer, ||dL/d(out)||: the gradient that reached the layer from above."""
    return np.array([_norm(_need(l, "dout")) for _, l in dense_layers(model)])


def weight_norms(model):
    """Per Dense layer, ||W|| (Frobenius norm): to watch weights grow or shrink during training."""
    return np.array([_norm(l.params["W"]) for _, l in dense_layers(model)])


def weights(model):
    """Copies of every Dense layer's W, to compare with after updates (see update_ratios)."""
    return [l.params["W"].copy() for _, l in dense_layers(model)]


def update_ratios(before, model):
    """Per Dense layer, ||W_now - W_before|| / ||W_before||: how much an update moved the weights."""
    now = weights(model)
    if len(before) != len(now):
        raise ValueError(f"before must hold {len(now)} weight matrices (from probes.weights), got {len(before)}")
    return np.array([_norm(a - b) / max(_norm(b), 1e-300) for a, b in zip(now, before)])


def histograms(arrays, bins=30, value_range=None):
    """Counts of each array's values over one shared set of bin edges: (edges (bins+1,), counts (len, bins))."""
    arrays = [np.asarray(a, dtype=float).ravel() for a in arrays]
    if value_range is None:
        finite = np.concatenate([a[np.isfinite(a)] for a in arrays] + [np.zeros(1)])
        lo, hi = float(finite.min()), float(finite.max())
        value_range = (lo, hi) if hi > lo else (lo - 0.5, hi + 0.5)
    edges = np.linspace(value_range[0], value_range[1], bins + 1)
    return edges, np.array([np.histogram(a, bins=edges)[0] for a in arrays])


def probe(model, loss, X, y, *, train=False, update_stats=False):
    """One forward and backward pass on (X, y) with no update; returns the per-layer statistics.

    train=False evaluates as at test time. train=True uses train mode (batch statistics, dropout
    masks); batch norm's running statistics and dropout's random generators are then restored
    afterwards unless update_stats=True, so probing never changes how training goes on.
    """
    saved = []
    if train and not update_stats:
        for _, l in layers(model):
            if isinstance(l, BatchNorm):
                saved.append((l, "running_mean", l.running_mean.copy()))
                saved.append((l, "running_var", l.running_var.copy()))
            elif isinstance(l, Dropout):
                saved.append((l, "rng", copy.deepcopy(l.rng)))
    y_hat = model.forward(X, train=train)
    value, dy_hat = loss(y_hat, y)
    model.backward(dy_hat)
    for layer, attr, value_saved in saved:
        setattr(layer, attr, value_saved)
    return {"loss": value, "mean": means(model), "std": stds(model),
            "saturated": saturated_fractions(model), "zero": zero_fractions(model),
            "weight_grad_norm": weight_grad_norms(model), "output_grad_norm": output_grad_norms(model)}
