"""Views of a model's parameters. The one place they are held is ``layer.params`` (and
``layer.grads``); these functions read and write them as a flat vector or as named arrays.

Names count the layers that have parameters from 1: a 2-H-1 MLP has W1, b1, W2, b2; a batch-norm
layer in between adds gamma2, beta2 (and the next Dense layer is then W3, b3).
"""
import numpy as np

from ._checks import same_shape


def _entries(model):
    """[(name, layer, key)] in the order of model.parameters()."""
    if not hasattr(model, "parameters"):
        raise TypeError(f"model must have parameters() (a Sequential), got {type(model).__name__}")
    out, k, last = [], 0, None
    for layer, key, _, _ in model.parameters():
        if layer is not last:
            k, last = k + 1, layer
        out.append((f"{key}{k}", layer, key))
    return out


def names(model):
    """The parameter names, e.g. ['W1', 'b1', 'W2', 'b2']."""
    return [name for name, _, _ in _entries(model)]


def as_dict(model, *, grads=False):
    """{'W1': array, 'b1': ..., ...}: copies of the parameters (or of their gradients)."""
    return {name: (layer.grads if grads else layer.params)[key].copy() for name, layer, key in _entries(model)}


def load_dict(model, values):
    """Write {'W1': ..., ...} into the model's parameters in place; every name must be given."""
    entries = _entries(model)
    missing = sorted(set(n for n, _, _ in entries) - set(values))
    extra = sorted(set(values) - set(n for n, _, _ in entries))
    if missing or extra:
        raise ValueError(f"values must have exactly the names {names(model)}; missing {missing}, unknown {extra}")
    checked = [(layer.params[key], same_shape(f"values[{name!r}]", values[name], name, layer.params[key]))
               for name, layer, key in entries]
    for target, value in checked:
        target[...] = value
    return model


def flatten(model, *, grads=False):
    """All parameters (or gradients) as one vector theta of shape (P,), in the order of names()."""
    parts = [(layer.grads if grads else layer.params)[key].ravel() for _, layer, key in _entries(model)]
    return np.concatenate(parts) if parts else np.zeros(0)


def size(model):
    """P, the number of parameters."""
    return sum(layer.params[key].size for _, layer, key in _entries(model))


def assign(model, theta):
    """Write a flat vector theta (P,) into the model's parameters in place (the inverse of flatten)."""
    theta = np.asarray(theta, dtype=float)
    targets = [layer.params[key] for _, layer, key in _entries(model)]
    P = sum(p.size for p in targets)
    if theta.shape != (P,):
        raise ValueError(f"theta must have shape ({P},), one entry per parameter, got {theta.shape}")
    start = 0
    for p in targets:
        p[...] = theta[start:start + p.size].reshape(p.shape)
        start += p.size
    return model
