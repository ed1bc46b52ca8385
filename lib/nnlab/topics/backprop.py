"""The slides' backpropagation for a two-layer sigmoid network, written out explicitly.

Network: inputs x (D,), hidden y = sigmoid(x W1 + b1) (H,), outputs z = sigmoid(y W2 + b2) (K,).
W1[i, h] is the weight from input i to hidden unit h; W2[h, k] from hidden unit h to output k.
Error E = sum_n 1/2 ||t_n - z_n||^2 (a sum over examples, as on the slides).

Deltas (the slides' sign: delta = -dE/d(net input of the unit)):
    delta_k = z_k (1 - z_k) (t_k - z_k)                   output units
    delta_h = y_h (1 - y_h) sum_k W2[h, k] delta_k         hidden units
Update: the weight from unit h to unit k changes by lr * delta_k * (output of h);
a bias is a weight from a unit whose output is always 1.
"""
import numpy as np

from .._checks import as_2d, as_targets, generator, number

NAMES = ("W1", "b1", "W2", "b2")


def sigmoid(a):
    """Logistic function 1 / (1 + e^-a), elementwise, without overflow."""
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e))


def init_params(n_in, n_hidden, n_out, *, rng, scale=0.5):
    """Small random weights U(-scale, scale) and biases: {'W1': (D, H), 'b1': (H,), 'W2': (H, K), 'b2': (K,)}."""
    for name, v in (("n_in", n_in), ("n_hidden", n_hidden), ("n_out", n_out)):
        number(name, v, low=1, integer=True)
    number("scale", scale, low=0)
    generator("rng", rng)
    shapes = {"W1": (n_in, n_hidden), "b1": (n_hidden,), "W2": (n_hidden, n_out), "b2": (n_out,)}
    return {k: rng.uniform(-scale, scale, size=s) for k, s in shapes.items()}


def _check_params(params):
    if not isinstance(params, dict) or set(params) != set(NAMES):
        got = sorted(params) if isinstance(params, dict) else type(params).__name__
        raise TypeError(f"params must be a dict with keys {list(NAMES)}, got {got}")
    W1, b1, W2, b2 = (np.asarray(params[k], dtype=float) for k in NAMES)
    if W1.ndim != 2 or W2.ndim != 2 or b1.shape != (W1.shape[1],) or W2.shape[0] != W1.shape[1] \
            or b2.shape != (W2.shape[1],):
        raise ValueError(f"params must have shapes W1 (D, H), b1 (H,), W2 (H, K), b2 (K,), got "
                         f"{W1.shape}, {b1.shape}, {W2.shape}, {b2.shape}")
    return W1, b1, W2, b2


def _data(params, X, T):
    W1, _, W2, _ = _check_params(params)
    X = as_2d("X", X, W1.shape[0])
    return X, as_targets("T", T, len(X), W2.shape[1])


def forward(params, X):
    """X (N, D) -> hidden outputs Y (N, H) and network outputs Z (N, K)."""
    W1, b1, W2, b2 = _check_params(params)
    X = as_2d("X", X, W1.shape[0])
    Y = sigmoid(X @ W1 + b1)
    return Y, sigmoid(Y @ W2 + b2)


def error(params, X, T):
    """E = sum_n 1/2 ||t_n - z_n||^2 over the N examples (a float). X (N, D), T (N, K) or (N,)."""
    X, T = _data(params, X, T)
    return 0.5 * float(np.sum((T - forward(params, X)[1]) ** 2))


def deltas(params, X, T):
    """All deltas at once: (Y (N, H), Z (N, K), delta_hidden (N, H), delta_out (N, K))."""
    X, T = _data(params, X, T)
    Y, Z = forward(params, X)
    d_out = Z * (1 - Z) * (T - Z)
    d_hid = Y * (1 - Y) * (d_out @ params["W2"].T)   # sum over k of W2[h, k] delta_k
    return Y, Z, d_hid, d_out


def batch_update(params, X, T, lr):
    """The matrix form: Delta W = lr X^T delta for the whole batch, at the current weights.

    Returns a dict of changes with the shapes of params: Delta W2 = lr Y^T delta_out, Delta W1 = lr X^T delta_hidden."""
    number("lr", lr, low=0, low_open=True)
    X, T = _data(params, X, T)
    Y, _, d_hid, d_out = deltas(params, X, T)
    return {"W1": lr * X.T @ d_hid, "b1": lr * d_hid.sum(axis=0),
            "W2": lr * Y.T @ d_out, "b2": lr * d_out.sum(axis=0)}


def gradients(params, X, T):
    """dE/dparam for every parameter (E summed over examples): the negative of batch_update / lr."""
    return {k: -v for k, v in batch_update(params, X, T, 1.0).items()}


def apply(params, update):
    """params + update, as a new dict."""
    return {k: np.asarray(params[k], dtype=float) + update[k] for k in NAMES}


def batch_step(params, X, T, lr):
    """One step of batch gradient descent: new params = params + batch_update."""
    return apply(params, batch_update(params, X, T, lr))


def stochastic_epoch(params, X, T, lr, *, online=True):
    """The slides' loop: for each example in order, compute z, the deltas and the changes.

    online=True updates the weights after every example (stochastic gradient descent, as on the
    slide); online=False adds up the per-example changes and applies them at the end, which equals
    one batch_step exactly. The loop over examples is the algorithm itself (each example sees the
    weights the previous one left); inside it every layer is one vectorized expression.
    """
    number("lr", lr, low=0, low_open=True)
    X, T = _data(params, X, T)
    W1, b1, W2, b2 = (np.array(params[k], dtype=float) for k in NAMES)   # copies: params stays as it was
    total = {k: 0.0 for k in NAMES}
    for x, t in zip(X, T):
        y = sigmoid(x @ W1 + b1)                      # (H,) hidden outputs
        z = sigmoid(y @ W2 + b2)                      # (K,) network outputs
        d_out = z * (1 - z) * (t - z)                 # delta_k
        d_hid = y * (1 - y) * (W2 @ d_out)            # delta_h = y_h (1 - y_h) sum_k W2[h, k] delta_k
        change = {"W2": lr * np.outer(y, d_out), "b2": lr * d_out,   # from unit h to k: lr delta_k y_h
                  "W1": lr * np.outer(x, d_hid), "b1": lr * d_hid}   # from input i to h: lr delta_h x_i
        if online:
            W1, b1, W2, b2 = W1 + change["W1"], b1 + change["b1"], W2 + change["W2"], b2 + change["b2"]
        else:
            total = {k: total[k] + change[k] for k in NAMES}
    if online:
        return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    return {"W1": W1 + total["W1"], "b1": b1 + total["b1"], "W2": W2 + total["W2"], "b2": b2 + total["b2"]}


def train_many(X, T, *, n_hidden, n_starts, lr, epochs, rng, scale=1.0):
    """Batch gradient descent from n_starts random starts at once, with the start axis S last.

    X (N, D), T (N, K); weights drawn U(-scale, scale). Keeping S as the last axis makes every
    step a few elementwise operations on (N, H, S)-sized arrays plus one matrix product with X,
    instead of S tiny matrix products (measured several times faster). Returns (errors (epochs + 1, S): E before each epoch and at
    the end, final params {'W1': (S, D, H), 'b1': (S, H), 'W2': (S, H, K), 'b2': (S, K)}).
    """
    X = as_2d("X", X)
    T = as_targets("T", T, len(X))
    for name, v, low in (("n_hidden", n_hidden, 1), ("n_starts", n_starts, 1), ("epochs", epochs, 0)):
        number(name, v, low=low, integer=True)
    number("lr", lr, low=0, low_open=True)
    number("scale", scale, low=0)
    generator("rng", rng)
    S, (D, K), H = n_starts, (X.shape[1], T.shape[1]), n_hidden
    W1, b1 = rng.uniform(-scale, scale, (D, H, S)), rng.uniform(-scale, scale, (H, S))
    W2, b2 = rng.uniform(-scale, scale, (H, K, S)), rng.uniform(-scale, scale, (K, S))
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
    return errors, {"W1": W1.transpose(2, 0, 1), "b1": b1.T, "W2": W2.transpose(2, 0, 1), "b2": b2.T}


def dag_backprop(weights, biases, n_inputs, outputs, X, T):
    """Backpropagation on any directed acyclic graph of sigmoid units.

    Units 0..n_inputs-1 are inputs; units n_inputs, n_inputs+1, ... are numbered in a topological
    order (every edge (i, j) has i < j). weights: {(i, j): w} one per edge; biases: {j: b} for every
    non-input unit; outputs: the output units, in the column order of T. X (N, n_inputs), T (N, K).
    Returns (E, dE/dw {(i, j): float}, dE/db {j: float}): forward in topological order, then deltas
    in reverse order, each the sum over the unit's children (delta = -dE/d net, as on the slides).
    """
    X = as_2d("X", X, n_inputs)
    T = as_targets("T", T, len(X), len(outputs))
    units = sorted(biases)
    for (i, j) in weights:
        if not (0 <= i < j and j in biases):
            raise ValueError(f"weights must only have edges (i, j) with i < j into a unit with a bias, got {(i, j)}")
    if not set(outputs) <= set(units) or units != list(range(n_inputs, n_inputs + len(units))):
        raise ValueError(f"biases must be given for units {n_inputs}..{n_inputs + len(units) - 1} and outputs "
                         f"must be among them, got biases for {units} and outputs {list(outputs)}")
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
