"""Losses. ``loss(y_hat, y)`` returns ``(value, dy_hat)``: a float and dL/dy_hat.

The value is the mean over the N samples of the per-sample loss (``reduction="mean"``),
or their sum (``reduction="sum"``), as in the slides' sum_n 1/2 (t_n - z_n)^2.
"""
import numpy as np

from ._checks import as_2d, as_targets, choice


def _predictions(y_hat):
    y_hat = as_2d("y_hat", y_hat, finite=False)  # NaN predictions give a NaN loss
    if len(y_hat) == 0:
        raise ValueError("y_hat must hold at least one prediction, got shape (0, K)")
    return y_hat


class Loss:
    """Base class. ``loss(y_hat, y)`` checks its input, then returns ``value_and_grad(y_hat, t)``.

    ``targets(y)`` checks the targets alone (``fit`` does it once, before training);
    ``value_and_grad(y_hat, t)`` is the math, for targets already checked; ``value(y_hat, t)`` its
    value alone (what an evaluation needs: no gradient is formed).
    """

    def __init__(self, reduction="mean"):
        self.reduction = choice("reduction", reduction, ("mean", "sum"))

    def _scale(self, n):
        return 1.0 / n if self.reduction == "mean" else 1.0

    def targets(self, y, n=None, k=None):
        """y as float targets (N, K); (N,) is taken as one output."""
        return as_targets("y", y, len(np.atleast_1d(y)) if n is None else n, k)

    def __call__(self, y_hat, y):
        y_hat = self.predictions(y_hat)
        return self.value_and_grad(y_hat, self.targets(y, *y_hat.shape))

    def predictions(self, y_hat):
        """y_hat as float predictions (N, K), at least one row (NaN allowed: a diverged net's loss is NaN)."""
        return _predictions(y_hat)

    def value(self, y_hat, t):
        """The loss alone, for targets already checked (the value of ``value_and_grad``)."""
        return self.value_and_grad(y_hat, t)[0]

    def _same_shape(self, y_hat, t):
        if y_hat.shape != t.shape:
            raise ValueError(f"the model's output has shape {y_hat.shape} but the targets have shape "
                             f"{t.shape}: give the last layer {t.shape[1]} unit(s)")

    def __repr__(self):
        return f"{type(self).__name__}()"


class SquaredError(Loss):
    """Per sample 1/2 sum_k (t_k - z_k)^2; y_hat, y: (N, K). Gradient: (z - t)."""

    def value_and_grad(self, y_hat, t):
        self._same_shape(y_hat, t)
        diff = y_hat - t
        s = self._scale(len(y_hat))
        return s * 0.5 * float(np.sum(diff ** 2)), s * diff

    def value(self, y_hat, t):
        self._same_shape(y_hat, t)
        return self._scale(len(y_hat)) * 0.5 * float(np.sum((y_hat - t) ** 2))


class BinaryCrossEntropy(Loss):
    """Per sample -[t log p + (1 - t) log(1 - p)] for probabilities p = y_hat in (0, 1), t in [0, 1]."""
    eps = 1e-12  # keeps log finite when a sigmoid rounds to exactly 0 or 1

    def targets(self, y, n=None, k=None):
        t = super().targets(y, n, k)
        if np.any((t < 0) | (t > 1)):
            raise ValueError("y must hold targets in [0, 1] for binary cross-entropy")
        return t

    def predictions(self, y_hat):
        y_hat = _predictions(y_hat)
        lo, hi = y_hat.min(initial=0.5), y_hat.max(initial=0.5)    # NaN passes: a diverged net's loss is NaN
        if lo < 0 or hi > 1:
            raise ValueError(f"y_hat must hold probabilities in [0, 1] for binary cross-entropy (a sigmoid "
                             f"output), got values from {lo:.3g} to {hi:.3g}: are these logits? Put a "
                             f"Sigmoid layer last")
        return y_hat

    def value_and_grad(self, y_hat, t):
        self._same_shape(y_hat, t)
        p = np.minimum(np.maximum(y_hat, self.eps), 1 - self.eps)   # clip into [eps, 1 - eps]
        q = 1 - p
        s = self._scale(len(p))
        value = -np.sum(t * np.log(p) + (1 - t) * np.log(q))
        return s * float(value), s * (p - t) / (p * q)

    def value(self, y_hat, t):
        self._same_shape(y_hat, t)
        p = np.minimum(np.maximum(y_hat, self.eps), 1 - self.eps)
        return self._scale(len(p)) * float(-np.sum(t * np.log(p) + (1 - t) * np.log(1 - p)))


def softmax(logits):
    """Row-wise softmax of (N, K) logits, shifted by the row max so exp never overflows."""
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class SoftmaxCrossEntropy(Loss):
    """Softmax of logits (N, K) then cross-entropy with integer labels (N,) or one-hot (N, K)."""

    def targets(self, y, n=None, k=None):
        """Integer labels (N,) are kept (checked against k when it is known); one-hot (N, K) as floats."""
        if np.ndim(y) == 1:
            labels = np.asarray(y)
            if n is not None and len(labels) != n:
                raise ValueError(f"y must have {n} labels to match y_hat, got {np.shape(y)}")
            if k is not None:
                one_hot(labels, k)                    # raises for labels outside 0..k-1
            return labels
        return super().targets(y, n, k)

    def value_and_grad(self, y_hat, t):
        n, k = y_hat.shape
        t = one_hot(t, k) if t.ndim == 1 else t
        self._same_shape(y_hat, t)
        p = softmax(y_hat)
        log_p = y_hat - y_hat.max(axis=1, keepdims=True)
        log_p = log_p - np.log(np.exp(log_p).sum(axis=1, keepdims=True))
        s = self._scale(n)
        return s * float(-np.sum(t * log_p)), s * (p - t)

    def value(self, y_hat, t):
        n, k = y_hat.shape
        t = one_hot(t, k) if t.ndim == 1 else t
        self._same_shape(y_hat, t)
        log_p = y_hat - y_hat.max(axis=1, keepdims=True)
        log_p = log_p - np.log(np.exp(log_p).sum(axis=1, keepdims=True))
        return self._scale(n) * float(-np.sum(t * log_p))


def one_hot(labels, k):
    """Integer labels (N,) in 0..k-1 -> one-hot float array (N, k)."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.all(np.mod(labels, 1) == 0) or labels.min(initial=0) < 0 or labels.max(initial=0) >= k:
        raise ValueError(f"labels must be integers in 0..{k - 1} with shape (N,), got shape {labels.shape}")
    return np.eye(k)[labels.astype(int)]


def accuracy(y_hat, y):
    """Fraction of correct classes: argmax for K > 1 outputs; for one output, threshold at the
    midpoint of the labels (0.5 for {0, 1}, 0 for {-1, +1}). NaN when y is not a set of classes."""
    y_hat = np.asarray(y_hat, dtype=float)
    score = scorer(y, y_hat.shape[1] if y_hat.ndim == 2 else 1)
    return float("nan") if score is None else score(y_hat)


def scorer(y, k=1):
    """accuracy(., y) for predictions with k outputs, the classes of y worked out once (a training
    loop scores every epoch against the same targets): y_hat -> fraction correct; None when y is
    not a set of classes."""
    y = np.asarray(y)
    if k > 1:
        labels = y.argmax(axis=1) if y.ndim == 2 else y
        return lambda y_hat: float(np.mean(np.asarray(y_hat, dtype=float).argmax(axis=1) == labels))
    y = y.reshape(-1)
    if np.all((y == 0) | (y == 1)):  # the common {0, 1} case, without the cost of np.unique
        return lambda y_hat: float(np.mean((np.asarray(y_hat, dtype=float).reshape(-1) >= 0.5) == y))
    classes = np.unique(y)
    if len(classes) > 2 or not np.all(np.isin(classes, (-1, 0, 1))):
        return None
    low = -1 if np.any(classes == -1) else 0
    return lambda y_hat: float(np.mean(np.where(np.asarray(y_hat, dtype=float).reshape(-1) >= (low + 1) / 2,
                                                1, low) == y))


LOSSES = {"squared_error": SquaredError, "mse": SquaredError, "bce": BinaryCrossEntropy,
          "binary_cross_entropy": BinaryCrossEntropy, "softmax_cross_entropy": SoftmaxCrossEntropy}


def get_loss(name_or_obj):
    """A loss from its name, or a loss object passed through."""
    if isinstance(name_or_obj, type):
        raise TypeError(f"loss must be a name or a loss instance, got the class {name_or_obj.__name__}: "
                        f"write {name_or_obj.__name__}()")
    if callable(name_or_obj):
        return name_or_obj
    if not isinstance(name_or_obj, str):
        raise TypeError(f"loss must be a name such as 'bce' or a loss instance, got {type(name_or_obj).__name__}")
    return LOSSES[choice("loss", name_or_obj, LOSSES)]()
