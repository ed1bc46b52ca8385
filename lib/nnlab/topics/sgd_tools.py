"""Tools for chapter 7: per-sample gradients of a network,
and a training loop that counts per-sample gradient evaluations.

A "gradient evaluation" here is the gradient of the loss on ONE sample: a full-batch step on N
samples costs N of them, a stochastic (SGD) step costs 1, a mini-batch step of size B costs B.
"""
import time

import numpy as np

from .._checks import as_2d, generator, number
from ..activations import Activation
from ..layers import Dense, Sequential
from ..losses import SoftmaxCrossEntropy, get_loss
from ..optim import SGD
from .perturb import get_flat_grad
from ..train import batches


def _check_model(model):
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be a nnlab Sequential (e.g. nnlab.mlp(...)), got {type(model).__name__}")
    for i, layer in enumerate(model.layers):
        if not isinstance(layer, (Dense, Activation)):
            raise TypeError(f"model.layers[{i}] must be Dense or an activation (per-sample gradients need "
                            f"layers that treat samples independently), got {type(layer).__name__}")
    return model


def full_gradient(model, X, y, *, loss="bce"):
    """Gradient of the MEAN loss over all N samples w.r.t. every parameter: X (N, D) -> (P,)."""
    X = as_2d("X", X)
    loss_fn = get_loss(loss)
    _, dy_hat = loss_fn(model.forward(X, train=True), y)
    model.backward(dy_hat)
    return get_flat_grad(model)


def per_sample_gradients(model, X, y, *, loss="bce"):
    """Gradient of each sample's OWN loss, all at once: X (N, D) -> G (N, P).

    Row n is the gradient of loss(model(x_n), y_n); columns follow ``model.parameters()``.
    The mean of the rows is ``full_gradient`` (the loss is a mean over samples).
    """
    _check_model(model)
    X = as_2d("X", X)
    per_sample_loss = type(get_loss(loss))(reduction="sum")   # row n of dL/dy_hat is d loss_n / d y_hat_n
    _, dout = per_sample_loss(model.forward(X, train=True), y)
    n, blocks = len(X), {}
    for i in reversed(range(len(model.layers))):
        layer = model.layers[i]
        if isinstance(layer, Dense):
            # d loss_n / dW = outer(x_n, dout_n);  d loss_n / db = dout_n
            blocks[(i, "W")] = (layer.X[:, :, None] * dout[:, None, :]).reshape(n, -1)
            blocks[(i, "b")] = dout
        dout = layer.backward(dout)
    index = {id(layer): i for i, layer in enumerate(model.layers)}
    return np.concatenate([blocks[(index[id(layer)], name)] for layer, name, _, _ in model.parameters()],
                          axis=1)


def train_counting(model, X, y, *, loss="bce", lr=0.1, batch_size=None, budget, rng, record_at=None):
    """Train with (mini-batch / stochastic / full-batch) gradient descent until ``budget`` per-sample
    gradient evaluations are spent, recording the full training loss along the way.

    X: (N, D); batch_size None = full batch (N per step), 1 = SGD (1 per step), B = mini-batch.
    Each epoch visits the samples once in a fresh random order. record_at: increasing evaluation
    counts at which to record (default: after every step); the loss is recorded after the first
    step that reaches each count, and always at 0 and at the end.
    Returns a dict of arrays: 'evals' (per-sample gradients used so far), 'iterations' (updates so
    far), 'epochs' (evals / N), 'loss' (mean loss on all of X, in test mode) and 'seconds' (wall-clock
    time spent in training steps so far, measured, so it varies from run to run; the time spent
    recording the loss is left out).
    """
    X = as_2d("X", X)
    n = len(X)
    batch_size = n if batch_size is None else number("batch_size", batch_size, low=1, high=n, integer=True)
    number("budget", budget, low=1, integer=True)
    generator("rng", rng)
    loss_fn = get_loss(loss)
    y = np.asarray(y)
    if len(y) != n:
        raise ValueError(f"y must have {n} rows to match X, got shape {y.shape}")
    if y.ndim == 1 and not isinstance(loss_fn, SoftmaxCrossEntropy):   # integer labels stay (N,)
        y = y.astype(float)[:, None]
    optimizer = SGD(lr)
    record_at = np.asarray([] if record_at is None else record_at, dtype=float)
    if record_at.ndim != 1 or np.any(np.diff(record_at) < 0):
        raise ValueError(f"record_at must be an increasing 1-D list of evaluation counts, got {record_at!r}")

    def full_loss():
        return loss_fn(model.forward(X, train=False), y)[0]

    evals, steps, k, seconds = 0, 0, 0, 0.0
    out = {"evals": [0], "iterations": [0], "loss": [full_loss()], "seconds": [0.0]}
    while evals < budget:
        for idx in batches(n, batch_size, rng):
            if evals >= budget:
                break
            start = time.perf_counter()
            _, dy_hat = loss_fn(model.forward(X[idx], train=True), y[idx])
            model.backward(dy_hat)
            optimizer.step(model)
            seconds += time.perf_counter() - start
            evals, steps = evals + len(idx), steps + 1
            if record_at.size == 0 or (k < record_at.size and evals >= record_at[k]) or evals >= budget:
                while k < record_at.size and record_at[k] <= evals:
                    k += 1
                value = full_loss()
                out["evals"].append(evals)
                out["iterations"].append(steps)
                out["loss"].append(value)
                out["seconds"].append(seconds)
                if not np.isfinite(value):
                    evals = budget   # diverged: stop
    out = {key: np.asarray(v, dtype=float) for key, v in out.items()}
    out["epochs"] = out["evals"] / n
    return out
