"""Layers with ``forward(X, *, train=False)`` and ``backward(dout) -> dX``.

A layer owns ``params`` (name -> array) and, after ``backward``, ``grads`` with the
same names and shapes. ``forward`` caches what ``backward`` needs and keeps its output in
``out``; ``backward`` keeps the gradient that reached the layer, dL/d(out), in ``dout``
(like micrograd's ``data`` and ``grad``). ``nnlab.probes`` reads these caches.
"""
import numpy as np

from ._checks import as_2d, flag, generator, gradient_like, number
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
    """Batch normalization over the batch axis of X: (N, D); gamma, beta: (D,).

    Train: normalise with the batch mean/variance and update the running averages
    mu <- m mu + (1 - m) mu_B (m = momentum). Test: normalise with the running averages.
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
        X = as_2d("X", X, self.params["gamma"].size, finite=False)
        if train:
            if X.shape[0] < 2:
                raise ValueError(f"X must hold at least 2 samples for BatchNorm in train mode (a batch mean and variance), got {X.shape[0]}")
            if not np.all(np.isfinite(X)):  # one NaN batch would poison the running statistics for good
                raise ValueError("X contains NaN or infinite values: BatchNorm in train mode would store "
                                 "them in its running statistics")
            mean, var = X.mean(axis=0), X.var(axis=0)
            m = self.momentum
            self.running_mean = m * self.running_mean + (1 - m) * mean
            self.running_var = m * self.running_var + (1 - m) * var
        else:
            mean, var = self.running_mean, self.running_var
        self.inv_std = 1.0 / np.sqrt(var + self.eps)
        self.x_hat = (X - mean) * self.inv_std
        self.train = train
        self.out = self.params["gamma"] * self.x_hat + self.params["beta"]
        return self.out

    def backward(self, dout):
        """dout: (N, D) -> dX: (N, D). In train mode the batch statistics depend on X too."""
        self.dout = dout = gradient_like("dout", dout, self.out)
        self.grads["gamma"] = (dout * self.x_hat).sum(axis=0)
        self.grads["beta"] = dout.sum(axis=0)
        dx_hat = dout * self.params["gamma"]
        if not self.train:
            return dx_hat * self.inv_std
        return self.inv_std * (dx_hat - dx_hat.mean(axis=0) - self.x_hat * (dx_hat * self.x_hat).mean(axis=0))

    def __repr__(self):
        return f"BatchNorm({self.params['gamma'].size})"


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


def mlp(sizes, *, rng, activation="tanh", output_activation="sigmoid", init="xavier_uniform"):
    """Build Dense/activation layers for sizes like [2, 16, 16, 1]."""
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__"):
        raise TypeError(f"sizes must be a list of layer widths such as [2, 16, 1], got {sizes!r}")
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least the input and output sizes, got {sizes}")
    for i, n in enumerate(sizes):
        number(f"sizes[{i}]", n, low=1, integer=True)
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Dense(n_in, n_out, rng=rng, init=init))
        last = i == len(sizes) - 2
        layers.append(get_activation(output_activation if last else activation))
    return Sequential(layers)


__all__ = ["Dense", "Dropout", "BatchNorm", "Sequential", "mlp", "Activation"]
