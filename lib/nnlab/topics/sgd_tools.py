"""Chapters 7 and 14: the gradient of the mean loss, the gradient of each sample's own loss, and
what a mini-batch of them estimates.

The gradients come from the engine: one forward and one backward pass of the model. A "gradient
evaluation" is the gradient of the loss on ONE sample: a full-batch step on N samples costs N of
them, a stochastic (SGD) step costs 1, a mini-batch step of size B costs B. Training itself is
``nnlab.fit``, whose History counts the samples seen after every update.

Chapter 14 adds: the error of a mini-batch gradient measured over many random batches and its
formula (``minibatch_error``, ``predicted_minibatch_error``), the loss of a two-parameter linear
regression on a grid (``linear_loss``, for contour plots), and a cost model of time per update
(``modeled_seconds``).
"""
import numpy as np

from .. import params
from .._checks import _numbers, as_2d, generator, number
from ..activations import Activation
from ..layers import Dense, Sequential, _widths
from ..losses import get_loss


def full_gradient(model, X, y, *, loss="bce"):
    """Gradient of the MEAN loss over all N samples w.r.t. every parameter: X (N, D) -> (P,).

    Entries follow ``nnlab.params.names(model)``.
    """
    X, t, loss_fn = _check_inputs(model, X, y, loss)
    _, dy_hat = loss_fn(model.forward(X, train=True), t)
    model.backward(dy_hat)
    return params.flatten(model, grads=True)


def per_sample_gradients(model, X, y, *, loss="bce"):
    """Gradient of each sample's OWN loss, all at once: X (N, D) -> G (N, P).

    Row n is the gradient of loss(model(x_n), y_n); columns follow ``nnlab.params.names(model)``.
    One backward pass of the SUM of the losses leaves in every Dense layer its input X and the
    gradient dout that reached its output; row n of dout only depends on sample n, so
    d loss_n / dW = outer(X[n], dout[n]) and d loss_n / db = dout[n].
    The mean of the rows is ``full_gradient`` (the loss is a mean over samples).
    """
    X, t, loss_fn = _check_inputs(model, X, y, loss, per_sample=True)
    total = type(loss_fn)(reduction="sum")
    _, dy_hat = total(model.forward(X, train=True), t)
    model.backward(dy_hat)
    blocks = []
    for layer, name, _, _ in model.parameters():
        if name == "W":
            blocks.append((layer.X[:, :, None] * layer.dout[:, None, :]).reshape(len(X), -1))
        else:
            blocks.append(layer.dout)
    return np.concatenate(blocks, axis=1)


def _check_inputs(model, X, y, loss, per_sample=False):
    """Check model, X, y and loss before any layer runs; returns (X, targets, loss function)."""
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be a nnlab Sequential (e.g. nnlab.mlp(...)), got {type(model).__name__}")
    if per_sample:
        for i, layer in enumerate(model.layers):
            if not isinstance(layer, (Dense, Activation)):
                raise TypeError(f"model.layers[{i}] must be Dense or an activation (per-sample gradients "
                                f"need layers that treat samples independently), got {type(layer).__name__}")
    n_in, n_out = _widths(model)
    X = as_2d("X", X, n_in)
    loss_fn = get_loss(loss)
    if not hasattr(loss_fn, "targets"):
        raise TypeError(f"loss must be a name such as 'bce' or a nnlab loss such as BinaryCrossEntropy(), "
                        f"got {loss!r}")
    return X, loss_fn.targets(y, len(X), n_out), loss_fn


# ---------------------------------------------------------------- chapter 14: mini-batch estimates
def minibatch_error(G, batch_size, rng, *, draws=2000):
    """Mean squared error E|g_B - g|^2 of the mini-batch gradient, measured over ``draws`` batches.

    G: (N, P) per-sample gradients (``per_sample_gradients``); g = G.mean(0) is the full gradient.
    Each batch holds ``batch_size`` distinct samples drawn at random (without replacement), and
    g_B is the mean of their rows. Returns the average of |g_B - g|^2 over the draws.
    """
    G, n = _check_G(G)
    B = number("batch_size", batch_size, low=1, high=n, integer=True)
    number("draws", draws, low=1, integer=True)
    rng = generator("rng", rng)
    g = G.mean(axis=0)
    errors = np.empty(draws)
    for start in range(0, draws, 500):                       # 500 batches at a time keeps memory small
        k = min(500, draws - start)
        idx = np.argsort(rng.random((k, n)), axis=1)[:, :B]  # k random subsets of B distinct samples
        errors[start:start + k] = np.sum((G[idx].mean(axis=1) - g) ** 2, axis=1)
    return float(errors.mean())


def predicted_minibatch_error(G, batch_size):
    """The formula for ``minibatch_error``: sigma^2 / B * (N - B) / (N - 1).

    sigma^2 = (1/N) sum_n |g_n - g|^2 is the variance of one sample's gradient (summed over the P
    parameters); (N - B) / (N - 1) is the finite-population correction of sampling without
    replacement (1 for B = 1, 0 for B = N: the whole data set is the full gradient).
    """
    G, n = _check_G(G)
    B = number("batch_size", batch_size, low=1, high=n, integer=True)
    sigma2 = np.mean(np.sum((G - G.mean(axis=0)) ** 2, axis=1))
    return float(sigma2 / B * (n - B) / max(n - 1, 1))


def linear_loss(x, t, w, b):
    """The mean squared error J(w, b) = 1/(2N) sum_n (w x_n + b - t_n)^2 of a line y = w x + b.

    x, t: (N,) inputs and targets; w, b: arrays of one shape (a grid, or a path of points) ->
    J of that shape. It is the loss ``nnlab.fit`` minimizes for ``nnlab.mlp([1, 1],
    output_activation="linear")`` with loss "squared_error", with (w, b) = (W1, b1).
    """
    x, t = _numbers_1d("x", x), _numbers_1d("t", t)
    if len(t) != len(x):
        raise ValueError(f"t must have one target per input ({len(x)}), got {len(t)}")
    w, b = np.broadcast_arrays(np.asarray(w, dtype=float), np.asarray(b, dtype=float))
    residual = w[..., None] * x + b[..., None] - t           # (..., N)
    return 0.5 * np.mean(residual ** 2, axis=-1)


def modeled_seconds(samples, overhead, per_sample):
    """A cost model of training time: each update costs ``overhead + per_sample * B`` seconds.

    samples: the samples seen after each update (``History.samples``), so B is its increments.
    Returns the modeled seconds since training began after each update (same length).
    """
    samples = _numbers_1d("samples", samples)
    number("overhead", overhead, low=0)
    number("per_sample", per_sample, low=0)
    batch = np.diff(samples, prepend=0.0)
    if np.any(batch <= 0):
        raise ValueError("samples must increase with every update (History.samples), got a step <= 0")
    return np.cumsum(overhead + per_sample * batch)


def _check_G(G):
    """G as a float (N, P) array of per-sample gradients, and N."""
    G = as_2d("G", G)
    if len(G) < 1:
        raise ValueError("G must hold at least one per-sample gradient, got shape (0, P)")
    return G, len(G)


def _numbers_1d(name, v):
    """v as a finite float array of shape (N,), or an error that names it."""
    v = _numbers(name, v)
    if v.ndim != 1:
        raise ValueError(f"{name} must be 1-D with shape (N,), got shape {v.shape}")
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return v
