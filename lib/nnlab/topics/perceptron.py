"""The perceptron (Rosenblatt): a step of w.x + b, trained by the online rule w <- w + lr (t - y) x.

Labels: the functions accept t in {0, 1} or in {-1, +1}. The rule itself is written with
{0, 1} targets and the step prediction y = H(w.x + b) (H(s) = 1 if s >= 0 else 0), so that
t - y is -1, 0 or +1: a wrongly rejected point is added, a wrongly accepted one subtracted.
Labels {-1, +1} are mapped to {0, 1} first (-1 -> 0), which gives exactly the same updates.
"""
from dataclasses import dataclass

import numpy as np

from .._checks import as_2d, choice, generator, number


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


def perceptron_predict(X, w, b=0.0, *, labels="01"):
    """Step prediction H(X w + b). X: (N, D), w: (D,), b: scalar -> (N,) ints in {0, 1} or {-1, +1}."""
    X = as_2d("X", X)
    w, b = _weights(w, b, X.shape[1])
    choice("labels", labels, ("01", "pm1"))
    y = (X @ w + b >= 0).astype(int)
    return y if labels == "01" else 2 * y - 1


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


def perceptron_train(X, y, *, lr=1.0, epochs=10, rng, shuffle=True, w0=None, b0=0.0, margin=0.0):
    """Online perceptron rule. X: (N, D); y: (N,) in {0,1} or {-1,+1} -> PerceptronHistory.

    Each epoch visits the points in a fresh random order (``shuffle``) and, for every point that
    is wrong when visited, applies w <- w + lr (t - y) x, b <- b + lr (t - y). Training stops at
    the first epoch without a mistake (later epochs would change nothing; their count is 0).
    w0, b0: the start (default zeros). margin > 0 also corrects points that are right but with
    t (w.x + b) <= margin (t in {-1, +1}); margin = 0 is the plain rule.
    """
    X = as_2d("X", X)
    n, d = X.shape
    t01, convention = as_labels("y", y, n)
    number("lr", lr, low=0, low_open=True)
    number("epochs", epochs, low=1, integer=True)
    number("margin", margin, low=0)
    generator("rng", rng)
    w, b = _weights(np.zeros(d) if w0 is None else w0, b0, d, names=("w0", "b0"))
    w = w.copy()
    tpm = 2.0 * t01 - 1.0                     # the same labels in {-1, +1}

    ws, bs, samples, signs, epoch_of = [w.copy()], [b], [], [], []
    mistakes = np.zeros(epochs, dtype=int)
    epoch_end = np.zeros(epochs, dtype=int)
    converged = None
    for e in range(epochs):
        order = rng.permutation(n) if shuffle else np.arange(n)
        Xo, to, tpo = X[order], t01[order], tpm[order]
        pos = 0
        while pos < n:
            # jump to the next point (in visiting order) that needs a correction: one update per pass
            s = Xo[pos:] @ w + b
            if margin == 0:
                wrong = (s >= 0) != to[pos:]
            else:
                wrong = tpo[pos:] * s <= margin
            hits = np.flatnonzero(wrong)
            if hits.size == 0:
                break
            pos += hits[0]
            sign = tpo[pos]                   # t - y: +1 for a missed class-1 point, -1 for a class-0 one
            w += lr * sign * Xo[pos]
            b += lr * sign
            ws.append(w.copy())
            bs.append(b)
            samples.append(order[pos])
            signs.append(sign)
            epoch_of.append(e)
            mistakes[e] += 1
            pos += 1
        epoch_end[e] = len(samples)
        if mistakes[e] == 0:
            converged = e
            epoch_end[e:] = len(samples)
            break
    return PerceptronHistory(np.array(ws), np.array(bs), np.array(samples, dtype=int),
                             np.array(signs, dtype=int), np.array(epoch_of, dtype=int), mistakes,
                             epoch_end, converged, convention)


def accuracy_of_weights(W, B, X, y):
    """Accuracy of many weight vectors at once. W: (K, D), B: (K,), X: (N, D), y: (N,) -> (K,)."""
    X = as_2d("X", X)
    t01, _ = as_labels("y", y, len(X))
    W = np.atleast_2d(np.asarray(W, dtype=float))
    if W.shape[1] != X.shape[1]:
        raise ValueError(f"W must have shape (K, {X.shape[1]}) to match X, got shape {W.shape}")
    pred = (X @ W.T + np.asarray(B, dtype=float)) >= 0          # (N, K)
    return np.mean(pred == t01[:, None], axis=0)


def pocket(train_acc):
    """Pocket algorithm bookkeeping: for each step, the index of the best-so-far entry. (K,) -> (K,) ints.

    Ties keep the earlier entry, so the pocket only changes on a strict improvement.
    """
    acc = np.asarray(train_acc, dtype=float)
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
    Xa = np.c_[X, np.ones(len(X))]
    ua = np.r_[u, c] / np.linalg.norm(np.r_[u, c])
    R = float(np.max(np.linalg.norm(Xa, axis=1)))
    gamma = float(np.min((2 * t01 - 1) * (Xa @ ua)))
    bound = (R / gamma) ** 2 if gamma > 0 else np.inf
    return R, gamma, bound
