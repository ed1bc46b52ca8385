"""Gradient clipping. The functions take one array or a list of arrays and return new arrays;
``ClipByValue`` and ``ClipByNorm`` hold a threshold, for ``fit(..., clip=...)``."""
import numpy as np

from ._checks import number


def _as_list(grads):
    return ([np.asarray(grads, dtype=float)], True) if isinstance(grads, np.ndarray) or np.isscalar(grads) \
        else ([np.asarray(g, dtype=float) for g in grads], False)


def clip_by_value(grads, min_value, max_value):
    """Clip every component g_i into [min_value, max_value]. This can change the direction."""
    number("min_value", min_value)
    number("max_value", max_value)
    if min_value > max_value:
        raise ValueError(f"min_value must be <= max_value, got {min_value} > {max_value}")
    gs, single = _as_list(grads)
    out = [np.clip(g, min_value, max_value) for g in gs]
    return out[0] if single else out


def global_norm(grads):
    """Euclidean norm of all gradient components taken together."""
    gs, _ = _as_list(grads)
    return float(np.sqrt(sum(np.sum(g ** 2) for g in gs)))


def clip_by_norm(grads, max_norm):
    """If ||g|| > max_norm, rescale g to norm max_norm (direction kept); ||g|| is over all arrays."""
    number("max_norm", max_norm, low=0, low_open=True)
    gs, single = _as_list(grads)
    norm = global_norm(gs)
    scale = max_norm / norm if norm > max_norm else 1.0
    out = [g * scale for g in gs]
    return out[0] if single else out


class ClipByValue:
    """Clip every gradient component into [min_value, max_value] (the slides' beta and alpha).

    Take min_value <= 0 <= max_value (usually -c and c): then every component keeps its sign."""

    def __init__(self, min_value, max_value):
        number("min_value", min_value)
        number("max_value", max_value)
        if min_value > max_value:
            raise ValueError(f"min_value must be <= max_value, got {min_value} > {max_value}")
        self.min_value, self.max_value = min_value, max_value

    def __call__(self, grads):
        return clip_by_value(grads, self.min_value, self.max_value)

    def __repr__(self):
        return f"ClipByValue({self.min_value}, {self.max_value})"


class ClipByNorm:
    """Rescale all gradients together to norm max_norm when their global norm exceeds it (the slides' v)."""

    def __init__(self, max_norm):
        self.max_norm = number("max_norm", max_norm, low=0, low_open=True)

    def __call__(self, grads):
        return clip_by_norm(grads, self.max_norm)

    def __repr__(self):
        return f"ClipByNorm({self.max_norm})"
