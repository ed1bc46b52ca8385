"""Layers with ``forward(X, *, train=False)`` and ``backward(dout) -> dX``.

A layer owns ``params`` (name -> array) and, after ``backward``, ``grads`` with the
same names and shapes. ``forward`` caches what ``backward`` needs and keeps its output in
``out``; ``backward`` keeps the gradient that reached the layer, dL/d(out), in ``dout``
(like micrograd's ``data`` and ``grad``). ``nnlab.probes`` reads these caches.
"""
import numpy as np

from ._checks import _numbers, as_2d, flag, generator, gradient_like, number
from .activations import Activation, get_activation
from .init import get_initializer, zeros


class Dense:
    """Fully connected layer: out = X @ W + b.

    X: (N, in_features), W: (in_features, out_features), b: (out_features,),
    out: (N, out_features). W[i, j] is the weight from input i to unit j.
    """

    def __init__(self, in_features, out_features, *, rng, init="xavier_uniform", bias_init=zeros):
        number("in_features", in_features, low=1, integer=True)
        number("out_features", out_features, low=1, integer=True)
        self.in_features, self.out_features = in_features, out_features
        self.params = {"W": get_initializer(init)((in_features, out_features), generator("rng", rng)),
                       "b": get_initializer(bias_init)((out_features,), rng)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.out = self.dout = None

    def forward(self, X, *, train=False):
        self.X = as_2d("X", X, self.in_features, finite=False)  # NaN from a diverging net passes through
        self.out = self.X @ self.params["W"] + self.params["b"]
        return self.out

    def backward(self, dout):
        """dout: (N, out_features) -> dX: (N, in_features); fills grads['W'], grads['b']."""
        self.dout = dout = gradient_like("dout", dout, self.out)
        self.grads["W"] = self.X.T @ dout
        self.grads["b"] = dout.sum(axis=0)
        return dout @ self.params["W"].T

    def __repr__(self):
        return f"Dense({self.in_features}, {self.out_features})"


class Dropout:
    """Dropout with drop probability ``p_drop`` (each unit is zeroed with probability p_drop).

    inverted=True (the usual choice): at train time survivors are scaled by 1/(1-p_drop),
    so test time is the identity. inverted=False (as on the slides): train time only masks,
    and test time multiplies by the keep probability 1-p_drop. Both give the same expected output.
    """

    def __init__(self, p_drop=0.5, *, rng, inverted=True):
        self.p_drop = number("p_drop", p_drop, low=0, high=1, high_open=True)
        self.rng = generator("rng", rng)
        self.inverted = flag("inverted", inverted)
        self.params, self.grads = {}, {}
        self.out = self.dout = self.mask = None

    def forward(self, X, *, train=False):
        X = as_2d("X", X, finite=False) if np.ndim(X) == 2 else np.asarray(X, dtype=float)
        p_keep = 1.0 - self.p_drop
        if not train:
            self.mask = None
            self.out = X if self.inverted else X * p_keep
            return self.out
        self.mask = (self.rng.random(X.shape) < p_keep) / (p_keep if self.inverted else 1.0)
        self.out = X * self.mask
        return self.out

    def backward(self, dout):
        self.dout = dout = gradient_like("dout", dout, self.out)
        if self.mask is None:
            return dout if self.inverted else dout * (1.0 - self.p_drop)
        return dout * self.mask

    def __repr__(self):
        return f"Dropout(p_drop={self.p_drop})"


class BatchNorm:
    """Batch normalization, one mean and variance per feature.

    X: (N, D), statistics over the batch axis (0,); or X: (N, C, H, W) (convolutional feature
    maps), statistics per channel over axes (0, 2, 3). gamma, beta and the running statistics have
    shape (num_features,) = (D,) or (C,), broadcast as (1, D) or (1, C, 1, 1).
    Train: normalise with the batch mean/variance (the biased one, 1/count) and update the running
    averages mu <- m mu + (1 - m) mu_B (m = momentum). Test: normalise with the running averages.
    """

    def __init__(self, num_features, *, momentum=0.9, eps=1e-5):
        number("num_features", num_features, low=1, integer=True)
        self.momentum = number("momentum", momentum, low=0, high=1)
        self.eps = number("eps", eps, low=0, low_open=True)
        self.params = {"gamma": np.ones(num_features), "beta": np.zeros(num_features)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.running_mean, self.running_var = np.zeros(num_features), np.ones(num_features)
        self.out = self.dout = None

    def forward(self, X, *, train=False):
        X = _check_batchnorm_input(X, self.params["gamma"].size, train)
        axes, shape = ((0,), (1, -1)) if X.ndim == 2 else ((0, 2, 3), (1, -1, 1, 1))
        self.n = X.size // self.params["gamma"].size          # values per feature: N, or N * H * W
        if train:
            mean = X.sum(axis=axes) / self.n
            centred = X - mean.reshape(shape)
            var = (centred * centred).sum(axis=axes) / self.n  # the biased variance: divided by n
            m = self.momentum
            self.running_mean = m * self.running_mean + (1 - m) * mean
            self.running_var = m * self.running_var + (1 - m) * var
        else:
            centred, var = X - self.running_mean.reshape(shape), self.running_var
        self.axes, self.shape, self.train = axes, shape, train
        self.inv_std = (1.0 / np.sqrt(var + self.eps)).reshape(shape)
        self.x_hat = centred * self.inv_std
        self.out = self.params["gamma"].reshape(shape) * self.x_hat + self.params["beta"].reshape(shape)
        return self.out

    def backward(self, dout):
        """dout: the shape of X -> dX. In train mode the batch statistics depend on X too."""
        self.dout = dout = gradient_like("dout", dout, self.out)
        axes, n = self.axes, self.n
        self.grads["gamma"] = (dout * self.x_hat).sum(axis=axes)
        self.grads["beta"] = dout.sum(axis=axes)
        dx_hat = dout * self.params["gamma"].reshape(self.shape)
        if not self.train:
            return dx_hat * self.inv_std
        mean_dx_hat = dx_hat.sum(axis=axes, keepdims=True) / n
        mean_dx_hat_x_hat = (dx_hat * self.x_hat).sum(axis=axes, keepdims=True) / n
        return self.inv_std * (dx_hat - mean_dx_hat - self.x_hat * mean_dx_hat_x_hat)

    def __repr__(self):
        return f"BatchNorm({self.params['gamma'].size})"


def _check_batchnorm_input(X, n_features, train):
    """X for BatchNorm: (N, D) checked as for every 2-D layer, or (N, C, H, W) with C = n_features;
    in train mode at least 2 values per feature and nothing infinite or NaN."""
    if type(X) is not np.ndarray or X.ndim != 2:
        X = _numbers("X", X)
    if X.ndim > 2:
        if X.ndim != 4:
            raise ValueError(f"X must be 2-D with shape (N, D) or 4-D with shape (N, C, H, W) for BatchNorm, "
                             f"got shape {X.shape}")
        if X.shape[1] != n_features:
            raise ValueError(f"X must have {n_features} channels (axis 1 of (N, C, H, W)), got shape {X.shape}")
        count = X.shape[0] * X.shape[2] * X.shape[3]
        if train and count < 2:
            raise ValueError(f"X must hold at least 2 values per channel for BatchNorm in train mode "
                             f"(N * H * W >= 2, for a batch mean and variance), got shape {X.shape}")
    else:
        X = as_2d("X", X, n_features, finite=False)
        if train and X.shape[0] < 2:
            raise ValueError(f"X must hold at least 2 samples for BatchNorm in train mode (a batch mean and "
                             f"variance), got {X.shape[0]}")
    if train and not np.all(np.isfinite(X)):  # one NaN batch would poison the running statistics for good
        raise ValueError("X contains NaN or infinite values: BatchNorm in train mode would store "
                         "them in its running statistics")
    return X


class Sequential:
    """A stack of layers applied in order; it is itself a layer."""

    def __init__(self, *layers):
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        if not layers:
            raise ValueError("Sequential needs at least one layer")
        width = None
        for i, layer in enumerate(layers):
            if isinstance(layer, type):
                raise TypeError(f"layers[{i}] must be a layer instance, got the class {layer.__name__}: "
                                f"write {layer.__name__}(...)")
            if not (hasattr(layer, "forward") and hasattr(layer, "backward")):
                raise TypeError(f"layers[{i}] must have forward and backward methods, got {type(layer).__name__}")
            n_in, n_out = _widths(layer)
            if width is not None and n_in is not None and n_in != width:
                raise ValueError(f"layers[{i}] ({layer!r}) takes {n_in} inputs, but the layers before it "
                                 f"give {width} outputs")
            width = n_out if n_out is not None else width
        self.layers = list(layers)

    def forward(self, X, *, train=False):
        out = X
        for layer in self.layers:
            out = layer.forward(out, train=train)
        self.out = out
        return out

    def backward(self, dout):
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def __call__(self, X):
        """Predict in test mode."""
        return self.forward(X, train=False)

    predict = __call__

    def parameters(self):
        """[(layer, name, param, grad)] for every parameter of every layer, in order."""
        return [(layer, name, p, layer.grads[name]) for layer in self.layers for name, p in layer.params.items()]

    def __repr__(self):
        return "Sequential(" + ", ".join(map(repr, self.layers)) + ")"


def _widths(layer):
    """(inputs, outputs) of a layer whose width is fixed, None where it keeps its input's width."""
    if isinstance(layer, Dense):
        return layer.in_features, layer.out_features
    if isinstance(layer, BatchNorm):
        return layer.params["gamma"].size, layer.params["gamma"].size
    if isinstance(layer, Sequential):
        ins = [w for w in (_widths(l)[0] for l in layer.layers) if w is not None]
        outs = [w for w in (_widths(l)[1] for l in layer.layers) if w is not None]
        return (ins[0] if ins else None), (outs[-1] if outs else None)
    return None, None


def mlp(sizes, *, rng, activation="tanh", output_activation="sigmoid", init="xavier_uniform", batch_norm=None,
        dropout=None):
    """Build Dense/activation layers for sizes like [2, 16, 16, 1].

    batch_norm: None, "before" (Dense, BatchNorm, activation: Ioffe & Szegedy's placement) or
    "after" (Dense, activation, BatchNorm) in every hidden layer; never on the output layer.
    dropout: None (or 0) for no dropout, or p_drop in [0, 1): a Dropout(p_drop, rng=rng) ends every
    hidden layer (after its activation, and after its BatchNorm with batch_norm="after"); never after
    the output. The Dropout layers draw their masks from the same generator ``rng`` as the weights.
    """
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__"):
        raise TypeError(f"sizes must be a list of layer widths such as [2, 16, 1], got {sizes!r}")
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least the input and output sizes, got {sizes}")
    for i, n in enumerate(sizes):
        number(f"sizes[{i}]", n, low=1, integer=True)
    if not (batch_norm is None or (isinstance(batch_norm, str) and batch_norm in ("before", "after"))):
        raise ValueError(f"batch_norm must be None, 'before' or 'after', got {batch_norm!r}")
    if dropout is not None:
        number("dropout", dropout, low=0, high=1, high_open=True)
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Dense(n_in, n_out, rng=rng, init=init))
        last = i == len(sizes) - 2
        if batch_norm == "before" and not last:
            layers.append(BatchNorm(n_out))
        layers.append(get_activation(output_activation if last else activation))
        if batch_norm == "after" and not last:
            layers.append(BatchNorm(n_out))
        if dropout and not last:                 # Dropout's constructor draws nothing from rng
            layers.append(Dropout(dropout, rng=rng))
    return Sequential(layers)


__all__ = ["Dense", "Dropout", "BatchNorm", "Sequential", "mlp", "Activation"]
