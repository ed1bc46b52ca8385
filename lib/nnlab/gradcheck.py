"""Numerical gradient checking with centred differences."""
import copy

import numpy as np

from ._checks import generator, number


def numerical_gradient(f, x, h=1e-5):
    """d f() / d x by centred differences; f takes no argument and reads x, which is changed in place."""
    if not callable(f):
        raise TypeError(f"f must be a function of no arguments that reads x, got {type(f).__name__}")
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        kind = x.dtype if isinstance(x, np.ndarray) else type(x).__name__
        raise TypeError(f"x must be a float numpy array that f reads (it is changed in place), got {kind}: "
                        f"an integer array cannot hold x + h")
    number("h", h, low=0, low_open=True)
    grad = np.zeros_like(x, dtype=float)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:  # one pair of evaluations per component: slow by design, for checking only
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        f_plus = f()
        x[i] = old - h
        f_minus = f()
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def rel_error(a, b):
    """max |a - b| / max(|a| + |b|): about 1e-7 or less means the gradients agree."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a) + np.abs(b)), 1e-12))


def check_layer(layer, X, rng, *, train=False, h=1e-5):
    """Compare a layer's backward with numerical gradients of sum(out * dout) for a random dout.

    Returns {'X': err, <param name>: err, ...}. Random layers (dropout) reuse one mask.
    """
    generator("rng", rng)
    X = np.array(X, dtype=float)
    state = copy.deepcopy(layer.rng) if hasattr(layer, "rng") else None

    def forward():
        if state is not None:
            layer.rng = copy.deepcopy(state)
        return layer.forward(X, train=train)

    dout = rng.normal(size=forward().shape)
    forward()
    dX = layer.backward(dout)
    analytic = {"X": dX, **{k: v.copy() for k, v in getattr(layer, "grads", {}).items()}}
    f = lambda: float(np.sum(forward() * dout))
    errors = {"X": rel_error(dX, numerical_gradient(f, X, h))}
    for name, p in getattr(layer, "params", {}).items():
        errors[name] = rel_error(analytic[name], numerical_gradient(f, p, h))
    return errors


def check_loss(loss, y_hat, y, *, h=1e-6):
    """Relative error between a loss's gradient and the numerical one."""
    y_hat = np.array(y_hat, dtype=float)
    _, grad = loss(y_hat, y)
    return rel_error(grad, numerical_gradient(lambda: loss(y_hat, y)[0], y_hat, h))


def check_model(model, loss, X, y, *, regularizer=None, h=1e-5):
    """Backpropagate loss(model(X), y) (+ penalty) and compare every parameter's gradient."""
    from .train import penalty

    def total():
        return loss(model.forward(X, train=False), y)[0] + penalty(model, regularizer)

    _, dy_hat = loss(model.forward(X, train=False), y)
    model.backward(dy_hat)
    errors = {}
    for i, (layer, name, p, g) in enumerate(model.parameters()):
        g = g + (regularizer.grad(p) if regularizer is not None and name == "W" else 0)
        errors[f"{i}:{type(layer).__name__}.{name}"] = rel_error(g, numerical_gradient(total, p, h))
    return errors
