"""The training loop: batch (batch_size=None), stochastic (1) or mini-batch (k) gradient descent."""
from dataclasses import dataclass, field

import numpy as np

from ._checks import as_2d, as_targets, generator, number
from .clipping import clip_by_norm, clip_by_value
from .losses import SoftmaxCrossEntropy, accuracy, get_loss
from .optim import SGD


@dataclass
class History:
    """What happened during ``fit``: per iteration (one batch) and per epoch (one pass over the data)."""
    loss: list = field(default_factory=list)        # per iteration, on that batch (penalty included)
    acc: list = field(default_factory=list)         # per iteration, on that batch
    grad_norm: list = field(default_factory=list)   # per iteration, before clipping
    train_loss: list = field(default_factory=list)  # per epoch, on all training data
    train_acc: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)    # per epoch, on validation data (if given)
    val_acc: list = field(default_factory=list)
    best_epoch: int = None                          # set by early stopping
    stopped_epoch: int = None

    @property
    def epochs(self):
        return len(self.train_loss)

    @property
    def iterations(self):
        return len(self.loss)


def batches(n, batch_size, rng, shuffle=True):
    """Yield index arrays that split range(n) into batches; the last may be smaller."""
    order = generator("rng", rng).permutation(n) if shuffle else np.arange(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


def penalty(model, regularizer):
    """Total regularization penalty over all weight matrices ``W``."""
    if regularizer is None:
        return 0.0
    return sum(regularizer(p) for _, name, p, _ in model.parameters() if name == "W")


def evaluate(model, loss_fn, X, y, regularizer=None):
    """(loss, accuracy) of the model in test mode."""
    y_hat = model.forward(X, train=False)
    value, _ = loss_fn(y_hat, y)
    return value + penalty(model, regularizer), accuracy(y_hat, y)


def train_step(model, loss_fn, optimizer, X, y, *, regularizer=None, clip=None):
    """One forward/backward/update on a batch; returns (loss, accuracy, gradient norm before clipping)."""
    y_hat = model.forward(X, train=True)
    value, dy_hat = loss_fn(y_hat, y)
    model.backward(dy_hat)
    params = list(model.parameters())
    if regularizer is not None:
        for layer, name, p, g in params:
            if name == "W":
                layer.grads[name] = g + regularizer.grad(p)
        value += penalty(model, regularizer)
    grads = [layer.grads[name] for layer, name, _, _ in params]
    norm = float(np.sqrt(sum(np.vdot(g, g) for g in grads)))  # vdot: sum of squares, fast on small arrays
    if clip is not None:
        kind, *args = clip
        grads = clip_by_norm(grads, *args) if kind == "norm" else clip_by_value(grads, *args)
        for (layer, name, _, _), g in zip(params, grads):
            layer.grads[name] = g
    optimizer.step(model)
    return value, accuracy(y_hat, y), norm


def fit(model, X, y, *, loss="squared_error", optimizer=None, lr=0.1, epochs=10, batch_size=None,
        rng, X_val=None, y_val=None, regularizer=None, clip=None, patience=None, shuffle=True):
    """Train ``model`` in place and return a History.

    X: (N, D); y: (N,) or (N, K). batch_size None = full batch, 1 = stochastic, k = mini-batch.
    clip: None, ("value", min, max) or ("norm", max_norm). patience: stop after that many epochs
    without a better validation loss and restore the best weights (early stopping).
    """
    X = as_2d("X", X)
    n = len(X)
    loss_fn = get_loss(loss)
    if np.ndim(y) == 1 and isinstance(loss_fn, SoftmaxCrossEntropy):  # integer class labels (N,)
        y = np.asarray(y)
        if len(y) != n:
            raise ValueError(f"y must have {n} labels to match X, got shape {y.shape}")
    else:
        y = as_targets("y", y, n)
    optimizer = optimizer if optimizer is not None else SGD(lr)
    number("epochs", epochs, low=1, integer=True)
    batch_size = n if batch_size is None else number("batch_size", batch_size, low=1, high=n, integer=True)
    generator("rng", rng)
    if clip is not None and (not isinstance(clip, tuple) or clip[0] not in ("value", "norm")):
        raise ValueError(f"clip must be None, ('value', min, max) or ('norm', max_norm), got {clip!r}")
    has_val = X_val is not None
    if has_val:
        X_val = as_2d("X_val", X_val, X.shape[1])
        if y_val is None:
            raise ValueError("y_val must be given with X_val")
    if patience is not None:
        number("patience", patience, low=1, integer=True)
        if not has_val:
            raise ValueError("patience (early stopping) needs validation data X_val, y_val")
    history, best, best_params = History(), np.inf, None
    for epoch in range(epochs):
        for idx in batches(n, batch_size, rng, shuffle):
            value, acc, norm = train_step(model, loss_fn, optimizer, X[idx], y[idx],
                                          regularizer=regularizer, clip=clip)
            history.loss.append(value)
            history.acc.append(acc)
            history.grad_norm.append(norm)
        tl, ta = evaluate(model, loss_fn, X, y, regularizer)
        history.train_loss.append(tl)
        history.train_acc.append(ta)
        if has_val:
            vl, va = evaluate(model, loss_fn, X_val, y_val, regularizer)
            history.val_loss.append(vl)
            history.val_acc.append(va)
            if patience is not None:
                if vl < best:
                    best, history.best_epoch = vl, epoch
                    best_params = [p.copy() for _, _, p, _ in model.parameters()]
                elif epoch - history.best_epoch >= patience:
                    history.stopped_epoch = epoch
                    break
        if not np.isfinite(tl):
            break  # diverged: further epochs only produce NaN
    if best_params is not None:
        for (_, _, p, _), saved in zip(model.parameters(), best_params):
            p[...] = saved
    return history
