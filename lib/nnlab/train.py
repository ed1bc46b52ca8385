"""The training loop: batch (batch_size=None), stochastic (1) or mini-batch (k) gradient descent.

``train_step`` is the math of one update; ``fit`` repeats it over batches and epochs and keeps a
``History``. Every control of the course plugs into ``fit``: the optimizer, a weight penalty
(``L1``/``L2``/``ElasticNet``), gradient clipping (``ClipByValue``/``ClipByNorm``), early stopping
(``EarlyStopping``), the batch size (``drop_last`` skips an incomplete last batch), and a ``callback``
to look inside the network after each update.
Argument checks live in ``_check_fit``, so the loop itself shows only the algorithm.
"""
import time
from dataclasses import dataclass, field

import numpy as np

from ._checks import as_2d, as_targets, flag, generator, number
from .clipping import ClipByNorm, ClipByValue
from .layers import Sequential, _widths
from .losses import SoftmaxCrossEntropy, accuracy, get_loss, scorer
from .optim import SGD
from .regularizers import L2


@dataclass
class History:
    """What happened during ``fit``: per iteration (one batch) and per epoch (one pass over the data)."""
    loss: list = field(default_factory=list)        # per iteration, on that batch (penalty included)
    grad_norm: list = field(default_factory=list)   # per iteration, before clipping
    samples: list = field(default_factory=list)     # per iteration, training samples seen so far
    seconds: list = field(default_factory=list, compare=False)  # per iteration, seconds since fit began
    logs: list = field(default_factory=list)        # per iteration, what the callback returned
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


class EarlyStopping:
    """Stop when the validation loss has not improved for ``patience`` epochs; keep the best weights.

    An epoch improves when its validation loss is strictly below the best so far (a tie does not
    count; NaN never improves). Training stops at the epoch that is ``patience`` epochs after the
    best one (or after the start, if no epoch has improved yet).
    """

    def __init__(self, patience=5, *, restore_best=True):
        self.patience = number("patience", patience, low=1, integer=True)
        if not isinstance(restore_best, bool):
            raise TypeError(f"restore_best must be True or False, got {restore_best!r}")
        self.restore_best = restore_best

    def __repr__(self):
        return f"EarlyStopping(patience={self.patience})"


def batches(n, batch_size, rng, shuffle=True):
    """Yield index arrays that split range(n) into batches; the last may be smaller."""
    order = generator("rng", rng).permutation(n) if shuffle else np.arange(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


def penalty(model, regularizer):
    """Total regularization penalty over all weight matrices ``W`` (biases are not penalized)."""
    if regularizer is None:
        return 0.0
    return sum(regularizer(p) for _, name, p, _ in model.parameters() if name == "W")


def evaluate(model, loss_fn, X, y, regularizer=None, scored=True):
    """(loss, accuracy) of the model in test mode; accuracy is NaN if not ``scored`` (no classes)."""
    y_hat = model.forward(X, train=False)
    value, _ = loss_fn(y_hat, y)
    return value + penalty(model, regularizer), (accuracy(y_hat, y) if scored else float("nan"))


def _measure(model, value_of, score, X, y, regularizer):
    """evaluate for fit, whose targets are checked once: value_of(y_hat, y) -> the loss alone,
    score(y_hat) -> the accuracy (None: the targets are no classes)."""
    y_hat = model.forward(X, train=False)
    return value_of(y_hat, y) + penalty(model, regularizer), (float("nan") if score is None else score(y_hat))


def train_step(model, loss, optimizer, X, y, *, regularizer=None, clip=None):
    """One forward/backward/update on a batch; returns (loss, gradient norm before clipping).

    loss(y_hat, y) -> (value, dL/dy_hat); regularizer: a weight penalty; clip: a clipping rule.
    """
    y_hat = model.forward(X, train=True)
    value, dy_hat = loss(y_hat, y)
    model.backward(dy_hat)
    params = list(model.parameters())
    if regularizer is not None:                     # dL/dW += lambda dR/dW, for weights only
        for layer, name, W, g in params:
            if name == "W":
                layer.grads[name] = g + regularizer.grad(W)
        value += penalty(model, regularizer)
    grads = [g for _, _, _, g in params]
    norm = float(np.sqrt(sum(np.vdot(g, g) for g in grads)))
    if clip is not None:
        for (layer, name, _, _), g in zip(params, clip(grads)):
            layer.grads[name] = g
    optimizer.step(model)
    return value, norm


def fit(model, X, y, *, loss="squared_error", optimizer=None, lr=None, epochs=10, batch_size=None,
        rng, X_val=None, y_val=None, regularizer=None, clip=None, early_stopping=None, shuffle=True,
        drop_last=False, callback=None):
    """Train ``model`` in place and return a History.

    X: (N, D); y: (N,) or (N, K). batch_size None = full batch, 1 = stochastic, k = mini-batch.
    drop_last=True skips each epoch's last batch when it holds fewer than batch_size samples (as
    PyTorch's DataLoader does; batch norm cannot train on a batch of one). The epoch's losses and
    accuracies are still measured on all N samples.
    optimizer: an optimizer such as SGD(0.1, momentum=0.9), or give lr for plain SGD(lr) (default 0.1).
    clip: None, ClipByValue(min, max) or ClipByNorm(max_norm). early_stopping: EarlyStopping(patience),
    which needs X_val, y_val. callback(model, step) runs after every update; what it returns is
    kept in history.logs.
    """
    X, y, X_val, y_val, loss_fn, optimizer, batch_size = _check_fit(
        model, X, y, loss, optimizer, lr, epochs, batch_size, rng, X_val, y_val, regularizer, clip,
        early_stopping, drop_last, callback)
    step_loss = getattr(loss_fn, "value_and_grad", loss_fn)   # the targets were checked once, above
    value_of = getattr(loss_fn, "value", None) or (lambda y_hat, t: loss_fn(y_hat, t)[0])
    k = 1 if np.ndim(y) == 2 and y.shape[1] == 1 else 2      # one output unit, or a class per unit
    score, score_val = scorer(y, k), (None if X_val is None else scorer(y_val, k))
    history, best, best_params, since_best = History(), np.inf, None, 0
    start, seen = time.perf_counter(), 0
    for epoch in range(epochs):
        for idx in batches(len(X), batch_size, rng, shuffle):
            if drop_last and len(idx) < batch_size:
                break                                 # the last batch, incomplete: skipped
            value, norm = train_step(model, step_loss, optimizer, X[idx], y[idx],
                                     regularizer=regularizer, clip=clip)
            seen += len(idx)
            history.loss.append(value)
            history.grad_norm.append(norm)
            history.samples.append(seen)
            history.seconds.append(time.perf_counter() - start)
            if callback is not None:
                history.logs.append(callback(model, len(history.loss)))
        tl, ta = _measure(model, value_of, score, X, y, regularizer)
        history.train_loss.append(tl)
        history.train_acc.append(ta)
        if X_val is not None:
            vl, va = _measure(model, value_of, score_val, X_val, y_val, regularizer)
            history.val_loss.append(vl)
            history.val_acc.append(va)
            if early_stopping is not None:
                since_best += 1
                if vl < best:
                    best, history.best_epoch, since_best = vl, epoch, 0
                    if early_stopping.restore_best:
                        best_params = [p.copy() for _, _, p, _ in model.parameters()]
                elif since_best >= early_stopping.patience:
                    history.stopped_epoch = epoch
                    break
        if not np.isfinite(tl):
            break  # diverged: further epochs only produce NaN
    if best_params is not None:
        for (_, _, p, _), saved in zip(model.parameters(), best_params):
            p[...] = saved
    return history


def _check_fit(model, X, y, loss, optimizer, lr, epochs, batch_size, rng, X_val, y_val, regularizer,
               clip, early_stopping, drop_last, callback):
    """Every argument check of ``fit``, before any state changes; returns the checked values."""
    if isinstance(model, type) or not (hasattr(model, "forward") and hasattr(model, "parameters")):
        raise TypeError(f"model must be a Sequential (or another model with forward, backward and "
                        f"parameters), got {model!r}")
    X = as_2d("X", X)
    n = len(X)
    if n == 0:
        raise ValueError("X must hold at least one sample, got shape (0, D)")
    loss_fn = get_loss(loss)
    n_out = _widths(model)[1] if isinstance(model, Sequential) else None
    y = _targets("y", y, n, loss_fn, n_out)
    if optimizer is not None and lr is not None:
        raise ValueError(f"give either optimizer or lr, not both: the optimizer {optimizer!r} has its own "
                         f"learning rate")
    if optimizer is None:
        optimizer = SGD(0.1 if lr is None else lr)
    elif isinstance(optimizer, type) or not hasattr(optimizer, "step"):
        raise TypeError(f"optimizer must be an optimizer instance such as SGD(0.1), got {optimizer!r}")
    number("epochs", epochs, low=1, integer=True)
    batch_size = n if batch_size is None else number("batch_size", batch_size, low=1, high=n, integer=True)
    generator("rng", rng)
    flag("drop_last", drop_last)
    if regularizer is not None and (isinstance(regularizer, type) or not isinstance(regularizer, L2)):
        raise TypeError(f"regularizer must be None or an instance of L1, L2 or ElasticNet, got {regularizer!r}")
    if clip is not None and not isinstance(clip, (ClipByValue, ClipByNorm)):
        raise TypeError(f"clip must be None, ClipByValue(min, max) or ClipByNorm(max_norm), got {clip!r}")
    if early_stopping is not None and not isinstance(early_stopping, EarlyStopping):
        raise TypeError(f"early_stopping must be None or EarlyStopping(patience), got {early_stopping!r}")
    if callback is not None and (isinstance(callback, type) or not callable(callback)):
        raise TypeError(f"callback must be a function f(model, step), got {type(callback).__name__}")
    if (X_val is None) != (y_val is None):
        raise ValueError("X_val and y_val must be given together")
    if X_val is not None:
        X_val = as_2d("X_val", X_val, X.shape[1])
        if len(X_val) == 0:
            raise ValueError("X_val must hold at least one sample, got shape (0, D)")
        y_val = _targets("y_val", y_val, len(X_val), loss_fn, n_out)
    if early_stopping is not None and X_val is None:
        raise ValueError("early_stopping needs validation data X_val, y_val")
    return X, y, X_val, y_val, loss_fn, optimizer, batch_size


def _targets(name, y, n, loss_fn, n_out):
    """y checked for the loss and for a model with n_out output units (None: unknown)."""
    try:
        one_d = np.ndim(y) == 1
    except ValueError as err:                     # ragged nested lists
        raise TypeError(f"{name} must be an array of numbers: {err}") from None
    if one_d and isinstance(loss_fn, SoftmaxCrossEntropy):  # integer class labels (N,)
        y = np.asarray(y)
        if len(y) != n:
            raise ValueError(f"{name} must have {n} labels to match the samples, got shape {y.shape}")
        return loss_fn.targets(y, n, n_out)
    y = as_targets(name, y, n)
    if n_out is not None and y.shape[1] != n_out:
        raise ValueError(f"{name} must have {n_out} column(s) to match the model's {n_out} output unit(s), "
                         f"got shape {y.shape}")
    if hasattr(loss_fn, "targets"):
        try:
            return loss_fn.targets(y, n)
        except ValueError as err:
            raise ValueError(str(err).replace("y must", f"{name} must", 1)) from None
    return y
