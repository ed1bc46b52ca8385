"""The slides' backpropagation for a two-layer sigmoid network, written out on the engine's model.

Network: ``network(D, H, K)`` = Sequential(Dense(D, H), Sigmoid(), Dense(H, K), Sigmoid()): inputs
x (D,), hidden outputs y = sigmoid(x W1 + b1) (H,), outputs z = sigmoid(y W2 + b2) (K,). W1[i, h] is
the weight from input i to hidden unit h; W2[h, k] from hidden unit h to output k. The names W1, b1,
W2, b2 are ``nnlab.params``' names for this model: the lesson reads and writes the weights through
``as_dict`` / ``load_dict``. Error E = sum_n 1/2 ||t_n - z_n||^2, i.e. SquaredError(reduction="sum").

Deltas (the slides' sign: delta = -dE/d(net input of the unit)):
    delta_k = z_k (1 - z_k) (t_k - z_k)                   output units
    delta_h = y_h (1 - y_h) sum_k W2[h, k] delta_k         hidden units
Update: the weight from unit h to unit k changes by lr * delta_k * (output of h);
a bias is a weight from a unit whose output is always 1.

The forward pass is the model's; what is written out is the lesson: the deltas, the slides'
per-example loop and its matrix form (tests check them against the model's ``backward`` and
``nnlab.train.train_step``). ``train_many`` trains many random starts side by side (the same
batch gradient descent as ``train_step`` on each start, checked in a test); ``dag_backprop`` is
the same rule on any directed acyclic graph of sigmoid units.
"""
import functools

import numpy as np

from .. import init
from .._checks import as_2d, as_targets, generator, number
from ..activations import Sigmoid
from ..layers import Dense, Sequential
from ..params import as_dict, load_dict

NAMES = ("W1", "b1", "W2", "b2")
sigmoid = Sigmoid().f     # the engine's logistic function, elementwise (for the arrays of train_many and dag_backprop)


def network(n_in, n_hidden, n_out, *, rng, scale=0.5):
    """The slides' n_in-n_hidden-n_out sigmoid network, every weight and bias drawn U(-scale, scale)."""
    _check_sizes(n_in=n_in, n_hidden=n_hidden, n_out=n_out, scale=scale, rng=rng)
    start = functools.partial(init.uniform, r=scale)
    return Sequential(Dense(n_in, n_hidden, rng=rng, init=start, bias_init=start), Sigmoid(),
                      Dense(n_hidden, n_out, rng=rng, init=start, bias_init=start), Sigmoid())


def deltas(model, X, T):
    """All deltas at once: (Y (N, H), Z (N, K), delta_hidden (N, H), delta_out (N, K))."""
    X, T = _check_data(model, X, T)
    Z = model.forward(X)                  # the model keeps the hidden outputs in model.layers[1].out
    Y = model.layers[1].out
    d_out = Z * (1 - Z) * (T - Z)
    d_hid = Y * (1 - Y) * (d_out @ as_dict(model)["W2"].T)   # sum over k of W2[h, k] delta_k
    return Y, Z, d_hid, d_out


def batch_update(model, X, T, lr):
    """The matrix form: the changes lr X^T delta for the whole batch, at the current weights."""
    X, T = _check_data(model, X, T, lr)
    Y, _, d_hid, d_out = deltas(model, X, T)
    return {"W1": lr * X.T @ d_hid, "b1": lr * d_hid.sum(axis=0),
            "W2": lr * Y.T @ d_out, "b2": lr * d_out.sum(axis=0)}


def stochastic_epoch(model, X, T, lr, *, online=True):
    """The slides' loop over the examples; changes the model's weights in place and returns it.

    online=True: the weights change after every example (stochastic gradient descent);
    online=False: the changes are added up and applied once at the end (one batch step).
    """
    X, T = _check_data(model, X, T, lr)
    W = as_dict(model)                                # {'W1', 'b1', 'W2', 'b2'}: the current weights
    total = {k: np.zeros_like(v) for k, v in W.items()}
    for x, t in zip(X, T):
        z = model.forward(x[None])[0]                 # (K,) outputs at the current weights
        y = model.layers[1].out[0]                    # (H,) hidden outputs
        d_out = z * (1 - z) * (t - z)                 # delta_k
        d_hid = y * (1 - y) * (W["W2"] @ d_out)       # delta_h = y_h (1 - y_h) sum_k W2[h, k] delta_k
        change = {"W2": lr * np.outer(y, d_out), "b2": lr * d_out,   # from unit h to k: lr delta_k y_h
                  "W1": lr * np.outer(x, d_hid), "b1": lr * d_hid}   # from input i to h: lr delta_h x_i
        if online:
            W = {k: W[k] + change[k] for k in W}
            load_dict(model, W)
        else:
            total = {k: total[k] + change[k] for k in W}
    if not online:
        load_dict(model, {k: W[k] + total[k] for k in W})
    return model


def random_starts(n_in, n_hidden, n_out, n_starts, *, rng, scale=1.0):
    """n_starts random weights of network(n_in, n_hidden, n_out), U(-scale, scale), stacked on a first axis:
    {'W1': (S, D, H), 'b1': (S, H), 'W2': (S, H, K), 'b2': (S, K)}; start s is {k: v[s]}."""
    _check_sizes(n_in=n_in, n_hidden=n_hidden, n_out=n_out, n_starts=n_starts, scale=scale, rng=rng)
    S, D, H, K = n_starts, n_in, n_hidden, n_out
    drawn = {"W1": rng.uniform(-scale, scale, (D, H, S)), "b1": rng.uniform(-scale, scale, (H, S)),
             "W2": rng.uniform(-scale, scale, (H, K, S)), "b2": rng.uniform(-scale, scale, (K, S))}
    return {k: np.moveaxis(v, -1, 0).copy() for k, v in drawn.items()}


def train_many(X, T, starts, *, lr, epochs):
    """Batch gradient descent on E (summed over examples) from every start of random_starts, side by side.

    Each start follows exactly the steps nnlab.train.train_step(model, SquaredError("sum"), SGD(lr), X, T)
    would take. The start axis S is kept last inside, so that every step is a few elementwise
    operations on (N, H, S) arrays and one matrix product with X. Returns (errors (epochs + 1, S):
    E before each epoch and at the end, final weights shaped like starts, final outputs Z (S, N, K)).
    """
    X, T, S, D, H, K = _check_many(X, T, starts, lr, epochs)
    W1, b1, W2, b2 = (np.moveaxis(np.asarray(starts[k], dtype=float), 0, -1) for k in NAMES)
    T = T[:, :, None]                                           # (N, K, 1)
    errors = np.empty((epochs + 1, S))
    for e in range(epochs + 1):
        Y = sigmoid((X @ W1.reshape(D, H * S)).reshape(-1, H, S) + b1)   # (N, H, S)
        Z = sigmoid((Y[:, :, None] * W2).sum(axis=1) + b2)      # (N, K, S)
        R = T - Z
        errors[e] = 0.5 * (R * R).sum(axis=(0, 1))
        if e == epochs:
            break
        d_out = Z * (1 - Z) * R                                 # (N, K, S)
        d_hid = Y * (1 - Y) * (W2 * d_out[:, None]).sum(axis=2)  # (N, H, S)
        W2 = W2 + lr * (Y[:, :, None] * d_out[:, None]).sum(axis=0)
        b2 = b2 + lr * d_out.sum(axis=0)
        W1 = W1 + lr * (X.T @ d_hid.reshape(-1, H * S)).reshape(D, H, S)
        b1 = b1 + lr * d_hid.sum(axis=0)
    final = {k: np.moveaxis(v, -1, 0) for k, v in zip(NAMES, (W1, b1, W2, b2))}
    return errors, final, np.moveaxis(Z, -1, 0)


def dag_backprop(weights, biases, n_inputs, outputs, X, T):
    """Backpropagation on any directed acyclic graph of sigmoid units.

    Units 0..n_inputs-1 are inputs; units n_inputs, n_inputs+1, ... are numbered in a topological
    order (every edge (i, j) has i < j). weights: {(i, j): w} one per edge; biases: {j: b} for every
    non-input unit; outputs: the output units, in the column order of T. X (N, n_inputs), T (N, K).
    Returns (E, dE/dw {(i, j): float}, dE/db {j: float}): forward in topological order, then deltas
    in reverse order, each the sum over the unit's children (delta = -dE/d net, as on the slides).
    """
    X, T, units = _check_dag(weights, biases, n_inputs, outputs, X, T)
    parents = {j: [i for (i, jj) in weights if jj == j] for j in units}
    children = {i: [j for (ii, j) in weights if ii == i] for i in range(n_inputs + len(units))}
    a = {i: X[:, i] for i in range(n_inputs)}                      # unit outputs, each (N,)
    for j in units:                                                # forward, topological order
        a[j] = sigmoid(biases[j] + sum(weights[(i, j)] * a[i] for i in parents[j]))
    target = {j: T[:, c] for c, j in enumerate(outputs)}
    delta = {}
    for j in reversed(units):                                      # backward, reverse order
        back = (target[j] - a[j]) if j in target else 0.0          # an output's own error
        back = back + sum(weights[(j, k)] * delta[k] for k in children[j])
        delta[j] = a[j] * (1 - a[j]) * back
    E = 0.5 * float(sum(np.sum((target[j] - a[j]) ** 2) for j in outputs))
    dw = {(i, j): -float(np.sum(delta[j] * a[i])) for (i, j) in weights}
    db = {j: -float(np.sum(delta[j])) for j in units}
    return E, dw, db


# ---------------------------------------------------------------- argument checks
def _check_sizes(*, rng, scale, **sizes):
    for name, v in sizes.items():
        number(name, v, low=1, integer=True)
    number("scale", scale, low=0)
    generator("rng", rng)


def _check_network(model):
    """model must be Sequential(Dense, Sigmoid(), Dense, Sigmoid()), as network() builds it."""
    kinds = [type(layer) for layer in getattr(model, "layers", [])] if isinstance(model, Sequential) else None
    if kinds != [Dense, Sigmoid, Dense, Sigmoid]:
        got = model if kinds is None else f"Sequential of {[k.__name__ for k in kinds]}"
        raise TypeError(f"model must be a two-layer sigmoid network Sequential(Dense, Sigmoid(), Dense, "
                        f"Sigmoid()) such as backprop.network(2, 2, 1, rng=rng), got {got!r}")
    return model.layers[0].in_features, model.layers[2].out_features


def _check_data(model, X, T, lr=None):
    """The checks of deltas, batch_update and stochastic_epoch; returns X (N, D) and T (N, K)."""
    n_in, n_out = _check_network(model)
    if lr is not None:
        number("lr", lr, low=0, low_open=True)
    X = as_2d("X", X, n_in)
    return X, as_targets("T", T, len(X), n_out)


def _check_many(X, T, starts, lr, epochs):
    """The checks of train_many; returns X, T (N, K) and the sizes S, D, H, K."""
    X = as_2d("X", X)
    T = as_targets("T", T, len(X))
    number("lr", lr, low=0, low_open=True)
    number("epochs", epochs, low=0, integer=True)
    if not isinstance(starts, dict) or set(starts) != set(NAMES):
        got = sorted(starts) if isinstance(starts, dict) else type(starts).__name__
        raise TypeError(f"starts must be a dict with keys {list(NAMES)} as random_starts returns it, got {got}")
    shapes = {k: np.shape(starts[k]) for k in NAMES}
    S, D, H = shapes["W1"] if len(shapes["W1"]) == 3 else (None, None, None)
    K = T.shape[1]
    want = {"W1": (S, X.shape[1], H), "b1": (S, H), "W2": (S, H, K), "b2": (S, K)}
    if S is None or shapes != want:
        raise ValueError(f"starts must have shapes W1 (S, D, H), b1 (S, H), W2 (S, H, K), b2 (S, K) with "
                         f"D = {X.shape[1]} features and K = {K} targets, got {shapes}")
    return X, T, S, D, H, K


def _check_dag(weights, biases, n_inputs, outputs, X, T):
    """The checks of dag_backprop; returns X, T and the non-input units in order."""
    number("n_inputs", n_inputs, low=1, integer=True)
    for name, d in (("weights", weights), ("biases", biases)):
        if not isinstance(d, dict):
            raise TypeError(f"{name} must be a dict ({'{(i, j): w}' if name == 'weights' else '{j: b}'}), "
                            f"got {type(d).__name__}")
    bad = [e for e in weights if not (isinstance(e, tuple) and len(e) == 2)]
    if bad:
        raise ValueError(f"weights must have edges (i, j) as keys, got {bad[0]!r}")
    if isinstance(outputs, (str, bytes)) or not hasattr(outputs, "__len__"):
        raise TypeError(f"outputs must be a list of output units, got {outputs!r}")
    X = as_2d("X", X, n_inputs)
    T = as_targets("T", T, len(X), len(outputs))
    units = sorted(biases)
    for (i, j) in weights:
        if not (0 <= i < j and j in biases):
            raise ValueError(f"weights must only have edges (i, j) with i < j into a unit with a bias, got {(i, j)}")
    if not set(outputs) <= set(units) or units != list(range(n_inputs, n_inputs + len(units))):
        raise ValueError(f"biases must be given for units {n_inputs}..{n_inputs + len(units) - 1} and outputs "
                         f"must be among them, got biases for {units} and outputs {list(outputs)}")
    return X, T, units
