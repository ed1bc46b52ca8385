"""The perceptron (Rosenblatt): a step of w.x + b, trained by the online rule w <- w + lr (t - y) x.

Labels: the functions accept t in {0, 1} or in {-1, +1}. The rule itself is written with
{0, 1} targets and the step prediction y = H(w.x + b) (H(s) = 1 if s >= 0 else 0), so that
t - y is -1, 0 or +1: a wrongly rejected point is added, a wrongly accepted one subtracted.
Labels {-1, +1} are mapped to {0, 1} first (-1 -> 0), which gives exactly the same updates.

As a network, a perceptron is the engine's ``Dense(D, 1)`` followed by ``Step()`` (``network``);
predictions go through that network. The training rule is the lesson, written out in
``perceptron_epoch``; it is the engine's ``fit`` with ``batch_size=1`` and plain SGD on the
``PerceptronCriterion`` (tests/test_perceptron.py checks both).
"""
from dataclasses import dataclass

import numpy as np

from .. import params
from .._checks import as_2d, choice, generator, number
from ..activations import Step
from ..layers import Dense, Sequential


def as_labels(name, y, n_samples):
    """Return (t01, convention): labels as an int array in {0, 1} of shape (N,) and '01' or 'pm1'."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or y.shape[0] != n_samples:
        raise ValueError(f"{name} must have shape ({n_samples},) to match X, got shape {np.shape(y)}")
    if y.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers (labels in {{0, 1}} or {{-1, +1}}), got dtype {y.dtype}")
    values = set(np.unique(y).tolist())
    if values <= {0, 1}:
        return y.astype(int), "01"
    if values <= {-1, 1}:
        return (y > 0).astype(int), "pm1"
    raise ValueError(f"{name} must hold labels in {{0, 1}} or in {{-1, +1}}, got the values "
                     f"{sorted(values)[:6]}")


def _weights(w, b, n_features, names=("w", "b")):
    w = np.asarray(w, dtype=float)
    if w.shape != (n_features,):
        raise ValueError(f"{names[0]} must have shape ({n_features},) to match X, got shape {w.shape}")
    if not np.all(np.isfinite(w)):
        raise ValueError(f"{names[0]} contains NaN or infinite values")
    number(names[1], b)
    return w, float(b)


def _weight_rows(W, B, n_features):
    """W as (K, D) floats and B as (K,) floats, checked against each other and against X."""
    W = np.atleast_2d(np.asarray(W, dtype=float))
    if W.ndim != 2 or W.shape[1] != n_features:
        raise ValueError(f"W must have shape (K, {n_features}) to match X, got shape {np.shape(W)}")
    B = np.asarray(B, dtype=float).reshape(-1)
    if B.shape != (len(W),):
        raise ValueError(f"B must have shape ({len(W)},), one bias per row of W, got shape {B.shape}")
    if not (np.all(np.isfinite(W)) and np.all(np.isfinite(B))):
        raise ValueError("W and B must not contain NaN or infinite values")
    return W, B


def network(W, B):
    """K perceptrons side by side as an engine network: Dense(D, K) then Step; unit k has weights W[k], bias B[k].

    W: (K, D) (or one weight vector (D,)), B: (K,) (or a number) -> a Sequential whose forward(X) is
    H(X W^T + B), shape (N, K).
    """
    W = np.atleast_2d(np.asarray(W, dtype=float))
    if W.ndim != 2:
        raise ValueError(f"W must have shape (K, D) or (D,), got shape {np.shape(W)}")
    W, B = _weight_rows(W, B, W.shape[1])
    net = Sequential(Dense(W.shape[1], len(W), rng=np.random.default_rng(0), init="zeros"), Step())
    return params.load_dict(net, {"W1": W.T, "b1": B})


def perceptron_predict(X, w, b=0.0, *, labels="01"):
    """Step prediction H(X w + b). X: (N, D), w: (D,), b: scalar -> (N,) ints in {0, 1} or {-1, +1}."""
    X = as_2d("X", X)
    w, b = _weights(w, b, X.shape[1])
    choice("labels", labels, ("01", "pm1"))
    y = network(w, b).forward(X)[:, 0].astype(int)
    return y if labels == "01" else 2 * y - 1


class PerceptronCriterion:
    """The perceptron criterion as an engine loss: per sample max(0, -tau s) with tau = 2t - 1 in {-1, +1}.

    loss(s, t) -> (mean over N, dL/ds). s: (N, 1) scores w.x + b of a Dense layer (with a Linear
    output); t: (N,) or (N, 1) labels in {0, 1}. The gradient is -(t - H(s)) / N: zero on a point the
    step unit gets right and -(t - y) / N on a mistake (H(0) = 1, as in the rule), so an SGD step on
    one point is exactly the perceptron update w <- w + lr (t - y) x.
    """

    def __call__(self, y_hat, y):
        s, t = _check_criterion(y_hat, y)
        tau = 2 * t - 1
        y_step = (s >= 0).astype(float)                # the perceptron's prediction H(s)
        return float(np.mean(np.maximum(0.0, -tau * s))), -(t - y_step) / len(s)

    def __repr__(self):
        return "PerceptronCriterion()"


def _check_criterion(y_hat, y):
    """Scores (N, 1) and labels in {0, 1} as floats (N, 1), or a clear error."""
    s = as_2d("y_hat", y_hat, 1)
    t = np.asarray(y, dtype=float).reshape(-1, 1) if np.ndim(y) in (1, 2) else None
    if t is None or t.shape != s.shape:
        raise ValueError(f"y must have shape ({len(s)},) or ({len(s)}, 1) to match y_hat, got shape {np.shape(y)}")
    if not np.all((t == 0) | (t == 1)):
        raise ValueError("y must hold labels in {0, 1} for the perceptron criterion")
    return s, t


@dataclass
class PerceptronHistory:
    """Everything ``perceptron_train`` did. U = number of updates, E = number of epochs.

    w: (U+1, D) and b: (U+1,) -- row 0 is the start, row k the weights after update k.
    sample: (U,) index (into X) of the point corrected by update k; sign: (U,) its t - y (+1 or -1).
    epoch: (U,) epoch (0-based) in which update k happened.
    mistakes: (E,) updates made in each epoch (with margin 0: the points misclassified when visited).
    epoch_end: (E,) number of updates done by the end of each epoch, so w[epoch_end[e]] are the
    weights after epoch e. converged_epoch: first epoch with no mistake, or None.
    """
    w: np.ndarray
    b: np.ndarray
    sample: np.ndarray
    sign: np.ndarray
    epoch: np.ndarray
    mistakes: np.ndarray
    epoch_end: np.ndarray
    converged_epoch: int = None
    convention: str = "01"

    @property
    def updates(self):
        return len(self.sample)

    def epoch_weights(self):
        """Weights after each epoch: (E, D) and (E,)."""
        return self.w[self.epoch_end], self.b[self.epoch_end]


def perceptron_epoch(X, t, w, b, *, lr, order, margin=0.0):
    """One epoch of the rule: visit the points X[i], i in order; on a mistake add lr (t - y) (x, 1) to (w, b).

    X: (N, D), t: (N,) labels in {0, 1}, w: (D,), b: a number. Returns the updates of the epoch,
    a list of (i, t - y, w, b) with the weights after each one. margin > 0 also corrects a point
    that is right but close: tau s <= margin, with tau = 2t - 1 (the update then adds lr tau (x, 1)).
    """
    updates = []
    for i in order:
        s = X[i] @ w + b                     # the score w.x + b
        y = 1 if s >= 0 else 0               # the prediction H(s)
        tau = 2 * t[i] - 1                   # the label as -1 or +1: t - y on a mistake
        if y != t[i] or (margin > 0 and tau * s <= margin):
            w = w + lr * tau * X[i]
            b = b + lr * tau
            updates.append((i, tau, w, b))
    return updates


def perceptron_train(X, y, *, lr=1.0, epochs=10, rng, shuffle=True, w0=None, b0=0.0, margin=0.0):
    """Online perceptron rule. X: (N, D); y: (N,) in {0,1} or {-1,+1} -> PerceptronHistory.

    Each epoch visits the points in a fresh random order (``shuffle``) and, for every point that
    is wrong when visited, applies w <- w + lr (t - y) x, b <- b + lr (t - y) (``perceptron_epoch``).
    Training stops at the first epoch without a mistake (later epochs would change nothing; their
    count is 0). w0, b0: the start (default zeros). margin > 0 also corrects points that are right
    but with t (w.x + b) <= margin (t in {-1, +1}); margin = 0 is the plain rule.
    """
    X, t, convention, w, b = _check_train(X, y, lr, epochs, rng, w0, b0, margin)
    ws, bs, samples, signs, epoch_of = [w], [b], [], [], []
    mistakes = np.zeros(epochs, dtype=int)
    epoch_end = np.zeros(epochs, dtype=int)
    converged = None
    for e in range(epochs):
        order = rng.permutation(len(X)) if shuffle else np.arange(len(X))
        for i, sign, w, b in perceptron_epoch(X, t, w, b, lr=lr, order=order, margin=margin):
            ws.append(w)
            bs.append(b)
            samples.append(i)
            signs.append(sign)
            epoch_of.append(e)
            mistakes[e] += 1
        epoch_end[e:] = len(samples)
        if mistakes[e] == 0:
            converged = e
            break
    return PerceptronHistory(np.array(ws), np.array(bs), np.array(samples, dtype=int),
                             np.array(signs, dtype=int), np.array(epoch_of, dtype=int), mistakes,
                             epoch_end, converged, convention)


def _check_train(X, y, lr, epochs, rng, w0, b0, margin):
    """Every argument check of ``perceptron_train``; returns X, t in {0, 1}, the convention, w0, b0."""
    X = as_2d("X", X)
    t, convention = as_labels("y", y, len(X))
    number("lr", lr, low=0, low_open=True)
    number("epochs", epochs, low=1, integer=True)
    number("margin", margin, low=0)
    generator("rng", rng)
    w, b = _weights(np.zeros(X.shape[1]) if w0 is None else w0, b0, X.shape[1], names=("w0", "b0"))
    return X, t, convention, w.copy(), b


def accuracy_of_weights(W, B, X, y):
    """Accuracy of many weight vectors at once. W: (K, D), B: (K,), X: (N, D), y: (N,) -> (K,)."""
    X = as_2d("X", X)
    t01, _ = as_labels("y", y, len(X))
    W, B = _weight_rows(W, B, X.shape[1])
    pred = network(W, B).forward(X)                            # (N, K): unit k is perceptron k
    return np.mean(pred == t01[:, None], axis=0)


def pocket(train_acc):
    """Pocket algorithm bookkeeping: for each step, the index of the best-so-far entry. (K,) -> (K,) ints.

    Ties keep the earlier entry, so the pocket only changes on a strict improvement.
    """
    acc = np.asarray(train_acc, dtype=float)
    if acc.ndim != 1 or acc.size == 0:
        raise ValueError(f"train_acc must be a non-empty 1-D array of accuracies, got shape {acc.shape}")
    best = np.maximum.accumulate(acc)
    is_new = np.r_[True, acc[1:] > best[:-1]]
    return np.maximum.accumulate(np.where(is_new, np.arange(len(acc)), 0))


def convergence_bound(X, y, u, c=0.0):
    """Novikoff's bound for the rule with a bias (zero start). X: (N, D), u: (D,) with u.x + c = 0
    a separating line -> (R, gamma, (R / gamma)**2), computed on augmented points (x, 1) and the
    unit vector (u, c) / |(u, c)|. The bound holds for any lr > 0; gamma <= 0 means u does not separate.
    """
    X = as_2d("X", X)
    t01, _ = as_labels("y", y, len(X))
    u = np.asarray(u, dtype=float)
    if u.shape != (X.shape[1],):
        raise ValueError(f"u must have shape ({X.shape[1]},) to match X, got shape {u.shape}")
    number("c", c)
    if not np.any(np.r_[u, c] != 0):
        raise ValueError("u and c must not all be zero: (u, c) = 0 describes no line")
    Xa = np.c_[X, np.ones(len(X))]
    ua = np.r_[u, c] / np.linalg.norm(np.r_[u, c])
    R = float(np.max(np.linalg.norm(Xa, axis=1)))
    gamma = float(np.min((2 * t01 - 1) * (Xa @ ua)))
    bound = (R / gamma) ** 2 if gamma > 0 else np.inf
    return R, gamma, bound
